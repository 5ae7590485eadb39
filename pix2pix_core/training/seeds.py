"""One seed per draw, mixed from its parts: (seed, epoch) for an epoch's order, (seed, epoch, index) for a jitter.

The parts are hashed (SHA-256), not added: with ``seed + epoch``, seed 2's order would be seed 1's shifted by one
epoch, and adjacent seeds would not be independent runs.
"""

from __future__ import annotations

import hashlib


def mixed_seed(*parts: int) -> int:
    """A 63-bit seed that depends on every part and on their order; no two tuples share one in practice."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1
