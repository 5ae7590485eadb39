"""The README is code: every Python block runs, and every `pix2pix ...` line of its shell blocks parses.

The Python blocks run in order in one namespace, in a folder holding the files they name, against a local
Hub-compatible server serving the repos they name (small weights, no network). The names a block uses without
defining them (``images``, ``colorizer``, ...) are the reader's own data; the test provides them.
"""

from __future__ import annotations

import io
import re
import runpy
import shlex
import shutil
from pathlib import Path

import pytest
import torch
from conftest import hed_checkpoint, random_images
from PIL import Image

import pix2pix_core as p2p
from pix2pix_core.cli.app import _parser
from pix2pix_core.imaging.files import save_image
from pix2pix_core.networks import (
    CommunityUnetConfig,
    LocalEnhancerConfig,
    PatchGANConfig,
    ResnetConfig,
    UnetConfig,
    build_network,
    init_weights,
)
from pix2pix_core.weights.hed import HED_FILE, HED_REPO

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README.read_text(), flags=re.S | re.M)


def _net(config, seed: int = 0):
    torch.manual_seed(seed)
    return init_weights(build_network(config))


def _torch_bytes(state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def _repo_files(net, folder: Path) -> dict[str, bytes]:
    p2p.save_pretrained(net, folder)
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture
def readme_world(hub, tmp_path, monkeypatch, reference_dir):
    """The files and Hub repos the README's Python blocks name, and the reader's data they use."""
    monkeypatch.chdir(tmp_path)
    checkpoint = tmp_path / "checkpoints" / "edges2shoes_pretrained" / "latest_net_G.pth"
    checkpoint.parent.mkdir(parents=True)
    shutil.copy(reference_dir / "ref_unet256_ngf8_batch.pth", checkpoint)
    save_image(random_images(1, 3, 32, 32)[0], tmp_path / "grid.png")
    hub.state.add_commit("huggan/pix2pix-edge2shoes",
                         {"pytorch_model.bin": _torch_bytes(_net(CommunityUnetConfig(ngf=4)).state_dict())})
    mine = _net(ResnetConfig(ngf=4, n_blocks=1), seed=1)
    hub.state.add_commit("me/my-translator", _repo_files(mine, tmp_path / "v1"), branch="v1", private=True)
    hub.state.add_commit("me/my-translator", _repo_files(mine, tmp_path / "main"), private=True)
    hub.state.add_commit(HED_REPO, {HED_FILE: _torch_bytes(hed_checkpoint())})
    (tmp_path / "label2city").mkdir()  # a pix2pixHD local enhancer as NVIDIA saves it, and a scene's two maps
    hd = _net(LocalEnhancerConfig(ngf=4, n_downsample_global=2, n_blocks_global=1, n_blocks_local=1))
    torch.save(hd.state_dict(), tmp_path / "label2city" / "latest_net_G.pth")
    labels = torch.randint(0, 34, (1, 48, 64), dtype=torch.uint8)
    Image.fromarray(labels[0].numpy()).save(tmp_path / "frankfurt_labelIds.png")
    Image.fromarray((labels[0].int() * 1000).numpy().astype("uint16")).save(tmp_path / "frankfurt_instanceIds.png")
    monkeypatch.setenv("HF_TOKEN", hub.state.token)
    return {"images": random_images(2, 3, 40, 56), "x": random_images(1, 3, 32, 32) * 2 - 1,
            "gray_or_colour_images": random_images(1, 1, 48, 40),
            "colorizer": _net(UnetConfig(in_channels=1, out_channels=2, num_downs=6, ngf=8)),
            "my_token": hub.state.token, "d": _net(PatchGANConfig(in_channels=6, ndf=4, n_layers=1))}


@pytest.mark.slow
def test_every_python_block_of_the_readme_runs(readme_world, tmp_path, hub):
    blocks = _blocks("python")
    assert len(blocks) >= 5
    namespace = dict(readme_world)
    for number, block in enumerate(blocks, 1):
        script = tmp_path / f"readme_block_{number}.py"
        script.write_text(block)
        namespace = runpy.run_path(str(script), init_globals=namespace)
    assert namespace["y"].shape == readme_world["images"].shape  # translate: same size, in 0..1
    assert (tmp_path / "edges2shoes" / "model.safetensors").is_file() and (tmp_path / "model.onnx").is_file()
    assert namespace["e"].shape == (2, 1, 40, 56) and namespace["p"].shape == (2, 1, 40, 56)
    assert namespace["rgb"].shape == (1, 3, 48, 40)
    assert "samples/grid.png" in hub.state.repos["me/my-translator"].commits[
        hub.state.repos["me/my-translator"].refs["main"]]


def _cli_lines() -> list[list[str]]:
    """The `pix2pix ...` lines of the README's bash blocks (comments and placeholders like <commit> filled)."""
    lines = []
    for block in _blocks("bash"):
        for line in block.splitlines():
            command = re.split(r"\s{2,}#", line)[0].replace("<commit>", "0" * 40).strip()
            if command.startswith("pix2pix "):
                lines.append(shlex.split(command)[1:])
    return lines


def test_every_pix2pix_command_of_the_readme_parses(capsys):
    lines = _cli_lines()
    assert len(lines) >= 15
    parser = _parser()
    for words in lines:
        try:
            parser.parse_args(words)
        except SystemExit:
            pytest.fail(f"README command does not parse: pix2pix {' '.join(words)}\n{capsys.readouterr().err}")
