"""HED edge detection's network (the Apache-2.0 "ControlNetHED" variant): five VGG-style blocks whose one-channel
projections are averaged into an edge probability. Its weights are loaded by :mod:`pix2pix_core.weights.hed`."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class HedBlock(nn.Module):
    """``layers`` 3x3 conv + ReLU (after an optional 2x2 max-pool) and a 1x1 projection to one channel."""

    def __init__(self, in_channels: int, out_channels: int, layers: int) -> None:
        super().__init__()
        convs = [nn.Conv2d(in_channels, out_channels, 3, padding=1)]
        convs += [nn.Conv2d(out_channels, out_channels, 3, padding=1) for _ in range(layers - 1)]
        self.convs = nn.Sequential(*convs)
        self.projection = nn.Conv2d(out_channels, 1, 1)

    def forward(self, x: torch.Tensor, down_sampling: bool) -> tuple[torch.Tensor, torch.Tensor]:
        if down_sampling:
            x = F.max_pool2d(x, kernel_size=2, stride=2)
        for conv in self.convs:
            x = F.relu(conv(x))
        return x, self.projection(x)


class HedNetwork(nn.Module):
    """The Apache-2.0 "ControlNetHED" network: RGB in 0..255 minus a learned ``norm``, five VGG-style blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.Parameter(torch.zeros(1, 3, 1, 1))
        self.block1 = HedBlock(3, 64, 2)
        self.block2 = HedBlock(64, 128, 2)
        self.block3 = HedBlock(128, 256, 3)
        self.block4 = HedBlock(256, 512, 3)
        self.block5 = HedBlock(512, 512, 3)

    def forward(self, rgb255: torch.Tensor) -> torch.Tensor:
        """``[B, 3, H, W]`` in 0..255 -> edge probability ``[B, 1, H, W]``."""
        h = rgb255 - self.norm
        projections = []
        for index, block in enumerate((self.block1, self.block2, self.block3, self.block4, self.block5)):
            h, projection = block(h, down_sampling=index > 0)
            projections.append(F.interpolate(projection, size=rgb255.shape[-2:], mode="bilinear",
                                             align_corners=False))
        return torch.sigmoid(torch.stack(projections).mean(0))
