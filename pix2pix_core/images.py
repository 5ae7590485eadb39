"""Reading and writing image files as tensors: ``[C, H, W]`` float 0..1, EXIF orientation applied."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InputError
from .fileio import atomic_path


def load_image(path: str | Path, mode: str = "RGB") -> torch.Tensor:
    """Read an image file into ``[C, H, W]`` float32 in 0..1 (``mode``: RGB, RGBA or L)."""
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit gray: scale, do not clip at 255
                gray = torch.from_numpy(np.asarray(im, dtype=np.float32) / 65535.0).clamp(0, 1)[None]
                channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
                image = gray.expand(min(channels, 3), -1, -1)
                return torch.cat([image, torch.ones_like(gray)]) if channels == 4 else image.contiguous()
            array = np.asarray(im.convert(mode), dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"cannot read {path} as an image ({exc}).") from exc
    tensor = torch.from_numpy(array)
    return tensor[None] if tensor.dim() == 2 else tensor.permute(2, 0, 1).contiguous()


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


def find_images(inputs: list[str | Path]) -> list[tuple[Path, Path]]:
    """Expand files and folders (recursively) into ``(path, path relative to the output folder)`` pairs.

    Files named directly are taken whatever their suffix (an unreadable one is reported when read);
    inside folders only image suffixes are taken.
    """
    found = []
    for item in map(Path, inputs):
        if item.is_dir():
            found += [(p, p.relative_to(item)) for p in sorted(item.rglob("*"))
                      if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        else:
            found.append((item, Path(item.name)))
    return found


def load_image_keeping_alpha(path: str | Path) -> tuple[torch.Tensor, str | None]:
    """``[C, H, W]`` with C = 4 when the file has transparency, else 3; and the file's format (PNG, JPEG, ...)."""
    try:
        with Image.open(path) as im:
            has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
            image_format = im.format
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"cannot read {path} as an image ({exc}).") from exc
    return load_image(path, "RGBA" if has_alpha else "RGB"), image_format


def save_image(image: torch.Tensor, path: str | Path, image_format: str | None = None) -> None:
    """Write ``[C, H, W]`` in 0..1 to ``path`` in ``image_format`` (default: from the suffix), atomically."""
    pil = to_pil(image)
    if image_format in ("JPEG", "BMP") and pil.mode == "RGBA":
        pil = pil.convert("RGB")
    options = {"quality": 95} if image_format in ("JPEG", "WEBP") else {}
    with atomic_path(path) as tmp:
        pil.save(tmp, format=image_format or Image.registered_extensions().get(Path(path).suffix.lower()), **options)


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
