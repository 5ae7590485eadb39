"""Known pix2pix translators on the Hub, with how their inputs must be prepared (the paper's datasets there are
:mod:`pix2pix_core.training.known_datasets`).

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
