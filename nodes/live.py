"""The sketch pad's routes on ComfyUI's server.

- ``POST /pix2pix/live``: a drawing translated on the spot, outside the queue. Multipart fields: ``model`` (a
  translator as Pix2Pix Load Model lists it under models/pix2pix), ``image`` (the canvas as PNG) and optionally
  ``client`` (an id per drawing surface). The answer is ``image/png``, or JSON ``{"error": ...}`` with a 4xx
  status: 400 a bad field or name, 404 an unknown model, 413 a body or a canvas over the limits, 415 not a PNG,
  409 a drawing a newer one replaced, 429 too many clients. Translators come from Load Model's cache; nothing is
  written anywhere. The logic is the core's :class:`LiveService`, which ``pix2pix draw`` serves too.
- ``GET /pix2pix/palettes`` and ``GET /pix2pix/models``: the pad's colours, and the translators live mode offers.
- ``/pix2pix/web/``: the pad's own files (pix2pix_core/web), which web/sketch.js imports.
"""

from __future__ import annotations

from aiohttp import web

from ..pix2pix_core.errors import InputError
from ..pix2pix_core.imaging.palettes import palettes_json
from ..pix2pix_core.inference.live import (
    BODY_TOO_LARGE,
    MAX_BODY_BYTES,
    NOT_MULTIPART,
    LiveAnswer,
    LiveService,
    UnknownModel,
)
from ..pix2pix_core.paths import contained_path
from ..pix2pix_core.web import PAD_FILES
from .models import NONE, load_local, local_choices, model_dir

ROUTE = "/pix2pix/live"


def _open_local(name: str):
    contained_path(model_dir(), name, what="model", nested=True)  # no '..', no absolute path, no control character
    if name not in local_choices() or name == NONE:
        raise UnknownModel(f"no translator {name!r} under models/pix2pix: give a name as Pix2Pix Load Model lists "
                           "it (for a folder, its model.safetensors).")

    def generator():
        model = load_local(name)
        model.load()
        return model.generator

    return generator


_SERVICE = LiveService(_open_local)


def register_live_routes(routes: web.RouteTableDef) -> None:
    routes.post(ROUTE)(live_translation)
    routes.get("/pix2pix/palettes")(list_palettes)
    routes.get("/pix2pix/models")(list_translators)
    routes.static("/pix2pix/web", PAD_FILES)


def _respond(answer: LiveAnswer) -> web.Response:
    return web.Response(status=answer.status, body=answer.body, headers={"Content-Type": answer.content_type})


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


async def live_translation(request: web.Request) -> web.Response:
    try:
        fields = await _fields(request)
    except web.HTTPRequestEntityTooLarge:
        return _respond(LiveAnswer.error(BODY_TOO_LARGE, 413))
    except (ValueError, AssertionError, KeyError, InputError):  # aiohttp's answers to a body that is not multipart
        return _respond(LiveAnswer.error(NOT_MULTIPART, 400))
    return _respond(await _SERVICE.answer(fields, str(request.remote)))


async def list_palettes(_: web.Request) -> web.Response:
    return web.json_response(palettes_json())


async def list_translators(_: web.Request) -> web.Response:
    models = [{"name": name, "available": True} for name in local_choices() if name != NONE]
    return web.json_response({"models": models})
