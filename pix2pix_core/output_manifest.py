"""Which files in an output folder this project wrote: the record that lets a rerun replace its own outputs and
nothing else.

``OUT/.pix2pix-outputs.jsonl`` gets one line per file written (its path relative to ``OUT``, size and modification
time), appended as each file is finished. A file counts as ours only while its size and time still match the last
line about it: a file the user put there, or replaced by hand since, is theirs and is never overwritten unasked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import InputError
from .paths import contained_path

MANIFEST_FILE = ".pix2pix-outputs.jsonl"


class OutputManifest:
    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.path = self.folder / MANIFEST_FILE
        self._records = self._read()

    def _read(self) -> dict[str, tuple[int, int]]:
        records = {}
        if not self.path.is_file():
            return records
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                item = json.loads(line)
                contained_path(self.folder, item["path"], what="recorded output", nested=True)
                records[item["path"]] = (int(item["size"]), int(item["mtime_ns"]))
            except (ValueError, KeyError, TypeError, InputError):  # cut short by a kill, or not a path inside
                continue  # the folder: that file is not known as ours
        return records

    def _key(self, path: Path) -> str | None:
        try:
            return Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(self.folder))).as_posix()
        except ValueError:
            return None

    def is_ours(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` (inside the folder) is a file this project wrote and nobody changed since."""
        key = self._key(Path(path))
        if key is None or key not in self._records or not Path(path).is_file():
            return False
        stat = Path(path).stat()
        return self._records[key] == (stat.st_size, stat.st_mtime_ns)

    def ours(self) -> set[Path]:
        """The resolved paths of every file that is still ours."""
        return {(self.folder / key).resolve() for key in self._records if self.is_ours(self.folder / key)}

    def record(self, path: str | os.PathLike) -> None:
        """Note that ``path`` was just written by us (appended at once: a kill loses at most this line)."""
        key = self._key(Path(path))
        if key is None:
            return
        stat = Path(path).stat()
        self._records[key] = (stat.st_size, stat.st_mtime_ns)
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"path": key, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}) + "\n")
