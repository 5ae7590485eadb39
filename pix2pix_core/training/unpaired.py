"""Unpaired training data and the image pool of CycleGAN (Zhu et al., ICCV 2017), as the reference defines them.

- :class:`UnpairedDataset`: domain A in order, each A image with a B image drawn at random; each domain jittered on
  its own (resize, random crop, flip). As for paired data, every draw is a function of ``(seed, epoch, index)``,
  so a resumed run sees exactly the samples an uninterrupted one would.
- :class:`ImagePool`: the history of generated images the discriminators are trained on (50 by default). Until
  full it stores and returns each new image; then, with probability 0.5, it returns a stored image and keeps the
  new one in its place, else the new one. Its contents and its random state are a checkpoint's, so resuming is
  exact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset

from ..errors import InputError
from .data import MIN_TRAIN_SIDE, ImageFiles, Jitter, check_training_size, list_images, oriented_size
from .seeds import mixed_seed

log = logging.getLogger(__name__)

DOMAIN_FOLDERS = ("trainA", "trainB")  # the reference's unaligned layout
TEST_FOLDERS = ("testA", "testB")


def unpaired_domains(folder: str | Path) -> tuple[Path, Path] | None:
    """``(A, B)`` folders when ``folder`` is laid out as unpaired domains (testA/testB, else trainA/trainB)."""
    folder = Path(folder)
    for names in (TEST_FOLDERS, DOMAIN_FOLDERS):
        if all((folder / name).is_dir() for name in names):
            return folder / names[0], folder / names[1]
    return None


class UnpairedDataset(Dataset):
    """Two unpaired domains: folders (``DIR/trainA`` + ``DIR/trainB``, or any two), ``[N, C, H, W]`` tensors in
    0..1, or image sequences (a Hub dataset's columns, ``hub_datasets.ColumnImages``). Unreadable and too-small
    files are reported and left out; a domain with none left is refused."""

    def __init__(self, domain_a, domain_b, jitter: Jitter | None = None, seed: int = 0,
                 report: Callable[[str], None] | None = None) -> None:
        report = report or log.warning
        self.a, self.b = (_domain(source, name, report) for source, name in ((domain_a, "A"), (domain_b, "B")))
        self.jitter, self.seed, self.epoch = jitter, seed, 0
        self.provenance: dict[str, str] = {}  # where the data came from, for the checkpoint (a Hub dataset's commit)

    @classmethod
    def from_folder(cls, folder: str | Path, **kwargs) -> UnpairedDataset:
        """The reference's layout: ``folder/trainA`` and ``folder/trainB``."""
        folder = Path(folder)
        missing = [name for name in DOMAIN_FOLDERS if not (folder / name).is_dir()]
        if missing:
            raise InputError(f"{folder} has no {' or '.join(missing)} folder: unpaired data is laid out as "
                             f"{folder}/trainA and {folder}/trainB (or give the two domains' folders separately).")
        return cls(folder / "trainA", folder / "trainB", **kwargs)

    def __len__(self) -> int:
        return len(self.a)

    def describe(self) -> str:
        return f"unpaired domains: {len(self.a)} image(s) in A, {len(self.b)} in B (each A with a random B)"

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        generator = torch.Generator().manual_seed(mixed_seed(self.seed, self.epoch, index))
        partner = int(torch.randint(len(self.b), (), generator=generator))
        a, b = (_image(domain, i) * 2 - 1 for domain, i in ((self.a, index), (self.b, partner)))
        if self.jitter is not None:  # each domain its own crop and flip: the images are unrelated
            a, b = (self.jitter(image, image[:0], generator)[0] for image in (a, b))
        return a.contiguous(), b.contiguous()


def _domain(source, name: str, report: Callable[[str], None]):
    """The domain's images: a checked tensor, the usable files of a folder (as ImageFiles), or the sequence given."""
    if not isinstance(source, (str, Path, torch.Tensor)):
        if len(source) == 0:
            raise InputError(f"domain {name} ({source.where}) holds no images.")
        return source
    if isinstance(source, torch.Tensor):
        if source.dim() != 4 or len(source) == 0 or source.shape[1] not in (1, 3):
            raise InputError(f"domain {name} must be a non-empty [N, 1 or 3, H, W] batch, got {tuple(source.shape)}.")
        check_training_size(source, f"domain {name}'s images are")
        if not torch.isfinite(source).all():
            raise InputError(f"domain {name} holds NaN or Inf values.")
        if source.shape[1] == 1:
            report(f"domain {name}: gray images, repeated to RGB.")
        return source.float().expand(-1, 3, -1, -1)
    paths = list_images(Path(source))
    sizes = {path: oriented_size(path) for path in paths}
    bad = [p for p, size in sizes.items() if size is None or min(size) < MIN_TRAIN_SIDE]
    if bad:
        report(f"domain {name}: {len(bad)} file(s) unreadable or under {MIN_TRAIN_SIDE} px left out: "
               f"{', '.join(p.name for p in bad[:5])}{' …' if len(bad) > 5 else ''}")
    good = [p for p in paths if p not in bad]
    gray = sum(1 for p in good if _is_gray(p))
    if gray:
        report(f"domain {name}: {gray} gray image(s), repeated to RGB.")
    if not good:
        raise InputError(f"domain {name} ({source}) holds no usable images (.png, .jpg, ... of at least "
                         f"{MIN_TRAIN_SIDE} px a side).")
    return ImageFiles(good, source)


def _is_gray(path: Path) -> bool:
    with Image.open(path) as im:
        return im.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")


def _image(domain, index: int) -> torch.Tensor:
    return domain[index] if isinstance(domain, torch.Tensor) else domain.read(index)


class ImagePool:
    """The reference's image buffer (``pool_size`` 0 turns it off), with its own seeded random state."""

    def __init__(self, pool_size: int = 50, seed: int = 0) -> None:
        if pool_size < 0:
            raise InputError(f"pool_size must be 0 or more, got {pool_size}.")
        self.pool_size = pool_size
        self.images: list[torch.Tensor] = []
        self.generator = torch.Generator().manual_seed(seed)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """The images to train the discriminator on, for this batch of new ``images`` ``[B, C, H, W]``."""
        if self.pool_size == 0:
            return images
        chosen = []
        for image in images.detach():
            if len(self.images) < self.pool_size:
                self.images.append(image.clone())
                chosen.append(image)
            elif torch.rand((), generator=self.generator) > 0.5:
                slot = int(torch.randint(self.pool_size, (), generator=self.generator))
                chosen.append(self.images[slot])
                self.images[slot] = image.clone()
            else:
                chosen.append(image)
        return torch.stack(chosen)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Contents and random state, as tensors (a checkpoint loads them with ``weights_only=True``)."""
        stored = torch.stack([t.cpu() for t in self.images]) if self.images else torch.empty(0)
        return {"images": stored, "rng": self.generator.get_state(), "pool_size": torch.tensor(self.pool_size)}

    def load_state_dict(self, state: dict[str, torch.Tensor], device: torch.device | str = "cpu") -> None:
        if int(state["pool_size"]) != self.pool_size:
            raise InputError(f"the saved image pool holds up to {int(state['pool_size'])} images, this one "
                             f"{self.pool_size}: resume with the same pool size.")
        self.images = [t.to(device) for t in state["images"]] if state["images"].numel() else []
        self.generator.set_state(state["rng"])
