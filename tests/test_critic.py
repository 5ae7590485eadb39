"""The realism critic: how the pair is made (channel split, Lab for colorizers) and what it returns."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import random_images

import pix2pix_core as p2p
from pix2pix_core.imaging.lab import encode_ab, encode_l, lab_to_rgb, rgb_to_lab
from pix2pix_core.inference.critic import heatmap, realism_map
from pix2pix_core.networks import PatchGANConfig, build_network, init_weights


def _critic(in_channels: int):
    torch.manual_seed(0)
    return init_weights(build_network(PatchGANConfig(in_channels=in_channels, ndf=4, n_layers=2))).eval()


def _smooth(batch: int, channels: int, seed: int, size: int = 64) -> torch.Tensor:
    coarse = random_images(batch, channels, 4, 4, seed)
    return F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)


def _trained_critic(real_pair, fake_pair, in_channels: int, steps: int = 150):
    """A PatchGAN trained (BCE, as pix2pix's D) to tell ``real_pair(seed)`` from ``fake_pair(seed)``, both
    network-space pairs ``[B, in_channels, 64, 64]`` in -1..1. Without normalisation, so that each logit depends on
    its patch alone (a BatchNorm critic's per-image statistics would mix a damaged region into the whole map)."""
    torch.manual_seed(0)
    d = init_weights(build_network(PatchGANConfig(in_channels=in_channels, ndf=8, n_layers=2, norm="none")))
    optimiser = torch.optim.Adam(d.parameters(), lr=2e-3, betas=(0.5, 0.999))
    for step in range(steps):
        real, fake = d(real_pair(step)), d(fake_pair(step))
        loss = F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + \
            F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return d.eval()


def _tinted(gray: torch.Tensor) -> torch.Tensor:
    """The 'true' translation of a gray image in the toy task the critic learns: a fixed colouring of it."""
    return torch.cat([gray, 1 - gray, (gray * 0.5 + 0.25)], 1)


@pytest.fixture(scope="module")
def gray_to_colour_critic():
    """Trained on (gray input, its tinted colouring) as real and (gray input, someone else's colouring) as fake."""
    def real(seed):
        gray = _smooth(4, 1, seed)
        return torch.cat([gray, _tinted(gray)], 1) * 2 - 1

    def fake(seed):
        gray, other = _smooth(4, 1, seed), _smooth(4, 1, seed + 10**6)
        return torch.cat([gray, _tinted(other)], 1) * 2 - 1

    return _trained_critic(real, fake, in_channels=4)


def test_the_map_is_low_where_the_output_does_not_fit_its_input(gray_to_colour_critic):
    """The contract: per-pixel realism in 0..1 at the image size, real pairs high, damaged regions low."""
    gray = _smooth(2, 1, seed=999, size=64).repeat(1, 1, 1, 2)  # 64 x 128
    good = _tinted(gray)
    damaged = good.clone()
    damaged[..., 64:] = _tinted(_smooth(2, 1, seed=5000, size=64))  # the right half does not fit the input
    got = realism_map(gray_to_colour_critic, gray.expand(-1, 3, -1, -1), damaged, input_channels=1)
    assert got.shape == (2, 1, 64, 128) and 0 <= got.min() and got.max() <= 1
    fitting = realism_map(gray_to_colour_critic, gray, good, input_channels=1)
    assert fitting.mean() > 0.7
    left, right = got[..., :48].mean(), got[..., 80:].mean()  # away from the 16 px the patches straddle
    assert left > 0.7 and right < 0.3


def test_an_rgb_input_is_judged_as_its_luma_for_a_gray_input_critic(gray_to_colour_critic):
    luma_weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    rgb = _smooth(1, 3, seed=7)
    luma = (rgb * luma_weights).sum(1, keepdim=True)
    output = _tinted(luma)
    torch.testing.assert_close(realism_map(gray_to_colour_critic, rgb, output, input_channels=1),
                               realism_map(gray_to_colour_critic, luma, output, input_channels=1))


@pytest.mark.slow
def test_a_colorizers_critic_judges_lab_encodings():
    """A colorizer's critic was trained on (encoded L, encoded ab): given RGB images, the map must see that pair,
    so a photo's own colours score high and another photo's colours on it score low."""
    def pair(seed, colours_seed):
        lab_l, lab_ab = rgb_to_lab(_tinted(_smooth(4, 1, seed))), rgb_to_lab(_tinted(_smooth(4, 1, colours_seed)))
        return torch.cat([encode_l(lab_l), encode_ab(lab_ab)], 1)

    d = _trained_critic(lambda s: pair(s, s), lambda s: pair(s, s + 10**6), in_channels=3, steps=300)
    photo, other = _tinted(_smooth(1, 1, seed=123)), _tinted(_smooth(1, 1, seed=456))
    lab = rgb_to_lab(photo)
    gray = lab_to_rgb(torch.cat([lab[:, :1], torch.zeros_like(lab[:, 1:])], 1))
    own = realism_map(d, gray, photo, input_channels=1, output_space="lab_ab")
    foreign = realism_map(d, gray, other, input_channels=1, output_space="lab_ab")
    assert own.mean() > 0.7 and foreign.mean() < 0.3


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
