"""Presets and data layouts: which dataset a folder (or a model's io contract) calls for."""

from __future__ import annotations

from pathlib import Path

from ..errors import Pix2PixError
from ..networks.io import IOSpec
from .data import AlignedDataset, DerivedPairDataset, FolderPairDataset, Jitter, PairDataset
from .trainer import TrainConfig

# preset -> (dataset kind, TrainConfig overrides)
PRESETS = {
    "facades": ("aligned", {"direction": "BtoA", "dataset": "facades"}),
    "edges2photo": ("edges", {"input_space": "edges", "dataset": "edges2photo"}),
    "colorize": ("colorize", {"input_space": "lab_l", "output_space": "lab_ab", "dataset": "colorize"}),
}


def build_dataset(folder: Path, kind: str, config: TrainConfig, jitter: bool = True) -> PairDataset:
    """The dataset for ``folder``: derived pairs for those presets, A/ + B/ folders when present, else aligned."""
    jitter = Jitter(config.load_size, config.crop_size, config.flip) if jitter else None
    if kind in ("edges", "colorize", "sketch"):
        return DerivedPairDataset(folder, kind, jitter=jitter, seed=config.seed)
    if (folder / "A").is_dir() and (folder / "B").is_dir():
        return FolderPairDataset(folder, config.direction, jitter=jitter, seed=config.seed)
    return AlignedDataset(folder, config.direction, jitter=jitter, seed=config.seed)


def preset(name: str | None) -> tuple[str, dict]:
    """``(dataset kind, TrainConfig overrides)`` of a preset; no preset means pairs as the folder lays them out."""
    return PRESETS[name] if name else ("aligned", {})


# the pairs a model's io contract asks for: input space -> dataset kind (anything else: pairs as laid out on disk)
KIND_OF_INPUT_SPACE = {"lab_l": "colorize", "edges": "edges"}


def kind_for_model(io: IOSpec, preset_name: str | None) -> tuple[str, dict]:
    """How to prepare evaluation pairs for a model: from its io contract, or from ``preset_name`` when it agrees.

    A colorizer (lab_l -> lab_ab) gets Lab pairs derived from photos, an edges model Canny pairs; a preset that
    contradicts the contract is refused, since its pairs would not be what the model was trained on."""
    expected = KIND_OF_INPUT_SPACE.get(io.input_space)
    if preset_name is None:
        return (expected or "aligned"), {}
    kind, overrides = preset(preset_name)
    wants_lab = io.input_space == "lab_l" or io.output_space == "lab_ab"
    if (kind == "colorize") != wants_lab or (expected is not None and kind != expected):
        needed = next((name for name, (k, _) in PRESETS.items() if k == expected), None)
        hint = f"use --preset {needed} or leave --preset out" if needed else "leave --preset out"
        raise Pix2PixError(f"--preset {preset_name} prepares {kind} pairs, but this model maps "
                           f"{io.input_space} -> {io.output_space}: {hint}.")
    return kind, overrides
