"""Live translation of a drawing: a PNG in, a PNG out, deterministic, and only the newest drawing of each client.

What the sketch pad's live route and ``pix2pix draw`` run. The PNG is checked from its header before anything is
decoded (a header may claim any size); the translation is ``translate`` with per-image statistics and a fixed
dropout seed, so the same drawing always gives the same picture. :class:`NewestWins` keeps at most one
translation per client in flight and drops a drawing a newer one overtook while it waited: a fast pen never builds
a queue, and a bounded number of clients keeps one from starving the others.
"""

from __future__ import annotations

import asyncio
import io
import struct
from collections.abc import Callable
from typing import TypeVar

import torch

from ..errors import InputError, Pix2PixError
from ..imaging.files import load_image, to_pil
from ..networks import Generator
from .colorize import colorize
from .translate import translate

LIVE_STATISTICS = "per_image"  # the reference's test-time BatchNorm, independent of anything else in flight
LIVE_DROPOUT_SEED = 0  # dropout as the reference runs it, with a fixed seed: one drawing, one picture
MAX_LIVE_SIDE = 2048  # the sketch pad's largest canvas
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

T = TypeVar("T")


class NotPng(InputError):
    """The body is not a PNG image."""


class ImageTooLarge(InputError):
    """The PNG's header claims more pixels than a live canvas has."""


class Superseded(InputError):
    """A newer drawing from the same client arrived while this one waited: it was dropped, not translated."""


class Busy(Pix2PixError):
    """Too many clients are drawing at once."""


def png_size(data: bytes, max_side: int = MAX_LIVE_SIDE) -> tuple[int, int]:
    """``(width, height)`` from a PNG's IHDR chunk, checked against ``max_side`` before any pixel is decoded."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise NotPng("the image is not a PNG: send the canvas as PNG bytes (image/png).")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= max_side and 0 < height <= max_side):
        raise ImageTooLarge(f"the PNG claims {width}x{height} pixels; a live canvas is at most {max_side}x"
                            f"{max_side}: draw on a smaller canvas.")
    return width, height


def translate_png(generator: Generator, data: bytes, max_side: int = MAX_LIVE_SIDE) -> bytes:
    """The translation of a PNG drawing as PNG bytes (RGB, 8 bits); a colorizer colours it."""
    png_size(data, max_side)
    image = load_image(data, name="the drawing")[None].to(next(generator.parameters()).device)
    run = colorize if generator.io.output_space == "lab_ab" else translate
    with torch.inference_mode():
        result = run(generator, image, statistics=LIVE_STATISTICS, dropout_seed=LIVE_DROPOUT_SEED)[0]
    buffer = io.BytesIO()
    to_pil(result.cpu()).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


class NewestWins:
    """Per client, one translation at a time and only the newest drawing; forwards run one at a time in a worker
    thread (so the event loop keeps serving); at most ``max_clients`` clients wait at once."""

    def __init__(self, max_clients: int = 8) -> None:
        self.max_clients = max_clients
        self._newest: dict[str, int] = {}
        self._waiting: dict[str, int] = {}
        self._forward = asyncio.Lock()

    async def run(self, client: str, work: Callable[[], T]) -> T:
        if client not in self._waiting and len(self._waiting) >= self.max_clients:
            raise Busy(f"{self.max_clients} clients are drawing at once: try again in a moment.")
        ticket = self._newest.get(client, 0) + 1
        self._newest[client] = ticket
        self._waiting[client] = self._waiting.get(client, 0) + 1
        try:
            async with self._forward:
                if self._newest[client] != ticket:
                    raise Superseded("a newer drawing from this client arrived: this one was dropped.")
                return await asyncio.to_thread(work)
        finally:
            self._waiting[client] -= 1
            if not self._waiting[client]:
                del self._waiting[client]
                self._newest.pop(client, None)
