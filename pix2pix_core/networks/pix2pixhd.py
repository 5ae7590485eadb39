"""pix2pixHD's networks (Wang et al., CVPR 2018), module trees as NVIDIA/pix2pixHD ``models/networks.py`` builds
them, so its ``latest_net_*.pth`` state dicts load with no renaming.

- The global generator is :class:`~.resnet.ResnetGenerator` with ``n_downsampling`` 4 and biases everywhere.
- :class:`LocalEnhancer`: the global generator at ``ngf * 2**n_local_enhancers`` without its last three layers
  (``model``) runs on the input downsampled ``n_local_enhancers`` times; each enhancer ``n`` adds its front end
  (``model{n}_1``) on the input at its own scale to what came from below and refines it (``model{n}_2``).
- :class:`MultiscaleDiscriminator`: ``num_D`` PatchGANs (4x4 convs with padding 2 and biases), the first on the
  full input, each next one on the input downsampled once more; per scale it returns the list NVIDIA's returns
  (every layer's output with ``intermediate_features``, for feature matching, else the logits alone).
- :class:`FeatureEncoder`: an encoder-decoder whose output is averaged over each instance of an instance map.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from ..errors import ConfigError, InputError
from .base import Discriminator, Generator, NetworkConfig, Pix2PixNetwork
from .discriminators import patch_receptive_field
from .norm import norm_layer_factory
from .resnet import ResnetBlock, ResnetConfig, ResnetGenerator


def _downsample() -> nn.AvgPool2d:
    return nn.AvgPool2d(3, stride=2, padding=[1, 1], count_include_pad=False)


@dataclasses.dataclass(frozen=True)
class LocalEnhancerConfig(NetworkConfig):
    architecture = "local_enhancer"
    role = "generator"

    in_channels: int = 36  # Cityscapes: 35 labels + the instance boundary map
    out_channels: int = 3
    ngf: int = 32  # the enhancer's width; the global generator inside runs at ngf * 2**n_local_enhancers
    n_downsample_global: int = 4
    n_blocks_global: int = 9
    n_local_enhancers: int = 1
    n_blocks_local: int = 3
    norm: str = "instance"

    @property
    def multiple(self) -> int:
        return 2 ** (self.n_downsample_global + self.n_local_enhancers)

    @property
    def min_side(self) -> int:
        return 2 * self.multiple

    def global_config(self) -> ResnetConfig:
        return ResnetConfig(in_channels=self.in_channels, out_channels=self.out_channels,
                            ngf=self.ngf * 2**self.n_local_enhancers, n_blocks=self.n_blocks_global, norm=self.norm,
                            bias=True, n_downsampling=self.n_downsample_global)

    def validate(self) -> None:
        super().validate()
        if self.norm == "none":
            raise ConfigError("local_enhancer: norm must be instance or batch, as pix2pixHD builds it.")


class LocalEnhancer(Generator):
    Config = LocalEnhancerConfig

    def __init__(self, config: LocalEnhancerConfig) -> None:
        super().__init__(config)
        norm_layer = norm_layer_factory(config.norm)
        block_config = ResnetConfig(norm=config.norm, bias=True)
        self.model = nn.Sequential(*list(ResnetGenerator(config.global_config()).model)[:-3])
        for n in range(1, config.n_local_enhancers + 1):
            width = config.ngf * 2 ** (config.n_local_enhancers - n)
            front = [nn.ReflectionPad2d(3), nn.Conv2d(config.in_channels, width, 7), norm_layer(width), nn.ReLU(True),
                     nn.Conv2d(width, width * 2, 3, stride=2, padding=1), norm_layer(width * 2), nn.ReLU(True)]
            back: list[nn.Module] = [ResnetBlock(width * 2, block_config, norm_layer)
                                     for _ in range(config.n_blocks_local)]
            back += [nn.ConvTranspose2d(width * 2, width, 3, stride=2, padding=1, output_padding=1),
                     norm_layer(width), nn.ReLU(True)]
            if n == config.n_local_enhancers:
                back += [nn.ReflectionPad2d(3), nn.Conv2d(config.ngf, config.out_channels, 7), nn.Tanh()]
            setattr(self, f"model{n}_1", nn.Sequential(*front))
            setattr(self, f"model{n}_2", nn.Sequential(*back))
        self.downsample = _downsample()

    def input_convolutions(self) -> list[nn.Conv2d]:
        return [self.model[1], *(getattr(self, f"model{n}_1")[1] for n in range(1, self.config.n_local_enhancers + 1))]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        scales = [x]
        for _ in range(self.config.n_local_enhancers):
            scales.append(self.downsample(scales[-1]))
        out = self.model(scales[-1])
        for n in range(1, self.config.n_local_enhancers + 1):
            front, back = getattr(self, f"model{n}_1"), getattr(self, f"model{n}_2")
            out = back(front(scales[self.config.n_local_enhancers - n]) + out)
        return out


@dataclasses.dataclass(frozen=True)
class MultiscalePatchGANConfig(NetworkConfig):
    architecture = "multiscale_patchgan"
    role = "discriminator"

    in_channels: int = 39  # label map (35 + boundary) and the image
    ndf: int = 64
    n_layers: int = 3
    num_D: int = 2  # noqa: N815 - NVIDIA's option name
    norm: str = "instance"
    intermediate_features: bool = True  # NVIDIA's getIntermFeat: on whenever feature matching is (the default)

    @property
    def receptive_field(self) -> int:
        """At full size (each coarser scale sees twice as far)."""
        return patch_receptive_field(self.n_layers)

    def validate(self) -> None:
        super().validate()
        if self.n_layers > 8:
            raise ConfigError(f"multiscale_patchgan: n_layers must be at most 8, got {self.n_layers}.")


def _patchgan_layers(config: MultiscalePatchGANConfig) -> list[list[nn.Module]]:
    """NVIDIA's NLayerDiscriminator as its groups of layers (4x4 convs, padding 2, biases everywhere)."""
    norm_layer = norm_layer_factory(config.norm)
    width = config.ndf
    groups = [[nn.Conv2d(config.in_channels, width, 4, stride=2, padding=2), nn.LeakyReLU(0.2, True)]]
    for n in range(1, config.n_layers + 1):
        previous, width = width, min(width * 2, 512)
        groups.append([nn.Conv2d(previous, width, 4, stride=2 if n < config.n_layers else 1, padding=2),
                       norm_layer(width), nn.LeakyReLU(0.2, True)])
    groups.append([nn.Conv2d(width, 1, 4, stride=1, padding=2)])
    return groups


