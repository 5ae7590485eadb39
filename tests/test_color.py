"""RGB <-> Lab against scikit-image, the colorization encoding, and colorize() keeping the input's luminance."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import random_images
from skimage import color, data

import pix2pix_core as p2p
from pix2pix_core.imaging.lab import decode_lab, encode_ab, encode_l, lab_to_rgb, rgb_to_lab
from pix2pix_core.inference.colorize import colorize
from pix2pix_core.networks import ResnetConfig, UnetConfig, build_network, init_weights

PHOTOS = {"astronaut": data.astronaut, "coffee": data.coffee, "chelsea": data.chelsea}


def _chw(array: np.ndarray, dtype=torch.float64) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array)).to(dtype).permute(2, 0, 1)


@pytest.mark.parametrize("name", ["random", *PHOTOS])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_rgb_to_lab_matches_skimage(name, dtype):
    rgb = np.random.default_rng(0).random((40, 50, 3)) if name == "random" else PHOTOS[name]() / 255.0
    ours = rgb_to_lab(_chw(rgb, dtype)).permute(1, 2, 0).double().numpy()
    assert np.abs(ours - color.rgb2lab(rgb)).max() < 1e-4


def test_lab_to_rgb_matches_skimage_and_round_trips():
    rng = np.random.default_rng(1)
    lab = np.stack([rng.random((32, 32)) * 100, rng.random((32, 32)) * 200 - 100, rng.random((32, 32)) * 200 - 100],
                   -1)
    with pytest.warns(UserWarning):  # skimage warns about the negative Z values it clips, as we do
        expected = color.lab2rgb(lab)
    assert np.abs(lab_to_rgb(_chw(lab)).permute(1, 2, 0).numpy() - expected).max() < 1e-6
    photo = _chw(data.coffee() / 255.0)
    assert (lab_to_rgb(rgb_to_lab(photo)) - photo).abs().max() < 1e-6


def test_batched_and_encoded():
    rgb = random_images(4, 3, 16, 16).double()
    lab = rgb_to_lab(rgb)
    assert torch.equal(lab[2], rgb_to_lab(rgb[2]))
    l_in, ab_out = encode_l(lab), encode_ab(lab)
    assert l_in.shape == (4, 1, 16, 16) and ab_out.shape == (4, 2, 16, 16)
    assert l_in.min() >= -1 and l_in.max() <= 1 and ab_out.abs().max() <= 1
    torch.testing.assert_close(decode_lab(l_in, ab_out), lab)


def _colorizer():
    torch.manual_seed(0)
    return init_weights(build_network(UnetConfig(in_channels=1, out_channels=2, num_downs=6, ngf=8))).eval()


@pytest.mark.parametrize("channels", [1, 3])
def test_colorize_keeps_full_resolution_luminance(channels):
    g = _colorizer()
    yy, xx = torch.meshgrid(torch.arange(150), torch.arange(210), indexing="ij")
    detail = ((yy // 3 + xx // 3) % 2).float() * 0.5 + 0.25  # a fine checkerboard the model never sees at 64 px
    images = detail.expand(1, channels, -1, -1).clone()
    if channels == 3:
        images[:, 0] *= 0.8
    out = colorize(g, images)
    assert out.shape == (1, 3, 150, 210)
    luminance_in = rgb_to_lab(images.expand(-1, 3, -1, -1).double())[:, 0]
    luminance_out = rgb_to_lab(out.double())[:, 0]
    assert (luminance_out - luminance_in).abs().max() < 0.5  # L units (0..100); only gamut clipping moves it
    ab = rgb_to_lab(out.double())[:, 1:]
    assert ab.abs().max() > 0.01  # the model did add colour


def test_colorize_refuses_models_that_do_not_map_l_to_ab():
    rgb_model = init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1)))
    with pytest.raises(p2p.InputError, match=r"mapping Lab L \(1 channel\) to ab \(2 channels\).*3 -> 3"):
        colorize(rgb_model, random_images(1, 3, 8, 8))


@pytest.mark.parametrize(("images", "message"), [
    (torch.full((1, 3, 4, 4), float("nan")), "finite"),
    (torch.zeros(1, 2, 4, 4), "expects"),
])
def test_bad_colour_inputs(images, message):
    with pytest.raises(p2p.InputError, match=message):
        rgb_to_lab(images) if images.shape[1] == 3 else colorize(_colorizer(), images)
