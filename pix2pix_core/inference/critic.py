"""The PatchGAN as a tool: how real each patch of a translated image looks, given its input."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import InputError
from ..imaging.lab import encode_ab, encode_l, rgb_to_lab
from ..imaging.tensors import check_images, to_channels
from ..networks import Discriminator, MultiscaleDiscriminator
from .modes import inference_statistics

CRITIC_MIN_SIDE = 64  # smaller images are upscaled so that the deepest PatchGAN layer still sees a few pixels


def realism_map(discriminator: Discriminator, inputs: torch.Tensor, outputs: torch.Tensor, input_channels: int,
                statistics: str = "per_image", output_space: str = "rgb") -> torch.Tensor:
    """Per-pixel probability that each patch of ``outputs`` is real given ``inputs``, ``[B, 1, H, W]`` in 0..1.

    ``inputs`` and ``outputs`` are ``[B, C, H, W]`` images in 0..1 of the same size; they are converted to what the
    discriminator was trained on (``input_channels`` + the rest, or Lab encodings for a colorizer's critic,
    ``output_space="lab_ab"``). The patch logits are upsampled (bilinear) to the image size.
    """
    if isinstance(discriminator, MultiscaleDiscriminator):
        raise InputError("this is pix2pixHD's multiscale discriminator, which judges label maps with pictures: the "
                         "critic reads pix2pix PatchGANs (image in, image out) only.")
    check_images(inputs, "critic inputs")
    check_images(outputs, "critic outputs")
    if inputs.shape[0] != outputs.shape[0]:
        raise InputError(f"critic needs two batches of the same length, got {tuple(inputs.shape)} and "
                         f"{tuple(outputs.shape)}.")
    if inputs.shape[-2:] != outputs.shape[-2:]:
        raise InputError(f"input and output images differ in size ({inputs.shape[-1]}x{inputs.shape[-2]} vs "
                         f"{outputs.shape[-1]}x{outputs.shape[-2]}): give the translated image of that input.")
    output_channels = discriminator.config.in_channels - input_channels
    if output_channels < 1:
        raise InputError(f"the discriminator takes {discriminator.config.in_channels} channels in all, fewer than "
                         f"the {input_channels} input channels given.")
    device = next(discriminator.parameters()).device
    if output_space == "lab_ab":  # a colorizer's critic judges (L, ab) encodings, as it was trained
        pair = torch.cat([encode_l(rgb_to_lab(to_channels(inputs, 3))), encode_ab(rgb_to_lab(to_channels(outputs, 3)))],
                         1)
        pair = (pair + 1) / 2  # back to the 0..1 convention of the lines below
    else:
        pair = torch.cat([to_channels(inputs, input_channels), to_channels(outputs, output_channels)], 1)
    height, width = pair.shape[-2:]
    scale = max(1.0, CRITIC_MIN_SIDE / min(height, width))
    if scale > 1:
        pair = F.interpolate(pair, scale_factor=scale, mode="bilinear", align_corners=False)
    with torch.inference_mode(), inference_statistics(discriminator, statistics):
        logits = discriminator(pair.to(device, torch.float32) * 2 - 1)
    probability = torch.sigmoid(logits.float())
    return F.interpolate(probability, size=(height, width), mode="bilinear", align_corners=False).to(inputs.device)


def heatmap(probability: torch.Tensor) -> torch.Tensor:
    """``[B, 1, H, W]`` in 0..1 to an RGB heatmap: red where the critic calls it fake, green where real."""
    p = probability.clamp(0, 1)
    return torch.cat([1 - p, p, 0.15 * torch.ones_like(p)], 1)
