"""Bad inputs get errors that name the problem and the fix; nothing is executed, nothing is left half-written."""

from __future__ import annotations

import json
import re

import pytest
import torch
from conftest import random_images
from safetensors.torch import save_file

import pix2pix_core as p2p
from pix2pix_core.networks import PatchGANConfig, ResnetConfig, UnetConfig, build_network, init_weights
from pix2pix_core.weights import directory as pretrained


def _saved(tmp_path, config=None):
    g = init_weights(build_network(config or UnetConfig(num_downs=5, ngf=4)))
    return g, p2p.save_pretrained(g, tmp_path / "model")


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"", "latest_net_G.pth", "is empty"),
    (b"these are not weights\n", "latest_net_G.pth", "is not a checkpoint"),
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "model.safetensors", "not a readable safetensors"),
    (b"PK\x03\x04" + bytes(40), "latest_net_G.pth", "truncated or corrupt"),
])
def test_files_that_are_not_checkpoints(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(p2p.CheckpointError, match=message):
        p2p.load_generator(path)


def test_truncated_safetensors(tmp_path):
    _, directory = _saved(tmp_path)
    weights = directory / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(p2p.CheckpointError, match="truncated or corrupt.*download or copy it again"):
        p2p.load_generator(directory)


def test_truncated_pth(tmp_path):
    g = init_weights(build_network(UnetConfig(num_downs=5, ngf=4)))
    path = tmp_path / "latest_net_G.pth"
    torch.save(g.state_dict(), path)
    path.write_bytes(path.read_bytes()[:-3000])
    with pytest.raises(p2p.CheckpointError, match="truncated or corrupt"):
        p2p.load_generator(path)


def test_missing_paths_and_empty_directories(tmp_path):
    with pytest.raises(p2p.CheckpointError, match="neither a file nor a directory"):
        p2p.load_generator(tmp_path / "nope.pth")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hi")
    with pytest.raises(p2p.CheckpointError, match="holds no generator weights.*latest_net_G.pth.*notes.txt"):
        p2p.load_generator(tmp_path / "empty")
    _, directory = _saved(tmp_path)
    (directory / "model.safetensors").unlink()
    with pytest.raises(p2p.CheckpointError, match="config.json but no model.safetensors"):
        p2p.load_generator(directory)


class _RunsCodeWhenUnpickled:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_code_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "code_ran"
    path = tmp_path / "latest_net_G.pth"
    torch.save({"model.model.0.weight": torch.zeros(1), "payload": _RunsCodeWhenUnpickled(marker)}, path)
    with pytest.raises(p2p.CheckpointError, match="refusing to load.*pickled Python objects"):
        p2p.load_generator(path)
    assert not marker.exists()


def test_unknown_layout_names_closest_match(tmp_path):
    torch.save({"encoder.0.weight": torch.zeros(8, 3, 3, 3), "decoder.0.weight": torch.zeros(3, 8, 3, 3)},
               tmp_path / "other.pth")
    with pytest.raises(p2p.ArchitectureError, match="matches no known pix2pix architecture.*Closest"):
        p2p.load_generator(tmp_path / "other.pth")


def test_state_dict_with_wrong_shapes_lists_the_keys(tmp_path):
    g = init_weights(build_network(UnetConfig(num_downs=5, ngf=4)))
    state = dict(g.state_dict())
    state["model.model.1.model.1.weight"] = torch.zeros(9, 4, 4, 4)
    state["model.extra.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(p2p.ArchitectureError, match=r"unexpected \(1\): model.extra.weight.*shape mismatch"):
        p2p.load_generator(tmp_path / "bad.pth")


def test_wrong_role_says_which_loader(tmp_path):
    d = init_weights(build_network(PatchGANConfig(ndf=4)))
    torch.save(d.state_dict(), tmp_path / "latest_net_D.pth")
    with pytest.raises(p2p.CheckpointError, match="holds a discriminator.*load_discriminator"):
        p2p.load_generator(tmp_path / "latest_net_D.pth")


def _edit_config(directory, **changes):
    config = json.loads((directory / "config.json").read_text())
    for dotted, value in changes.items():
        target = config
        *parents, leaf = dotted.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    (directory / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(("changes", "message"), [
    ({"format_version": 99}, "format_version 99.*Upgrade comfyui-pix2pix"),
    ({"io__input_space": "gray"}, "input_space 'gray' needs 1 channel.*has 3"),
    ({"io__output_space": "lab_ab"}, "output_space 'lab_ab' needs 2 channel"),
    ({"io__multiple": 128}, "io.multiple says 128.*multiples of 32"),
    ({"io__direction": "sideways"}, "direction"),
    ({"arguments__norm": "group"}, "norm is 'group'"),
    ({"arguments__depth": 8}, r"unknown argument\(s\) \['depth'\]"),
    ({"architecture": "transformer"}, "unknown generator architecture 'transformer'"),
    ({"arguments__ngf": 8}, "does not fit unet.*shape mismatch.*delete it to infer"),
    ({"arguments__num_downs": 2}, "num_downs must be at least 5"),
])
def test_bad_config_json(tmp_path, changes, message):
    _, directory = _saved(tmp_path)
    _edit_config(directory, **changes)
    with pytest.raises((p2p.ConfigError, p2p.ArchitectureError), match=message):
        p2p.load_generator(directory)


def test_config_json_that_is_not_json(tmp_path):
    _, directory = _saved(tmp_path)
    (directory / "config.json").write_text("{not json")
    with pytest.raises(p2p.ConfigError, match="not valid JSON"):
        p2p.load_generator(directory)


def test_contradictory_resnet_arguments():
    with pytest.raises(p2p.ConfigError, match="norm_affine applies to instance norm only"):
        ResnetConfig.from_arguments({"norm": "batch", "norm_affine": True})


def test_channel_and_size_mismatches():
    g = build_network(UnetConfig(num_downs=5, ngf=4)).eval()
    with pytest.raises(p2p.InputError, match="expects 3 input channel.*got 1.*Convert"):
        g(torch.zeros(1, 1, 32, 32))
    with pytest.raises(p2p.InputError, match="multiples of 32, got 30x32.*pix2pix_core.translate"):
        g(torch.zeros(1, 3, 30, 32))
    with pytest.raises(p2p.InputError, match="4-D"):
        g(torch.zeros(3, 32, 32))
    with pytest.raises(p2p.InputError, match="2 channels|no conversion"):
        p2p.translate(g, torch.zeros(1, 2, 32, 32))
    with pytest.raises(p2p.InputError, match="NaN"):
        p2p.translate(g, torch.full((1, 3, 8, 8), float("nan")))
    with pytest.raises(p2p.InputError, match="empty"):
        p2p.translate(g, torch.zeros(0, 3, 8, 8))


@pytest.mark.parametrize("failure", ["weights", "card", "samples"])
def test_failed_save_leaves_previous_model_intact(tmp_path, monkeypatch, failure):
    """All or nothing: a save that dies after writing new weights (or before) leaves the old folder loadable."""
    g, directory = _saved(tmp_path)
    before = {p.name: p.read_bytes() for p in directory.iterdir()}

    def dies(*args, **kwargs):
        raise OSError("disk full")

    samples = []
    if failure == "weights":
        monkeypatch.setattr(pretrained, "save_file", dies)
    elif failure == "card":  # the new weights are already written when this fails
        monkeypatch.setattr(pretrained, "render_model_card", dies)
    else:
        samples = [tmp_path / "missing.png"]
    other = init_weights(build_network(UnetConfig(num_downs=5, ngf=4)))
    with pytest.raises((OSError, p2p.Pix2PixError), match="disk full|not found"):
        p2p.save_pretrained(other, directory, samples=samples, overwrite=True)
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before  # nothing replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temp folder left beside it
    x = random_images(1, 3, 32, 32)
    with torch.no_grad(), p2p.inference_statistics(g, "eval"):
        torch.testing.assert_close(p2p.translate(p2p.load_generator(directory), x, statistics="eval"),
                                   p2p.translate(g, x, statistics="eval"))


def test_save_never_replaces_what_it_was_not_asked_to(tmp_path):
    g, directory = _saved(tmp_path)
    with pytest.raises(p2p.Pix2PixError, match="already holds a translator: pass overwrite=True"):
        p2p.save_pretrained(g, directory)
    p2p.save_pretrained(g, directory, overwrite=True)  # asked: replaced whole
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "latest_net_G.pth").write_bytes(b"the user's own checkpoint")
    with pytest.raises(p2p.Pix2PixError, match="already holds other files \\(latest_net_G.pth\\)"):
        p2p.save_pretrained(g, tmp_path / "theirs", overwrite=True)
    assert (tmp_path / "theirs" / "latest_net_G.pth").read_bytes() == b"the user's own checkpoint"
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(p2p.Pix2PixError, match="is a file"):
        p2p.save_pretrained(g, tmp_path / "a_file")
    directory.rename(tmp_path / ".model.old")  # killed between the renames of an earlier save
    with pytest.raises(p2p.Pix2PixError, match="already holds a translator"):
        p2p.save_pretrained(g, directory)


def _config_with(tmp_path, edit):
    g, directory = _saved(tmp_path, ResnetConfig(ngf=4, n_blocks=1))
    p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), directory, overwrite=True,
                        discriminator=init_weights(build_network(PatchGANConfig(ndf=4))))
    config = json.loads((directory / "config.json").read_text())
    text = edit(config)
    raw = isinstance(text, str) and text.startswith("[")  # an edit may return the whole text instead
    (directory / "config.json").write_text(text if raw else json.dumps(config))
    return directory


