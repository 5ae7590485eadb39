"""Edges: Canny against scikit-image on real photos, XDoG, HED (real key layout, independent forward, Hub
download with the shared rules) and the paper's post-processing."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import hed_checkpoint, random_images
from skimage import color, data, feature

import pix2pix_core as p2p
from pix2pix_core.imaging.edges import (
    canny,
    connected_components,
    hed,
    postprocess_hed,
    remove_small_components,
    thin,
    xdog,
)
from pix2pix_core.weights.hed import HED_FILE, HED_REPO, load_hed

PHOTOS = {"astronaut": lambda: color.rgb2gray(data.astronaut()), "coffee": lambda: color.rgb2gray(data.coffee()),
          "camera": lambda: data.camera() / 255.0}


@pytest.mark.parametrize("name", sorted(PHOTOS))
@pytest.mark.parametrize(("sigma", "low", "high"), [(1.0, 0.1, 0.2), (2.0, 0.05, 0.15), (1.5, 0.02, 0.08)])
def test_canny_agrees_with_skimage_on_photos(name, sigma, low, high):
    gray = PHOTOS[name]()
    expected = feature.canny(gray, sigma=sigma, low_threshold=low, high_threshold=high)
    ours = canny(torch.from_numpy(gray).float()[None, None], low, high, sigma)[0, 0].bool().numpy()
    assert (ours == expected).mean() >= 0.99
    assert (ours & expected).sum() / (ours | expected).sum() >= 0.95  # the edges themselves, not just background


def test_canny_is_batched_and_takes_colour():
    rgb = torch.from_numpy(data.astronaut() / 255.0).float().permute(2, 0, 1)[None, :, ::2, ::2]
    batch = torch.cat([rgb, rgb.flip(-1)])
    edges = canny(batch)
    assert edges.shape == (2, 1, 256, 256) and set(edges.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(edges[1], edges[0].flip(-1)) or (edges[1] != edges[0].flip(-1)).float().mean() < 0.01
    assert torch.equal(canny(batch, black_on_white=True), 1 - edges)


def test_xdog_draws_dark_lines_on_white():
    image = torch.ones(1, 1, 64, 64)
    image[..., 30:34, :] = 0.0  # a dark stripe
    sketch = xdog(image)
    assert sketch.shape == (1, 1, 64, 64)
    assert sketch[0, 0, 5:20].min() > 0.99 and sketch[0, 0, 31, 10:50].max() < 0.05
    assert torch.equal(xdog(torch.full((1, 3, 16, 16), 0.8)), torch.ones(1, 1, 16, 16))


def _reference_hed_forward(state: dict, rgb255: torch.Tensor) -> torch.Tensor:
    """design.md section 5, written out with functional ops from the state dict alone."""
    h = rgb255 - state["norm"]
    projections = []
    for block, layers in zip(range(1, 6), (2, 2, 3, 3, 3)):
        if block > 1:
            h = F.max_pool2d(h, 2, 2)
        for i in range(layers):
            h = F.relu(F.conv2d(h, state[f"block{block}.convs.{i}.weight"], state[f"block{block}.convs.{i}.bias"],
                                padding=1))
        p = F.conv2d(h, state[f"block{block}.projection.weight"], state[f"block{block}.projection.bias"])
        projections.append(F.interpolate(p, size=rgb255.shape[-2:], mode="bilinear", align_corners=False))
    return torch.sigmoid(sum(projections) / 5)


@pytest.fixture
def hed_hub(hub):
    buffer = io.BytesIO()
    torch.save(hed_checkpoint(), buffer)
    hub.state.add_commit(HED_REPO, {HED_FILE: buffer.getvalue(), "other.pth": b"not needed"})
    return hub


def test_hed_from_the_hub_matches_an_independent_forward(hed_hub, tmp_path):
    net = load_hed(cache_dir=tmp_path / "cache")
    assert hed_hub.state.downloads == [f"{HED_REPO}/{HED_FILE}@{hed_hub.state.repos[HED_REPO].refs['main']}"]
    images = random_images(2, 3, 45, 70)
    expected = _reference_hed_forward(hed_checkpoint(), images * 255)
    torch.testing.assert_close(hed(net, images), expected, atol=1e-5, rtol=1e-5)
    assert torch.equal(hed(net, images, black_on_white=True), 1 - hed(net, images))


def test_hed_offline_without_weights_says_where_to_put_them(hed_hub, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(p2p.HubError, match=r"offline.*ControlNetHED.pth of lllyasviel/Annotators.*put it at .*"
                                           r"models/hed/ControlNetHED.pth"):
        load_hed(cache_dir=tmp_path / "empty", local_dir=tmp_path / "models" / "hed")


def test_hed_rejects_other_checkpoints(tmp_path):
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "x.pth")
    with pytest.raises(p2p.InputError, match="not a ControlNetHED checkpoint"):
        load_hed(tmp_path / "x.pth")


def test_paper_postprocess_thins_thresholds_and_cleans():
    h, w = 48, 48
    xx = torch.arange(w).float().expand(h, w)
    probability = torch.exp(-((xx - 20) ** 2) / (2 * 2.0**2))[None, None].clone()  # a soft 5-px-wide ridge
    probability[..., 5:7, 40:42] = 0.9  # a 4-px speck: removed
    probability[..., :, 44:] = 20 / 255  # below the 25/255 threshold: dropped
    edges = postprocess_hed(probability)
    rows = edges[0, 0, 3:-3]
    assert torch.equal(rows.sum(1), torch.ones(h - 6))  # one pixel per row: thinned
    assert rows[:, 20].all()  # on the ridge
    assert edges[..., :, 30:].sum() == 0  # speck and faint band gone


def test_thin_and_components():
    bar = torch.zeros(1, 1, 30, 30, dtype=torch.bool)
    bar[..., 5:25, 10:15] = True
    thinned = thin(bar)
    assert thinned.sum() < bar.sum() / 3 and (thinned[..., 8:22, :].sum(-1) <= 2).all()
    mask = torch.zeros(1, 1, 10, 10, dtype=torch.bool)
    mask[..., 1, 1:4] = True  # 3 px
    mask[..., 5:8, 5] = True  # 3 px, diagonal neighbour below
    mask[..., 8, 6] = True
    labels = connected_components(mask)
    assert labels[0, 0, 1, 1] == labels[0, 0, 1, 3] and labels[0, 0, 5, 5] == labels[0, 0, 8, 6]
    assert labels[0, 0, 1, 1] != labels[0, 0, 5, 5]
    kept = remove_small_components(mask, 4)
    assert kept[..., 1, :].sum() == 0 and kept[..., 5:9, :].sum() == 4


@pytest.mark.parametrize(("call", "message"), [
    (lambda: canny(torch.rand(1, 1, 8, 8), low=0.3, high=0.2), "must not exceed"),
    (lambda: canny(torch.rand(1, 1, 8, 8), low=-0.1), "between 0 and 1"),
    (lambda: canny(torch.rand(1, 1, 8, 8), high=1.5), "between 0 and 1"),
    (lambda: canny(torch.rand(1, 1, 8, 8), sigma=0), "sigma must be positive"),
    (lambda: canny(torch.full((1, 3, 8, 8), float("nan"))), "finite"),
    (lambda: canny(torch.zeros(0, 3, 8, 8)), "empty"),
    (lambda: canny(torch.zeros(1, 3, 0, 8)), "empty"),
    (lambda: canny(torch.zeros(3, 8, 8)), r"\[B, 1\|3\|4, H, W\]"),
    (lambda: xdog(torch.rand(1, 1, 8, 8), k=1.0), "k > 1"),
])
def test_bad_edge_inputs(call, message):
    with pytest.raises(p2p.InputError, match=message):
        call()


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_tiny_images_and_channel_counts(channels):
    for size in ((1, 1), (2, 3), (5, 7)):
        assert canny(torch.rand(1, channels, *size)).shape == (1, 1, *size)
        assert xdog(torch.rand(1, channels, *size)).shape == (1, 1, *size)


def test_single_colour_has_no_edges():
    assert canny(torch.full((2, 3, 32, 32), 0.4)).sum() == 0
    assert np.isclose(canny(torch.full((1, 1, 32, 32), 0.4), black_on_white=True).mean().item(), 1.0)
