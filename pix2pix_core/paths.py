"""The one function that turns a user-given (or server-given) name into a path under a folder, proven inside it.

Used by every writer whose path comes from outside the program: ComfyUI nodes' name fields, Hub repo folders,
revision refs in the Hub cache. The name is refused, not repaired: what is checked is exactly what is used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from .errors import InputError

DRIVE = re.compile(r"^[A-Za-z]:")
RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$", re.IGNORECASE)  # Windows device names


def contained_path(root: str | os.PathLike, name: str, *, what: str = "name", nested: bool = False) -> Path:
    """``root / name``, resolved, after proving that it lies strictly inside ``root``.

    Refused: empty names, NUL and control characters, absolute paths, drive letters, backslashes, ``.`` and ``..``
    components, components with leading or trailing spaces or trailing dots, Windows device names, and (unless
    ``nested``) any ``/``. Symbolic links are resolved before the containment check.
    """
    if not isinstance(name, str) or not name:
        raise InputError(f"the {what} is empty: give a plain folder name such as 'my-translator'.")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InputError(f"the {what} {name!r} contains control characters (NUL, newline, ...): use letters, digits, "
                         "'-', '_' and '.'.")
    if "\\" in name or DRIVE.match(name) or name.startswith("/"):
        raise InputError(f"the {what} {name!r} is a path: give a plain name, which is placed under {root}.")
    parts = PurePosixPath(name).parts if nested else (name,)
    if not nested and "/" in name:
        raise InputError(f"the {what} {name!r} contains '/': give a plain folder name, which is placed under {root}.")
    for part in parts:
        if part in (".", "..") or part != part.strip() or part.endswith(".") or RESERVED.match(part) or not part:
            raise InputError(f"the {what} {name!r} has a component {part!r} that is not a plain name (no '.', '..', "
                             "leading or trailing spaces, trailing dots or device names).")
    if nested and (name.endswith("/") or "//" in name):
        raise InputError(f"the {what} {name!r} has an empty component.")
    base = Path(root).resolve()
    path = (base / name).resolve()
    if path == base or base not in path.parents:
        raise InputError(f"the {what} {name!r} leads outside {base}: give a plain name inside it.")
    return path
