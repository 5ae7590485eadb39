"""The translation contract as one traceable module: ``[B, C, H, W]`` images in 0..1 of any size and batch in,
0..1 at the same size out, exactly what ``translate(..., fit="native")`` computes.

Inside: the scaling to [-1, 1], the bottom/right padding to the network's multiple (reflect, or replicate when
an image is too small to reflect, as the engine), the network, the crop back and the clamp. The padding is an
index gather computed from the input's shape, so one graph serves every size. With ``per_image`` statistics each
BatchNorm normalises every image with its own statistics: an instance norm with the BatchNorm's affine
parameters, batch-invariant as in the engine. Dropout is off.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError
from ..inference.modes import STATISTICS
from ..networks import Generator
from ..networks.norm import BatchNorm2d


class TranslationGraph(nn.Module):
    def __init__(self, generator: Generator, statistics: str = "per_image") -> None:
        super().__init__()
        if statistics not in STATISTICS:
            raise InputError(f"statistics must be one of {', '.join(STATISTICS)}, got {statistics!r}.")
        self.net = copy.deepcopy(generator).cpu().float().to(memory_format=torch.contiguous_format)
        self.net.eval().requires_grad_(False)
        self.multiple, self.min_side = generator.multiple, generator.min_side
        if statistics == "per_image":
            for module in self.net.modules():
                if isinstance(module, BatchNorm2d):
                    module.per_image_statistics = True
                    module.statistics_hook = _own_statistics

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        height, width = images.shape[-2], images.shape[-1]
        rows, columns = _padding_indices(height, width, self.multiple, self.min_side, images.device)
        x = (images * 2 - 1).index_select(2, rows).index_select(3, columns)
        y = self.net(x)[..., :height, :width]
        return ((y + 1) / 2).clamp(0, 1)


def _own_statistics(module: BatchNorm2d, x: torch.Tensor) -> torch.Tensor:
    """Each image normalised with its own statistics and the BatchNorm's scale and shift."""
    return F.instance_norm(x, weight=module.weight, bias=module.bias, use_input_stats=True, eps=module.eps)


def _padding_indices(height, width, multiple: int, min_side: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Source row and column of every padded pixel (the engine's sizes: rounded up to the multiple, at least
    ``min_side``): reflect when both sides are large enough, else replicate."""
    reflected, replicated = [], []
    for size in (height, width):
        padded = torch.sym_max((size + multiple - 1) // multiple * multiple, min_side)
        index = torch.arange(padded, device=device)
        last = torch.full_like(index, 1) * (size - 1)
        reflected.append(torch.where(index <= last, index, 2 * last - index))
        replicated.append(torch.minimum(index, last))
    reflect = (reflected[0].min() >= 0) & (reflected[1].min() >= 0)  # the padding is smaller than the image
    return tuple(torch.where(reflect, r, c) for r, c in zip(reflected, replicated))
