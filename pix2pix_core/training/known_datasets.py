"""The pix2pix paper's paired datasets on the Hugging Face Hub, as ``pix2pix train --data org/name`` reads them."""

from __future__ import annotations

from dataclasses import dataclass


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
