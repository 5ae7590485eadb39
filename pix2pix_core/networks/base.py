"""What every pix2pix network shares: an architecture config that fully determines its module tree."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import torch
from torch import nn

from ..errors import ConfigError, InputError
from .io import IOSpec
from .norm import NORMS


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """Base of the architecture configs. Subclasses declare the fields; ``multiple`` is the size divisor."""

    architecture: ClassVar[str]
    role: ClassVar[str]

    @property
    def multiple(self) -> int:
        return 1

    @property
    def min_side(self) -> int:
        """The smallest height and width the network runs on (smaller images are padded up to it)."""
        return self.multiple

    def arguments(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_arguments(cls, arguments: dict[str, Any]) -> NetworkConfig:
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(arguments) - set(known))
        if unknown:
            raise ConfigError(
                f"unknown argument(s) {unknown} for architecture {cls.architecture!r}; known: {sorted(known)}."
            )
        config = cls(**arguments)
        config.validate()
        return config

    def validate(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type in ("int", int) and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ConfigError(f"{self.architecture}: {f.name} must be a positive integer, got {value!r}.")
            if f.type in ("bool", bool) and not isinstance(value, bool):
                raise ConfigError(f"{self.architecture}: {f.name} must be true or false, got {value!r}.")
        norm = getattr(self, "norm", "none")
        if norm not in NORMS:
            raise ConfigError(f"{self.architecture}: norm is {norm!r}; expected one of {', '.join(NORMS)}.")


class Pix2PixNetwork(nn.Module):
    """A network built from a :class:`NetworkConfig`, mapping [-1, 1] NCHW tensors to [-1, 1] NCHW tensors.

    Attributes set here travel with the weights: ``config`` (architecture), ``io`` (image contract, generators),
    ``training`` (facts from training) and ``source`` (provenance of the weights).
    """

    Config: ClassVar[type[NetworkConfig]]

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config
        self.io: IOSpec | None = None
        self.training_facts: dict[str, Any] = {}
        self.source: dict[str, Any] = {}

    @property
    def multiple(self) -> int:
        return self.config.multiple

    @property
    def min_side(self) -> int:
        return self.config.min_side

    def check_input(self, x: torch.Tensor) -> None:
        """Raise InputError with a fix when ``x`` is not ``[B, in_channels, H, W]`` with H, W multiples."""
        name = type(self).__name__
        if x.dim() != 4:
            raise InputError(f"{name} expects a 4-D tensor [B, C, H, W], got shape {tuple(x.shape)}.")
        channels = self.config.in_channels
        if x.shape[1] != channels:
            raise InputError(
                f"{name} expects {channels} input channel(s), got {x.shape[1]} (shape {tuple(x.shape)}). "
                "Convert the image first (pix2pix_core.translate does it for RGB, gray and RGBA inputs)."
            )
        m = self.multiple
        if x.shape[-2] % m or x.shape[-1] % m:
            raise InputError(
                f"{name} needs height and width that are multiples of {m}, got {x.shape[-2]}x{x.shape[-1]}. "
                "Use pix2pix_core.translate, which pads (or tiles) and crops back to any size."
            )


class Generator(Pix2PixNetwork):
    role = "generator"

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__(config)
        self.io = IOSpec.default_for(config.in_channels, config.out_channels, train_size=max(256, config.multiple))

    def input_convolutions(self) -> list[nn.Conv2d] | None:
        """The convolutions that read the network's input (or its downsampled copies), and nothing else does; None
        when the input is read otherwise. An input channel that is zero everywhere can be left out of them."""
        return None

    def segments(self) -> list[nn.Module] | None:
        """The forward as modules run one after another (after the input check), or None when it is not such a
        chain (a U-Net's skips). Tiled translation caches each tile's activation between segments."""
        return None


class Discriminator(Pix2PixNetwork):
    role = "discriminator"
