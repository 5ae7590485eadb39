"""The pack's embedded example inputs as IMAGEs, so that its templates run the moment they are opened."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from comfy_api.latest import io

from ..pix2pix_core.examples import EXAMPLE_PHOTOS, HELD_OUT_PHOTO, TRAIN_PHOTOS, asset
from ..pix2pix_core.imaging.files import load_image
from .common import CATEGORY, schema, to_comfy

ALL_PHOTOS = "training photos (a batch)"


class Pix2PixExamplePhoto(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        listing = "; ".join(f"{name}: {what}" for name, what in EXAMPLE_PHOTOS.items())
        return schema(
            node_id="Pix2PixExamplePhoto",
            search_aliases=["example image", "sample photo", "test image"],
            display_name="Pix2Pix Example Photo",
            category=f"{CATEGORY}/examples",
            description=(
                "One of the example images embedded in the pack (public domain / CC0), or all its photos as a "
                "batch to train on, so that a template runs as opened without a file in your input folder. "
                "Replace it with Load Image (or a folder on the Train node) to use your own."
            ),
            inputs=[
                io.Combo.Input("photo", options=[*EXAMPLE_PHOTOS, ALL_PHOTOS], default=HELD_OUT_PHOTO,
                               tooltip=f"{listing}; {ALL_PHOTOS}: {', '.join(TRAIN_PHOTOS)} centre-cropped square "
                                       f"(the templates train on them and translate {HELD_OUT_PHOTO}, which they "
                                       "never saw)."),
                io.Int.Input("side", default=256, min=64, max=1024, step=32, optional=True,
                             tooltip=f"{ALL_PHOTOS}: the side each photo is cropped and resized to (a batch needs "
                                     "one size). A single image keeps its own size."),
            ],
            outputs=[io.Image.Output(display_name="image", tooltip="The image, or the batch of photos.")],
        )

    @classmethod
    def execute(cls, photo: str, side: int = 256) -> io.NodeOutput:
        if photo != ALL_PHOTOS:
            return io.NodeOutput(to_comfy(load_image(asset(photo))[None]))
        return io.NodeOutput(to_comfy(torch.stack([_square(load_image(asset(name)), side) for name in TRAIN_PHOTOS])))


def _square(image: torch.Tensor, side: int) -> torch.Tensor:
    """The centre square of ``[C, H, W]``, resized to ``side`` (antialiased)."""
    height, width = image.shape[-2:]
    crop = min(height, width)
    top, left = (height - crop) // 2, (width - crop) // 2
    square = image[:, top:top + crop, left:left + crop][None]
    return F.interpolate(square, size=(side, side), mode="bicubic", antialias=True, align_corners=False)[0].clamp(0, 1)
