"""The native translation path: any size, any batch, channel conversions, statistics modes."""

from __future__ import annotations

import pytest
import torch
from conftest import random_images

import pix2pix_core as p2p
from pix2pix_core.networks import ResnetConfig, UnetConfig, build_network, init_weights


@pytest.fixture(scope="module")
def unet():
    torch.manual_seed(1)
    return init_weights(build_network(UnetConfig(num_downs=6, ngf=8))).eval()


@pytest.mark.parametrize(("height", "width"), [(1, 1), (37, 50), (64, 64), (65, 130)])
def test_any_size_comes_back_at_the_input_size(unet, height, width):
    y = p2p.translate(unet, random_images(2, 3, height, width))
    assert y.shape == (2, 3, height, width)
    assert y.min() >= 0 and y.max() <= 1


def test_input_of_the_multiple_equals_the_plain_forward(unet):
    x = random_images(3, 3, 64, 128)
    with torch.no_grad(), p2p.inference_statistics(unet, "eval"):
        plain = (unet(x * 2 - 1) + 1) / 2
    torch.testing.assert_close(p2p.translate(unet, x, statistics="eval"), plain.clamp(0, 1))


def test_batch_invariance_and_batch_size(unet):
    x = random_images(8, 3, 64, 64)
    together = p2p.translate(unet, x, batch_size=8)
    torch.testing.assert_close(p2p.translate(unet, x, batch_size=3), together, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(p2p.translate(unet, x[5:6]), together[5:6], atol=1e-6, rtol=1e-5)


def test_seeded_dropout_does_not_depend_on_the_batch(unet):
    x = random_images(4, 3, 64, 64)
    batch = p2p.translate(unet, x, dropout_seed=11)
    torch.testing.assert_close(p2p.translate(unet, x[2:3], dropout_seed=11), batch[2:3])
    assert not torch.equal(batch, p2p.translate(unet, x))


def test_gray_and_rgba_inputs(unet):
    gray = random_images(1, 1, 64, 64)
    torch.testing.assert_close(p2p.translate(unet, gray), p2p.translate(unet, gray.expand(-1, 3, -1, -1)))
    rgba = random_images(1, 4, 64, 64)
    y = p2p.translate(unet, rgba)
    assert y.shape == (1, 4, 64, 64)
    assert torch.equal(y[:, 3], rgba[:, 3])
    torch.testing.assert_close(y[:, :3], p2p.translate(unet, rgba[:, :3]))


def test_rgb_input_for_a_one_channel_model():
    g = init_weights(build_network(ResnetConfig(in_channels=1, out_channels=3, ngf=4, n_blocks=1)))
    rgb = random_images(1, 3, 16, 16)
    luma = (rgb * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    torch.testing.assert_close(p2p.translate(g, rgb), p2p.translate(g, luma))
