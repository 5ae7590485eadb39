"""A drawing surface in the graph: the canvas widget (web/sketch.js) keeps the drawing in the workflow as a PNG."""

from __future__ import annotations

import base64
import binascii

import torch
from comfy_api.latest import io

from ..pix2pix_core.errors import InputError
from ..pix2pix_core.imaging.files import load_image
from ..pix2pix_core.inference.live import MAX_LIVE_SIDE, png_size
from .common import CATEGORY, schema, to_comfy

DATA_URL_PREFIX = "data:image/png;base64,"
MAX_DRAWING_CHARS = 12 * 2**20  # a 2048x2048 canvas as a base64 PNG is far below this


def drawing_image(drawing: str, width: int, height: int) -> torch.Tensor:
    """The canvas as ``[3, H, W]`` in 0..1: the PNG the widget wrote, or a blank white canvas."""
    if not drawing:
        return torch.ones(3, height, width)
    if not drawing.startswith(DATA_URL_PREFIX) or len(drawing) > MAX_DRAWING_CHARS:
        raise InputError("Pix2Pix Sketch: the drawing is not a PNG data URL of a canvas (the widget writes one); "
                         "clear the canvas and draw again.")
    try:
        data = base64.b64decode(drawing[len(DATA_URL_PREFIX):], validate=True)
    except binascii.Error as exc:
        raise InputError("Pix2Pix Sketch: the drawing's base64 is damaged; clear the canvas and draw again.") from exc
    png_size(data, MAX_LIVE_SIDE)
    return load_image(data, name="the drawing")


class Pix2PixSketch(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixSketch",
            search_aliases=["sketch", "draw", "painter", "canvas", "edges drawing"],
            display_name="Pix2Pix Sketch",
            category=CATEGORY,
            description=(
                "Draw in the node: black lines on white, what the edges->photo translators expect. The drawing is "
                "saved in the workflow, and what runs is exactly what the canvas shows when the prompt is queued; "
                "each finished stroke changes the node's value, so Run (On Change) follows the pen."
            ),
            inputs=[
                io.String.Input("drawing", default="", tooltip="The canvas as a PNG (written by the canvas widget "
                                                              "at each stroke; empty: a blank canvas)."),
                io.Int.Input("width", default=256, min=64, max=MAX_LIVE_SIDE, step=8, tooltip="Canvas width."),
                io.Int.Input("height", default=256, min=64, max=MAX_LIVE_SIDE, step=8, tooltip="Canvas height."),
            ],
            outputs=[io.Image.Output(display_name="image", tooltip="The drawing, RGB."),
                     io.Mask.Output(display_name="mask", tooltip="1 where something is drawn (not white).")],
        )

    @classmethod
    def execute(cls, drawing: str, width: int, height: int) -> io.NodeOutput:
        image = drawing_image(drawing, width, height)
        mask = (image < 1 - 0.5 / 255).any(0, keepdim=True).float()
        return io.NodeOutput(to_comfy(image[None]), to_comfy(mask[None])[..., 0])
