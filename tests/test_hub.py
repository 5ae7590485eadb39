"""The Hub code path with the real huggingface_hub client against a Hub-compatible server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
import torch
from conftest import random_images
from PIL import Image

import pix2pix_core as p2p
from pix2pix_core.cli import main as cli_main
from pix2pix_core.networks import CommunityUnetConfig, PatchGANConfig, ResnetConfig, build_network, init_weights
from pix2pix_core.weights.hub import SOURCE_FILE


def _net(config=None, seed=0):
    torch.manual_seed(seed)
    return init_weights(build_network(config or ResnetConfig(ngf=4, n_blocks=1)))


def _out(net):
    return p2p.translate(net, random_images(1, 3, 32, 32), fit="native")


def _pretrained_files(net, tmp_path, discriminator=None):
    folder = p2p.save_pretrained(net, tmp_path / "upload", discriminator)
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _torch_bytes(net):
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    return buffer.getvalue()


def test_each_repo_layout_downloads_and_loads(hub, tmp_path):
    ours, community, official = _net(seed=1), _net(CommunityUnetConfig(ngf=4), seed=2), _net(seed=3)
    hub.state.add_commit("us/ours", _pretrained_files(ours, tmp_path))
    hub.state.add_commit("huggan/pix2pix-tiny", {"pytorch_model.bin": _torch_bytes(community),
                                                 "README.md": b"# card"})
    hub.state.add_commit("someone/official", {"latest_net_G.pth": _torch_bytes(official)})
    cache = tmp_path / "cache"
    for repo_id, net, layout in (("us/ours", ours, "comfyui-pix2pix"), ("someone/official", official, "reference")):
        loaded = p2p.load_generator(repo_id, cache_dir=cache)
        assert loaded.source["hub_repo"] == repo_id and loaded.source["layout"] == layout
        assert loaded.source["commit"] == hub.state.repos[repo_id].refs["main"]
        assert torch.equal(_out(loaded), _out(net))
    loaded = p2p.load_generator("huggan/pix2pix-tiny", cache_dir=cache)
    x = random_images(1, 3, 256, 256)
    assert torch.equal(p2p.translate(loaded, x), p2p.translate(community, x))
    assert not any("README" in d for d in hub.state.downloads)  # only what is needed


def test_revision_pins_and_cache_reuse(hub, tmp_path):
    first, second = _net(seed=1), _net(seed=2)
    sha1 = hub.state.add_commit("us/model", _pretrained_files(first, tmp_path / "1"))
    sha2 = hub.state.add_commit("us/model", _pretrained_files(second, tmp_path / "2"))
    cache = tmp_path / "cache"
    assert torch.equal(_out(p2p.load_generator("us/model", cache_dir=cache)), _out(second))
    pinned = p2p.load_generator("us/model", revision=sha1, cache_dir=cache)
    assert pinned.source["commit"] == sha1 and torch.equal(_out(pinned), _out(first))
    downloads = list(hub.state.downloads)
    again = p2p.load_generator("us/model", cache_dir=cache)
    assert again.source["commit"] == sha2 and hub.state.downloads == downloads  # served from the cache


def test_local_dir_records_the_commit_and_works_offline(hub, tmp_path, monkeypatch):
    net = _net()
    sha = hub.state.add_commit("us/model", _pretrained_files(net, tmp_path))
    folder = tmp_path / "models" / "pix2pix" / "model"
    p2p.load_generator("us/model", local_dir=folder)
    assert json.loads((folder / SOURCE_FILE).read_text())["commit"] == sha
    assert {"config.json", "model.safetensors"} <= {p.name for p in folder.iterdir()}
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    offline = p2p.load_generator("us/model", local_dir=folder)
    assert offline.source["commit"] == sha and torch.equal(_out(offline), _out(net))


def test_offline_uses_the_cache_and_explains_what_is_missing(hub, tmp_path, monkeypatch):
    net = _net()
    hub.state.add_commit("us/model", _pretrained_files(net, tmp_path))
    cache = tmp_path / "cache"
    p2p.load_generator("us/model", cache_dir=cache)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert torch.equal(_out(p2p.load_generator("us/model", cache_dir=cache)), _out(net))
    with pytest.raises(p2p.HubError, match=r"offline.*us/other@main.*config.json \+ model.safetensors.*other"):
        p2p.load_generator("us/other", cache_dir=cache)


def test_missing_private_and_non_pix2pix_repos(hub, tmp_path):
    with pytest.raises(p2p.HubError, match="us/nothing was not found, or it is private"):
        p2p.load_generator("us/nothing", cache_dir=tmp_path)
    net = _net()
    hub.state.add_commit("us/secret", _pretrained_files(net, tmp_path), private=True)
    with pytest.raises(p2p.HubError, match="private and no valid token.*token="):
        p2p.load_generator("us/secret", cache_dir=tmp_path)
    assert torch.equal(_out(p2p.load_generator("us/secret", cache_dir=tmp_path, token=hub.state.token)), _out(net))
    hub.state.add_commit("us/bert", {"tokenizer.json": b"{}", "flax_model.msgpack": b"x", "README.md": b"#"})
    with pytest.raises(p2p.HubError, match="no pix2pix generator weights.*Files in the repo: README.md, "
                                           "flax_model.msgpack, tokenizer.json"):
        p2p.load_generator("us/bert", cache_dir=tmp_path)
    hub.state.add_commit("us/gated", _pretrained_files(net, tmp_path / "g"))
    hub.state.repos["us/gated"].gated = True
    with pytest.raises(p2p.HubError, match="us/gated is gated: accept its conditions"):
        p2p.load_generator("us/gated", cache_dir=tmp_path)
    with pytest.raises(p2p.HubError, match="has no revision 'v9'"):
        p2p.load_generator("us/secret", revision="v9", cache_dir=tmp_path, token=hub.state.token)


def test_config_that_does_not_match_the_weights(hub, tmp_path):
    files = _pretrained_files(_net(), tmp_path)
    config = json.loads(files["config.json"])
    config["arguments"]["n_blocks"] = 3
    hub.state.add_commit("us/mismatch", {**files, "config.json": json.dumps(config).encode()})
    with pytest.raises(p2p.ArchitectureError, match=r"does not fit resnet.*missing \(14\): model.11.conv_block"):
        p2p.load_generator("us/mismatch", cache_dir=tmp_path)


@pytest.mark.slow
def test_interrupted_download_is_resumed_or_never_loaded(hub, tmp_path):
    net = _net()
    hub.state.add_commit("us/model", _pretrained_files(net, tmp_path))
    hub.state.truncate["model.safetensors"] = 1  # cut once: the client resumes with a Range request
    assert torch.equal(_out(p2p.load_generator("us/model", cache_dir=tmp_path / "a")), _out(net))
    hub.state.truncate["model.safetensors"] = 100  # cut every time: the client gives up
    with pytest.raises(p2p.HubError, match="could not download us/model@main file model.safetensors.*Nothing "
                                           "partial was kept"):
        p2p.load_generator("us/model", cache_dir=tmp_path / "b")
    assert not list((tmp_path / "b").rglob("model.safetensors"))


@pytest.mark.parametrize("repo_id", ["a b/c", "org/..", "org/name/extra/../x", "-org/name", "org/name.git", "/x"])
def test_malformed_repo_ids(repo_id):
    """Every case reaches the repo-id check (from_hub: never read as a local path) and is refused by it."""
    with pytest.raises(p2p.HubError, match="valid Hub repo id"):
        p2p.load_generator(repo_id, from_hub=True)


@pytest.mark.parametrize("repo_id", ["huggan/pix2pix-edge2shoes", "a/b", "Org_1/name.v2-x"])
def test_well_formed_repo_ids_pass_the_check(repo_id):
    from pix2pix_core.hub_client import check_repo_id

    check_repo_id(repo_id)


@pytest.mark.parametrize("source", ["", "   ", "../x"])
def test_empty_and_relative_sources(source):
    with pytest.raises(p2p.CheckpointError, match="empty|neither a file"):
        p2p.load_generator(source)


def test_push_then_load_gives_identical_outputs(hub, tmp_path):
    g, d = _net(seed=4), init_weights(build_network(PatchGANConfig(ndf=4)))
    g.training_facts = {"dataset": "facades", "steps": 200, "lambda_l1": 100.0}
    sample = tmp_path / "sample.png"
    Image.new("RGB", (8, 8), "red").save(sample)
    with pytest.raises(p2p.HubError, match="needs a token with write access"):
        p2p.push_to_hub(g, "me/translator")  # no token
    commit = p2p.push_to_hub(g, "me/translator", discriminator=d, token=hub.state.token, samples=[sample])
    files = hub.state.repos["me/translator"].commits[commit]
    assert {"config.json", "model.safetensors", "discriminator.safetensors", "README.md",
            "samples/sample.png"} <= set(files)
    card = files["README.md"].decode()
    assert "pipeline_tag: image-to-image" in card and "datasets:" not in card
    assert "repo_id` = `me/translator`" in card and "![sample](samples/sample.png)" in card
    loaded = p2p.load_generator("me/translator", cache_dir=tmp_path / "cache")
    assert torch.equal(_out(loaded), _out(g)) and loaded.training_facts["steps"] == 200
    loaded_d = p2p.load_discriminator("me/translator", cache_dir=tmp_path / "cache")
    x = random_images(1, 6, 64, 64)
    with torch.no_grad(), p2p.inference_statistics(d, "eval"), p2p.inference_statistics(loaded_d, "eval"):
        assert torch.equal(loaded_d(x), d(x))


def test_push_command(hub, tmp_path, capsys):
    g = _net(seed=5)
    folder = p2p.save_pretrained(g, tmp_path / "mine")
    assert cli_main(["push", str(folder), "me/cli-model", "--private", "--token", hub.state.token]) == 0
    assert "pushed" in capsys.readouterr().out
    assert hub.state.repos["me/cli-model"].private
    loaded = p2p.load_generator("me/cli-model", token=hub.state.token, cache_dir=tmp_path / "cache")
    assert torch.equal(_out(loaded), _out(g))


@pytest.mark.slow
def test_push_takes_the_onnx_exports_along(hub, tmp_path, capsys):
    """ONNX files exported next to the weights are uploaded with them, and the pushed card lists them."""
    folder = p2p.save_pretrained(_net(seed=6), tmp_path / "exported")
    p2p.export_onnx(p2p.load_generator(folder), folder / "model.onnx")
    assert cli_main(["push", str(folder), "me/with-onnx", "--token", hub.state.token]) == 0
    assert "with model.onnx" in capsys.readouterr().out
    repo = hub.state.repos["me/with-onnx"]
    files = repo.commits[repo.refs["main"]]
    assert files["model.onnx"] == (folder / "model.onnx").read_bytes()
    card = files["README.md"].decode()
    assert "## ONNX" in card and "`model.onnx`: no BatchNorm" in card  # an InstanceNorm ResNet
    assert "me/with-onnx" in card  # the card is the Hub's (usage names the repo), with the section added


def test_models_command_lists_the_catalogue(capsys):
    assert cli_main(["models"]) == 0
    out = capsys.readouterr().out
    for repo_id in ("huggan/pix2pix-edge2shoes", "huggan/pix2pix-night2day", "huggan/pix2pix-facades-demo"):
        assert repo_id in out


@pytest.fixture
def dead_endpoint(monkeypatch, tmp_path):
    """HF_ENDPOINT on a closed port of 127.0.0.1, offline mode not set: every connection is refused."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return endpoint


