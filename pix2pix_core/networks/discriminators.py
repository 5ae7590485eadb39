"""The reference discriminators: PatchGAN (``NLayerDiscriminator``) and the 1x1 pixel discriminator.

Both take ``cat(A, B)`` on channels and return raw logits (no sigmoid).
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from ..errors import ConfigError
from .base import Discriminator, NetworkConfig
from .norm import norm_layer_factory


def patch_receptive_field(n_layers: int) -> int:
    """Side of the input patch one PatchGAN logit sees: 16, 34, 70, 142, 286 for n_layers 1..5."""
    field = 4 + 3  # the final 4x4 stride-1 conv and the stride-1 conv before it
    for _ in range(n_layers):
        field = 2 * field + 2
    return field


@dataclasses.dataclass(frozen=True)
class PatchGANConfig(NetworkConfig):
    architecture = "patchgan"
    role = "discriminator"

    in_channels: int = 6
    ndf: int = 64
    n_layers: int = 3
    norm: str = "batch"

    @property
    def receptive_field(self) -> int:
        return patch_receptive_field(self.n_layers)

    def validate(self) -> None:
        super().validate()
        if not 1 <= self.n_layers <= 5:
            raise ConfigError(f"patchgan: n_layers must be between 1 and 5, got {self.n_layers}.")


class NLayerDiscriminator(Discriminator):
    """PatchGAN: n stride-2 4x4 convs, one stride-1, then a 1-channel 4x4 conv. n_layers=3 sees 70x70 patches."""

    Config = PatchGANConfig

    def __init__(self, config: PatchGANConfig) -> None:
        super().__init__(config)
        norm_layer = norm_layer_factory(config.norm)
        use_bias = config.norm == "instance"
        ndf = config.ndf
        layers: list[nn.Module] = [nn.Conv2d(config.in_channels, ndf, 4, stride=2, padding=1),
                                   nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, config.n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = 2 if n < config.n_layers else 1
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=stride, padding=1, bias=use_bias),
                       norm_layer(ndf * mult), nn.LeakyReLU(0.2, True)]
        layers.append(nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.model(x)


@dataclasses.dataclass(frozen=True)
class PixelDiscriminatorConfig(NetworkConfig):
    architecture = "pixel"
    role = "discriminator"

    in_channels: int = 6
    ndf: int = 64
    norm: str = "batch"

    @property
    def receptive_field(self) -> int:
        return 1


class PixelDiscriminator(Discriminator):
    """1x1 PatchGAN: classifies every pixel independently."""

    Config = PixelDiscriminatorConfig

    def __init__(self, config: PixelDiscriminatorConfig) -> None:
        super().__init__(config)
        norm_layer = norm_layer_factory(config.norm)
        use_bias = config.norm == "instance"
        ndf = config.ndf
        self.net = nn.Sequential(
            nn.Conv2d(config.in_channels, ndf, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 1, bias=use_bias), norm_layer(ndf * 2), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, 1, 1, bias=use_bias),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.net(x)
