"""Reading and writing image files as tensors: ``[C, H, W]`` float 0..1, EXIF orientation applied.

8-bit files go through Pillow. 16-bit files keep their precision: gray ones through Pillow's ``I;16`` modes,
colour PNGs through pypng and colour TIFFs through tifffile (Pillow reduces those to 8 bits), and they are
written back with 16 bits when the output format can hold them (PNG, TIFF).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import png
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..atomic import atomic_path
from ..errors import InputError
from .tensors import to_channels

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
SIXTEEN_BIT_GRAY = ("I;16", "I;16B", "I;16L", "I")
SIXTEEN_BIT_FORMATS = ("PNG", "TIFF")
CHANNELS = {"L": 1, "RGB": 3, "RGBA": 4}


@dataclass(frozen=True)
class ImageFile:
    """An image file's pixels ``[C, H, W]`` in 0..1 (C = 1 gray, 3 RGB, 4 RGBA), its format and bits per channel."""

    pixels: torch.Tensor
    format: str | None
    bits: int


def read_image(source: str | Path | bytes, name: str | None = None) -> ImageFile:
    """Read an image file (a path, or its bytes: ``name`` then says what it is in messages) as it is: gray stays 1
    channel, transparency is kept, 16 bits stay 16 bits, float TIFFs keep their values (0..1 expected). Animations
    and multi-page files are refused, as are images over ``PIX2PIX_MAX_IMAGE_PIXELS`` (default: Pillow's
    decompression-bomb guard, about 179 megapixels)."""
    _apply_pixel_limit()
    path = name or str(source)
    try:
        with Image.open(_opened(source)) as im:
            orientation = im.getexif().get(0x0112, 1)
            image_format = im.format
            frames = getattr(im, "n_frames", 1)
            if frames > 1:
                raise InputError(f"{path} holds {frames} frames (an animation or a multi-page file); only single "
                                 "images are translated. Extract the frame(s) you want first.")
            if _is_float_tiff(im):
                return ImageFile(_orient(_read_float_tiff(source, path), orientation), image_format, 16)
            if im.mode in SIXTEEN_BIT_GRAY:  # 16-bit gray: scale, do not clip at 255
                array = np.asarray(im, dtype=np.float32) / 65535.0
                return ImageFile(_orient(torch.from_numpy(array).clamp(0, 1)[None], orientation), image_format, 16)
            if _is_sixteen_bit_colour(im, source):
                return ImageFile(_orient(_read_sixteen_bit_colour(source, image_format), orientation), image_format,
                                 16)
            im = ImageOps.exif_transpose(im)
            has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
            mode = "RGBA" if has_alpha else "L" if im.mode in ("L", "1") else "RGB"
            array = np.asarray(im.convert(mode), dtype=np.float32) / 255.0
    except Image.DecompressionBombError as exc:
        raise InputError(f"{path} is larger than the limit of {Image.MAX_IMAGE_PIXELS * 2:,} pixels, a guard "
                         "against decompression bombs: skipped. If you trust it, raise PIX2PIX_MAX_IMAGE_PIXELS "
                         "(the limit is twice that value).") from exc
    except UnidentifiedImageError as exc:
        if Path(path).suffix.lower() in (".tif", ".tiff"):  # float colour TIFFs, which Pillow cannot open
            return ImageFile(_read_float_tiff(source, path), "TIFF", 16)
        raise InputError(f"cannot read {path} as an image ({exc}).") from exc
    except (OSError, ValueError, png.Error) as exc:
        raise InputError(f"cannot read {path} as an image ({exc}).") from exc
    tensor = torch.from_numpy(array)
    return ImageFile(tensor[None] if tensor.dim() == 2 else tensor.permute(2, 0, 1).contiguous(), image_format, 8)


def _opened(source: str | Path | bytes):
    """What the decoders read: the path itself, or the bytes as a file."""
    return io.BytesIO(source) if isinstance(source, bytes) else str(source)


def _apply_pixel_limit() -> None:
    limit = os.environ.get("PIX2PIX_MAX_IMAGE_PIXELS")
    if limit:
        try:
            Image.MAX_IMAGE_PIXELS = int(limit)
        except ValueError as exc:
            raise InputError(f"PIX2PIX_MAX_IMAGE_PIXELS must be a whole number, got {limit!r}.") from exc


def _tifffile():
    """tifffile, imported when a TIFF needs it: ComfyUI's start-up need not pay its import (about 16 ms)."""
    import tifffile

    return tifffile


def _is_float_tiff(im: Image.Image) -> bool:
    if im.format != "TIFF":
        return False
    sample_format = im.tag_v2.get(339, 1)
    return im.mode == "F" or 3 in (sample_format if isinstance(sample_format, tuple) else (sample_format,))


def _read_float_tiff(source: str | Path | bytes, path: str | Path) -> torch.Tensor:
    """A float TIFF (gray or colour): values must already lie in 0..1, as image data does."""
    tifffile = _tifffile()
    try:
        array = tifffile.imread(_opened(source))
    except (OSError, ValueError, tifffile.TiffFileError) as exc:
        raise InputError(f"cannot read {path} as an image ({exc}).") from exc
    if not np.issubdtype(array.dtype, np.floating):
        raise InputError(f"cannot read {path}: a TIFF with {array.dtype} samples that Pillow does not open.")
    array = array[..., None] if array.ndim == 2 else array
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
        raise InputError(f"{path} is a float TIFF of shape {array.shape}; expected one gray, RGB or RGBA image.")
    low, high = float(np.nanmin(array)), float(np.nanmax(array))
    if not np.isfinite(array).all() or low < -1e-3 or high > 1 + 1e-3:
        raise InputError(f"{path} is a float TIFF with values from {low:.3g} to {high:.3g} (or NaN): float images "
                         "are read as 0..1. Rescale it to 0..1 (or save it as 8 or 16 bits) first.")
    return torch.from_numpy(np.clip(array, 0, 1).astype(np.float32)).permute(2, 0, 1).contiguous()


