"""A drawing surface in the graph: the canvas widget (web/sketch.js) keeps the drawing in the workflow as a PNG."""

from __future__ import annotations

import base64
import binascii

import torch
from comfy_api.latest import io

from ..pix2pix_core.errors import InputError
from ..pix2pix_core.imaging.files import load_image
from ..pix2pix_core.imaging.palettes import PALETTES
from ..pix2pix_core.inference.live import MAX_LIVE_SIDE, png_size
from .common import CATEGORY, schema, to_comfy

DATA_URL_PREFIX = "data:image/png;base64,"
MAX_DRAWING_CHARS = 12 * 2**20  # a 2048x2048 canvas as a base64 PNG is far below this


def blank_colour(palette: str) -> torch.Tensor:
    """The palette's blank colour as ``[3, 1, 1]`` in 0..1."""
    return torch.tensor(PALETTES[palette].blank_rgb, dtype=torch.float32).view(3, 1, 1) / 255


def drawing_image(drawing: str, width: int, height: int, palette: str = "edges") -> torch.Tensor:
    """The canvas as ``[3, H, W]`` in 0..1: the PNG the widget wrote, or a blank canvas of the palette."""
    if not drawing:
        return blank_colour(palette).expand(3, height, width).clone()
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
                "Draw in the node: black lines on white for the edges->photo translators, or label maps in the "
                "exact CMP Facades or Cityscapes colours (pen, eraser, line, rectangle, filled box, flood fill, undo, "
                "redo, clear, a picture to trace over that is never sent). The drawing is saved in the workflow, "
                "and what runs is exactly what the canvas shows when the prompt is queued; each finished stroke "
                "changes the node's value, so Run (On Change) follows the pen. Live mode translates each stroke at "
                "once, outside the queue."
            ),
            inputs=[
                io.String.Input("drawing", default="", tooltip="The canvas as a PNG (written by the canvas widget "
                                                              "at each stroke; empty: a blank canvas)."),
                io.Int.Input("width", default=256, min=64, max=MAX_LIVE_SIDE, step=8, tooltip="Canvas width."),
                io.Int.Input("height", default=256, min=64, max=MAX_LIVE_SIDE, step=8, tooltip="Canvas height."),
                io.Combo.Input("palette", options=list(PALETTES), default="edges",
                               tooltip="The colours to draw with: edges (black on white, for edges2cats/shoes/"
                                       "handbags), facades (the 12 CMP Facades labels, for facades BtoA), "
                                       "cityscapes (the Cityscapes label colours). A blank canvas is the "
                                       "palette's blank colour; the mask is what differs from it."),
            ],
            outputs=[io.Image.Output(display_name="image", tooltip="The drawing, RGB."),
                     io.Mask.Output(display_name="mask", tooltip="1 where something is drawn (not the palette's "
                                                                 "blank colour: white for edges).")],
        )

    @classmethod
    def execute(cls, drawing: str, width: int, height: int, palette: str) -> io.NodeOutput:
        image = drawing_image(drawing, width, height, palette)
        mask = ((image - blank_colour(palette)).abs() > 0.5 / 255).any(0, keepdim=True).float()
        return io.NodeOutput(to_comfy(image[None]), to_comfy(mask[None])[..., 0])
