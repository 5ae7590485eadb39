"""The U-Net of affinelayer/pix2pix-tensorflow, as its interactive demo runs it (the ``.pict`` translators).

Its graph differs from the reference U-Net: every convolution has a bias, the innermost encoder is batch-normalised
too, the decoders see ``cat(decoded, skip)`` (skip last), and batch normalisation always uses the statistics of
the image itself (the demo keeps no running statistics), so there is no "eval" mode to switch to. Eight levels,
for 256x256 crops; 4x4 convolutions of stride 2 with TensorFlow's "same" padding, which on the even sizes every
level sees is PyTorch's padding 1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import Generator
from .community_unet import CommunityUnetConfig
from .norm import BatchNorm2d

LEVELS = 8


class TensorflowUnetConfig(CommunityUnetConfig):
    """The same arguments as the Hub-community U-Net's (in and out channels, ngf; eight levels, multiples of 256)."""

    architecture = "tensorflow_unet"

    def widths(self) -> list[int]:
        """The output channels of encoder_1 .. encoder_8: ngf, 2 ngf, 4 ngf, then 8 ngf."""
        return [self.ngf * min(2**level, 8) for level in range(LEVELS)]


class InputStatisticsBatchNorm2d(BatchNorm2d):
    """Batch normalisation on each image's own statistics, always (no running statistics to fall back on)."""

    def __init__(self, channels: int) -> None:
        super().__init__(channels, eps=1e-5, track_running_stats=False)

    @property
    def per_image_statistics(self) -> bool:
        return True

    @per_image_statistics.setter
    def per_image_statistics(self, _value: bool) -> None:  # a statistics mode cannot change what this layer does
        pass

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] * x.shape[-1] == 1 and self.statistics_hook is None:
            # one pixel per image (the innermost level of a 256x256 input): each value is its own mean, so the
            # normalised value is 0 and the output the shift alone, as TensorFlow computes it
            return self.bias.view(1, -1, 1, 1).to(x.dtype).expand_as(x).contiguous()
        return super().forward(x)


class TensorflowUnetGenerator(Generator):
    """``encoders[k]`` is TensorFlow's encoder_{k+1}, ``decoders[k]`` its decoder_{8-k} (innermost first)."""

    Config = TensorflowUnetConfig

    def __init__(self, config: TensorflowUnetConfig) -> None:
        super().__init__(config)
        widths = config.widths()
        inputs = [config.in_channels, *widths[:-1]]
        self.encoders = nn.ModuleList(nn.Conv2d(i, o, 4, 2, 1) for i, o in zip(inputs, widths))
        self.encoder_norms = nn.ModuleList(InputStatisticsBatchNorm2d(o) for o in widths[1:])
        # decoder_8 takes encoder_8 alone; decoder_k (k < 8) takes cat(decoder_{k+1}, encoder_k); each gives back
        # encoder_{k-1}'s width, and decoder_1 the output channels
        decoder_inputs = [widths[-1], *(2 * w for w in reversed(widths[:-1]))]
        decoder_outputs = [*reversed(widths[:-1]), config.out_channels]
        self.decoders = nn.ModuleList(nn.ConvTranspose2d(i, o, 4, 2, 1)
                                      for i, o in zip(decoder_inputs, decoder_outputs))
        self.decoder_norms = nn.ModuleList(InputStatisticsBatchNorm2d(o) for o in decoder_outputs[:-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        skips = [self.encoders[0](x)]
        for conv, norm in zip(self.encoders[1:], self.encoder_norms):
            skips.append(norm(conv(F.leaky_relu(skips[-1], 0.2))))
        h = skips[-1]
        for level, deconv in enumerate(self.decoders):
            if level:
                h = torch.cat([h, skips[LEVELS - 1 - level]], 1)
            h = deconv(F.relu(h))
            if level < len(self.decoder_norms):
                h = self.decoder_norms[level](h)
        return torch.tanh(h)
