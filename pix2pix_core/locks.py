"""An exclusive lock on a training output folder, so that two runs never write the same checkpoint.

The lock is an OS file lock (``flock``; ``msvcrt`` on Windows) on ``OUT/.lock``: the system releases it when the
process ends in any way, so the lock of a killed run is simply taken over. The file records who holds it, for
the message the second run gets.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from .errors import Pix2PixError

LOCK_FILE = ".lock"

try:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
except ImportError:  # Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True


class FolderInUse(Pix2PixError):
    """Another live process is training into the same folder."""


class FolderLock:
    """``with FolderLock(out): ...`` or acquire()/release(); re-entrant within one holder."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.path = Path(folder) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        if not _try_lock(fd):
            holder = self._holder(fd)
            os.close(fd)
            raise FolderInUse(f"{self.path.parent} is being written by another training ({holder}). Wait for it to "
                              "finish or stop it, or train into another folder.")
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock; the file stays (removing it would race a new holder)
            self._fd = None

    close = release  # for contextlib.closing

    def __del__(self) -> None:  # a holder dropped without release (a trainer built but never run)
        self.release()

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return f"process {int(info['pid'])} on {str(info['host'])[:64]}, since {str(info['since'])[:20]}"
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return "a process that did not say which"

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
