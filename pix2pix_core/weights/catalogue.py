"""Known pix2pix translators on the Hub, with how their inputs must be prepared, and the paper's datasets there.

Versioned: bump ``CATALOGUE_VERSION`` when entries change. The loader node and `pix2pix models` offer these.
The three Hub-community repos were trained by the HuggingFace community-events pix2pix script (PyTorch-GAN
lineage) that their cards point to; its input preparation is what is recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass

CATALOGUE_VERSION = 2
COMMUNITY_PREPARATION = ("the dataset's imageA as input, converted to RGB, resized to 256x256 (bicubic, aspect not "
                         "kept), scaled to [-1, 1]; trained with random horizontal flips")


@dataclass(frozen=True)
class CatalogueEntry:
    repo_id: str
    task: str
    input_space: str
    direction: str
    input_preparation: str
    fit: str = "resize"  # what the translator expects: "resize" for models trained at one fixed size


CATALOGUE = (
    CatalogueEntry("huggan/pix2pix-edge2shoes", "edges -> photo of a shoe", "edges", "AtoB",
                   f"black edge lines on white (edges2shoes: post-processed HED edges); {COMMUNITY_PREPARATION}"),
    CatalogueEntry("huggan/pix2pix-night2day", "night -> day photo of a scene", "rgb", "AtoB",
                   f"outdoor webcam photos at night (night2day); {COMMUNITY_PREPARATION}"),
    CatalogueEntry("huggan/pix2pix-facades-demo", "label map <-> facade photo (short demo run)", "rgb", "AtoB",
                   f"CMP Facades images (huggan/facades); a short demo training, results are rough; "
                   f"{COMMUNITY_PREPARATION}"),
)



@dataclass(frozen=True)
class DatasetEntry:
    """A paired dataset on the Hub that ``pix2pix train --data`` reads as it is."""

    repo_id: str
    pairs: str  # what A and B hold
    train_direction: str  # the direction the paper trained (A and B as the reference's A|B halves)
    preset: str | None = None


# The huggan/ datasets are the pix2pix paper's, converted to parquet with the reference's A|B halves as two Image
# columns, imageA and imageB (the HugGAN community-events training scripts read exactly those two); our layout
# detection finds them without --columns.
DATASETS = (
    DatasetEntry("huggan/facades", "imageA photo, imageB label map (CMP Facades; the reference's train split: 400)",
                 "BtoA", "facades"),
    DatasetEntry("huggan/maps", "imageA aerial photo, imageB map (the reference's train split: 1096)", "AtoB"),
    DatasetEntry("huggan/edges2shoes", "imageA edges, imageB shoe photo (the reference's train split: 49,825)",
                 "AtoB"),
    DatasetEntry("huggan/night2day", "imageA night, imageB day webcam photo (the reference's train split: 17,823)",
                 "AtoB"),
    DatasetEntry("huggan/cityscapes", "imageA street photo, imageB label map (the reference's train split: 2975)",
                 "BtoA"),
)


def train_command(entry: DatasetEntry) -> str:
    """The ``pix2pix train`` line that trains ``entry`` as the paper did (its direction, its preset)."""
    recipe = f"--preset {entry.preset}" if entry.preset else f"--direction {entry.train_direction}"
    name = entry.repo_id.split("/")[1]
    return f"pix2pix train --data {entry.repo_id} {recipe} --out runs/{name} --epochs 200"
