"""Edge maps for edges->photo and sketch->photo translators: Canny, XDoG, HED."""

from __future__ import annotations

import comfy.model_management as mm
from comfy_api.latest import io

from ..pix2pix_core.imaging.edges import canny, hed, xdog
from ..pix2pix_core.weights.hed import load_hed
from .common import CATEGORY, schema, to_comfy, to_core
from .models import model_dir

_HED = {}


def _hed_network():
    device = mm.get_torch_device()
    if device not in _HED:
        _HED[device] = load_hed(local_dir=model_dir() / "hed", device=device)
    return _HED[device]


class Pix2PixEdges(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixEdges",
            search_aliases=["edge detection", "canny", "hed", "xdog", "line art", "sketch"],
            display_name="Pix2Pix Edges",
            category=CATEGORY,
            description=(
                "Edge maps prepared the way edges->photo training data was: Canny, XDoG sketches, or HED with the "
                "pix2pix paper's post-processing (edges2shoes/handbags). Batched, on the GPU when there is one."
            ),
            inputs=[
                io.Image.Input("image", tooltip="Photos to take edges from."),
                io.Combo.Input("method", options=["canny", "xdog", "hed"], default="canny",
                               tooltip="canny: thin exact edges. xdog: sketch-like strokes. hed: learned edges "
                                       "(weights from lllyasviel/Annotators into models/pix2pix/hed)."),
                io.Float.Input("low", default=0.1, min=0.0, max=1.0, step=0.01,
                               tooltip="Canny: low threshold on the gradient magnitude (0..1)."),
                io.Float.Input("high", default=0.2, min=0.0, max=1.0, step=0.01,
                               tooltip="Canny: high threshold; must not be below low."),
                io.Float.Input("sigma", default=1.0, min=0.1, max=10.0, step=0.1,
                               tooltip="Canny/XDoG: Gaussian blur before the edges (larger: fewer, smoother)."),
                io.Boolean.Input("paper_postprocess", default=True,
                                 tooltip="HED: NMS, threshold 25/255, thinning, small-component removal."),
                io.Boolean.Input("black_on_white", default=True,
                                 tooltip="Black lines on white, as edges2shoes/handbags; off: white on black."),
            ],
            outputs=[io.Image.Output(display_name="image", tooltip="The edge map as an image."),
                     io.Mask.Output(display_name="mask", tooltip="The edges as a mask (1 on edges).")],
        )

    @classmethod
    def execute(cls, image, method: str, low: float, high: float, sigma: float, paper_postprocess: bool,
                black_on_white: bool) -> io.NodeOutput:
        images = to_core(image).to(mm.get_torch_device())
        if method == "canny":  # white on black: the mask; the image is drawn from it in the polarity asked for
            edges = canny(images, low, high, sigma, black_on_white=False)
        elif method == "xdog":
            edges = xdog(images, sigma=sigma, black_on_white=False)
        else:
            edges = hed(_hed_network(), images, paper_postprocess=paper_postprocess, black_on_white=False)
        shown = 1 - edges if black_on_white else edges
        return io.NodeOutput(to_comfy(shown.expand(-1, 3, -1, -1)), edges[:, 0].to(mm.intermediate_device()))
