"""``load_generator`` / ``load_discriminator``: any supported source to a ready network.

Sources: a directory with ``config.json`` + ``model.safetensors``; a single ``.safetensors`` file; an official
reference checkpoint (``latest_net_G.pth``); a Hub-community ``pytorch_model.bin``; a directory holding one of
those. Without a config, the architecture is inferred from the state dict.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from pathlib import Path

import torch

from ..atomic import readable_folder
from ..errors import CheckpointError, HubError, NoDiscriminator, WrongRole
from ..hub_client import is_repo_id
from ..networks import Discriminator, Generator, Pix2PixNetwork
from .architecture import infer_architecture
from .config import ModelConfig
from .directory import (
    CHECKPOINT_DIR,
    CONFIG_FILE,
    DISCRIMINATOR_FILE,
    ENCODER_FILE,
    GENERATOR_FILE,
    load_directory,
    network_from_config,
)
from .files import embedded_config, read_weights
from .hub import download
from .pict import is_pict, pict_model_config, pict_state_dict, read_pict_arrays
from .reference import reference_file

WEIGHT_SUFFIXES = (".pth", ".pt", ".bin", ".safetensors", ".onnx", ".ckpt", ".json")
# the weight files a translator picker offers: what load_generator reads as one file (the .pict: the demo's)
TRANSLATOR_SUFFIXES = (".safetensors", ".pth", ".pt", ".bin", ".pict")
WEIGHT_NAMES = {
    "generator": (GENERATOR_FILE, "pytorch_model.bin", "latest_net_G.pth", "latest_net_G_A.pth"),
    "discriminator": (DISCRIMINATOR_FILE, "latest_net_D.pth", "latest_net_D_A.pth"),
    "encoder": (ENCODER_FILE, "latest_net_E.pth"),  # pix2pixHD's feature encoder
}


def load_generator(source: str | os.PathLike, *, revision: str | None = None,
                   cache_dir: str | os.PathLike | None = None, local_dir: str | os.PathLike | None = None,
                   local_files_only: bool | None = None, token: str | bool | None = None,
                   device: str | torch.device = "cpu", from_hub: bool = False,
                   direction: str | None = None) -> Generator:
    """Load a generator from a local path or a Hub repo id (``org/name``) onto ``device``.

    Hub options: ``revision`` (branch, tag or commit), ``cache_dir`` (default: the Hub cache), ``local_dir``
    (download into this folder instead, e.g. ``ComfyUI/models/pix2pix/<name>``), ``local_files_only`` (default:
    ``HF_HUB_OFFLINE``), ``token`` (private repos). Weights are read onto the CPU first. ``from_hub=True`` reads
    ``source`` as a repo id only, never as a local path (for ids typed by users of a shared server).
    ``direction`` (``AtoB`` | ``BtoA``) picks one side of a CycleGAN folder: our checkpoint's ``AtoB/`` or
    ``BtoA/``, or the reference's ``latest_net_G_A.pth`` / ``latest_net_G_B.pth`` (default AtoB).
    """
    return _load(source, "generator", device, from_hub, direction, revision=revision, cache_dir=cache_dir,
                 local_dir=local_dir, local_files_only=local_files_only, token=token)


def load_discriminator(source: str | os.PathLike, *, revision: str | None = None,
                       cache_dir: str | os.PathLike | None = None, local_dir: str | os.PathLike | None = None,
                       local_files_only: bool | None = None, token: str | bool | None = None,
                       device: str | torch.device = "cpu", from_hub: bool = False,
                       direction: str | None = None) -> Discriminator:
    """Load a discriminator (PatchGAN or pixel) from a local path or a Hub repo id; options as load_generator
    (a CycleGAN direction's discriminator is the one judging its outputs: D_A for AtoB)."""
    return _load(source, "discriminator", device, from_hub, direction, revision=revision, cache_dir=cache_dir,
                 local_dir=local_dir, local_files_only=local_files_only, token=token)


def load_encoder(source: str | os.PathLike, *, device: str | torch.device = "cpu") -> Pix2PixNetwork:
    """Load pix2pixHD's feature encoder (``latest_net_E.pth``, or a folder holding it) from a local path."""
    return _load(source, "encoder", device, False, None)


def load_translator(source: str | os.PathLike, **options) -> tuple[Generator, Discriminator | None]:
    """The generator at ``source`` and its discriminator when one was saved or published with it (a folder or a
    Hub repo; a single weights file holds one network). ``options`` as :func:`load_generator`. Only a source that
    holds no discriminator gives None; every other failure is raised."""
    generator = load_generator(source, **options)
    if not options.get("from_hub") and not is_repo_id(source) and readable_folder(Path(source).expanduser()).is_file():
        return generator, None
    try:
        return generator, load_discriminator(source, **options)
    except NoDiscriminator:
        return generator, None


def _load(source: str | os.PathLike, role: str, device: str | torch.device, from_hub: bool,
          direction: str | None = None, **hub_options) -> Pix2PixNetwork:
    if direction not in (None, "AtoB", "BtoA"):
        raise CheckpointError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}.")
    if not str(source).strip():
        raise CheckpointError("the model source is empty: give a checkpoint file, a directory or a Hub repo id.")
    path = Path(source).expanduser()
    if from_hub or (is_repo_id(source) and not looks_like_a_path(path)):
        files = _download(str(source), role, direction, from_hub, hub_options)
        net = _load_local(files.source, role)
        net.source = {**net.source, "hub_repo": files.repo_id, "revision": hub_options.get("revision") or "main",
                      "commit": files.commit, "layout": files.layout}
    elif readable_folder(path).exists():  # a folder a kill left mid-swap is read where its whole version is
        net = _load_local(readable_folder(path), role, direction)
    else:
        raise CheckpointError(
            f"{source} is neither a file nor a directory: no such file or folder{_did_you_mean(path)}. Give a "
            "checkpoint file (.safetensors, .pth, .bin), a directory holding config.json + model.safetensors, or a "
            "Hub repo id such as 'org/name'."
        )
    if direction is not None and net.io is not None and net.source.get("architecture_inferred"):  # no contract:
        net.io = dataclasses.replace(net.io, direction=direction)  # a reference file's side is its direction
    return net.to(device).eval().requires_grad_(False)


