"""Label maps for pix2pixHD translators: a drawing or an id image read as labels, and labels translated."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from comfy_api.latest import io

from ..pix2pix_core.errors import Pix2PixError
from ..pix2pix_core.imaging.labels import label_ids_from_colours, read_label_ids
from ..pix2pix_core.imaging.palettes import PALETTES
from ..pix2pix_core.inference.labels import clusters_beside, draw_features, translate_labels
from ..pix2pix_core.inference.translate import FIT_MODES
from .common import CATEGORY, Pix2PixModel, Pix2PixModelIO, Progress, input_path, schema, to_comfy, to_core
from .models import local_weights

LABELS_TYPE = "PIX2PIX_LABELS"
LabelsIO = io.Custom(LABELS_TYPE)
LABEL_PALETTES = [name for name, palette in PALETTES.items() if any(c.label_id is not None for c in palette.colours)]
READ_AS = ("palette colours", "label ids")


@dataclass
class LabelMaps:
    """Label ids ``[B, 1, H, W]`` and, when given, their instance ids (same shape)."""

    ids: torch.Tensor
    instances: torch.Tensor | None = None


class Pix2PixLabelMap(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixLabelMap",
            search_aliases=["label map", "semantic map", "segmentation", "cityscapes", "pix2pixhd"],
            display_name="Pix2Pix Label Map",
            category=CATEGORY,
            description=(
                "Reads label maps for pix2pixHD translators: a drawing in a palette's colours (Pix2Pix Sketch with "
                "the Cityscapes palette) or a gray image of label ids (Cityscapes' *_labelIds.png through Load "
                "Image), with an optional instance map from the input folder, whose boundaries tell touching "
                "objects apart. Shows the labels it read in the palette's colours."
            ),
            inputs=[
                io.Image.Input("image", tooltip="The drawing, or the label-id image."),
                io.Combo.Input("read_as", options=list(READ_AS), default=READ_AS[0],
                               tooltip="palette colours: each pixel's colour is a label of the palette (exact "
                                       "colours: a JPEG or a resized drawing is refused). label ids: a gray image "
                                       "whose 8-bit values are the ids."),
                io.Combo.Input("palette", options=LABEL_PALETTES, default=LABEL_PALETTES[0],
                               tooltip="The labels' colours (and the preview's)."),
                io.String.Input("instance_map", default="", optional=True,
                                tooltip="Optional: an instance-id PNG in ComfyUI's input folder (Cityscapes' "
                                        "*_instanceIds.png, 16 bits, which Load Image cannot keep), e.g. "
                                        "'city/frankfurt_instanceIds.png'. Without one, the boundaries between "
                                        "labels stand in."),
            ],
            outputs=[LabelsIO.Output(display_name="labels", tooltip="For Pix2Pix Translate Labels."),
                     io.Image.Output(display_name="preview", tooltip="The labels read, in the palette's colours.")],
        )

    @classmethod
    def execute(cls, image, read_as: str, palette: str, instance_map: str = "") -> io.NodeOutput:
        chosen = PALETTES[palette]
        pixels = to_core(image).cpu()
        if read_as == READ_AS[0]:
            ids = label_ids_from_colours(pixels, chosen)
        else:
            if not torch.equal(pixels[:, :1].expand_as(pixels[:, :3]), pixels[:, :3]):
                raise Pix2PixError("read_as 'label ids' takes a gray image of ids; this one has colours: choose "
                                   "'palette colours' for a drawing.")
            ids = (pixels[:, :1] * 255).round().long()
        instances = _instances(instance_map.strip(), ids) if instance_map.strip() else None
        return io.NodeOutput(LabelMaps(ids, instances), to_comfy(_coloured(ids, chosen)))


def _instances(name: str, ids: torch.Tensor) -> torch.Tensor:
    path = input_path(name, "instance_map", kind="file")
    return read_label_ids(path, "instance map").expand(ids.shape[0], -1, -1, -1)


def _coloured(ids: torch.Tensor, palette) -> torch.Tensor:
    """The ids in the palette's colours (ids it has no colour for: its blank colour)."""
    table = torch.tensor([palette.blank_rgb] * (int(ids.max()) + 1), dtype=torch.float32)
    for colour in palette.colours:
        if colour.label_id is not None and colour.label_id < len(table):
            table[colour.label_id] = torch.tensor(colour.rgb, dtype=torch.float32)
    return table[ids[:, 0]].permute(0, 3, 1, 2) / 255


class Pix2PixTranslateLabels(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixTranslateLabels",
            search_aliases=["pix2pixhd", "labels to photo", "label2city", "semantic image synthesis"],
            display_name="Pix2Pix Translate Labels",
            category=CATEGORY,
            description=(
                "Translates label maps with a pix2pixHD translator (NVIDIA's latest_net_G.pth, e.g. label2city): "
                "one-hot labels and instance boundaries, as NVIDIA's data path makes them. Any size: 'auto' runs "
                "natively when it fits in memory and in tiles with whole-image statistics otherwise."
            ),
            inputs=[
                Pix2PixModelIO.Input("model", tooltip="A label-map translator from Pix2Pix Load Model."),
                LabelsIO.Input("labels", tooltip="From Pix2Pix Label Map."),
                io.Combo.Input("fit", options=[f for f in FIT_MODES if f != "resize"], default="auto",
                               tooltip="auto: native unless it would not fit in memory, then tiled. Label maps are "
                                       "never resized (that would blend labels)."),
                io.Int.Input("tile_size", default=512, min=64, max=4096, step=64,
                             tooltip="Tiled mode: tile side in pixels (rounded up to the network's multiple)."),
                io.Int.Input("label_nc", default=0, min=0, max=4096,
                             tooltip="The translator's label count where its weights do not record it (NVIDIA's "
                                     "label2city: 35); 0: from the model, or from the instance map's presence."),
                io.Int.Input("feature_seed", default=0, min=0, max=2**31 - 1, optional=True,
                             tooltip="A translator trained with instance features (NVIDIA's --instance_feat, its "
                                     "features_clustered_*.npy beside its weights in models/pix2pix): which cluster "
                                     "centre each instance gets; another seed, another look."),
            ],
            outputs=[io.Image.Output(display_name="image", tooltip="The pictures, the label maps' size.")],
        )

    @classmethod
    def execute(cls, model: Pix2PixModel, labels: LabelMaps, fit: str, tile_size: int, label_nc: int,
                feature_seed: int = 0) -> io.NodeOutput:
        weights = local_weights(model)
        clusters = clusters_beside(model.generator, weights) if weights is not None else None
        features = draw_features(clusters, labels.ids, labels.instances, feature_seed) if clusters else None
        device = model.load()
        instances = labels.instances.to(device) if labels.instances is not None else None
        pictures = translate_labels(model.generator, labels.ids.to(device), instances, label_nc=label_nc or None,
                                    features=features, fit=fit, tile_size=tile_size, progress=Progress())
        return io.NodeOutput(to_comfy(pictures))
