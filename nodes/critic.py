"""The PatchGAN discriminator as a realism critic."""

from __future__ import annotations

from comfy_api.latest import io

from ..pix2pix_core.errors import Pix2PixError
from ..pix2pix_core.inference.critic import heatmap, realism_map
from .common import CATEGORY, Pix2PixModel, Pix2PixModelIO, schema, to_comfy, to_core


class Pix2PixCritic(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixCritic",
            search_aliases=["patchgan", "discriminator", "realism score", "gan critic"],
            display_name="Pix2Pix Critic",
            category=CATEGORY,
            description=(
                "Scores how real a translation looks, patch by patch, with the translator's own PatchGAN "
                "discriminator (saved with models you train here). Green: looks real; red: looks generated."
            ),
            inputs=[
                Pix2PixModelIO.Input("model", tooltip="A translator that comes with its discriminator."),
                io.Image.Input("input_image", tooltip="The images that were translated."),
                io.Image.Input("output_image", tooltip="Their translations (or real targets, for comparison)."),
            ],
            outputs=[
                io.Image.Output(display_name="heatmap", tooltip="Realism per pixel (green real, red fake)."),
                io.Mask.Output(display_name="realism", tooltip="Probability of 'real' per pixel."),
                io.Float.Output(display_name="score", tooltip="Mean realism over the batch, 0..1."),
            ],
        )

    @classmethod
    def execute(cls, model: Pix2PixModel, input_image, output_image) -> io.NodeOutput:
        if model.discriminator is None:
            raise Pix2PixError(f"{model.name} has no discriminator: the critic needs a translator saved with its "
                             "PatchGAN (models trained with Pix2Pix Train or `pix2pix train` have one).")
        model.load()
        probability = realism_map(model.discriminator, to_core(input_image), to_core(output_image),
                                  model.generator.config.in_channels, output_space=model.generator.io.output_space)
        return io.NodeOutput(to_comfy(heatmap(probability)), to_comfy(probability)[..., 0],
                             float(probability.mean()))
