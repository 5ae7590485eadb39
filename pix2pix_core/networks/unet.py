"""The reference pix2pix U-Net (``unet_128`` / ``unet_256``), module tree identical to the official checkpoints.

Nested skip blocks, each holding a ``model`` Sequential, so keys read ``model.model.1.model.3...``. As in the
reference, the LeakyReLU that opens every inner block works in place, so the skip connection carries the
activated features: ``cat([lrelu(x), f(x)])``. Official weights depend on that.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch
from torch import nn

from ..errors import ConfigError
from .base import Generator, NetworkConfig
from .norm import norm_layer_factory


@dataclasses.dataclass(frozen=True)
class UnetConfig(NetworkConfig):
    architecture = "unet"
    role = "generator"

    in_channels: int = 3
    out_channels: int = 3
    num_downs: int = 8
    ngf: int = 64
    norm: str = "batch"
    dropout: bool = True

    @property
    def multiple(self) -> int:
        return 2**self.num_downs

    def validate(self) -> None:
        super().validate()
        if self.num_downs < 5:
            raise ConfigError(f"unet: num_downs must be at least 5, got {self.num_downs}.")


class UnetSkipConnectionBlock(nn.Module):
    """One U-Net level: down, the inner levels, up; the outermost level returns, the others concatenate."""

    def __init__(
        self,
        outer_nc: int,
        inner_nc: int,
        norm_layer: Callable[[int], nn.Module],
        use_bias: bool,
        input_nc: int | None = None,
        submodule: nn.Module | None = None,
        outermost: bool = False,
        dropout: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        input_nc = outer_nc if input_nc is None else input_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
        downrelu = nn.LeakyReLU(0.2, inplace=True)
        downnorm = norm_layer(inner_nc)
        uprelu = nn.ReLU(inplace=True)
        upnorm = norm_layer(outer_nc)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            layers = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif submodule is None:  # innermost: no down norm
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            layers = [downrelu, downconv, uprelu, upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            layers = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(Generator):
    """U-Net generator: ``num_downs`` levels of stride-2 4x4 convs, skips concatenated at every level."""

    Config = UnetConfig

    def __init__(self, config: UnetConfig) -> None:
        super().__init__(config)
        norm_layer = norm_layer_factory(config.norm)
        use_bias = config.norm == "instance"  # the reference rule: BatchNorm or no norm -> no conv bias
        ngf = config.ngf
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, norm_layer, use_bias)
        for _ in range(config.num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, norm_layer, use_bias, submodule=block,
                                            dropout=config.dropout)
        for outer in (ngf * 4, ngf * 2, ngf):
            block = UnetSkipConnectionBlock(outer, outer * 2, norm_layer, use_bias, submodule=block)
        self.model = UnetSkipConnectionBlock(config.out_channels, ngf, norm_layer, use_bias,
                                             input_nc=config.in_channels, submodule=block, outermost=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.model(x)
