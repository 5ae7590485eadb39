"""``load_generator`` / ``load_discriminator``: any supported source to a ready network.

Sources: a directory with ``config.json`` + ``model.safetensors``; a single ``.safetensors`` file; an official
reference checkpoint (``latest_net_G.pth``); a Hub-community ``pytorch_model.bin``; a directory holding one of
those. Without a config, the architecture is inferred from the state dict.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from .checkpoints import embedded_config, infer_architecture, read_weights
from .config import ModelConfig
from .errors import CheckpointError
from .networks import Discriminator, Generator, Pix2PixNetwork
from .pretrained import CONFIG_FILE, load_directory, network_from_config

WEIGHT_NAMES = {
    "generator": ("model.safetensors", "pytorch_model.bin", "latest_net_G.pth", "latest_net_G_A.pth"),
    "discriminator": ("discriminator.safetensors", "latest_net_D.pth", "latest_net_D_A.pth"),
}


def load_generator(source: str | os.PathLike, *, device: str | torch.device = "cpu") -> Generator:
    """Load a generator from ``source`` onto ``device`` (weights are always read onto the CPU first)."""
    return _load(source, "generator", device)


def load_discriminator(source: str | os.PathLike, *, device: str | torch.device = "cpu") -> Discriminator:
    """Load a discriminator (PatchGAN or pixel) from ``source`` onto ``device``."""
    return _load(source, "discriminator", device)


def _load(source: str | os.PathLike, role: str, device: str | torch.device) -> Pix2PixNetwork:
    path = Path(source).expanduser()
    if path.is_dir():
        net = load_directory(path, role) if (path / CONFIG_FILE).is_file() else load_file(_weights_in(path, role), role)
    elif path.is_file():
        net = load_file(path, role)
    else:
        raise CheckpointError(
            f"{source} is neither a file nor a directory. Give a checkpoint file (.safetensors, .pth, .bin) or a "
            "directory holding config.json + model.safetensors."
        )
    return net.to(device).eval().requires_grad_(False)


def _weights_in(directory: Path, role: str) -> Path:
    for name in WEIGHT_NAMES[role]:
        if (directory / name).is_file():
            return directory / name
    present = sorted(p.name for p in directory.iterdir())[:10]
    raise CheckpointError(
        f"{directory} holds no {role} weights: looked for config.json + model.safetensors, or one of "
        f"{', '.join(WEIGHT_NAMES[role])}; found {present or 'nothing'}. Put the weights file there, or point at "
        "the file itself."
    )


def load_file(path: Path, role: str) -> Pix2PixNetwork:
    """Load one weights file: its embedded config when it has one, otherwise the inferred architecture."""
    weights = read_weights(path)
    embedded = embedded_config(weights)
    if embedded is not None:
        config, multiple = ModelConfig.from_json(json.dumps(embedded), f"{path} (embedded config)")
        _check_role(config.role, role, path)
        return network_from_config(config, weights.state_dict, str(path), multiple)
    inference = infer_architecture(weights.state_dict, str(path))
    _check_role(inference.config.role, role, path)
    source = {"file": path.name, "format": weights.format, "architecture_inferred": True}
    if inference.notes:
        source["notes"] = inference.notes
    config = ModelConfig(role, inference.config.architecture, inference.config.arguments(), source=source)
    return network_from_config(config, weights.state_dict, str(path))


def _check_role(found: str, wanted: str, path: Path) -> None:
    if found != wanted:
        raise CheckpointError(f"{path} holds a {found}, not a {wanted}: use load_{found}() for it.")
