"""Every supported weights source loads to the same network: pretrained directories, single files, legacy keys."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
import torch
from conftest import random_images
from safetensors.torch import save_file

import pix2pix_core as p2p
from pix2pix_core.examples import default_photo, vintagify_weights
from pix2pix_core.imaging.files import load_image
from pix2pix_core.networks import (
    CommunityUnetConfig,
    PatchGANConfig,
    ResnetConfig,
    UnetConfig,
    build_network,
    init_weights,
)
from pix2pix_core.training.data import TensorPairDataset


def _same_outputs(a, b, x, mode="per_image"):
    with torch.no_grad(), p2p.inference_statistics(a, mode), p2p.inference_statistics(b, mode):
        return torch.equal(a(x), b(x))


def _small_unet():
    net = init_weights(build_network(UnetConfig(num_downs=6, ngf=4)))
    with torch.no_grad():  # non-trivial running statistics, as after training
        net.train()(random_images(2, 3, 64, 64) * 2 - 1)
    return net.eval()


def test_save_pretrained_round_trip(tmp_path):
    g = _small_unet()
    d = init_weights(build_network(PatchGANConfig(ndf=4)))
    g.training_facts = {"dataset": "facades", "lambda_l1": 100.0, "gan_mode": "vanilla", "steps": 10}
    out = p2p.save_pretrained(g, tmp_path / "facades-small", discriminator=d)
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "config.json", "discriminator.safetensors", "model.safetensors"]
    config = json.loads((out / "config.json").read_text())
    assert config["format_version"] == 1 and config["architecture"] == "unet"
    assert config["arguments"]["num_downs"] == 6 and config["io"]["multiple"] == 64
    loaded = p2p.load_generator(out)
    assert loaded.config == g.config and loaded.training_facts == g.training_facts
    x = random_images(2, 3, 64, 64) * 2 - 1
    assert _same_outputs(g, loaded, x, "eval") and _same_outputs(g, loaded, x, "per_image")
    loaded_d = p2p.load_discriminator(out)
    assert loaded_d.config == d.config
    card = (out / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: comfyui-pix2pix\npipeline_tag: image-to-image\n")
    assert "tags: [pix2pix, gan, comfyui]" in card and "datasets:" not in card and "isola2017image" in card


def test_single_safetensors_file_carries_its_config(tmp_path):
    g = _small_unet()
    p2p.save_pretrained(g, tmp_path / "m")
    single = tmp_path / "elsewhere.safetensors"
    (tmp_path / "m" / "model.safetensors").rename(single)
    loaded = p2p.load_generator(single)
    assert loaded.config == UnetConfig(num_downs=6, ngf=4) and loaded.config.dropout is True
    assert _same_outputs(g, loaded, random_images(1, 3, 64, 64))


def test_bare_safetensors_is_inferred(tmp_path):
    g = init_weights(build_network(ResnetConfig(ngf=4, n_blocks=3)))
    save_file(g.state_dict(), tmp_path / "g.safetensors")
    loaded = p2p.load_generator(tmp_path / "g.safetensors")
    assert loaded.config.n_blocks == 3 and loaded.source["architecture_inferred"] is True
    assert _same_outputs(g, loaded, random_images(1, 3, 32, 32))


def test_hub_community_pytorch_model_bin(tmp_path):
    g = init_weights(build_network(CommunityUnetConfig(ngf=4)))
    repo = tmp_path / "pix2pix-edge2shoes"
    repo.mkdir()
    torch.save(g.state_dict(), repo / "pytorch_model.bin")
    loaded = p2p.load_generator(repo)
    assert loaded.config == CommunityUnetConfig(ngf=4) and loaded.multiple == 256
    assert _same_outputs(g, loaded, random_images(1, 3, 256, 256) * 2 - 1)


def test_reference_directory_with_latest_net_files(tmp_path):
    g, d = _small_unet(), init_weights(build_network(PatchGANConfig(ndf=4)))
    torch.save(g.state_dict(), tmp_path / "latest_net_G.pth")
    torch.save(d.state_dict(), tmp_path / "latest_net_D.pth")
    assert p2p.load_generator(tmp_path).config.num_downs == 6
    assert p2p.load_discriminator(tmp_path).config.n_layers == 3


def test_legacy_instance_norm_running_stats_are_dropped(tmp_path):
    """Old CycleGAN checkpoints carry InstanceNorm running_mean/var/num_batches_tracked: ignored, as the reference."""
    g = init_weights(build_network(ResnetConfig(ngf=4, n_blocks=2)))
    state = dict(g.state_dict())
    for prefix in ("model.2.", "model.10.conv_block.2.", "model.13.", "model.16."):
        channels = {"model.2.": 4, "model.13.": 8, "model.16.": 4}.get(prefix, 16)
        state[prefix + "running_mean"] = torch.zeros(channels)
        state[prefix + "running_var"] = torch.ones(channels)
        state[prefix + "num_batches_tracked"] = torch.tensor(5)
    torch.save(state, tmp_path / "latest_net_G_A.pth")
    loaded = p2p.load_generator(tmp_path / "latest_net_G_A.pth")
    assert loaded.config.norm == "instance" and not loaded.config.norm_affine
    assert _same_outputs(g, loaded, random_images(1, 3, 32, 32))


def test_missing_num_batches_tracked_is_tolerated(tmp_path):
    g = _small_unet()
    state = {k: v for k, v in g.state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save(state, tmp_path / "old.pth")
    assert _same_outputs(g, p2p.load_generator(tmp_path / "old.pth"), random_images(1, 3, 64, 64), "eval")


def test_data_parallel_prefix_and_wrapper_dict(tmp_path):
    g = _small_unet()
    torch.save({"state_dict": {f"module.{k}": v for k, v in g.state_dict().items()}, "epoch": 3}, tmp_path / "w.pth")
    assert _same_outputs(g, p2p.load_generator(tmp_path / "w.pth"), random_images(1, 3, 64, 64), "eval")


def _as_if_saved_on_cuda(path: Path) -> None:
    """Rewrite a torch zip checkpoint so its storages say they lived on cuda:0 (no GPU needed to make it)."""
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as dst:
        for info, data in entries:
            if info.filename.endswith("data.pkl"):
                assert b"X\x03\x00\x00\x00cpu" in data
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            dst.writestr(info, data)
    path.write_bytes(buffer.getvalue())


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks loading on a machine without CUDA")
def test_checkpoint_saved_on_cuda_loads_on_cpu(tmp_path):
    g = _small_unet()
    path = tmp_path / "latest_net_G.pth"
    torch.save(g.state_dict(), path)
    _as_if_saved_on_cuda(path)
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(path, weights_only=True)  # what a naive loader does on this machine
    assert _same_outputs(g, p2p.load_generator(path), random_images(1, 3, 64, 64), "eval")


def _vintagify_own_network():
    """vintagify's own generator class, imported from its file (its package __init__ needs torchvision)."""
    path = vintagify_weights().parents[1] / "generator.py"
    spec = importlib.util.spec_from_file_location("vintagify_generator", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.ResnetGenerator()
    net.load_state_dict(torch.load(vintagify_weights(), weights_only=True, map_location="cpu"))
    return net.eval()


def test_vintagify_translator_loads_exactly():
    """A real third-party CycleGAN-style translator (affine InstanceNorm, `block` names) matches its own network."""
    ours = p2p.load_generator(vintagify_weights())
    assert ours.config == ResnetConfig(ngf=64, n_blocks=9, norm="instance", norm_affine=True, bias=True,
                                       block_name="block")
    photo = load_image(default_photo())[None, :, 128:384, 128:384] * 2 - 1
    with torch.no_grad():
        expected = _vintagify_own_network()(photo)
        with p2p.inference_statistics(ours):
            got = ours(photo)
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-5)
    assert (got - photo).abs().mean() > 0.02  # it really changes the photo


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_written_files_get_the_permissions_of_the_umask(tmp_path, umask):
    """Models, cards, images and checkpoints are created as open() would create them, not mkstemp's 0600."""
    from pix2pix_core.imaging.files import save_image
    from pix2pix_core.training.pix2pix import Pix2PixConfig, Pix2PixTrainer

    previous = os.umask(umask)
    try:
        g = init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1)))
        folder = p2p.save_pretrained(g, tmp_path / "model")
        save_image(torch.rand(3, 8, 8), tmp_path / "out.png")
        config = Pix2PixConfig(steps=1, ngf=4, ndf=4, num_downs=5, crop_size=32, load_size=36)
        pairs = TensorPairDataset(torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32))
        Pix2PixTrainer(config, pairs, tmp_path / "run").run()
    finally:
        os.umask(previous)
    written = [*folder.iterdir(), tmp_path / "out.png", *(tmp_path / "run" / "checkpoint").iterdir()]
    assert len(written) >= 8
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path
