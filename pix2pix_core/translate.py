"""The translation engine: from a user's images (0..1, any size, any batch) to the network and back.

This first version runs the network natively: it converts channels, scales to [-1, 1], reflect-pads to the
network's multiple, runs in batches under the chosen statistics mode, and crops back to the input size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .errors import InputError
from .networks import Generator
from .statistics import inference_statistics

LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as PIL's convert("L")


def translate(generator: Generator, images: torch.Tensor, *, statistics: str = "per_image",
              dropout_seed: int | None = None, batch_size: int = 8) -> torch.Tensor:
    """Translate ``images`` ``[B, C, H, W]`` in 0..1 to ``[B, C_out, H, W]`` in 0..1.

    ``statistics``: ``"per_image"`` (reference test-time BatchNorm, batch-invariant) or ``"eval"`` (running
    statistics). ``dropout_seed``: keep dropout on with masks drawn from this seed, image by image, so each
    result is the one the reference gives for that image alone.
    """
    _check_images(images)
    device = next(generator.parameters()).device
    alpha = images[:, 3:4] if images.shape[1] == 4 else None
    x = _match_channels(images, generator.config.in_channels).to(device, torch.float32)
    step = 1 if dropout_seed is not None else max(1, batch_size)
    outputs = []
    with torch.inference_mode():
        for start in range(0, x.shape[0], step):
            with inference_statistics(generator, statistics, dropout_seed):
                outputs.append(_run_native(generator, x[start:start + step]))
    y = torch.cat(outputs).to(images.device)
    if alpha is not None and y.shape[1] == 3:
        y = torch.cat([y, alpha.to(y.dtype)], 1)
    return y


def _check_images(images: torch.Tensor) -> None:
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise InputError(f"images must be a [B, C, H, W] tensor, got {shape}. Add a batch dimension with unsqueeze(0).")
    b, c, h, w = images.shape
    if b == 0 or h == 0 or w == 0:
        raise InputError(f"images is empty (shape {tuple(images.shape)}).")
    if c not in (1, 2, 3, 4):
        raise InputError(f"images has {c} channels; expected 1 (gray), 3 (RGB) or 4 (RGBA) in dimension 1 "
                         "(channels first). A [B, H, W, C] batch needs .permute(0, 3, 1, 2).")
    if not images.is_floating_point() or not torch.isfinite(images).all():
        raise InputError("images must be finite floats in 0..1 (found integers, NaN or Inf). Divide 8-bit images "
                         "by 255 and replace NaN values first.")


def _match_channels(images: torch.Tensor, wanted: int) -> torch.Tensor:
    """Gray -> RGB by repetition, RGB(A) -> gray by BT.601 luma, RGBA -> RGB by dropping alpha."""
    have = images.shape[1]
    if have == 4:
        images, have = images[:, :3], 3
    if have == wanted:
        return images
    if have == 1 and wanted == 3:
        return images.expand(-1, 3, -1, -1)
    if have == 3 and wanted == 1:
        weights = images.new_tensor(LUMA).view(1, 3, 1, 1)
        return (images * weights).sum(1, keepdim=True)
    raise InputError(f"the model expects {wanted} input channel(s) and the images have {have}; no conversion "
                     "between those is defined. Prepare the images for this model first.")


def _run_native(generator: Generator, x: torch.Tensor) -> torch.Tensor:
    """Pad to the multiple (reflect where possible), run on [-1, 1], crop back, return 0..1."""
    h, w = x.shape[-2:]
    m = generator.multiple
    pad_h, pad_w = -h % m, -w % m
    x = x * 2 - 1
    if pad_h or pad_w:
        mode = "reflect" if pad_h < h and pad_w < w else "replicate"
        x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
    y = generator(x)[..., :h, :w]
    return ((y + 1) / 2).clamp(0, 1)