@pytest.mark.parametrize(("edit", "message"), [
    (lambda c: c.update(io=5), "'io' must be an object, found int"),
    (lambda c: c.update(training="abc"), "'training' must be an object, found the string 'abc'"),
    (lambda c: c["io"].update(input_space=["rgb"]), "io.input_space must be a string, found list"),
    (lambda c: c["io"].update(train_scale=0), "io.train_scale (the side training images were resized to) must lie"),
    (lambda c: c["io"].update(train_scale=10**9), "must lie between 1 and 16384, found 1000000000"),
    (lambda c: c["io"].update(train_scale="286"), "io.train_scale must be an integer, found the string '286'"),
    (lambda c: c.update(format_version="1"), "format_version must be the number 1, found the string '1'"),
    (lambda c: "[" * 100000 + "]" * 100000, "nested too deeply"),
    (lambda c: c["discriminator"].pop("architecture"), "'discriminator' must be an object with 'architecture'"),
    (lambda c: c["discriminator"].update(file="../../etc/passwd"), "'file' 'discriminator.safetensors'"),
])
def test_malformed_configs_are_explained(tmp_path, edit, message):
    directory = _config_with(tmp_path, edit)
    with pytest.raises(p2p.Pix2PixError, match=re.escape(message)):
        p2p.load_generator(directory) if "discriminator" not in message else p2p.load_discriminator(directory)


