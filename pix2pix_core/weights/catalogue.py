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


@dataclass(frozen=True)
class DemoTranslator:
    """One of the paper's interactive-demo translators (a .pict file), pinned to a commit and to its git blob id."""

    name: str
    file: str
    blob: str  # the git blob id of the file at DEMO_MODELS_COMMIT: what a download is checked against
    task: str


DEMO_MODELS_REPO = "affinelayer/pix2pix-tensorflow-models"
DEMO_MODELS_COMMIT = "68fd4e2cf7fbf42ea82a379d49045416ebb857ec"  # "typos", 2017-12-30: the demo page's models
DEMO_TRANSLATORS = (
    DemoTranslator("edges2cats", "edges2cats_AtoB.pict", "274172b4ddf7eb0f5a0078de0df0a15d69350549",
                   "black edge lines on white -> cat"),
    DemoTranslator("edges2shoes", "edges2shoes_AtoB.pict", "0707637bd026cf90d2dc147edfbe39dabbb77b91",
                   "black edge lines on white -> shoe"),
    DemoTranslator("edges2handbags", "edges2handbags_AtoB.pict", "511b94562f9cf1f5788a382cafb40ab72560c21e",
                   "black edge lines on white -> handbag"),
    DemoTranslator("facades", "facades_BtoA.pict", "8c5c63a32c8d5295d32c83add80e9af84d00a2cc",
                   "CMP Facades label map -> facade photo"),
)
