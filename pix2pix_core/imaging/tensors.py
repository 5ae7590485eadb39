"""The conventions every image tensor follows here: one check and one channel conversion for all of them.

Images are ``[B, C, H, W]`` floats in 0..1 (``[..., C, H, W]`` for the colour-space functions); C is 1 (gray),
3 (RGB) or 4 (RGBA). Gray becomes RGB by repetition, RGB becomes gray by luma, alpha is dropped or made opaque.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..errors import InputError

LUMA_601 = (0.299, 0.587, 0.114)  # ITU-R BT.601, as Pillow's convert("L"): the gray a model or a file sees
LUMA_709 = (0.2125, 0.7154, 0.0721)  # ITU-R BT.709, as skimage's rgb2gray: the gray the edge detectors see
# how far outside 0..1 a value may lie and still count as rounding (resampling overshoot, float error): it is clamped
RANGE_TOLERANCE = 0.02


def check_images(images: object, name: str = "images", channels: Sequence[int] = (1, 3, 4),
                 batched: bool = True, unit_range: bool = True) -> None:
    """Raise InputError unless ``images`` is a non-empty batch of finite floats with an allowed channel count, in
    0..1 up to rounding (``RANGE_TOLERANCE``) when ``unit_range``."""
    layout = f"[{'B' if batched else '...'}, {'|'.join(map(str, channels))}, H, W]"
    if not isinstance(images, torch.Tensor) or (images.dim() != 4 if batched else images.dim() < 3):
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise InputError(f"{name} expects {layout} images (a [B, C, H, W] tensor, channels first), got {shape}."
                         + (" Add a batch dimension with unsqueeze(0)." if batched else ""))
    if images.numel() == 0:
        raise InputError(f"{name}: the image batch is empty (shape {tuple(images.shape)}): nothing to do.")
    if images.shape[-3] not in channels:
        raise InputError(f"{name} expects {layout} images; these have {images.shape[-3]} channels in dimension "
                         f"{images.dim() - 3} (channels first). A [B, H, W, C] batch needs .permute(0, 3, 1, 2).")
    if not images.is_floating_point() or not torch.isfinite(images).all():
        raise InputError(f"{name} needs finite floats in 0..1 (found integers, NaN or Inf). Divide 8-bit images by "
                         "255 and replace NaN values first.")
    if unit_range:
        low, high = images.min().item(), images.max().item()
        if low < -RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
            hint = ("they look like 0..255 values: divide them by 255 first (images / 255)" if high > 1.5 and low >= 0
                    else "scale them to 0..1 first (e.g. (images + 1) / 2 for -1..1, or images / 255 for 0..255)")
            raise InputError(f"{name} needs values in 0..1, found {low:.4g}..{high:.4g}: {hint}.")


def to_channels(images: torch.Tensor, wanted: int, luma: Sequence[float] = LUMA_601) -> torch.Tensor:
    """``[..., C, H, W]`` with C in 1, 3, 4 as ``wanted`` channels: 1 (luma), 3 (RGB) or 4 (RGBA, opaque if new)."""
    have = images.shape[-3]
    if have == wanted:
        return images
    if wanted not in (1, 3, 4) or have not in (1, 3, 4):
        raise InputError(f"the images have {have} channels and {wanted} are needed; no conversion between those is "
                         "defined. Prepare the images for this model first.")
    rgb = images[..., :3, :, :] if have >= 3 else images.expand(*images.shape[:-3], 3, *images.shape[-2:])
    if wanted == 1:
        return (rgb * rgb.new_tensor(luma).view(3, 1, 1)).sum(-3, keepdim=True)
    if wanted == 3:
        return rgb
    alpha = images[..., 3:, :, :] if have == 4 else torch.ones_like(rgb[..., :1, :, :])
    return torch.cat([rgb, alpha], -3)
