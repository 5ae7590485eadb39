"""The one way every front end (the CLI, the Train nodes) turns a preset and what the user set into a run's
settings, and what it was given as data into a dataset.

Precedence, everywhere: a value the user set wins over the preset's, and the preset's over the default. A front end
whose fields always hold a value (a node's widgets) passes their defaults: a field left at its default counts as
not set, so a preset fills it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..errors import InputError
from .data import DERIVED_KINDS, DerivedPairDataset, TensorPairDataset
from .hub_datasets import HubData, hub_unpaired_dataset, pinned_to_run
from .label_data import label_map_dataset
from .presets import Preset, build_dataset
from .unpaired import UnpairedDataset


def merged_settings(recipe: Preset, given: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings of a run: ``defaults``, then the preset's, then what the user set in ``given`` (None: not
    set; with ``defaults``, a value equal to its default is not set either)."""
    defaults = defaults or {}
    chosen = {name: value for name, value in given.items()
              if value is not None and (name not in defaults or value != defaults[name])}
    return {**defaults, **recipe.settings, **chosen}


@dataclass(frozen=True)
class DataSource:
    """What a run trains on, as a front end was given it: ``data`` (a folder or a Hub dataset), or one source per
    side in ``a`` and ``b`` (paired images as tensors; for CycleGAN, each domain as a folder or tensors). With a
    preset that derives pairs from photos (colorize, edges2photo), ``a`` alone holds the photos."""

    data: Path | HubData | None = None
    a: Path | torch.Tensor | None = None
    b: Path | torch.Tensor | None = None


def _call(work: Callable, *args):
    return work(*args)


def open_training_data(source: DataSource, kind: str, config, run_dir: Path, *, resume: bool = True,
                       fetch: Callable = _call):
    """The dataset of ``kind`` (a preset's: aligned, edges, colorize, unpaired; pix2pixHD's labels) from ``source``,
    jittered as ``config`` says. A Hub dataset is pinned to the commit a resumed run started on and read through
    ``fetch`` (a node passes one that Cancel can end); it names the run's dataset in ``config``."""
    hub = source.data if isinstance(source.data, HubData) else None
    if hub is not None:
        config.dataset = hub.repo_id
        hub = pinned_to_run(hub, run_dir) if resume else hub
    elif isinstance(source.data, Path) and not config.dataset:
        config.dataset = source.data.resolve().name
    if kind == "labels":
        if not isinstance(source.data, Path):
            raise InputError("pix2pixHD trains on a folder of label maps (train_label/, train_img/, train_inst/), "
                             "not on a Hub dataset or images given one by one.")
        return label_map_dataset(source.data, config)
    if kind == "unpaired":
        if hub is not None:
            return fetch(hub_unpaired_dataset, hub, config.jitter(), config.seed)
        if source.data is not None:
            return UnpairedDataset.from_folder(source.data, jitter=config.jitter(), seed=config.seed)
        return UnpairedDataset(source.a, source.b, jitter=config.jitter(), seed=config.seed)
    if hub is not None:
        return fetch(build_dataset, hub, kind, config)
    if source.data is not None:
        return build_dataset(source.data, kind, config)
    if source.b is None and kind in DERIVED_KINDS:  # photos alone: the preset derives each pair from a photo
        return DerivedPairDataset(source.a, kind, jitter=config.jitter(), seed=config.seed)
    return TensorPairDataset(source.a, source.b, jitter=config.jitter(), seed=config.seed)