class MultiscaleDiscriminator(Discriminator):
    Config = MultiscalePatchGANConfig

    def __init__(self, config: MultiscalePatchGANConfig) -> None:
        super().__init__(config)
        for i in range(config.num_D):
            groups = _patchgan_layers(config)
            if config.intermediate_features:
                for j, group in enumerate(groups):
                    setattr(self, f"scale{i}_layer{j}", nn.Sequential(*group))
            else:
                setattr(self, f"layer{i}", nn.Sequential(*[layer for group in groups for layer in group]))
        self.downsample = _downsample()

    def scale(self, i: int) -> list[nn.Module]:
        """Scale ``i``'s layer groups (one Sequential without intermediate features). Scale ``num_D - 1`` judges
        the full-size input, as in NVIDIA's forward."""
        if self.config.intermediate_features:
            return [getattr(self, f"scale{i}_layer{j}") for j in range(self.config.n_layers + 2)]
        return [getattr(self, f"layer{i}")]

    def forward(self, x: torch.Tensor) -> list[list[torch.Tensor]]:
        self.check_input(x)
        results = []
        for i in range(self.config.num_D):
            features = []
            for group in self.scale(self.config.num_D - 1 - i):
                features.append(group(features[-1] if features else x))
            results.append(features)
            if i != self.config.num_D - 1:
                x = self.downsample(x)
        return results


@dataclasses.dataclass(frozen=True)
class FeatureEncoderConfig(NetworkConfig):
    architecture = "feature_encoder"
    role = "encoder"

    in_channels: int = 3
    out_channels: int = 3  # NVIDIA's feat_num
    ngf: int = 16  # NVIDIA's nef
    n_downsampling: int = 4
    norm: str = "instance"

    @property
    def multiple(self) -> int:
        return 2**self.n_downsampling


class FeatureEncoder(Pix2PixNetwork):
    """``forward(image, instances)``: features of ``image`` averaged over each instance of ``instances``
    (``[B, 1, H, W]`` integer ids), NVIDIA's instance-wise average pooling, computed in one pass."""

    Config = FeatureEncoderConfig
    role = "encoder"

    def __init__(self, config: FeatureEncoderConfig) -> None:
        super().__init__(config)
        norm_layer = norm_layer_factory(config.norm)
        ngf = config.ngf
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(config.in_channels, ngf, 7), norm_layer(ngf),
                                   nn.ReLU(True)]
        mults = [2**i for i in range(config.n_downsampling)]
        for mult in mults:
            layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1), norm_layer(ngf * mult * 2),
                       nn.ReLU(True)]
        for mult in reversed(mults):
            layers += [nn.ConvTranspose2d(ngf * mult * 2, ngf * mult, 3, stride=2, padding=1, output_padding=1),
                       norm_layer(ngf * mult), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, config.out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, instances: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        if instances.shape != (x.shape[0], 1, *x.shape[-2:]):
            raise InputError(f"the instance map is {tuple(instances.shape)}; the encoder needs one id per pixel of "
                             f"the image, [{x.shape[0]}, 1, {x.shape[-2]}, {x.shape[-1]}].")
        return instance_means(self.model(x), instances)


def instance_means(features: torch.Tensor, instances: torch.Tensor) -> torch.Tensor:
    """Each pixel's features replaced by their mean over its instance (same id, same image)."""
    batch, channels = features.shape[:2]
    ids = torch.unique(instances, return_inverse=True)[1].reshape(batch, -1)  # 0..k-1 across the batch
    count = int(ids.max()) + 1
    index = ids + torch.arange(batch, device=ids.device)[:, None] * count  # one slot per (image, instance)
    flat = features.reshape(batch, channels, -1).transpose(1, 2).reshape(-1, channels)
    sums = torch.zeros(batch * count, channels, dtype=features.dtype, device=features.device)
    sums.index_add_(0, index.reshape(-1), flat)
    sizes = torch.bincount(index.reshape(-1), minlength=batch * count).clamp(min=1).to(features.dtype)
    means = (sums / sizes[:, None])[index.reshape(-1)]
    return means.reshape(batch, -1, channels).transpose(1, 2).reshape(features.shape)
