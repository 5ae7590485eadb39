"""Normalisation layers as the reference builds them, plus BatchNorm that can use each image's own statistics."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

NORMS = ("batch", "instance", "none")


class BatchNorm2d(nn.BatchNorm2d):
    """``nn.BatchNorm2d`` (same parameters and keys) with a switch for per-image statistics.

    With ``per_image_statistics`` on, each image is normalised with the mean and variance of its own
    activations, as the reference ``test.py`` does by running BatchNorm in training mode on a batch of one,
    but independently of the other images in the batch and without touching the running statistics.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.per_image_statistics = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.per_image_statistics:
            return F.instance_norm(x, weight=self.weight, bias=self.bias, use_input_stats=True, eps=self.eps)
        return super().forward(x)


def norm_layer_factory(norm: str, instance_affine: bool = False) -> Callable[[int], nn.Module]:
    """Return ``channels -> module`` for ``batch`` | ``instance`` | ``none``, as the reference's get_norm_layer."""
    if norm == "batch":
        return lambda channels: BatchNorm2d(channels, affine=True, track_running_stats=True)
    if norm == "instance":
        return lambda channels: nn.InstanceNorm2d(channels, affine=instance_affine, track_running_stats=False)
    if norm == "none":
        return lambda channels: nn.Identity()
    raise ValueError(f"unknown norm {norm!r}: expected one of {', '.join(NORMS)}")