def test_bad_weights_are_refused_by_name(tmp_path):
    g = init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1)))
    state = {k: v.clone() for k, v in g.state_dict().items()}
    state["model.1.weight"][0, 0, 0, 0] = float("nan")
    save_file(state, str(tmp_path / "nan.safetensors"))
    with pytest.raises(p2p.CheckpointError, match="NaN or infinite values in 1 tensor\\(s\\): model.1.weight"):
        p2p.load_generator(tmp_path / "nan.safetensors")
    state = {k: (v * 100).to(torch.int8) if k == "model.1.weight" else v for k, v in g.state_dict().items()}
    save_file(state, str(tmp_path / "int8.safetensors"))
    with pytest.raises(p2p.CheckpointError, match="non-float tensors.*model.1.weight \\(torch.int8\\)"):
        p2p.load_generator(tmp_path / "int8.safetensors")
    save_file(dict(g.state_dict()), str(tmp_path / "meta.safetensors"), metadata={"pix2pix_config": "{not json"})
    with pytest.raises(p2p.CheckpointError, match="embedded in the file's safetensors metadata is not valid JSON"):
        p2p.load_generator(tmp_path / "meta.safetensors")


def test_errors_never_echo_file_contents(tmp_path):
    secret = tmp_path / "latest_net_G.pth"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(p2p.CheckpointError) as error:
        p2p.load_generator(secret)
    assert "root:" not in str(error.value) and "bash" not in str(error.value)


def test_a_mistyped_local_path_is_named_as_one(tmp_path, monkeypatch, hub):
    """`small_ref/latest_net_D.pth` (a file missing from an existing folder) never goes to the Hub; `smal/checkpoint`
    (a typo of a local folder) is tried as a repo id, and the error says first that no such local path exists."""
    monkeypatch.chdir(tmp_path)
    _saved(tmp_path / "small")
    (tmp_path / "small_ref").mkdir()
    with pytest.raises(p2p.CheckpointError, match=r"small_ref/latest_net_D.pth is neither a file nor a directory: "
                                                  r"no such file or folder"):
        p2p.load_discriminator("small_ref/latest_net_D.pth")
    with pytest.raises(p2p.CheckpointError, match="no such file or folder"):
        p2p.load_generator("elsewhere/model.safetensors")  # a weights file's name: a path, whatever its folder
    with pytest.raises(p2p.HubError, match=r"^there is no local file or folder smal/model \(did you mean "
                                           r"small/model\?\), and as a Hub repo id: .*smal/model"):
        p2p.load_generator("smal/model")
    assert hub.state.downloads == []
