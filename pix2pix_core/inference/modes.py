"""Inference semantics: which normalisation statistics a network uses, and whether dropout is on.

- ``"eval"``: running statistics (``model.eval()``), deterministic.
- ``"per_image"``: BatchNorm normalises each image with its own statistics, as the reference ``test.py`` does
  (it never calls ``eval()``), but independently of the rest of the batch. Deterministic unless a dropout seed
  is given, in which case dropout stays on and its masks are drawn from a generator seeded with it — exactly
  the reference's stochastic test-time output for ``torch.manual_seed(seed)`` before the forward.

InstanceNorm networks behave the same in both modes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from ..errors import InputError
from ..networks.norm import NO_STATISTICS, BatchNorm2d, InstanceNorm2d

STATISTICS = ("eval", "per_image")


def statistics_of(net: nn.Module, statistics: str) -> str:
    """The statistics mode that means something for ``net``: ``statistics`` with BatchNorm, else "none"."""
    return statistics if any(isinstance(m, BatchNorm2d) for m in net.modules()) else NO_STATISTICS


@contextlib.contextmanager
def inference_statistics(net: nn.Module, statistics: str = "per_image",
                         dropout_seed: int | None = None) -> Iterator[nn.Module]:
    """Put ``net`` in the requested inference mode for the ``with`` block; restore it afterwards.

    The global RNG is left as it was: the seeded dropout draws happen inside ``torch.random.fork_rng``.
    """
    if statistics not in STATISTICS:
        raise InputError(f"statistics must be one of {', '.join(STATISTICS)}, got {statistics!r}.")
    was_training = {m: m.training for m in net.modules()}
    norms = [m for m in net.modules() if isinstance(m, BatchNorm2d)]
    net.eval()
    for m in norms:
        m.per_image_statistics = statistics == "per_image"
    devices = []
    if dropout_seed is not None:
        for m in net.modules():
            if isinstance(m, nn.Dropout):
                m.train()
        devices = sorted({p.device.index or 0 for p in net.parameters() if p.device.type == "cuda"})
    try:
        with torch.random.fork_rng(devices=devices, enabled=dropout_seed is not None):
            if dropout_seed is not None:
                torch.manual_seed(dropout_seed)
            yield net
    finally:
        for m in norms:
            m.per_image_statistics = False
        for m, mode in was_training.items():
            m.training = mode


@contextlib.contextmanager
def normalising_in_place(net: nn.Module) -> Iterator[nn.Module]:
    """Let ``net``'s norms normalise their input in its own memory for the ``with`` block (see ``networks.norm``):
    only for this package's networks, where each norm reads a convolution's output that nothing else reads."""
    norms = [m for m in net.modules() if isinstance(m, (BatchNorm2d, InstanceNorm2d))]
    before = [m.in_place for m in norms]
    for m in norms:
        m.in_place = True
    try:
        yield net
    finally:
        for m, flag in zip(norms, before):
            m.in_place = flag