def test_no_network_says_so_and_where_to_put_files_by_hand(dead_endpoint, tmp_path):
    from pix2pix_core.weights.hed import load_hed

    with pytest.raises(p2p.HubError) as hed_error:
        load_hed(local_dir=tmp_path / "hed")
    message = str(hed_error.value)
    assert "could not download" in message and "could not be reached" in message and "does not exist" not in message
    assert f"{dead_endpoint}/lllyasviel/Annotators/resolve/main/ControlNetHED.pth" in message
    assert str(tmp_path / "hed" / "ControlNetHED.pth") in message
    with pytest.raises(p2p.HubError) as model_error:
        p2p.load_generator("org/translator", local_dir=tmp_path / "mine")
    message = str(model_error.value)
    assert "could not download" in message and f"{dead_endpoint}/org/translator/tree/main" in message
    assert str(tmp_path / "mine") in message and "model.safetensors" in message


def test_a_local_cache_miss_is_not_a_missing_file():
    """huggingface_hub's LocalEntryNotFoundError (a network failure with nothing cached) subclasses
    EntryNotFoundError: it must not be reported as a file missing from the repo."""
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    from pix2pix_core.hub_client import explain

    assert issubclass(LocalEntryNotFoundError, EntryNotFoundError)  # the trap, in huggingface_hub >= 1.0
    message = str(explain(LocalEntryNotFoundError("no cache"), "org/x", None, "f.pth"))
    assert "could not download org/x@main file f.pth" in message and "does not exist" not in message


