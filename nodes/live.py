"""``POST /pix2pix/live``: a drawing translated on the spot, outside the queue (the sketch pad's live mode).

Multipart fields: ``model`` (a translator as Pix2Pix Load Model lists it under models/pix2pix), ``image`` (the
canvas as PNG) and optionally ``client`` (an id per drawing surface; default: the caller's address). The answer
is ``image/png``, or JSON ``{"error": ...}`` with a 4xx status: 400 a bad field or name, 404 an unknown model,
413 a body or a canvas over the limits, 415 not a PNG, 409 a drawing a newer one replaced, 429 too many clients.
Translators come from Load Model's cache; nothing is written anywhere.
"""

from __future__ import annotations

import re

from aiohttp import web

from ..pix2pix_core.errors import Pix2PixError
from ..pix2pix_core.inference.live import Busy, ImageTooLarge, NewestWins, NotPng, Superseded, translate_png
from ..pix2pix_core.paths import contained_path
from .models import load_local, local_choices, model_dir

ROUTE = "/pix2pix/live"
MAX_BODY_BYTES = 8 * 2**20  # a 2048x2048 RGBA canvas as PNG is well under this
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
STATUS = {NotPng: 415, ImageTooLarge: 413, Superseded: 409, Busy: 429}
_NEWEST = NewestWins()


def register_live_route(routes: web.RouteTableDef) -> None:
    routes.post(ROUTE)(live_translation)


def _error(message: str, status: int) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _fields(request: web.Request) -> dict[str, bytes]:
    """The multipart fields, read with the body limit enforced as they arrive."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY_BYTES, actual_size=request.content_length)
    fields, total = {}, 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        chunks = []
        while chunk := await part.read_chunk():
            total += len(chunk)
            if total > MAX_BODY_BYTES:
                raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY_BYTES, actual_size=total)
            chunks.append(chunk)
        fields[part.name or ""] = b"".join(chunks)
    return fields


def _model_name(fields: dict[str, bytes]) -> str:
    name = fields.get("model", b"").decode("utf-8", errors="replace").strip()
    contained_path(model_dir(), name, what="model", nested=True)  # no '..', no absolute path, no control character
    return name


async def live_translation(request: web.Request) -> web.Response:
    try:
        fields = await _fields(request)
    except web.HTTPRequestEntityTooLarge:
        return _error(f"the request is over {MAX_BODY_BYTES // 2**20} MiB: send the canvas alone, as PNG.", 413)
    except (ValueError, AssertionError, KeyError):  # aiohttp's answers to a body that is not multipart
        return _error("send multipart/form-data with the fields 'model' and 'image' (PNG).", 400)
    try:
        name = _model_name(fields)
        if "image" not in fields:
            return _error("the field 'image' (the canvas as PNG) is missing.", 400)
        if name not in local_choices():
            return _error(f"no translator {name!r} under models/pix2pix: give a name as Pix2Pix Load Model lists "
                          "it (for a folder, its model.safetensors).", 404)
        client = fields.get("client", b"").decode("utf-8", errors="replace") or str(request.remote)
        if not CLIENT_ID.match(client):
            return _error("'client' must be 1-64 letters, digits, '.', '_', ':' or '-'.", 400)
        model = load_local(name)

        def work() -> bytes:
            model.load()
            return translate_png(model.generator, fields["image"])

        body = await _NEWEST.run(client, work)
    except Pix2PixError as exc:
        return _error(str(exc), STATUS.get(type(exc), 400))
    return web.Response(body=body, content_type="image/png")
