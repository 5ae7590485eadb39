"""The realism critic: how the pair is made (channel split, Lab for colorizers) and what it returns."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import random_images

import pix2pix_core as p2p
from pix2pix_core.imaging.lab import encode_ab, encode_l, rgb_to_lab
from pix2pix_core.inference.critic import heatmap, realism_map
from pix2pix_core.networks import PatchGANConfig, build_network, init_weights


def _critic(in_channels: int):
    torch.manual_seed(0)
    return init_weights(build_network(PatchGANConfig(in_channels=in_channels, ndf=4, n_layers=2))).eval()


def _expected(d, pair01, size):
    with torch.no_grad(), p2p.inference_statistics(d, "eval"):
        logits = d(pair01 * 2 - 1)
    return F.interpolate(torch.sigmoid(logits), size=size, mode="bilinear", align_corners=False)


def test_the_pair_is_the_input_in_the_model_channels_then_the_output():
    """A gray-input translator's critic (1 + 3 channels): RGB inputs become luma, outputs stay RGB."""
    d = _critic(4)
    inputs, outputs = random_images(2, 3, 72, 64, seed=1), random_images(2, 3, 72, 64, seed=2)
    luma = (inputs * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    expected = _expected(d, torch.cat([luma, outputs], 1), (72, 64))
    got = realism_map(d, inputs, outputs, input_channels=1, statistics="eval")
    assert got.shape == (2, 1, 72, 64) and 0 <= got.min() and got.max() <= 1
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-5)
    swapped = realism_map(d, outputs, inputs, input_channels=1, statistics="eval")
    assert (swapped - got).abs().max() > 1e-4  # the order of the pair matters


def test_a_colorizers_critic_judges_lab_encodings():
    d = _critic(3)
    gray, colour = random_images(1, 3, 64, 64, seed=3), random_images(1, 3, 64, 64, seed=4)
    pair = torch.cat([encode_l(rgb_to_lab(gray)), encode_ab(rgb_to_lab(colour))], 1)
    expected = _expected(d, (pair + 1) / 2, (64, 64))
    got = realism_map(d, gray, colour, input_channels=1, statistics="eval", output_space="lab_ab")
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-5)


def test_critic_inputs_are_checked_and_the_heatmap_is_red_to_green():
    d = _critic(6)
    with pytest.raises(p2p.InputError, match="differ in size"):
        realism_map(d, random_images(1, 3, 32, 32), random_images(1, 3, 16, 32), input_channels=3)
    with pytest.raises(p2p.InputError, match="fewer than the 7 input channels"):
        realism_map(d, random_images(1, 3, 32, 32), random_images(1, 3, 32, 32), input_channels=7)
    with pytest.raises(p2p.InputError, match="finite floats"):
        realism_map(d, torch.full((1, 3, 8, 8), float("nan")), random_images(1, 3, 8, 8), input_channels=3)
    colours = heatmap(torch.tensor([0.0, 1.0]).view(2, 1, 1, 1))
    assert colours[0, :2].flatten().tolist() == [1.0, 0.0] and colours[1, :2].flatten().tolist() == [0.0, 1.0]
