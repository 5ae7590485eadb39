"""How much a translated clip flickers: the warping error of Lai et al. (ECCV 2018), beside the input's own."""

from __future__ import annotations

from comfy_api.latest import io, ui

from ..pix2pix_core.errors import Pix2PixError
from ..pix2pix_core.video.flicker import warping_errors
from .common import CATEGORY, schema, to_core


class Pix2PixFlicker(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixFlicker",
            search_aliases=["flicker", "warping error", "temporal consistency", "video quality"],
            display_name="Pix2Pix Flicker",
            category=CATEGORY,
            is_output_node=True,
            description=(
                "Measures how much a translated clip flickers: the mean difference between each output frame and "
                "the previous one moved along the input's optical flow, occluded pixels left out (the warping "
                "error of Lai et al., ECCV 2018). The input's own figure is the reference: a ratio near 1 "
                "flickers no more than the input moves."
            ),
            inputs=[
                io.Image.Input("input_frames", tooltip="The clip's frames as translated (Edges output, Load "
                                                       "Video frames): the optical flow is computed on these."),
                io.Image.Input("output_frames", tooltip="Their translation, frame for frame (Pix2Pix Translate)."),
            ],
            outputs=[
                io.Float.Output(display_name="warping_error", tooltip="The output's warping error (0..1 RGB)."),
                io.Float.Output(display_name="input_warping_error", tooltip="The input's own, the reference."),
                io.String.Output(display_name="report", tooltip="Both figures and their ratio, in words."),
            ],
        )

    @classmethod
    def execute(cls, input_frames, output_frames) -> io.NodeOutput:
        if len(input_frames) != len(output_frames):
            raise Pix2PixError(f"output_frames has {len(output_frames)} frames and input_frames "
                               f"{len(input_frames)}: connect a translation and the frames it was made from.")
        error, own = warping_errors([to_core(input_frames).cpu()], [to_core(output_frames).cpu()])
        ratio = f"{error / own:.2f}x" if own else "no input motion"
        report = (f"warping error {error:.4f}, {ratio} the input's own {own:.4f} over {len(input_frames)} "
                  "frames (lower flickers less)")
        return io.NodeOutput(error, own, report, ui=ui.PreviewText(report))
