"""Reading and writing image files as tensors: ``[C, H, W]`` float 0..1, EXIF orientation applied."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InputError


def load_image(path: str | Path, mode: str = "RGB") -> torch.Tensor:
    """Read an image file into ``[C, H, W]`` float32 in 0..1 (``mode``: RGB, RGBA or L)."""
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if im.mode in ("I;16", "I;16B", "I;16L", "I") and mode == "L":
                array = np.asarray(im, dtype=np.float32) / 65535.0
                return torch.from_numpy(array)[None]
            array = np.asarray(im.convert(mode), dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"cannot read {path} as an image ({exc}).") from exc
    tensor = torch.from_numpy(array)
    return tensor[None] if tensor.dim() == 2 else tensor.permute(2, 0, 1).contiguous()


def to_pil(image: torch.Tensor) -> Image.Image:
    """``[C, H, W]`` in 0..1 (C = 1, 3 or 4) to a PIL image, rounding to 8 bits."""
    array = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu()
    if array.shape[0] == 1:
        return Image.fromarray(array[0].numpy(), "L")
    return Image.fromarray(array.permute(1, 2, 0).numpy(), "RGBA" if array.shape[0] == 4 else "RGB")


def side_by_side(images: list[torch.Tensor], gap: int = 8) -> Image.Image:
    """Place ``[C, H, W]`` images of the same height left to right on a white strip."""
    pils = [to_pil(t).convert("RGB") for t in images]
    width = sum(p.width for p in pils) + gap * (len(pils) - 1)
    canvas = Image.new("RGB", (width, max(p.height for p in pils)), "white")
    x = 0
    for p in pils:
        canvas.paste(p, (x, 0))
        x += p.width + gap
    return canvas
