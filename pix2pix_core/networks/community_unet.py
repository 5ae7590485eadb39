"""The Hub-community pix2pix U-Net (``huggan/pix2pix-*`` repos; PyTorch-GAN lineage).

Different from the reference U-Net: flat ``down1..down8`` / ``up1..up7`` modules, InstanceNorm, dropout on
the down path too, skips concatenated as ``cat(up(x), skip)``, and an upsample + 4x4 conv head named ``final``.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from .base import Generator, NetworkConfig
from .norm import InstanceNorm2d


@dataclasses.dataclass(frozen=True)
class CommunityUnetConfig(NetworkConfig):
    architecture = "community_unet"
    role = "generator"

    in_channels: int = 3
    out_channels: int = 3
    ngf: int = 64

    @property
    def multiple(self) -> int:
        return 256


class UNetDown(nn.Module):
    def __init__(self, in_size: int, out_size: int, normalize: bool = True, dropout: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_size, out_size, 4, 2, 1, bias=False)]
        if normalize:
            layers.append(InstanceNorm2d(out_size))
        layers.append(nn.LeakyReLU(0.2))
        if dropout:
            layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class UNetUp(nn.Module):
    def __init__(self, in_size: int, out_size: int, dropout: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.ConvTranspose2d(in_size, out_size, 4, 2, 1, bias=False),
                                   InstanceNorm2d(out_size), nn.ReLU(inplace=True)]
        if dropout:
            layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return torch.cat((self.model(x), skip), 1)


class CommunityUnetGenerator(Generator):
    """Eight down levels, seven up levels, then ``final``: Upsample x2, ZeroPad2d((1,0,1,0)), 4x4 conv, Tanh."""

    Config = CommunityUnetConfig

    def __init__(self, config: CommunityUnetConfig) -> None:
        super().__init__(config)
        g = config.ngf
        self.down1 = UNetDown(config.in_channels, g, normalize=False)
        self.down2 = UNetDown(g, g * 2)
        self.down3 = UNetDown(g * 2, g * 4)
        self.down4 = UNetDown(g * 4, g * 8, dropout=True)
        self.down5 = UNetDown(g * 8, g * 8, dropout=True)
        self.down6 = UNetDown(g * 8, g * 8, dropout=True)
        self.down7 = UNetDown(g * 8, g * 8, dropout=True)
        self.down8 = UNetDown(g * 8, g * 8, normalize=False, dropout=True)
        self.up1 = UNetUp(g * 8, g * 8, dropout=True)
        self.up2 = UNetUp(g * 16, g * 8, dropout=True)
        self.up3 = UNetUp(g * 16, g * 8, dropout=True)
        self.up4 = UNetUp(g * 16, g * 8, dropout=True)
        self.up5 = UNetUp(g * 16, g * 4)
        self.up6 = UNetUp(g * 8, g * 2)
        self.up7 = UNetUp(g * 4, g)
        self.final = nn.Sequential(nn.Upsample(scale_factor=2), nn.ZeroPad2d((1, 0, 1, 0)),
                                   nn.Conv2d(g * 2, config.out_channels, 4, padding=1), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        d1 = self.down1(x)
        d2 = self.down2(d1)
        d3 = self.down3(d2)
        d4 = self.down4(d3)
        d5 = self.down5(d4)
        d6 = self.down6(d5)
        d7 = self.down7(d6)
        d8 = self.down8(d7)
        u1 = self.up1(d8, d7)
        u2 = self.up2(u1, d6)
        u3 = self.up3(u2, d5)
        u4 = self.up4(u3, d4)
        u5 = self.up5(u4, d3)
        u6 = self.up6(u5, d2)
        u7 = self.up7(u6, d1)
        return self.final(u7)
