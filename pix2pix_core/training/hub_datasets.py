"""Training pairs from a Hugging Face Hub dataset, through the ``datasets`` library (the ``datasets`` extra).

``--data org/name`` (or ``hub:org/name``) names a dataset; its layout is read from its features: two Image columns
are inputs and targets (``imageA`` -> ``imageB`` in the ``huggan/`` datasets; ``--columns A,B`` chooses), one Image
column holds aligned A|B images, or photos from which a preset derives pairs. The revision is pinned to a commit
before anything is read, and that commit is what the checkpoint records. ``datasets`` downloads into its cache
(``HF_HOME``), so a second run, or one with ``HF_HUB_OFFLINE=1``, reads the cached copy. Like ``huggingface_hub``,
``datasets`` reads ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` when it is first imported: set them before the first run.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from huggingface_hub import HfApi

from ..errors import HubError, InputError
from ..extras import require
from ..hub_client import (
    COMMIT,
    cached_repo,
    check_repo_id,
    check_revision,
    checked_commit,
    default_cache,
    endpoint,
    explain,
    first_line,
    is_repo_id,
    offline,
    remember_ref,
    timeout,
)
from ..imaging.files import load_image
from ..paths import contained_path
from ..weights.directory import CHECKPOINT_DIR, CONFIG_FILE
from .data import (
    DERIVED_KINDS,
    AlignedDataset,
    DerivedPairDataset,
    Jitter,
    PairDataset,
    SeparatePairDataset,
    check_training_size,
    oriented_size,
)
from .unpaired import UnpairedDataset

log = logging.getLogger(__name__)

HUB_PREFIX = "hub:"
LAYOUT_SAMPLE = 64  # rows whose image sizes are checked for the aligned layout (reading every row costs a download)


@dataclass(frozen=True)
class HubData:
    """A dataset on the Hub and which part of it to read."""

    repo_id: str
    split: str = "train"
    revision: str | None = None
    columns: tuple[str, ...] = ()


def hub_data(data: str | os.PathLike, split: str = "train", revision: str | None = None,
             columns: str | None = None) -> HubData | None:
    """``data`` as a Hub dataset: ``hub:org/name[@revision]``, or ``org/name`` when no such local path exists;
    None for a local path."""
    text = str(data).strip()
    if text.startswith(HUB_PREFIX):
        text = text[len(HUB_PREFIX):]
        if "@" in text:
            text, pinned = text.split("@", 1)
            if revision is not None and revision != pinned:
                raise InputError(f"{data} names revision {pinned!r} and --revision says {revision!r}: give one.")
            revision = pinned
    elif not is_repo_id(text):
        return None
    check_repo_id(text)
    check_revision(revision)
    return HubData(text, split, revision, parse_columns(columns))


def pinned_to_run(source: HubData, run_dir: Path) -> HubData:
    """A resumed run reads the commit its checkpoint (``run_dir/checkpoint``, or its ``AtoB`` side for a CycleGAN)
    was trained on, unless a revision was given."""
    checkpoint = run_dir / CHECKPOINT_DIR
    config = next((c for c in (checkpoint / CONFIG_FILE, checkpoint / "AtoB" / CONFIG_FILE) if c.is_file()), None)
    if source.revision is not None or config is None:
        return source
    facts = json.loads(config.read_text()).get("training") or {}
    if facts.get("dataset") != source.repo_id or not facts.get("dataset_revision"):
        return source
    log.info(f"resuming on {source.repo_id} at commit {facts['dataset_revision']}, the data this run started with "
             "(give a revision to change it)")
    return dataclasses.replace(source, revision=facts["dataset_revision"])


def parse_columns(columns: str | None) -> tuple[str, ...]:
    """``"A,B"`` -> ``("A", "B")``: the input and target columns (one name: the column of images or photos)."""
    if not columns:
        return ()
    names = tuple(name.strip() for name in columns.split(","))
    if not 1 <= len(names) <= 2 or not all(names):
        raise InputError(f"--columns {columns!r}: give the input and target image columns as A,B (or one column of "
                         "aligned images or photos).")
    return names


def _local_instead(data: HubData) -> str:
    return (f"Or use a local folder instead of {data.repo_id}: put the pairs in a folder (aligned A|B images, or A/ "
            "and B/ subfolders) and give --data FOLDER.")


def _not_cached(data: HubData) -> HubError:
    return HubError(f"offline (HF_HUB_OFFLINE is set) and the dataset {data.repo_id}@{data.revision or 'main'} is not "
                    f"in the local cache ({default_cache()}): run once with the network to download it. "
                    f"{_local_instead(data)}")


def resolve_commit(data: HubData, token: str | bool | None = None) -> str:
    """The commit ``data.revision`` points at: asked of the Hub (one bounded request), or, offline, read from the
    Hub cache's refs, where the download recorded it."""
    if data.revision is not None and COMMIT.match(data.revision):
        return data.revision
    if offline():
        refs = cached_repo(data.repo_id, "dataset") / "refs"
        ref = contained_path(refs, data.revision or "main", what="revision", nested=True)
        if ref.is_file() and COMMIT.match(ref.read_text().strip()):
            return ref.read_text().strip()
        raise _not_cached(data)
    try:
        info = HfApi(endpoint=endpoint(), token=token).dataset_info(data.repo_id, revision=data.revision,
                                                                    timeout=timeout())
    except Exception as exc:  # noqa: BLE001 - translated into one clear message
        raise explain(exc, data.repo_id, data.revision, instead=_local_instead(data)) from exc
    return checked_commit(info.sha, data.repo_id)


