"""Downloading the interactive demo's .pict translators from GitHub, pinned to a commit and checked against the
file's git blob id, with the same bounded timeout as every Hub call; nothing partial is kept."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from ..atomic import atomic_path
from ..errors import HubError
from ..hub_client import first_line, offline, timeout
from ..paths import contained_path
from .catalogue import DEMO_MODELS_COMMIT, DEMO_MODELS_REPO, DEMO_TRANSLATORS, DemoTranslator

BASE_URL_VARIABLE = "PIX2PIX_DEMO_MODELS_URL"  # a mirror of the repo's files (default: GitHub's raw files)
CHUNK = 1 << 20


def demo_translator(name: str) -> DemoTranslator:
    known = {entry.name: entry for entry in DEMO_TRANSLATORS}
    if name not in known:
        raise HubError(f"no demo translator {name!r}: the demo has {', '.join(known)}.")
    return known[name]


def demo_url(entry: DemoTranslator) -> str:
    base = os.environ.get(BASE_URL_VARIABLE, f"https://raw.githubusercontent.com/{DEMO_MODELS_REPO}/"
                                             f"{DEMO_MODELS_COMMIT}")
    return f"{base.rstrip('/')}/{entry.file}"


def git_blob_id(path: Path) -> str:
    """What ``git hash-object`` prints for the file: sha1 of ``blob <size>\\0`` and the bytes."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download_demo_translator(name: str, folder: str | os.PathLike = ".") -> Path:
    """``folder/<file>.pict`` for the demo translator ``name`` (already there and intact: kept as it is)."""
    entry = demo_translator(name)
    target, url = contained_path(folder, entry.file, what="file"), demo_url(entry)
    by_hand = f"Download {url} by hand and put it at {target} (then load that file)."
    if target.is_file():
        if git_blob_id(target) == entry.blob:
            return target
        raise HubError(f"{target} exists and is not the pinned {entry.file}: it is left as it is. Move it away, or "
                       "download into another folder.")
    if offline():
        raise HubError(f"offline (HF_HUB_OFFLINE) and {target} is not there. {by_hand}")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(target) as tmp:
            with urllib.request.urlopen(url, timeout=timeout()) as response, open(tmp, "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
            if git_blob_id(Path(tmp)) != entry.blob:
                raise HubError(f"{url} did not give the file pinned at commit {DEMO_MODELS_COMMIT[:7]} (its git blob "
                               f"id differs): nothing was kept. {by_hand}")
    except (urllib.error.URLError, OSError) as exc:
        if isinstance(exc, HubError):
            raise
        raise HubError(f"could not download {url} ({type(exc).__name__}: {first_line(exc)}). Nothing partial was "
                       f"kept. Check the network connection, or raise PIX2PIX_HUB_TIMEOUT. {by_hand}") from exc
    return target