def test_push_without_network_speaks_of_the_upload(dead_endpoint, tmp_path, capsys):
    folder = p2p.save_pretrained(_net(), tmp_path / "model")
    assert cli_main(["push", str(folder), "org/translator"]) == 2
    err = capsys.readouterr().err
    assert "could not upload to org/translator" in err and "No commit was made" in err
    assert "download" not in err and "HF_HUB_OFFLINE" not in err


def test_a_server_that_never_answers_is_given_up_on_in_bounded_time(hub, monkeypatch):
    import time

    hub.state.stall.add("slow/stalled")
    monkeypatch.setenv("PIX2PIX_HUB_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(p2p.HubError, match=f"the Hub at {hub.endpoint} did not answer within 1 s"):
        p2p.load_generator("slow/stalled")
    assert time.monotonic() - started < 15  # one bounded request, no retry loop


def test_nothing_a_server_or_a_revision_says_becomes_a_path_outside_the_cache(hub, tmp_path):
    hub.state.add_commit("org/model", _pretrained_files(_net(), tmp_path))
    for revision in ("../../../../escaped", "main/../../x", "/abs", "a..b", "v1.lock"):
        with pytest.raises(p2p.HubError, match="not a valid branch, tag or commit"):
            p2p.load_generator("org/model", revision=revision)
    hub.state.fake_commit["org/model"] = "../../../../escaped"
    with pytest.raises(p2p.HubError, match="carries no valid commit id"):
        p2p.load_generator("org/model")
    assert not any(p.name == "escaped" for p in tmp_path.rglob("*"))


def test_load_translator_gives_the_discriminator_only_when_there_is_one(hub, tmp_path):
    g, d = _net(), _net(PatchGANConfig(in_channels=6, ndf=4))
    both = p2p.save_pretrained(g, tmp_path / "both", d)
    alone = p2p.save_pretrained(g, tmp_path / "alone")
    assert isinstance(p2p.load_translator(both)[1], p2p.networks.Discriminator)
    assert p2p.load_translator(alone)[1] is None
    assert p2p.load_translator(alone / "model.safetensors")[1] is None  # one file holds one network
    hub.state.add_commit("org/with-d", _pretrained_files(g, tmp_path / "h1", d))
    hub.state.add_commit("org/without-d", _pretrained_files(g, tmp_path / "h2"))
    assert p2p.load_translator("org/with-d")[1] is not None and p2p.load_translator("org/without-d")[1] is None
    (both / "discriminator.safetensors").write_bytes(b"damaged")
    with pytest.raises(p2p.CheckpointError, match="discriminator.safetensors"):  # a real failure is never "none"
        p2p.load_translator(both)


def test_a_cyclegan_repo_gives_either_direction(hub, tmp_path):
    """Our checkpoint folder (AtoB/ + BtoA/) and the reference's latest_net_*_A/B.pth files, published as repos."""
    g_a, g_b, d_b = _net(seed=1), _net(seed=2), _net(PatchGANConfig(ndf=4, n_layers=1), seed=3)
    g_b.io = dataclasses.replace(g_b.io, direction="BtoA")
    ours = {f"AtoB/{name}": data for name, data in _pretrained_files(g_a, tmp_path / "a").items()}
    ours |= {f"BtoA/{name}": data for name, data in _pretrained_files(g_b, tmp_path / "b", d_b).items()}
    hub.state.add_commit("us/cyclegan", ours)
    hub.state.add_commit("someone/cyclegan", {"latest_net_G_A.pth": _torch_bytes(g_a),
                                              "latest_net_G_B.pth": _torch_bytes(g_b),
                                              "latest_net_D_B.pth": _torch_bytes(d_b)})
    cache = tmp_path / "cache"
    for repo_id in ("us/cyclegan", "someone/cyclegan"):
        assert torch.equal(_out(p2p.load_generator(repo_id, cache_dir=cache)), _out(g_a)), repo_id  # AtoB unless told
        b_to_a, critic = p2p.load_translator(repo_id, direction="BtoA", cache_dir=cache)
        assert torch.equal(_out(b_to_a), _out(g_b)) and b_to_a.io.direction == "BtoA", repo_id
        assert all(torch.equal(v, d_b.state_dict()[k]) for k, v in critic.state_dict().items()), repo_id
    hub.state.add_commit("someone/pix2pix", {"latest_net_G.pth": _torch_bytes(g_a)})
    with pytest.raises(p2p.HubError, match="has no pix2pix generator weights. Expected one of: BtoA/config.json \\+ "
                                           "BtoA/model.safetensors; latest_net_G_B.pth"):
        p2p.load_generator("someone/pix2pix", direction="BtoA", cache_dir=cache)


@pytest.mark.parametrize("route", ["create", "preupload", "commit"])
def test_a_push_to_a_server_that_never_answers_ends_in_bounded_time(hub, monkeypatch, tmp_path, route):
    """Each call of a push (create_repo, preupload, commit) waits at most PIX2PIX_HUB_TIMEOUT, without the minutes
    of retries huggingface_hub would add; the error names the endpoint, and the next push works."""
    import time

    hub.state.stall_posts.add(route)
    monkeypatch.setenv("PIX2PIX_HUB_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(p2p.HubError, match=f"the Hub at {hub.endpoint} did not answer within 1 s while pushing to "
                                           "me/stalled.*the push was stopped"):
        p2p.push_to_hub(_net(), "me/stalled", token=hub.state.token)
    assert time.monotonic() - started < 5
    assert "me/stalled" not in hub.state.repos or len(hub.state.repos["me/stalled"].commits) <= 1  # .gitattributes
    hub.state.stall_posts.clear()
    commit = p2p.push_to_hub(_net(), "me/stalled", token=hub.state.token)
    assert hub.state.repos["me/stalled"].refs["main"] == commit
