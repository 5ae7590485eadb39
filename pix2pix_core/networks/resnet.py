"""The CycleGAN-style ResNet generator (``resnet_6blocks`` / ``resnet_9blocks``), reference module tree.

With ``n_downsampling`` 4 and biases everywhere it is pix2pixHD's ``GlobalGenerator`` (NVIDIA/pix2pixHD
``models/networks.py``: the same ``model`` Sequential, key for key). Also covers two common third-party variants:
affine InstanceNorm (norm weight/bias keys) and residual blocks whose Sequential is named ``block`` instead of
``conv_block``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch
from torch import nn

from ..errors import ConfigError
from .base import Generator, NetworkConfig
from .norm import norm_layer_factory

PADDINGS = ("reflect", "replicate", "zero")
BLOCK_NAMES = ("conv_block", "block")


@dataclasses.dataclass(frozen=True)
class ResnetConfig(NetworkConfig):
    architecture = "resnet"
    role = "generator"

    in_channels: int = 3
    out_channels: int = 3
    ngf: int = 64
    n_blocks: int = 9
    norm: str = "instance"
    norm_affine: bool = False
    bias: bool | None = None
    dropout: bool = False
    padding: str = "reflect"
    block_name: str = "conv_block"
    n_downsampling: int = 2  # stride-2 convs (and as many transposed ones): 2 in CycleGAN, 4 in pix2pixHD

    @property
    def multiple(self) -> int:
        return 2**self.n_downsampling

    @property
    def min_side(self) -> int:
        return 2 * self.multiple  # the residual blocks' reflection padding and norm need 2x2 where they run

    @property
    def use_bias(self) -> bool:
        """Conv bias; ``None`` follows the reference rule (bias only with InstanceNorm)."""
        return self.norm == "instance" if self.bias is None else self.bias

    def validate(self) -> None:
        super().validate()
        if self.padding not in PADDINGS:
            raise ConfigError(f"resnet: padding is {self.padding!r}; expected one of {', '.join(PADDINGS)}.")
        if self.block_name not in BLOCK_NAMES:
            raise ConfigError(f"resnet: block_name is {self.block_name!r}; expected one of {', '.join(BLOCK_NAMES)}.")
        if self.norm_affine and self.norm != "instance":
            raise ConfigError(f"resnet: norm_affine applies to instance norm only, but norm is {self.norm!r}.")


def _padding_layers(padding: str, amount: int) -> tuple[list[nn.Module], int]:
    """Explicit padding modules and the conv's own padding, as the reference builds them."""
    if padding == "reflect":
        return [nn.ReflectionPad2d(amount)], 0
    if padding == "replicate":
        return [nn.ReplicationPad2d(amount)], 0
    return [], amount


class ResnetBlock(nn.Module):
    """``x + conv_block(x)``: pad, 3x3 conv, norm, ReLU, [dropout], pad, 3x3 conv, norm."""

    def __init__(self, dim: int, config: ResnetConfig, norm_layer: Callable[[int], nn.Module]) -> None:
        super().__init__()
        self.block_name = config.block_name
        pad, conv_padding = _padding_layers(config.padding, 1)
        layers = [*pad, nn.Conv2d(dim, dim, kernel_size=3, padding=conv_padding, bias=config.use_bias),
                  norm_layer(dim), nn.ReLU(True)]
        if config.dropout:
            layers.append(nn.Dropout(0.5))
        pad, conv_padding = _padding_layers(config.padding, 1)
        layers += [*pad, nn.Conv2d(dim, dim, kernel_size=3, padding=conv_padding, bias=config.use_bias),
                   norm_layer(dim)]
        self.add_module(self.block_name, nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = getattr(self, self.block_name)(x)
        if torch.is_grad_enabled():
            return x + residual
        return residual.add_(x)  # without autograd, into the block's fresh output: no new activation to allocate


class ResnetGenerator(Generator):
    """7x7 conv, two stride-2 convs, ``n_blocks`` residual blocks, two transposed convs, 7x7 conv, Tanh."""

    Config = ResnetConfig

    def __init__(self, config: ResnetConfig) -> None:
        super().__init__(config)
        norm_layer = norm_layer_factory(config.norm, config.norm_affine)
        bias, ngf = config.use_bias, config.ngf
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(config.in_channels, ngf, 7, bias=bias),
                                   norm_layer(ngf), nn.ReLU(True)]
        mults = [2**i for i in range(config.n_downsampling)]
        for mult in mults:
            layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=bias),
                       norm_layer(ngf * mult * 2), nn.ReLU(True)]
        layers += [ResnetBlock(ngf * config.multiple, config, norm_layer) for _ in range(config.n_blocks)]
        for mult in reversed(mults):
            layers += [nn.ConvTranspose2d(ngf * mult * 2, ngf * mult, 3, stride=2, padding=1, output_padding=1,
                                          bias=bias),
                       norm_layer(ngf * mult), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, config.out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.model(x)

    def segments(self) -> list[nn.Module]:
        return list(self.model)

    def input_convolutions(self) -> list[nn.Conv2d]:
        return [self.model[1]]
