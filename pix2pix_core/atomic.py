"""Atomic writes. A file: a temp file in the target's directory, fsync, then rename over the target. A folder:
a fresh sibling folder swapped in by renames (:func:`write_folder`).

The temp file is created as ``open()`` would create the target (mode 0o666 less the umask, applied by the kernel),
so written files get the permissions the user expects rather than ``mkstemp``'s private 0o600.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` in one rename, on error it is removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = _create_temp(target)
    mode = stat.S_IMODE(tmp_path.stat().st_mode)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        if stat.S_IMODE(tmp_path.stat().st_mode) != mode:  # a writer that replaced the file (safetensors: 0600)
            os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def _create_temp(target: Path) -> Path:
    """A new, empty, uniquely named file beside ``target`` (O_EXCL: never an existing file or a symlink)."""
    for _ in range(100):
        candidate = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"could not create a temporary file beside {target}")


def atomic_write_text(target: str | os.PathLike, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_folder(target: str | os.PathLike, build: Callable[[Path], None]) -> Path:
    """Write a folder all-or-nothing: ``build`` fills a fresh sibling, which then replaces ``target``.

    Sequence: ``.NAME.tmp`` is built; renamed ``.NAME.new`` once complete; the old ``NAME`` moves to ``.NAME.old``;
    ``.NAME.new`` becomes ``NAME``; ``.NAME.old`` is removed. A kill at any instant leaves a whole version at
    ``NAME`` or at ``.NAME.new`` / ``.NAME.old``, which :func:`readable_folder` finds and :func:`recover_folder`
    puts back. A failing ``build`` leaves ``target`` untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp, new, old = _swap_siblings(target)
    recover_folder(target)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        build(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.replace(tmp, new)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def recover_folder(target: str | os.PathLike) -> None:
    """Finish or undo a :func:`write_folder` swap that a kill interrupted (nothing to do after a clean one)."""
    target = Path(target)
    tmp, new, old = _swap_siblings(target)
    if not target.exists():
        for candidate in (new, old):  # the newest whole version
            if candidate.is_dir():
                os.replace(candidate, target)
                break
    for leftover in (tmp, new, old):
        shutil.rmtree(leftover, ignore_errors=True)


def readable_folder(target: str | os.PathLike) -> Path:
    """Where a whole version of ``target`` is to be read, without writing: itself, or the sibling a kill left."""
    target = Path(target)
    if target.exists():
        return target
    _, new, old = _swap_siblings(target)
    return next((candidate for candidate in (new, old) if candidate.is_dir()), target)


def _swap_siblings(target: Path) -> tuple[Path, Path, Path]:
    return tuple(target.with_name(f".{target.name}.{kind}") for kind in ("tmp", "new", "old"))


def is_disk_full(exc: BaseException) -> bool:
    """A write that failed for want of space (Python's, FFmpeg's or a C++ writer's error)."""
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc)


def free_space(path: str | os.PathLike) -> int:
    """Bytes free on the disk that holds ``path`` (or would: its nearest existing parent)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"
