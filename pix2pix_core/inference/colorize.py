"""Colorization: an L -> ab model applied at its size, recombined with the input's full-resolution luminance."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..errors import InputError
from ..imaging.lab import AB_SCALE, lab_to_rgb, rgb_to_lab
from ..imaging.tensors import check_images, to_channels
from ..networks import Generator
from .translate import translate


def check_colorization_model(generator: Generator) -> None:
    config = generator.config
    if (config.in_channels, config.out_channels) != (1, 2):
        raise InputError(f"colorize needs a colorization model mapping Lab L (1 channel) to ab (2 channels); this "
                         f"one maps {config.in_channels} -> {config.out_channels} channels: translate with it instead "
                         "(`pix2pix translate`, or Pix2Pix Translate in ComfyUI).")


def colorize(generator: Generator, images: torch.Tensor, **options) -> torch.Tensor:
    """Colorize ``images`` ``[B, 1 or 3, H, W]`` in 0..1 with an L -> ab model; returns ``[B, 3, H, W]`` RGB.

    The input's full-resolution luminance is kept: the model predicts ab at its own size (``fit="resize"`` by
    default, to its training size), ab is upsampled to the input size and recombined with the original L, so
    every detail of the input survives. Colour inputs are colorized from their own luminance. ``options`` go
    to :func:`translate` (fit, statistics, precision, ...).
    """
    check_colorization_model(generator)
    return colorize_with(lambda l01: translate(generator, l01, **{"fit": "resize", **options}), images)


def colorize_with(predict_ab: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor) -> torch.Tensor:
    """:func:`colorize` with any L -> ab predictor: ``[B, 1, H, W]`` L / 100 -> ``[B, 2, H, W]`` ab in 0..1
    (an exported model run by ONNX Runtime, for one)."""
    check_images(images, "colorize")
    rgb = to_channels(images, 3)
    lab = rgb_to_lab(rgb)
    l01 = lab[:, :1] / 100  # translate maps 0..1 to [-1, 1]: exactly L / 50 - 1
    ab01 = predict_ab(l01.clamp(0, 1))
    ab = (ab01.to(lab.device, lab.dtype) * 2 - 1) * AB_SCALE
    return lab_to_rgb(torch.cat([lab[:, :1], ab], dim=1))
