"""Large CPU activations reused within a translation instead of mapped afresh for each layer (glibc's malloc).

glibc serves every allocation of 32 MiB or more with a fresh ``mmap``, so each large activation of a forward is
faulted in (and zeroed by the kernel) page by page as its layer writes it, and unmapped when freed: on these
2-core machines 0.6 ms per MiB, more than normalising the activation takes. While a translation goes on,
``reusing_allocations`` raises the mmap threshold so that large blocks come from the heap and go back to it, where
the next layer finds them already mapped. The peak grows by the heap's holes: the engine reuses only where its
memory budget has room for that (``inference.memory.HEAP_REUSE_OVERHEAD``). Afterwards it sets the thresholds
glibc's own dynamic tuning settles at after large frees (glibc has no getter for the ones in force) and gives the
free heap back to the system (``malloc_trim``), so the process does not keep the work's peak. Elsewhere than glibc
it does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import platform
import threading
from collections.abc import Iterator

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
REUSE_UP_TO = 1 << 30  # blocks up to 1 GiB come from the heap while a translation runs
SETTLED_MMAP_THRESHOLD = 32 << 20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: where its dynamic threshold stops
SETTLED_TRIM_THRESHOLD = 2 * SETTLED_MMAP_THRESHOLD  # the trim threshold glibc pairs with it

_lock = threading.Lock()
_users = 0


def _glibc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")  # glibc's soname on every Linux architecture (find_library runs ldconfig)
    except OSError:
        return None


_LIBC = _glibc()


@contextlib.contextmanager
def reusing_allocations() -> Iterator[bool]:
    """Large allocations reused from the heap for the ``with`` block (re-entrant, thread-safe: the first block in
    sets the thresholds, the last one out restores them and trims). Yields whether glibc took the setting."""
    global _users
    with _lock:
        _users += 1
        active = _LIBC is not None and (_users > 1 or bool(_LIBC.mallopt(M_MMAP_THRESHOLD, REUSE_UP_TO)))
        if active and _users == 1:
            _LIBC.mallopt(M_TRIM_THRESHOLD, 2 * REUSE_UP_TO)
    try:
        yield active
    finally:
        with _lock:
            _users -= 1
            if active and _users == 0:
                _LIBC.mallopt(M_MMAP_THRESHOLD, SETTLED_MMAP_THRESHOLD)
                _LIBC.mallopt(M_TRIM_THRESHOLD, SETTLED_TRIM_THRESHOLD)
                _LIBC.malloc_trim(0)
