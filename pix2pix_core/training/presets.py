"""Presets and data layouts: which dataset a folder (or a model's io contract) calls for."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Pix2PixError
from ..networks.io import IOSpec
from .data import AlignedDataset, DerivedPairDataset, FolderPairDataset, PairDataset
from .hub_datasets import HubData, hub_pair_dataset
from .pix2pix import Pix2PixConfig


@dataclass(frozen=True)
class Preset:
    """A named recipe: how pairs (or domains) are made from the data, and the settings it fixes."""

    kind: str  # aligned | edges | colorize | unpaired
    settings: dict = field(default_factory=dict)  # Pix2PixConfig or CycleGANConfig fields
    summary: str = ""

    @property
    def method(self) -> str:
        return "cyclegan" if self.kind == "unpaired" else "pix2pix"


# the CycleGAN paper's recipe (Zhu et al. 2017, section 4 and the reference's defaults)
CYCLEGAN_PAPER = {"ngf": 64, "ndf": 64, "n_blocks": 9, "n_layers": 3, "norm": "instance", "gan_mode": "lsgan",
                  "lambda_a": 10.0, "lambda_b": 10.0, "lambda_identity": 0.5, "pool_size": 50, "lr": 2e-4,
                  "beta1": 0.5, "batch_size": 1, "load_size": 286, "crop_size": 256}

PRESETS = {
    "facades": Preset("aligned", {"direction": "BtoA"}, "aligned A|B pairs, labels -> photo"),
    "edges2photo": Preset("edges", {"input_space": "edges"}, "Canny edges derived from photos -> photo"),
    "colorize": Preset("colorize", {"input_space": "lab_l", "output_space": "lab_ab"},
                       "L -> ab pairs derived from photos"),
    "cyclegan": Preset("unpaired", CYCLEGAN_PAPER, "the CycleGAN paper: 256 px crops of 286, 9 ResNet blocks"),
    "cyclegan-128": Preset("unpaired", {**CYCLEGAN_PAPER, "n_blocks": 6, "load_size": 143, "crop_size": 128},
                           "the paper's 128 px setting: 6 ResNet blocks"),
}
PAIRED_PRESETS = sorted(name for name, recipe in PRESETS.items() if recipe.method == "pix2pix")
UNPAIRED_PRESETS = sorted(name for name, recipe in PRESETS.items() if recipe.method == "cyclegan")


def build_dataset(folder: Path | HubData, kind: str, config: Pix2PixConfig, jitter: bool = True) -> PairDataset:
    """The dataset for ``folder``: derived pairs for those presets, A/ + B/ folders when present, else aligned; a
    Hub dataset as its features lay it out."""
    jitter = config.jitter() if jitter else None
    if isinstance(folder, HubData):
        return hub_pair_dataset(folder, kind, config.direction, jitter, config.seed)
    if kind in ("edges", "colorize", "sketch"):
        return DerivedPairDataset(folder, kind, jitter=jitter, seed=config.seed)
    if (folder / "A").is_dir() and (folder / "B").is_dir():
        return FolderPairDataset(folder, config.direction, jitter=jitter, seed=config.seed)
    return AlignedDataset(folder, config.direction, jitter=jitter, seed=config.seed)


def preset(name: str | None) -> Preset:
    """A preset by name; no name means pix2pix pairs as the folder lays them out."""
    return PRESETS[name] if name else Preset("aligned")


# the pairs a model's io contract asks for: input space -> dataset kind (anything else: pairs as laid out on disk)
KIND_OF_INPUT_SPACE = {"lab_l": "colorize", "edges": "edges"}


def kind_for_model(io: IOSpec, preset_name: str | None) -> tuple[str, dict]:
    """How to prepare evaluation pairs for a model: from its io contract, or from ``preset_name`` when it agrees.

    A colorizer (lab_l -> lab_ab) gets Lab pairs derived from photos, an edges model Canny pairs; a preset that
    contradicts the contract is refused, since its pairs would not be what the model was trained on."""
    expected = KIND_OF_INPUT_SPACE.get(io.input_space)
    if preset_name is None:
        return (expected or "aligned"), {}
    recipe = preset(preset_name)
    kind = recipe.kind
    wants_lab = io.input_space == "lab_l" or io.output_space == "lab_ab"
    if (kind == "colorize") != wants_lab or (expected is not None and kind != expected):
        needed = next((name for name, other in PRESETS.items() if other.kind == expected), None)
        hint = f"use --preset {needed} or leave --preset out" if needed else "leave --preset out"
        raise Pix2PixError(f"--preset {preset_name} prepares {kind} pairs, but this model maps "
                           f"{io.input_space} -> {io.output_space}: {hint}.")
    return kind, recipe.settings