def load_image(source: str | Path | bytes, mode: str = "RGB", name: str | None = None) -> torch.Tensor:
    """Read an image file (or its bytes) into ``[C, H, W]`` float32 in 0..1 (``mode``: RGB, RGBA or L)."""
    return to_channels(read_image(source, name).pixels, CHANNELS[mode])


def _is_sixteen_bit_colour(im: Image.Image, source: str | Path | bytes) -> bool:
    if im.format == "PNG":
        if isinstance(source, bytes):
            header = source[:26]
        else:
            with open(source, "rb") as f:
                header = f.read(26)
        return len(header) == 26 and header[24] == 16  # IHDR bit depth (gray 16 bits is an I;16 mode already)
    if im.format == "TIFF":
        bits = im.tag_v2.get(258, 8)
        return max(bits if isinstance(bits, tuple) else (bits,)) == 16
    return False


def _read_sixteen_bit_colour(source: str | Path | bytes, image_format: str) -> torch.Tensor:
    if image_format == "PNG":
        reader = png.Reader(bytes=source) if isinstance(source, bytes) else png.Reader(filename=str(source))
        width, height, rows, info = reader.asDirect()
        array = np.vstack([np.asarray(row, dtype=np.uint16) for row in rows]).reshape(height, width, info["planes"])
    else:
        array = _tifffile().imread(_opened(source))
        array = array[..., None] if array.ndim == 2 else array
    if array.shape[-1] == 2:  # gray + alpha
        array = np.concatenate([np.repeat(array[..., :1], 3, -1), array[..., 1:]], -1)
    pixels = torch.from_numpy(array.astype(np.float32) / 65535.0).permute(2, 0, 1)
    return pixels[:4].contiguous()


def _orient(image: torch.Tensor, orientation: int) -> torch.Tensor:
    """Apply an EXIF orientation (1..8) to ``[C, H, W]``, as Pillow's exif_transpose does."""
    if orientation in (5, 7):
        image = image.transpose(-1, -2)
    turns = {3: 2, 6: 3, 7: 2, 8: 1}.get(orientation, 0)  # counter-clockwise quarter turns
    image = torch.rot90(image, turns, (-2, -1)) if turns else image
    if orientation == 2:
        image = image.flip(-1)
    if orientation == 4:
        image = image.flip(-2)
    return image.contiguous()


def find_images(inputs: list[str | Path], exclude: set[Path] = frozenset()) -> list[tuple[Path, Path]]:
    """Expand files and folders (recursively) into ``(path, path relative to the output folder)`` pairs.

    Files named directly are taken whatever their suffix (an unreadable one is reported when read); inside
    folders only image suffixes are taken, and none of the resolved paths in ``exclude`` (the outputs an earlier
    run wrote into a folder inside an input folder: a rerun must not take them as inputs).
    """
    found = []
    for item in map(Path, inputs):
        if item.is_dir():
            found += [(p, p.relative_to(item)) for p in sorted(item.rglob("*"))
                      if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and p.resolve() not in exclude]
        else:
            found.append((item, Path(item.name)))
    return found


def save_image(image: torch.Tensor, path: str | Path, image_format: str | None = None, bits: int = 8) -> None:
    """Write ``[C, H, W]`` in 0..1 to ``path`` in ``image_format`` (default: from the suffix), atomically.

    ``bits=16`` keeps 16 bits per channel where the format holds them (PNG, TIFF); others get 8 bits."""
    image_format = image_format or Image.registered_extensions().get(Path(path).suffix.lower())
    with atomic_path(path) as tmp:
        if bits == 16 and image_format in SIXTEEN_BIT_FORMATS:
            _save_sixteen_bit(image, tmp, image_format)
            return
        pil = to_pil(image)
        if image_format in ("JPEG", "BMP") and pil.mode == "RGBA":
            pil = pil.convert("RGB")
        options = {"quality": 95} if image_format in ("JPEG", "WEBP") else {}
        pil.save(tmp, format=image_format, **options)


def _save_sixteen_bit(image: torch.Tensor, path: Path, image_format: str) -> None:
    array = (image.detach().float().clamp(0, 1) * 65535).round().to(torch.int32).cpu().numpy().astype(np.uint16)
    channels, height, width = array.shape
    if channels == 1:
        Image.fromarray(array[0]).save(path, format=image_format)
    elif image_format == "PNG":
        writer = png.Writer(width, height, greyscale=False, alpha=channels == 4, bitdepth=16)
        with open(path, "wb") as f:
            writer.write(f, array.transpose(1, 2, 0).reshape(height, width * channels))
    else:
        _tifffile().imwrite(path, array.transpose(1, 2, 0), photometric="rgb",
                         extrasamples=["unassalpha"] if channels == 4 else None)


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
