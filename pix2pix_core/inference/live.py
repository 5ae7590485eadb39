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
import json
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
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
MAX_BODY_BYTES = 8 * 2**20  # a 2048x2048 RGBA canvas as PNG is well under this
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
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


class UnknownModel(InputError):
    """The request names a translator the server does not have."""


class BodyTooLarge(InputError):
    """The request is over :data:`MAX_BODY_BYTES`."""


BODY_TOO_LARGE = f"the request is over {MAX_BODY_BYTES // 2**20} MiB: send the canvas alone, as PNG."
NOT_MULTIPART = "send multipart/form-data with the fields 'model' and 'image' (PNG)."
STATUS = {NotPng: 415, ImageTooLarge: 413, BodyTooLarge: 413, Superseded: 409, Busy: 429, UnknownModel: 404}


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


@dataclass(frozen=True)
class LiveAnswer:
    status: int
    body: bytes
    content_type: str = "image/png"

    @classmethod
    def error(cls, message: str, status: int) -> LiveAnswer:
        return cls(status, json.dumps({"error": message}).encode(), "application/json; charset=utf-8")


class LiveService:
    """The live route for any HTTP server: the request's fields in, an answer out.

    ``open_model(name)`` checks a translator's name (a bad one raises :class:`InputError`, an unknown one
    :class:`UnknownModel`) and returns a function giving its generator, called in the worker thread (loading may
    take a while). Fields: ``model``, ``image`` (PNG) and optionally ``client`` (one id per drawing surface; default:
    the caller's address).
    """

    def __init__(self, open_model: Callable[[str], Callable[[], Generator]], max_clients: int = 8) -> None:
        self.open_model = open_model
        self.newest = NewestWins(max_clients)

    async def answer(self, fields: dict[str, bytes], remote: str) -> LiveAnswer:
        try:
            generator = self.open_model(fields.get("model", b"").decode("utf-8", errors="replace").strip())
            if "image" not in fields:
                return LiveAnswer.error("the field 'image' (the canvas as PNG) is missing.", 400)
            client = fields.get("client", b"").decode("utf-8", errors="replace") or remote
            if not CLIENT_ID.match(client):
                return LiveAnswer.error("'client' must be 1-64 letters, digits, '.', '_', ':' or '-'.", 400)
            png_size(fields["image"])  # refused before it waits for a turn
            body = await self.newest.run(client, lambda: translate_png(generator(), fields["image"]))
        except Pix2PixError as exc:
            return LiveAnswer.error(str(exc), STATUS.get(type(exc), 400))
        return LiveAnswer(200, body)