@dataclass
class OpenedDataset:
    """One split of a Hub dataset at a pinned commit: its rows (an Arrow table on disk, read lazily)."""

    data: HubData
    commit: str
    rows: object  # datasets.Dataset

    @property
    def where(self) -> str:
        return f"{self.data.repo_id}@{self.commit[:8]} ({self.data.split})"

    def image_columns(self) -> list[str]:
        image = require("datasets", "datasets").Image
        return [name for name, feature in self.rows.features.items() if isinstance(feature, image)]

    def facts(self) -> dict[str, str]:
        """What a checkpoint records about its data."""
        return {"dataset": self.data.repo_id, "dataset_revision": self.commit, "dataset_split": self.data.split}


def open_dataset(data: HubData, token: str | bool | None = None) -> OpenedDataset:
    """Download (or find in the cache) ``data`` at its pinned commit and return the requested split."""
    datasets = require("datasets", "datasets", HubError)
    commit = resolve_commit(data, token)
    try:
        splits = _load(datasets, data, commit, token)
    except (ConnectionError, OSError) as exc:  # datasets' own DatasetNotFoundError is a FileNotFoundError
        raise HubError(f"could not read the dataset {data.repo_id}@{commit[:8]} from {endpoint()} "
                       f"({type(exc).__name__}: {first_line(exc)}). Check the network connection (and HF_ENDPOINT "
                       f"if set), or set HF_HUB_OFFLINE=1 to use a copy downloaded before. "
                       f"{_local_instead(data)}") from exc
    except Exception as exc:  # noqa: BLE001 - files datasets cannot build a table from, a card contradicting them
        raise HubError(f"{data.repo_id}@{commit[:8]} is not a dataset the datasets library can read "
                       f"({type(exc).__name__}: {first_line(exc)}).") from exc
    if data.split not in splits:
        raise InputError(f"{data.repo_id}@{commit[:8]} has no split {data.split!r}; its splits: "
                         f"{', '.join(splits)}. Choose one with --split.")
    return OpenedDataset(data, commit, splits[data.split])


def _load(datasets, data: HubData, commit: str, token):
    """All splits at ``commit``. Offline, ``datasets`` would take its most recent cached copy whatever the revision,
    so the files of that commit are read from the Hub cache's snapshot folder instead."""
    if not offline():
        splits = datasets.load_dataset(data.repo_id, revision=commit, token=token)
        remember_ref(data.repo_id, data.revision or "main", commit, repo_type="dataset")
        return splits
    snapshot = cached_repo(data.repo_id, "dataset") / "snapshots" / commit
    if not snapshot.is_dir():
        raise _not_cached(dataclasses.replace(data, revision=commit))
    return datasets.load_dataset(str(snapshot))


class ColumnImages:
    """One Image column of a Hub dataset as a dataset reads it (the methods of ``data.ImageFiles``); the bytes are
    decoded by this package's image reader, so 16-bit and EXIF-rotated images load as files do."""

    separate_hint = "for a dataset with separate input and target image columns, name them with --columns A,B"

    def __init__(self, rows, column: str, where: str) -> None:
        datasets = require("datasets", "datasets")
        self.rows = rows.select_columns([column]).cast_column(column, datasets.Image(decode=False))
        self.column, self.where = column, f"{where}, column {column}"

    def __len__(self) -> int:
        return len(self.rows)

    def _encoded(self, index: int) -> bytes | Path:
        cell = self.rows[index][self.column]
        return cell["bytes"] if cell.get("bytes") else Path(cell["path"])

    def read(self, index: int) -> torch.Tensor:
        image = load_image(self._encoded(index), name=f"{self.where}, {self.name(index)}")
        check_training_size(image, f"{self.where}, {self.name(index)} is")
        return image

    def size(self, index: int) -> tuple[int, int] | None:
        return oriented_size(self._encoded(index))

    def name(self, index: int) -> str:
        return f"row {index}"

    def layout_sample(self) -> range:
        return range(min(len(self), LAYOUT_SAMPLE))


