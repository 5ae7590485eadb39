"""Paired training data: aligned A|B images, A/ and B/ folders, pairs derived from photos, in-memory tensors.

The images come from files (``ImageFiles``) or from a Hub dataset's Image columns (``hub_datasets.ColumnImages``),
which offer the same reading methods, so every layout works on either.

Every dataset yields ``(A, B)`` as float tensors in [-1, 1], ``[C, H, W]``, after the paper's jitter applied
identically to both (resize, random crop, random horizontal flip). Randomness comes from ``(seed, index,
epoch)`` only, so a run that stops and resumes sees exactly the samples an uninterrupted run would.
Derived pairs use the same functions as inference (``imaging.lab.encode_l``/``encode_ab``,
``imaging.edges.canny``/``xdog``/``hed``), so training and inference preparation cannot drift apart.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from ..errors import InputError
from ..imaging.edges import canny, xdog
from ..imaging.files import IMAGE_SUFFIXES, load_image
from ..imaging.lab import encode_ab, encode_l, rgb_to_lab
from ..imaging.tensors import to_channels
from ..networks.io import DIRECTIONS
from .seeds import mixed_seed

log = logging.getLogger(__name__)

MIN_TRAIN_SIDE = 8


@dataclass(frozen=True)
class Jitter:
    """The paper's augmentation: resize to ``load_size`` (bicubic), random ``crop_size`` crop, random flip."""

    load_size: int = 286
    crop_size: int = 256
    flip: bool = True

    def __call__(self, a: torch.Tensor, b: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
        if self.crop_size > self.load_size:
            raise InputError(f"crop_size {self.crop_size} is larger than load_size {self.load_size}.")
        pair = torch.cat([a, b])  # one resize, crop and flip for both
        pair = F.interpolate(pair[None], size=(self.load_size, self.load_size), mode="bicubic",
                             align_corners=False, antialias=True)[0].clamp(-1, 1)
        top, left = (int(torch.randint(0, self.load_size - self.crop_size + 1, (1,), generator=generator))
                     for _ in range(2))
        pair = pair[:, top:top + self.crop_size, left:left + self.crop_size]
        if self.flip and torch.rand((), generator=generator) < 0.5:
            pair = pair.flip(-1)
        return pair[:a.shape[0]], pair[a.shape[0]:]


def list_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of images.")
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


# width / height of an input | target image of two roughly square halves; a folder is refused as aligned pairs when
# most of its images lie outside (plain photos), and split at the middle when only a minority do (non-square halves)
ALIGNED_RATIO = (1.8, 2.2)


def oriented_size(source: Path | bytes) -> tuple[int, int] | None:
    """``(width, height)`` as displayed (EXIF rotation applied) from the header of a file (or its bytes) alone;
    None when unreadable (the read during training names the file)."""
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as im:
            width, height = im.size
            rotated = im.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    except (UnidentifiedImageError, OSError):
        return None
    return (height, width) if rotated else (width, height)


def read_training_image(path: Path, mode: str = "RGB") -> torch.Tensor:
    image = load_image(path, mode)
    check_training_size(image, f"{path} is")
    return image


def check_training_size(images: torch.Tensor, what: str) -> None:
    """Refuse images under MIN_TRAIN_SIDE a side: resized to load_size, they hold nothing to learn from."""
    if min(images.shape[-2:]) < MIN_TRAIN_SIDE:
        raise InputError(f"{what} {images.shape[-1]}x{images.shape[-2]} pixels; training images need at least "
                         f"{MIN_TRAIN_SIDE} pixels on each side.")


class PairDataset(Dataset):
    """Base: subclasses implement ``pair(index) -> (A, B)`` in 0..1 (or already encoded, see ``encoded``)."""

    encoded = False  # True when pair() returns network-space tensors (e.g. Lab encodings) instead of 0..1 images

    def __init__(self, jitter: Jitter | None = None, seed: int = 0) -> None:
        self.jitter = jitter
        self.seed = seed
        self.epoch = 0
        self.provenance: dict[str, str] = {}  # where the data came from, for the checkpoint (a Hub dataset's commit)

    def pair(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def describe(self) -> str:
        """The detected layout and the number of pairs, in words (printed at the start of every run)."""
        return f"{len(self)} pair(s)"

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.pair(index)
        if not self.encoded:
            a, b = a * 2 - 1, b * 2 - 1
        if self.jitter is not None:
            generator = torch.Generator().manual_seed(mixed_seed(self.seed, self.epoch, index))
            a, b = self.jitter(a, b, generator)
        return a.contiguous(), b.contiguous()


class ImageFiles:
    """Image files as a dataset reads them: one per index, named by file in messages. A Hub dataset's image column
    (``hub_datasets.ColumnImages``) offers the same methods."""

    separate_hint = "for separate input and target files use A/ and B/ subfolders with matching names"

    def __init__(self, paths: list[Path], where: str | Path) -> None:
        self.paths, self.where = paths, str(where)

    @classmethod
    def in_folder(cls, folder: str | Path) -> ImageFiles:
        paths = list_images(Path(folder))
        if not paths:
            raise InputError(f"{folder} holds no images (.png, .jpg, ...).")
        return cls(paths, folder)

    def __len__(self) -> int:
        return len(self.paths)

    def read(self, index: int) -> torch.Tensor:
        return read_training_image(self.paths[index])

    def size(self, index: int) -> tuple[int, int] | None:
        return oriented_size(self.paths[index])

    def name(self, index: int) -> str:
        return self.paths[index].name

    def layout_sample(self) -> range:
        """The indices whose sizes show the layout: every file (headers only, cheap)."""
        return range(len(self))


class TensorImages:
    """Images given as ``[N, C, H, W]`` in 0..1 (a node's IMAGE batch), read as :class:`ImageFiles` reads files."""

    separate_hint = "for separate inputs and targets connect both"

    def __init__(self, images: torch.Tensor, where: str = "the images") -> None:
        self.images, self.where = images, where

    def __len__(self) -> int:
        return self.images.shape[0]

    def read(self, index: int) -> torch.Tensor:
        image = to_channels(self.images[index][None].float(), 3)[0]
        check_training_size(image, f"{self.where}, {self.name(index)} is")
        return image

    def size(self, index: int) -> tuple[int, int]:
        return self.images.shape[-1], self.images.shape[-2]

    def name(self, index: int) -> str:
        return f"image {index}"


def as_images(images) -> ImageFiles:
    """``images`` as given (ImageFiles or an image column), an image tensor, or the images in a folder."""
    if isinstance(images, torch.Tensor):
        return TensorImages(images)
    return ImageFiles.in_folder(images) if isinstance(images, (str, Path)) else images


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise InputError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}.")


class AlignedDataset(PairDataset):
    """Images holding A on the left half and B on the right (the reference's ``aligned`` mode): a folder of files,
    or a Hub dataset's image column."""

    def __init__(self, images, direction: str = "AtoB", **kwargs) -> None:
        super().__init__(**kwargs)
        _check_direction(direction)
        self.images, self.direction = as_images(images), direction
        sample = self.images.layout_sample()
        self.off_ratio = [(i, size) for i, size in ((i, self.images.size(i)) for i in sample)
                          if size is not None and not ALIGNED_RATIO[0] <= size[0] / size[1] <= ALIGNED_RATIO[1]]
        self.sampled = len(sample)
        if len(self.off_ratio) * 2 > self.sampled:
            raise InputError(
                f"{self.images.where} does not look like aligned pairs: {self._off_ratio_summary()}, as an "
                "input | target image is. For plain photos use --preset colorize or --preset edges2photo (pairs "
                f"derived from the photos); {self.images.separate_hint}."
            )

    def _off_ratio_summary(self) -> str:
        listed = ", ".join(f"{self.images.name(i)} ({w}x{h})" for i, (w, h) in self.off_ratio[:3])
        return (f"{len(self.off_ratio)} of {self.sampled} image(s) are not about twice as wide as high "
                f"({listed}{', ...' if len(self.off_ratio) > 3 else ''})")

    def __len__(self) -> int:
        return len(self.images)

    def describe(self) -> str:
        sides = "A | B" if self.direction == "AtoB" else "B | A (BtoA: the right half is the input)"
        odd = (f"; {self._off_ratio_summary()}: a minority, so taken as pairs of non-square halves and split at "
               "the middle, as the reference does" if self.off_ratio else "")
        return f"aligned pairs, {len(self)} image(s) split into {sides}{odd}"

    def pair(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.images.read(index)
        half = image.shape[-1] // 2
        a, b = image[..., :half], image[..., half:2 * half]
        check_training_size(a, f"{self.images.name(index)} splits into halves of")
        return (a, b) if self.direction == "AtoB" else (b, a)


class SeparatePairDataset(PairDataset):
    """Inputs and targets from two image sequences of the same length, pair i = (A[i], B[i]); a target of another
    size is resized to its input's."""

    def __init__(self, a_images, b_images, direction: str = "AtoB", **kwargs) -> None:
        super().__init__(**kwargs)
        _check_direction(direction)
        self.a_images, self.b_images, self.direction = a_images, b_images, direction

    def __len__(self) -> int:
        return len(self.a_images)

    def pair(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.a_images.read(index), self.b_images.read(index)
        if a.shape[-2:] != b.shape[-2:]:
            b = F.interpolate(b[None], size=a.shape[-2:], mode="bicubic", antialias=True)[0].clamp(0, 1)
        return (a, b) if self.direction == "AtoB" else (b, a)


class FolderPairDataset(SeparatePairDataset):
    """``A/`` and ``B/`` folders paired by file stem; unpaired files are reported and skipped."""

    def __init__(self, folder: str | Path, direction: str = "AtoB", report: Callable[[str], None] | None = None,
                 **kwargs) -> None:
        folder = Path(folder)
        a_files = {p.relative_to(folder / "A").with_suffix(""): p for p in list_images(folder / "A")}
        b_files = {p.relative_to(folder / "B").with_suffix(""): p for p in list_images(folder / "B")}
        unpaired = sorted(str(s) for s in set(a_files) ^ set(b_files))
        if unpaired:
            (report or log.warning)(
                f"{len(unpaired)} file(s) without a partner skipped: {', '.join(unpaired[:5])}"
                f"{' …' if len(unpaired) > 5 else ''}")
        stems = sorted(set(a_files) & set(b_files))
        if not stems:
            raise InputError(f"{folder}/A and {folder}/B share no file names: name each input and its target "
                             "alike (A/001.png with B/001.jpg).")
        super().__init__(ImageFiles([a_files[s] for s in stems], folder / "A"),
                         ImageFiles([b_files[s] for s in stems], folder / "B"), direction, **kwargs)
        self.unpaired = len(unpaired)

    def describe(self) -> str:
        skipped = f", {self.unpaired} file(s) without a partner skipped" if self.unpaired else ""
        return f"A/ + B/ folders paired by file name, {len(self)} pair(s) ({self.direction}){skipped}"


class TensorPairDataset(PairDataset):
    """In-memory ``[N, C, H, W]`` inputs and targets in 0..1 (what the ComfyUI training node passes)."""

    def __init__(self, inputs: torch.Tensor, targets: torch.Tensor, **kwargs) -> None:
        super().__init__(**kwargs)
        if inputs.dim() != 4 or targets.dim() != 4 or len(inputs) != len(targets) or len(inputs) == 0:
            raise InputError(f"inputs and targets must be non-empty [N, C, H, W] batches of the same length; got "
                             f"{tuple(inputs.shape)} and {tuple(targets.shape)}.")
        if not torch.isfinite(inputs).all() or not torch.isfinite(targets).all():
            raise InputError("inputs and targets must be finite (found NaN or Inf).")
        for label, images in (("inputs", inputs), ("targets", targets)):
            check_training_size(images, f"the {label} are")
        self.inputs, self.targets = inputs.float(), targets.float()

    def __len__(self) -> int:
        return len(self.inputs)

    def describe(self) -> str:
        return f"{len(self)} in-memory pair(s)"

    def pair(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.inputs[index], self.targets[index]
        if a.shape[-2:] != b.shape[-2:]:
            b = F.interpolate(b[None], size=a.shape[-2:], mode="bicubic", antialias=True)[0].clamp(0, 1)
        return a, b


DERIVED_DESCRIPTIONS = {"colorize": "Lab L -> ab (colorization)", "edges": "Canny edges -> photo",
                        "sketch": "XDoG sketch -> photo"}
DERIVED_KINDS = tuple(DERIVED_DESCRIPTIONS)


class DerivedPairDataset(PairDataset):
    """Pairs made from photos (a folder, or a Hub dataset's image column): ``colorize`` (Lab L -> ab), ``edges``
    (Canny, black on white -> photo) or ``sketch`` (XDoG -> photo). The same functions prepare inputs at inference
    time."""

    def __init__(self, images, kind: str = "colorize", **kwargs) -> None:
        super().__init__(**kwargs)
        if kind not in DERIVED_KINDS:
            raise InputError(f"kind must be one of {', '.join(DERIVED_KINDS)}, got {kind!r}.")
        self.images = as_images(images)
        self.kind = kind
        self.encoded = kind == "colorize"

    def __len__(self) -> int:
        return len(self.images)

    def describe(self) -> str:
        return f"{len(self)} photo(s), each made into a {DERIVED_DESCRIPTIONS[self.kind]} pair"

    def pair(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return derive_pair(self.images.read(index), self.kind)


def derive_pair(photo: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(input, target)`` derived from one ``[3, H, W]`` photo in 0..1.

    ``colorize`` returns network-space tensors (L/50 - 1, ab/110); the others return 0..1 images."""
    if kind == "colorize":
        lab = rgb_to_lab(photo)
        return encode_l(lab), encode_ab(lab)
    if kind == "edges":
        return canny(photo[None], black_on_white=True)[0].expand(3, -1, -1), photo
    return xdog(photo[None])[0].expand(3, -1, -1), photo
