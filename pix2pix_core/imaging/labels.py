"""Label maps as pix2pixHD's data path feeds them to its generator (NVIDIA/pix2pixHD ``encode_input``).

A label map holds one class id per pixel (Cityscapes' ``*_gtFine_labelIds.png``: 8-bit ids 0..33); the network
takes it one-hot over ``label_nc`` channels, then, when it was trained with instance maps, the boundaries of the
instance map (``*_gtFine_instanceIds.png``, 16-bit: label * 1000 + instance for things, the label for stuff) as
one more channel: 1 where a pixel's right, left, lower or upper neighbour belongs to another instance. A colour
drawing in a palette with label ids (the sketch pad's Cityscapes palette) becomes a label map by its colours.
"""

from __future__ import annotations

import math
import os

import torch

from ..errors import InputError
from .files import read_image
from .palettes import CITYSCAPES, Palette


def one_hot(label_ids: torch.Tensor, label_nc: int) -> torch.Tensor:
    """``[B, 1, H, W]`` integer ids -> ``[B, label_nc, H, W]`` float 0/1; an id outside 0..label_nc-1 is refused."""
    _check_map(label_ids, "label map")
    high = int(label_ids.max())
    if high >= label_nc or int(label_ids.min()) < 0:
        bad = label_ids.max() if high >= label_nc else label_ids.min()
        y, x = [int(v) for v in (label_ids[:, 0] == bad).nonzero()[0, 1:]]
        raise InputError(f"the label map holds id {int(bad)} (first at x={x}, y={y}) but the translator knows "
                         f"{label_nc} labels, ids 0..{label_nc - 1}: give a label map made for it (Cityscapes' "
                         "*_labelIds.png for label2city), or the right label count.")
    encoded = torch.zeros(label_ids.shape[0], label_nc, *label_ids.shape[-2:], device=label_ids.device)
    return encoded.scatter_(1, label_ids.long(), 1.0)


def instance_boundaries(instances: torch.Tensor) -> torch.Tensor:
    """``[B, 1, H, W]`` instance ids -> ``[B, 1, H, W]`` float: 1 where a 4-neighbour has another id (both sides of
    every boundary, as NVIDIA's ``get_edges``)."""
    _check_map(instances, "instance map")
    edge = torch.zeros(instances.shape, dtype=torch.bool, device=instances.device)
    across = instances[..., :, 1:] != instances[..., :, :-1]
    edge[..., :, 1:] |= across
    edge[..., :, :-1] |= across
    down = instances[..., 1:, :] != instances[..., :-1, :]
    edge[..., 1:, :] |= down
    edge[..., :-1, :] |= down
    return edge.float()


def encode_label_map(label_ids: torch.Tensor, label_nc: int, instances: torch.Tensor | None = None) -> torch.Tensor:
    """The network input: one-hot labels, then the instance boundaries when ``instances`` is given."""
    encoded = one_hot(label_ids, label_nc)
    if instances is None:
        return encoded
    if instances.shape != label_ids.shape:
        raise InputError(f"the instance map is {_size(instances)} but the label map {_size(label_ids)}: give the "
                         "instance map of the same scene (the *_instanceIds.png beside its *_labelIds.png).")
    return torch.cat([encoded, instance_boundaries(instances.to(label_ids.device))], 1)


def label_ids_from_colours(image: torch.Tensor, palette: Palette) -> torch.Tensor:
    """``[B, 3, H, W]`` RGB in 0..1 drawn in ``palette``'s colours -> ``[B, 1, H, W]`` label ids; a colour that is
    not one of the palette's is refused with where it is."""
    pixels = (image[:, :3].clamp(0, 1) * 255).round().long()
    code = (pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2]
    ids = torch.full_like(code, -1)
    for colour in palette.colours:
        if colour.label_id is not None:
            r, g, b = colour.rgb
            ids[code == (r << 16 | g << 8 | b)] = colour.label_id
    unknown = (ids < 0).nonzero()
    if len(unknown):
        n, y, x = (int(v) for v in unknown[0])
        rgb = tuple(int(v) for v in pixels[n, :, y, x])
        raise InputError(f"{len(unknown)} pixel(s) have colours outside the {palette.name} palette (the first, "
                         f"RGB {rgb}, at x={x}, y={y}): draw with the palette's exact colours (the sketch pad does; a "
                         "JPEG or a resized drawing blends them), or give a label-id PNG.")
    return ids[:, None]


def coloured_labels(encoded: torch.Tensor, label_nc: int) -> torch.Tensor:
    """A one-hot label map ``[B, label_nc (+1), H, W]`` as RGB ``[B, 3, H, W]`` in 0..1, to look at: each label in
    its Cityscapes colour, ids the palette lacks in colours spread by the golden ratio, boundaries in white."""
    table = torch.tensor([_label_colour(i) for i in range(label_nc)], dtype=torch.float32) / 255
    picture = table[encoded[:, :label_nc].argmax(1)].permute(0, 3, 1, 2)
    if encoded.shape[1] > label_nc:
        picture = torch.maximum(picture, encoded[:, label_nc:label_nc + 1].expand_as(picture))
    return picture


def _label_colour(label_id: int) -> tuple[int, int, int]:
    known = {colour.label_id: colour.rgb for colour in CITYSCAPES.colours if colour.label_id is not None}
    if label_id in known:
        return known[label_id]
    hue = (label_id * 0.618034) % 1.0
    return tuple(int(255 * (0.5 + 0.4 * math.cos(2 * math.pi * (hue + shift)))) for shift in (0, 1 / 3, 2 / 3))


def read_label_ids(path: str | os.PathLike, kind: str = "label map") -> torch.Tensor:
    """A one-channel PNG (or TIFF) of integer ids, 8 or 16 bits -> ``[1, 1, H, W]`` int64. A colour picture is
    refused: label ids are one value per pixel, not colours."""
    image = read_image(path)
    if image.pixels.shape[0] != 1:
        raise InputError(f"{path} is a colour picture, not a {kind} of ids: give the one-channel id PNG "
                         "(*_labelIds.png, *_instanceIds.png), or, for a drawing in the Cityscapes colours, "
                         "--palette cityscapes (the Pix2Pix Label Map node in ComfyUI).")
    scale = 65535 if image.bits == 16 else 255
    return (image.pixels * scale).round().long()[None]


def _check_map(ids: torch.Tensor, kind: str) -> None:
    if ids.dim() != 4 or ids.shape[1] != 1:
        raise InputError(f"a {kind} is [B, 1, H, W] of integer ids, got shape {tuple(ids.shape)}.")
    if ids.is_floating_point() and not torch.equal(ids, ids.round()):
        raise InputError(f"a {kind} holds integer ids; this one has fractions (an image scaled to 0..1?).")


def _size(ids: torch.Tensor) -> str:
    return f"{ids.shape[-1]}x{ids.shape[-2]}"
