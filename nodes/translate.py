"""Translate an IMAGE batch with a pix2pix generator."""

from __future__ import annotations

import torch
from comfy_api.latest import io

from ..pix2pix_core.errors import Pix2PixError
from ..pix2pix_core.inference.clip import CLIP_SAMPLE, clip_statistics, translate_clip
from ..pix2pix_core.inference.precision import PRECISIONS
from ..pix2pix_core.inference.temporal import CLIP_STATISTICS, TEMPORAL, check_temporal
from ..pix2pix_core.inference.translate import FIT_MODES, training_scale_note
from .clip_state import clip_state, stabilize_input
from .common import CATEGORY, Pix2PixModel, Pix2PixModelIO, Progress, schema, to_comfy, to_core


class Pix2PixTranslate(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixTranslate",
            search_aliases=["pix2pix", "image to image", "image translation", "sketch to photo", "labels to photo",
                            "day to night", "map to aerial", "cyclegan"],
            display_name="Pix2Pix Translate",
            category=CATEGORY,
            description=(
                "Translates every image of the batch with a pix2pix generator and returns images of the input "
                "size. Any size works: 'native' pads to the network's multiple, 'resize' runs at the training "
                "size, 'tiled' handles very large images in bounded memory, 'auto' picks native or tiled."
            ),
            inputs=[
                Pix2PixModelIO.Input("model", tooltip="From Pix2Pix Load Model or Pix2Pix Train."),
                io.Image.Input("image", tooltip="Images to translate (gray, RGB or RGBA; any size)."),
                io.Combo.Input("fit", options=list(FIT_MODES), default="auto",
                               tooltip="auto: at the scale the translator was trained at (when it records it: "
                                       "those trained here do), then native unless it would not fit in memory, "
                                       "then tiled. native: the image's own size. resize: the training size "
                                       "square, for models that need the whole scene."),
                io.Int.Input("tile_size", default=512, min=64, max=4096, step=64,
                             tooltip="Tiled mode: tile side in pixels (rounded up to the network's multiple)."),
                io.Combo.Input("statistics", options=list(CLIP_STATISTICS), default="per_image",
                               tooltip="per_image: BatchNorm on each image's own statistics, as the reference "
                                       "test.py. eval: the running statistics saved with the model. clip (with "
                                       "temporal clip): fixed for the clip, estimated over its first 16 frames, "
                                       "so the tone does not pump from frame to frame; later meta-batch chunks "
                                       "of the clip keep them."),
                io.Boolean.Input("dropout", default=False,
                                 tooltip="Keep dropout on (the reference's stochastic output), drawn from the seed."),
                io.Int.Input("seed", default=0, min=0, max=2**31 - 1, control_after_generate=True,
                             tooltip="Dropout seed, used when dropout is on."),
                io.Combo.Input("precision", options=list(PRECISIONS), default="auto",
                               tooltip="auto: bfloat16 where the hardware runs it fast (quality loss measured "
                                       "below 0.1% PSNR-wise), else float32."),
                io.Combo.Input("temporal", options=list(TEMPORAL), default="frame", optional=True,
                               tooltip="For video frames (Load Video, VideoHelperSuite). frame: each image on its "
                                       "own, image i with dropout seed + i (the reference's test.py, which "
                                       "flickers with dropout on). clip: the batch is one clip's frames, every "
                                       "frame with the same dropout mask, so noise does not flicker; meta-batch "
                                       "chunks of a clip give the frames the whole clip would."),
                stabilize_input(),
            ],
            hidden=[io.Hidden.unique_id],
            outputs=[io.Image.Output(display_name="image", tooltip="Translated images, the input's size.")],
        )

    @classmethod
    def execute(cls, model: Pix2PixModel, image, fit: str, tile_size: int, statistics: str, dropout: bool,
                seed: int, precision: str, temporal: str = "frame", stabilize: float = 0.0) -> io.NodeOutput:
        if model.generator.io.output_space == "lab_ab":
            raise Pix2PixError(f"{model.name} is a colorization model (L -> ab): use Pix2Pix Colorize.")
        if model.generator.io.input_space == "labels":
            raise Pix2PixError(f"{model.name} translates label maps (pix2pixHD): use Pix2Pix Label Map, then Pix2Pix "
                               "Translate Labels.")
        model.load()
        note = training_scale_note(model.generator, tuple(image.shape[1:3])) if fit == "auto" else None
        if note is not None:
            print(f"[pix2pix] {model.name}: {note}")
        inputs, seed = to_core(image), seed if dropout else None
        options = {"fit": fit, "precision": precision, "tile_size": tile_size}
        clip = clip_state(cls.hidden.unique_id, (model.name, temporal, statistics, seed, stabilize,
                                                 *options.values()), inputs)
        if statistics == "clip" and clip.statistics is None:  # the clip's first batch
            check_temporal(temporal, statistics, fit)
            clip.statistics = clip_statistics(model.generator, inputs[:CLIP_SAMPLE], dropout_seed=seed, **options)
        frames = translate_clip(model.generator, [inputs], temporal=temporal, statistics=statistics,
                                dropout_seed=seed, fixed=clip.statistics, progress=Progress(), **options)
        frames = clip.stabilized(stabilize, inputs, torch.cat(list(frames)))
        return io.NodeOutput(to_comfy(frames))

