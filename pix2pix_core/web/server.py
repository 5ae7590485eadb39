"""The page of ``pix2pix draw``: the sketch pad and its live translation, on 127.0.0.1, without ComfyUI.

Standard library only (``http.server``): the page and the pad's files from this folder, ``GET /pix2pix/palettes``,
``GET /pix2pix/models`` and ``POST /pix2pix/live``, the last answered by the same :class:`LiveService` as
ComfyUI's route (newest drawing wins, one forward at a time, on an event loop of its own). The translators on
offer are the weights in one folder and the interactive demo's catalogue, downloaded into that folder when picked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import torch

from ..errors import InputError
from ..imaging.palettes import palettes_json
from ..inference.live import (
    BODY_TOO_LARGE,
    MAX_BODY_BYTES,
    NOT_MULTIPART,
    BodyTooLarge,
    LiveAnswer,
    LiveService,
    UnknownModel,
)
from ..networks import Generator
from ..paths import contained_path
from ..weights.catalogue import DEMO_TRANSLATORS
from ..weights.demo_models import download_demo_translator
from ..weights.directory import CONFIG_FILE
from ..weights.loader import TRANSLATOR_SUFFIXES, load_generator
from . import PAD_FILES

log = logging.getLogger(__name__)
PAGE = "draw.html"
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".html": "text/html; charset=utf-8"}
KEPT_LOADED = 2  # translators kept in memory: the one drawn with, and the one before
DISCARDED_BYTES = 8 * MAX_BODY_BYTES  # an oversized body read away before the 413, at most
LIVE_ANSWER_SECONDS = 600  # a demo translator's download is the longest wait


def multipart_fields(body: bytes, content_type: str) -> dict[str, bytes]:
    """The fields of a multipart/form-data body."""
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLarge(BODY_TOO_LARGE)
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise InputError(NOT_MULTIPART)
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not message.is_multipart():
        raise InputError(NOT_MULTIPART)
    return {part.get_param("name", header="content-disposition") or "": part.get_payload(decode=True) or b""
            for part in message.iter_parts()}


class DrawTranslators:
    """The translators the page offers: weight files and saved folders in ``folder``, and the demo's ``.pict``
    catalogue (a missing one is downloaded there when picked; offline, the error says where to put it)."""

    def __init__(self, folder: Path, device: torch.device | str = "cpu") -> None:
        self.folder = folder
        self.device = device
        self._loaded: OrderedDict[tuple, Generator] = OrderedDict()
        self._lock = threading.Lock()
        self._demo = {entry.file: entry for entry in DEMO_TRANSLATORS}

    def local(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(path.name for path in self.folder.iterdir()
                      if (path.is_file() and path.suffix.lower() in TRANSLATOR_SUFFIXES)
                      or (path.is_dir() and (path / CONFIG_FILE).is_file()))

    def listing(self) -> list[dict]:
        local = self.local()
        missing = [name for name in self._demo if name not in local]
        return ([{"name": name, "available": True, "about": self._about(name)} for name in local]
                + [{"name": name, "available": False, "about": f"{self._about(name)} (downloaded when picked)"}
                   for name in missing])

    def _about(self, name: str) -> str:
        entry = self._demo.get(name)
        return f"the demo's {entry.name}: {entry.task}" if entry else name

    def opener(self, name: str) -> Callable[[], Generator]:
        """Checks ``name`` now; the returned function loads (or downloads) it, in the live worker thread."""
        path = contained_path(self.folder, name, what="model")
        if name not in self._demo and name not in self.local():
            raise UnknownModel(f"no translator {name!r} in {self.folder}: pick one the page lists.")
        return lambda: self.load(path)

    def load(self, path: Path) -> Generator:
        with self._lock:
            if not path.exists() and path.name in self._demo:
                download_demo_translator(self._demo[path.name].name, self.folder)
            key = (str(path), path.stat().st_mtime_ns)
            if key not in self._loaded:
                self._loaded[key] = load_generator(path, device=self.device).eval()
                while len(self._loaded) > KEPT_LOADED:
                    self._loaded.popitem(last=False)
            self._loaded.move_to_end(key)
            return self._loaded[key]


class DrawServer(ThreadingHTTPServer):
    """The page's HTTP server; ``serve_forever()`` serves until interrupted."""

    daemon_threads = True

    def __init__(self, translators: DrawTranslators, selected: str, palette: str, port: int = 0) -> None:
        self.translators = translators
        self.settings = {"selected": selected, "palette": palette}
        self.live = LiveService(translators.opener)
        self.loop = asyncio.new_event_loop()
        super().__init__(("127.0.0.1", port), DrawRequest)  # a port already taken raises here
        threading.Thread(target=self.loop.run_forever, name="pix2pix-live", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def answer_live(self, fields: dict[str, bytes], remote: str) -> LiveAnswer:
        future = asyncio.run_coroutine_threadsafe(self.live.answer(fields, remote), self.loop)
        return future.result(timeout=LIVE_ANSWER_SECONDS)

    def server_close(self) -> None:
        super().server_close()
        self.loop.call_soon_threadsafe(self.loop.stop)


class DrawRequest(BaseHTTPRequestHandler):
    server: DrawServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        log.debug(format, *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, value: object, status: int = 200) -> None:
        self._send(status, json.dumps(value).encode(), "application/json; charset=utf-8")

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = self.path.split("?", 1)[0]
        if path == "/pix2pix/palettes":
            return self._json(palettes_json())
        if path == "/pix2pix/models":
            return self._json({"models": self.server.translators.listing(), **self.server.settings})
        file = self._static_file(PAGE if path == "/" else path.removeprefix("/pix2pix/web/"))
        if file is None or not (path == "/" or path.startswith("/pix2pix/web/")):
            return self._json({"error": f"nothing at {path}: the page is at /."}, HTTPStatus.NOT_FOUND)
        self._send(200, file.read_bytes(), STATIC_TYPES[file.suffix])

    @staticmethod
    def _static_file(name: str) -> Path | None:
        try:
            file = contained_path(PAD_FILES, name, what="file")
        except InputError:
            return None
        return file if file.suffix in STATIC_TYPES and file.is_file() else None

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        if self.path != "/pix2pix/live":
            return self._json({"error": "POST only to /pix2pix/live."}, HTTPStatus.NOT_FOUND)
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            return self._respond(LiveAnswer.error("send the request with a Content-Length.", 411))
        if int(length) > MAX_BODY_BYTES:
            self._discard(int(length))
            return self._respond(LiveAnswer.error(BODY_TOO_LARGE, 413))
        body = self.rfile.read(int(length))
        try:
            fields = multipart_fields(body, self.headers.get("Content-Type", ""))
        except InputError as exc:
            return self._respond(LiveAnswer.error(str(exc), 400))
        self._respond(self.server.answer_live(fields, self.client_address[0]))

    def _discard(self, length: int) -> None:
        """Reads an oversized body away in chunks (so the client hears the answer); a huge one is cut off."""
        self.close_connection = True
        left = min(length, DISCARDED_BYTES)
        while left > 0 and (chunk := self.rfile.read(min(left, 2**20))):
            left -= len(chunk)

    def _respond(self, answer: LiveAnswer) -> None:
        self._send(answer.status, answer.body, answer.content_type)
