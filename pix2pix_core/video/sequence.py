"""Image-sequence folders as clips: ``frame_00001.png, frame_00002.png, ...`` read in natural order (``frame_2``
before ``frame_10``), and a clip's frames written back as such a folder.

A sequence has no frame rate of its own: it is given (``--rate``, default 25) when the frames are encoded as a
video. Every frame must have the first one's size; the folder's other files are left out.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import torch

from ..atomic import is_disk_full
from ..imaging.files import IMAGE_SUFFIXES, load_image, save_image
from .files import ClipInfo, VideoError, disk_full_error

DEFAULT_RATE = 25
MAX_RATE = 1000  # frames per second: FFmpeg's encoders take far less; more is a typo
FRAME_NAME = "frame_{:05d}.png"  # the names of frames written from a video


def natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def is_sequence(path: str | os.PathLike) -> bool:
    return Path(path).is_dir()


def sequence_rate(rate: float) -> Fraction:
    """The frame rate a sequence is given, as the encoder takes it (29.97 -> 30000/1001); refused outside
    0 < rate <= MAX_RATE."""
    if not 0 < rate <= MAX_RATE:  # also NaN
        raise VideoError(f"--rate {rate:g}: give the frames per second of the sequence, above 0 and at most "
                         f"{MAX_RATE} (e.g. 25).")
    return Fraction(rate).limit_denominator(1001)


def probe_sequence(folder: str | os.PathLike, rate: Fraction | int = DEFAULT_RATE) -> ClipInfo:
    """The frames of ``folder`` (its image files, in natural order), their size from the first."""
    folder = Path(folder)
    files = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                   key=natural_key)
    if not files:
        raise VideoError(f"{folder} holds no image files: give a folder of frames (frame_00001.png, ...).")
    first = load_image(files[0])
    return ClipInfo(folder, len(files), Fraction(rate), first.shape[-1], first.shape[-2], None, False,
                    tuple(files))


def read_sequence(info: ClipInfo, chunk: int) -> Iterator[torch.Tensor]:
    """The frames ``chunk`` at a time as float ``[n, 3, H, W]`` in 0..1; a frame of another size is refused."""
    for start in range(0, len(info.files), chunk):
        yield torch.stack([_frame(info, path) for path in info.files[start:start + chunk]])


def sample_sequence(info: ClipInfo, count: int) -> torch.Tensor:
    """About ``count`` frames spread evenly across the sequence."""
    step = max(1, len(info.files) // count)
    return torch.stack([_frame(info, path) for path in info.files[::step][:count]])


def _frame(info: ClipInfo, path: Path) -> torch.Tensor:
    image = load_image(path)
    if image.shape[-2:] != (info.height, info.width):
        raise VideoError(f"{path} is {image.shape[-1]}x{image.shape[-2]} but the sequence's first frame "
                         f"{info.files[0].name} is {info.width}x{info.height}: every frame of a clip must have one "
                         "size. Resize or remove it.")
    return image


class SequenceWriter:
    """Writes a clip's frames as PNG files into ``folder``, named as the input's frames (or ``frame_00001.png``...
    for a video), each file complete or absent; files already there are refused unless ``overwrite``."""

    def __init__(self, info: ClipInfo, folder: Path, overwrite: bool = False) -> None:
        self.target = folder
        names = [p.with_suffix(".png").name for p in info.files] or [FRAME_NAME.format(i + 1)
                                                                     for i in range(info.frames)]
        self.paths = [folder / name for name in names]
        self.written = 0
        if folder.exists() and not folder.is_dir():
            raise VideoError(f"--out {folder} is a file: give a folder for the frames, or a video file name.")
        if info.files and folder.resolve() == info.path.resolve():
            raise VideoError(f"--out {folder} is the input folder: the frames would overwrite their inputs.")
        there = next((p for p in self.paths if p.exists()), None)
        if there is not None and not overwrite:
            raise VideoError(f"{there} exists: give another --out folder, or --overwrite to replace the frames.")

    def open(self) -> contextlib.AbstractContextManager[SequenceWriter]:  # as ClipWriter's
        return contextlib.nullcontext(self)

    def stopped_note(self) -> str:
        return (f"{self.written} of {len(self.paths)} frames are in {self.target}, each file complete; --overwrite "
                "redoes them")

    def write(self, frames: torch.Tensor) -> None:
        for frame in frames:
            try:
                save_image(frame, self.paths[self.written])
            except OSError as exc:
                if not is_disk_full(exc):
                    raise
                kept = (f"{self.written} of {len(self.paths)} frames are in {self.target}, each one whole "
                        "(--overwrite replaces them)")
                written_bytes = sum(path.stat().st_size for path in self.paths[:self.written])
                raise disk_full_error(self.target, self.written, len(self.paths), written_bytes, kept) from exc
            self.written += 1