class ColumnPairDataset(SeparatePairDataset):
    """Pairs from two Image columns of a Hub dataset, row by row."""

    def __init__(self, opened: OpenedDataset, columns: tuple[str, str], direction: str = "AtoB", **kwargs) -> None:
        rows = _rows_with(opened.rows, columns)
        super().__init__(*(ColumnImages(rows, name, opened.where) for name in columns), direction, **kwargs)
        self.opened, self.columns, self.dropped = opened, columns, len(opened.rows) - len(rows)

    def describe(self) -> str:
        dropped = f", {self.dropped} row(s) missing an image skipped" if self.dropped else ""
        return (f"Hub dataset {self.opened.where}: columns {self.columns[0]} -> {self.columns[1]}, {len(self)} "
                f"pair(s) ({self.direction}){dropped}")


def _rows_with(rows, columns: tuple[str, ...]):
    """The rows where every one of ``columns`` holds an image (a null leaves nothing to read or to pair)."""
    import pyarrow.compute as pc  # a dependency of datasets

    table = rows.data.table  # a freshly loaded split: no index mapping over it
    valid = pc.is_valid(table.column(columns[0]))
    for column in columns[1:]:
        valid = pc.and_(valid, pc.is_valid(table.column(column)))
    keep = [i for i, ok in enumerate(valid.to_pylist()) if ok]
    if not keep:
        raise InputError(f"the dataset has no row with an image in {' and '.join(columns)}.")
    return rows if len(keep) == len(rows) else rows.select(keep)


def hub_pair_dataset(data: HubData, kind: str, direction: str = "AtoB", jitter: Jitter | None = None,
                     seed: int = 0, token: str | bool | None = None) -> PairDataset:
    """The pairs ``data`` holds, laid out as its features say (see the module docstring)."""
    opened = open_dataset(data, token)
    columns = _chosen_columns(opened, kind)
    if len(columns) == 2 and kind not in DERIVED_KINDS:
        dataset = ColumnPairDataset(opened, columns, direction, jitter=jitter, seed=seed)
    else:  # one column: its empty cells skipped, as for pairs
        images = ColumnImages(_rows_with(opened.rows, columns), columns[0], opened.where)
        dataset = DerivedPairDataset(images, kind, jitter=jitter, seed=seed) if kind in DERIVED_KINDS else \
            AlignedDataset(images, direction, jitter=jitter, seed=seed)
    dataset.provenance = opened.facts()
    return dataset


def hub_unpaired_dataset(data: HubData, jitter: Jitter | None = None, seed: int = 0,
                         token: str | bool | None = None) -> UnpairedDataset:
    """Two unpaired domains from a Hub dataset's two Image columns (``imageA`` and ``imageB`` in the huggan/ unpaired
    datasets, whose rows hold unrelated images; a column's empty cells are skipped)."""
    opened = open_dataset(data, token)
    columns = _chosen_columns(opened, "unpaired")
    if len(columns) != 2:
        raise InputError(f"{opened.where} has one image column ({columns[0]}): unpaired training reads domain A and "
                         "domain B from two image columns (--columns A,B).")
    domains = (ColumnImages(_rows_with(opened.rows, (name,)), name, opened.where) for name in columns)
    dataset = UnpairedDataset(*domains, jitter=jitter, seed=seed)
    dataset.provenance = opened.facts()
    return dataset


def _chosen_columns(opened: OpenedDataset, kind: str) -> tuple[str, ...]:
    """The image columns to read: those --columns names (checked), or what the features make unambiguous."""
    images = opened.image_columns()
    features = ", ".join(f"{name} ({type(feature).__name__})" for name, feature in opened.rows.features.items())
    if opened.data.columns:
        unknown = [name for name in opened.data.columns if name not in images]
        if unknown:
            raise InputError(f"{opened.where} has no image column {', '.join(unknown)}; its image columns: "
                             f"{', '.join(images) or 'none'} (all columns: {features}).")
        if kind in DERIVED_KINDS and len(opened.data.columns) != 1:
            raise InputError(f"the {kind} preset derives pairs from one column of photos: give --columns NAME, one "
                             f"of {', '.join(images)}.")
        return opened.data.columns
    if not images:
        raise InputError(f"{opened.where} has no Image column to train on (its columns: {features}). pix2pix trains "
                         "on datasets whose features include images.")
    if kind in DERIVED_KINDS:
        if len(images) > 1:
            raise InputError(f"{opened.where} has {len(images)} image columns ({', '.join(images)}): name the one of "
                             f"photos the {kind} pairs are derived from with --columns NAME.")
        return tuple(images)
    if len(images) > 2:
        raise InputError(f"{opened.where} has {len(images)} image columns ({', '.join(images)}): name the input and "
                         "the target with --columns A,B.")
    return tuple(images)
