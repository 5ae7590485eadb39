"""pix2pix networks whose module trees mirror the reference, so official state dicts load with no renaming."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .base import Discriminator, Generator, NetworkConfig, Pix2PixNetwork
from .community_unet import CommunityUnetConfig, CommunityUnetGenerator
from .discriminators import NLayerDiscriminator, PatchGANConfig, PixelDiscriminator, PixelDiscriminatorConfig
from .init import init_weights
from .norm import BatchNorm2d
from .pix2pixhd import (
    FeatureEncoder,
    FeatureEncoderConfig,
    LocalEnhancer,
    LocalEnhancerConfig,
    MultiscaleDiscriminator,
    MultiscalePatchGANConfig,
)
from .resnet import ResnetConfig, ResnetGenerator
from .tensorflow_unet import TensorflowUnetConfig, TensorflowUnetGenerator
from .unet import UnetConfig, UnetGenerator

NETWORKS: dict[str, type[Pix2PixNetwork]] = {
    cls.Config.architecture: cls
    for cls in (UnetGenerator, ResnetGenerator, CommunityUnetGenerator, TensorflowUnetGenerator, LocalEnhancer,
                NLayerDiscriminator, PixelDiscriminator, MultiscaleDiscriminator, FeatureEncoder)
}


def build_network(config: NetworkConfig) -> Pix2PixNetwork:
    """Instantiate the network a config describes (weights at PyTorch's default init)."""
    return NETWORKS[config.architecture](config)


def config_from_arguments(role: str, architecture: str, arguments: dict[str, Any]) -> NetworkConfig:
    """Validate ``arguments`` for ``architecture`` and return its config; ConfigError names the fix."""
    known = sorted(a for a, cls in NETWORKS.items() if cls.role == role)
    if architecture not in known:
        raise ConfigError(f"unknown {role} architecture {architecture!r}; known: {', '.join(known)}.")
    try:
        return NETWORKS[architecture].Config.from_arguments(arguments)
    except TypeError as exc:
        raise ConfigError(f"bad arguments for {architecture!r}: {exc}") from exc


__all__ = [
    "NETWORKS", "BatchNorm2d", "CommunityUnetConfig", "CommunityUnetGenerator", "Discriminator", "FeatureEncoder",
    "FeatureEncoderConfig", "Generator", "LocalEnhancer", "LocalEnhancerConfig", "MultiscaleDiscriminator",
    "MultiscalePatchGANConfig", "NLayerDiscriminator", "NetworkConfig", "PatchGANConfig", "Pix2PixNetwork",
    "PixelDiscriminator", "PixelDiscriminatorConfig", "ResnetConfig", "ResnetGenerator", "TensorflowUnetConfig",
    "TensorflowUnetGenerator", "UnetConfig", "UnetGenerator", "build_network", "config_from_arguments",
    "init_weights",
]
