"""Colorize an IMAGE batch with an L -> ab model, keeping the input's full-resolution luminance."""

from __future__ import annotations

from comfy_api.latest import io

from ..pix2pix_core.inference.colorize import check_colorization_model, colorize
from .clip_state import clip_state, stabilize_input
from .common import CATEGORY, Pix2PixModel, Pix2PixModelIO, Progress, schema, to_comfy, to_core


class Pix2PixColorize(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixColorize",
            search_aliases=["colorize", "colorization", "gray to color", "black and white to color"],
            display_name="Pix2Pix Colorize",
            category=CATEGORY,
            description=(
                "Colorizes gray (or colour) images with a pix2pix colorization model (Lab L -> ab). The model "
                "predicts colour at its own size; the result keeps every detail of the input's luminance."
            ),
            inputs=[
                Pix2PixModelIO.Input("model", tooltip="A colorization translator (1 -> 2 channels), e.g. trained "
                                                      "with the colorize preset."),
                io.Image.Input("image", tooltip="Gray or colour images of any size."),
                stabilize_input(),
            ],
            hidden=[io.Hidden.unique_id],
            outputs=[io.Image.Output(display_name="image", tooltip="Colorized RGB images, the input's size.")],
        )

    @classmethod
    def execute(cls, model: Pix2PixModel, image, stabilize: float = 0.0) -> io.NodeOutput:
        check_colorization_model(model.generator)
        model.load()
        frames = to_core(image)
        clip = clip_state(cls.hidden.unique_id, (model.name, stabilize), frames)
        colours = colorize(model.generator, frames, progress=Progress())
        return io.NodeOutput(to_comfy(clip.stabilized(stabilize, frames, colours)))
