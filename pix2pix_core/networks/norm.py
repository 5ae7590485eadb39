"""Normalisation layers as the reference builds them, with two inference switches.

Same parameters and state-dict keys as ``nn.BatchNorm2d`` / ``nn.InstanceNorm2d``. The inference switches:

- ``BatchNorm2d.per_image_statistics``: normalise each image with its own statistics, as the reference
  ``test.py`` does by running BatchNorm in training mode on a batch of one, but image by image (so the result
  does not depend on the rest of the batch) and without touching the running statistics;
- ``statistics_hook``: a callable ``(module, x) -> y`` that takes over normalisation wherever the layer would use
  the statistics of its input (InstanceNorm always, BatchNorm with per-image statistics). Tiled translation uses
  it to normalise every tile with the statistics of the whole image;
- ``in_place``: without autograd, on the CPU, normalise a float32/float64 input with its own statistics in its
  own memory (the batch-norm kernel writing over its input: the same arithmetic, bit for bit, without allocating
  and filling a new activation, which on the CPU costs more than the normalisation). The translation engine sets
  it while it runs a network of this package, where every norm's input is a convolution's fresh output that
  nothing else reads.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError

NORMS = ("batch", "instance", "none")
NO_STATISTICS = "none"  # the statistics mode of a network without BatchNorm: instance norm (or none) has no modes
StatisticsHook = Callable[[nn.Module, torch.Tensor], torch.Tensor]


class BatchNorm2d(nn.BatchNorm2d):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.per_image_statistics = False
        self.statistics_hook: StatisticsHook | None = None
        self.in_place = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.per_image_statistics:
            return super().forward(x)
        if self.statistics_hook is not None:
            return self.statistics_hook(self, x)
        if _can_normalise_in_place(self, x):
            for i in range(x.shape[0]):
                _normalise_in_place(x[i:i + 1], self.weight, self.bias, self.eps)
            return x
        # One image at a time through the BatchNorm kernel: the reference's batch-of-one numerics, fast in
        # channels_last, and independent of the other images.
        images = [F.batch_norm(x[i:i + 1], None, None, self.weight, self.bias, True, 0.0, self.eps)
                  for i in range(x.shape[0])]
        return images[0] if len(images) == 1 else torch.cat(images)


class InstanceNorm2d(nn.InstanceNorm2d):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.statistics_hook: StatisticsHook | None = None
        self.in_place = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.statistics_hook is not None and not self.track_running_stats:
            return self.statistics_hook(self, x)
        # NCHW only: [1, B * C, H, W] is then a view, and the kernel F.instance_norm runs (channels_last has another)
        if not self.track_running_stats and x.dim() == 4 and x.is_contiguous() and _can_normalise_in_place(self, x):
            batch, channels = x.shape[:2]
            weight, bias = (self.weight.repeat(batch), self.bias.repeat(batch)) if self.affine else (None, None)
            _normalise_in_place(x.view(1, batch * channels, *x.shape[2:]), weight, bias, self.eps)
            return x
        return super().forward(x)


def _can_normalise_in_place(module: nn.Module, x: torch.Tensor) -> bool:
    contiguous = x.is_contiguous() or x.is_contiguous(memory_format=torch.channels_last)
    return (module.in_place and not torch.is_grad_enabled() and x.device.type == "cpu"
            and x.dtype in (torch.float32, torch.float64) and contiguous and x.numel() > 0)


def _normalise_in_place(x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None,
                        eps: float) -> None:
    """Batch normalisation of ``x`` (its whole batch as one) with its own statistics, written over ``x``."""
    unused = x.new_empty(0), x.new_empty(0)
    torch.ops.aten.native_batch_norm.out(x, weight, bias, None, None, True, 0.0, eps, out=x, save_mean=unused[0],
                                         save_invstd=unused[1])


def uses_input_statistics(module: nn.Module) -> bool:
    """Whether ``module`` currently normalises with the statistics of its input (and so accepts a hook)."""
    if isinstance(module, BatchNorm2d):
        return module.per_image_statistics
    return isinstance(module, InstanceNorm2d) and not module.track_running_stats


def norm_layer_factory(norm: str, instance_affine: bool = False) -> Callable[[int], nn.Module]:
    """Return ``channels -> module`` for ``batch`` | ``instance`` | ``none``, as the reference's get_norm_layer."""
    if norm == "batch":
        return lambda channels: BatchNorm2d(channels, affine=True, track_running_stats=True)
    if norm == "instance":
        return lambda channels: InstanceNorm2d(channels, affine=instance_affine, track_running_stats=False)
    if norm == "none":
        return lambda channels: nn.Identity()
    raise ConfigError(f"unknown norm {norm!r}: expected one of {', '.join(NORMS)}")
