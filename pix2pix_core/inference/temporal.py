"""What makes a translated clip flicker, and the semantics that stop it.

The reference's test.py translates each frame with fresh dropout noise and batch-norm statistics of whatever batch
the frame sits in. Here, ``temporal``:

- ``"frame"``: the reference, frame by frame: each frame its own statistics and, with a dropout seed, its own
  dropout masks (frame ``i`` draws with seed ``seed + i``, so the result does not depend on how frames are chunked);
- ``"clip"``: one dropout mask per layer for the whole clip, drawn from the seed and applied to every frame;
  statistics per frame, running (eval), or fixed for the clip (estimated once over frames sampled across it, all
  of them one batch). See :class:`ClipSemantics`.

Both are independent of chunk and batch size: a chunk of 1, 7 or 64 frames gives the same frames.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError
from ..networks.norm import BatchNorm2d

TEMPORAL = ("frame", "clip")
CLIP_STATISTICS = ("per_image", "eval", "clip")  # the frame's own, the running ones, fixed over the clip


def check_temporal(temporal: str, statistics: str, fit: str | None = None) -> None:
    if temporal not in TEMPORAL:
        raise InputError(f"temporal must be one of {', '.join(TEMPORAL)}, got {temporal!r}.")
    if statistics not in CLIP_STATISTICS:
        raise InputError(f"statistics for a clip must be one of {', '.join(CLIP_STATISTICS)}, got {statistics!r}.")
    if statistics == "clip" and temporal != "clip":
        raise InputError("statistics 'clip' (fixed over the clip) is part of temporal 'clip': use them together.")
    if statistics == "clip" and fit == "tiled":
        raise InputError("statistics 'clip' and fit 'tiled' both set how tiles are normalised: choose one.")


Statistics = dict[int, tuple[torch.Tensor, torch.Tensor]]  # BatchNorm layer index -> (mean, variance)


class ClipSemantics:
    """What every frame of a clip shares, applied to whichever network runs (the generator, or the converted copy
    ``translate`` runs from): layers are found by their index in ``modules()`` order, the same in both.

    - ``dropout_seed``: every dropout layer applies one mask, drawn at its first frame from a CPU generator seeded
      with ``(seed, layer index)`` with the shape of one frame's activations, to every frame (broadcast over the
      batch), so every device and every chunking gives the same clip;
    - ``statistics``: BatchNorm normalises every frame with these (see :func:`estimate_statistics`); the network
      must run with per-image statistics, whose place these take;
    - ``record``: instead, each BatchNorm layer takes the mean and variance of its whole input batch and keeps them
      in ``statistics`` (the estimation pass).
    """

    def __init__(self, dropout_seed: int | None = None, statistics: Statistics | None = None,
                 record: bool = False) -> None:
        self.dropout_seed, self.statistics, self.record = dropout_seed, statistics, record
        if record:
            self.statistics = {}
        self._masks: dict[int, torch.Tensor] = {}

    @contextlib.contextmanager
    def applied(self, net: nn.Module) -> Iterator[None]:
        modules = list(net.modules())
        handles, norms = [], []
        if self.dropout_seed is not None:
            handles = [module.register_forward_hook(lambda m, args, out, i=i: self._dropped(i, m, out))
                       for i, module in enumerate(modules) if isinstance(module, nn.Dropout)]
        if self.statistics is not None:
            norms = [(i, module) for i, module in enumerate(modules) if isinstance(module, BatchNorm2d)]
            for i, module in norms:
                module.statistics_hook = lambda m, x, i=i: self._normalised(i, m, x)
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()
            for _, module in norms:
                module.statistics_hook = None

    def _dropped(self, index: int, layer: nn.Dropout, x: torch.Tensor) -> torch.Tensor:
        mask = self._masks.get(index)
        if mask is None or mask.shape[1:] != x.shape[1:]:  # a tile grid's edge tiles have their own shape
            generator = torch.Generator().manual_seed(self.dropout_seed * 1009 + index)
            keep = torch.rand((1, *x.shape[1:]), generator=generator) >= layer.p
            mask = self._masks[index] = keep.float() / (1 - layer.p)
        return x * mask.to(x.device, x.dtype)

    def _normalised(self, index: int, layer: BatchNorm2d, x: torch.Tensor) -> torch.Tensor:
        if self.record:
            self.statistics[index] = (x.float().mean(dim=(0, 2, 3)), x.float().var(dim=(0, 2, 3), unbiased=False))
        mean, var = self.statistics[index]
        return F.batch_norm(x, mean.to(x), var.to(x), layer.weight, layer.bias, False, 0.0, layer.eps)