def looks_like_a_path(path: Path) -> bool:
    """Whether a missing ``org/name``-shaped source was meant as a local path: it names a weights file, or its
    first folder exists here (``runs/chekpoint``, ``small_ref/latest_net_D.pth``)."""
    return path.suffix.lower() in WEIGHT_SUFFIXES or (len(path.parts) > 1 and Path(path.parts[0]).is_dir())


def _download(source: str, role: str, direction: str | None, from_hub: bool, hub_options: dict):
    """The Hub download; when the id could also have been a mistyped local path, the error says so first."""
    try:
        return download(source, role, direction=direction, **hub_options)
    except HubError as exc:
        if from_hub:
            raise
        raise HubError(f"there is no local file or folder {source}{_did_you_mean(Path(source))}, and as a Hub repo "
                       f"id: {exc}") from exc


def _did_you_mean(path: Path) -> str:
    """`` (did you mean X?)`` when a local path differs from ``path`` by a typo in its parts, else empty."""
    current = Path(path.anchor) if path.is_absolute() else Path()
    for part in path.parts[1:] if path.is_absolute() else path.parts:
        if not (current / part).exists():
            names = [child.name for child in current.iterdir()] if current.is_dir() else []
            match = difflib.get_close_matches(part, names, n=1, cutoff=0.75)
            if not match:
                return ""
            part = match[0]
        current = current / part
    return f" (did you mean {current}?)" if current.exists() and current != path else ""


def _load_local(path: Path, role: str, direction: str | None = None) -> Pix2PixNetwork:
    if not path.is_dir():
        return load_file(path, role)
    if direction is not None or (path / "AtoB" / CONFIG_FILE).is_file():
        return _load_cyclegan_side(path, role, direction or "AtoB")
    if (path / CONFIG_FILE).is_file() and role != "encoder":
        return load_directory(path, role)
    return load_file(_weights_in(path, role), role)


def _load_cyclegan_side(path: Path, role: str, direction: str) -> Pix2PixNetwork:
    """One direction of a CycleGAN folder: ours (``AtoB/``, ``BtoA/``) or the reference's ``latest_net_*_A/B``."""
    if (path / direction / CONFIG_FILE).is_file():
        return load_directory(readable_folder(path / direction), role)
    official = path / reference_file(role, direction)
    if official.is_file():
        return load_file(official, role)
    raise CheckpointError(f"{path} holds no {direction} {role}: expected {path / direction}/ (a CycleGAN checkpoint "
                          f"of this project) or {official.name} (the reference's).")


def _weights_in(directory: Path, role: str) -> Path:
    for name in WEIGHT_NAMES[role]:
        if (directory / name).is_file():
            return directory / name
    present = sorted(p.name for p in directory.iterdir())[:10]
    if role == "discriminator" and any((directory / name).is_file() for name in WEIGHT_NAMES["generator"]):
        raise NoDiscriminator(f"{directory} holds a generator without a discriminator.")
    if (directory / CHECKPOINT_DIR / CONFIG_FILE).is_file() or (directory / CHECKPOINT_DIR / "AtoB").is_dir():
        raise CheckpointError(f"{directory} is a training run folder: its translator is "
                              f"{directory / CHECKPOINT_DIR}. Pass that folder instead.")
    raise CheckpointError(
        f"{directory} holds no {role} weights: looked for config.json + model.safetensors, or one of "
        f"{', '.join(WEIGHT_NAMES[role])}; found {present or 'nothing'}. Put the weights file there, or point at "
        "the file itself."
    )


def load_file(path: Path, role: str) -> Pix2PixNetwork:
    """Load one weights file: its embedded config when it has one, otherwise the inferred architecture."""
    if is_pict(path):
        if role != "generator":
            raise WrongRole(str(path), "generator", role)
        config, state = pict_state_dict(read_pict_arrays(path), str(path))
        return network_from_config(pict_model_config(path, config), state, str(path))
    weights = read_weights(path)
    embedded = embedded_config(weights)
    if embedded is not None:
        config = ModelConfig.from_dict(embedded, f"{path} (embedded config)")
    else:
        inference = infer_architecture(weights.state_dict, str(path))
        source = {"file": path.name, "format": weights.format, "architecture_inferred": True}
        if inference.notes:
            source["notes"] = inference.notes
        config = ModelConfig(inference.config.role, inference.config.architecture, inference.config.arguments(),
                             source=source)
    if config.role != role:
        raise WrongRole(str(path), config.role, role)
    return network_from_config(config, weights.state_dict, str(path))

