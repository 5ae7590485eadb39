"""Unpaired data and the image pool (CycleGAN): the reference's semantics, determinism, exact resume, bad inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

import pix2pix_core as p2p
from pix2pix_core.training.data import Jitter
from pix2pix_core.training.unpaired import ImagePool, UnpairedDataset


def _images(folder: Path, n: int, size=(40, 30), mode="RGB") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new(mode, size, (30 * i, 90, 200) if mode == "RGB" else 20 * i).save(folder / f"{i}.png")
    return folder


def test_the_pool_follows_the_reference():
    pool = ImagePool(3, seed=0)
    first = [torch.full((1, 2, 2, 2), float(i)) for i in range(3)]
    for image in first:  # until full: store and return the new image
        assert torch.equal(pool.query(image), image)
    stored = 0
    for i in range(200):
        new = torch.full((1, 2, 2, 2), 10.0 + i)
        returned = pool.query(new)
        if not torch.equal(returned, new):  # a stored, older image came back, and the new one took its place
            stored += 1
            assert returned.max() < 10.0 + i and any(torch.equal(t, new[0]) for t in pool.images)
    assert 70 < stored < 130  # about half the time
    assert all(t.shape == (2, 2, 2) for t in pool.images) and len(pool.images) == 3
    assert torch.equal(ImagePool(0).query(first[0]), first[0])  # pool_size 0: off


def test_the_pool_resumes_exactly():
    pool = ImagePool(4, seed=7)
    for i in range(6):
        pool.query(torch.full((2, 1, 2, 2), float(i)))
    state = pool.state_dict()
    buffer = __import__("io").BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    resumed = ImagePool(4, seed=999)
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    for i in range(20):
        batch = torch.full((2, 1, 2, 2), 100.0 + i)
        assert torch.equal(pool.query(batch), resumed.query(batch))
    with pytest.raises(p2p.InputError, match="same pool size"):
        ImagePool(5).load_state_dict(state)


def test_unpaired_data_is_deterministic_and_each_domain_jittered_alone(tmp_path):
    _images(tmp_path / "data" / "trainA", 3)
    _images(tmp_path / "data" / "trainB", 5, size=(50, 20))
    dataset = UnpairedDataset.from_folder(tmp_path / "data", jitter=Jitter(36, 32), seed=1)
    assert len(dataset) == 3 and "3 image(s) in A, 5 in B" in dataset.describe()
    a, b = dataset[1]
    assert a.shape == b.shape == (3, 32, 32) and -1 <= a.min() and a.max() <= 1
    again = UnpairedDataset.from_folder(tmp_path / "data", jitter=Jitter(36, 32), seed=1)
    assert all(torch.equal(x, y) for x, y in zip(dataset[2], again[2]))  # a function of (seed, epoch, index)
    partners = set()
    for epoch in range(8):
        dataset.epoch = epoch
        partners.add(round(dataset[0][1][0].mean().item(), 4))
    assert len(partners) > 1  # B is drawn anew per epoch


def test_unpaired_bad_inputs(tmp_path):
    messages = []
    with pytest.raises(p2p.InputError, match="no trainB folder"):
        UnpairedDataset.from_folder(_images(tmp_path / "x" / "trainA", 2).parent)
    _images(tmp_path / "a", 2)
    (tmp_path / "a" / "broken.png").write_text("no image")
    Image.new("RGB", (4, 4)).save(tmp_path / "a" / "tiny.png")
    (tmp_path / "empty").mkdir()
    with pytest.raises(p2p.InputError, match="domain B .* holds no usable images"):
        UnpairedDataset(tmp_path / "a", tmp_path / "empty", report=messages.append)
    assert "2 file(s) unreadable or under 8 px left out: broken.png, tiny.png" in messages[0]
    single = UnpairedDataset(tmp_path / "a", _images(tmp_path / "one", 1), report=messages.append)
    assert len(single) == 2 and single[0][1].shape[0] == 3  # one B image is enough
    with pytest.raises(p2p.InputError, match="1x1 pixels"):
        UnpairedDataset(torch.rand(2, 3, 1, 1), torch.rand(2, 3, 16, 16))
    gray = UnpairedDataset(torch.rand(2, 1, 16, 16), torch.rand(3, 3, 16, 16), report=messages.append)
    assert gray[0][0].shape[0] == 3 and "domain A: gray images, repeated to RGB." in messages
    gray_files = UnpairedDataset(_images(tmp_path / "gray", 2, mode="L"), tmp_path / "one", report=messages.append)
    assert gray_files[0][0].shape[0] == 3 and "domain A: 2 gray image(s), repeated to RGB." in messages
