"""Label-map training data as NVIDIA/pix2pixHD lays it out and prepares it (``data/aligned_dataset.py``).

A folder holds ``train_label/`` (one-channel PNGs of label ids: Cityscapes' ``*_gtFine_labelIds.png``; ``test_label/``
for evaluation, and so on),
``train_img/`` (the photos) and, optionally, ``train_inst/`` (16-bit instance-id PNGs); the n-th files of each, in
sorted order, are one example, as NVIDIA pairs them. Each example is resized as NVIDIA's ``--resize_or_crop`` says
(labels and instances by nearest neighbour, the photo bicubic), cropped and flipped alike, and encoded by the
functions inference uses (one-hot labels, then the instance boundaries): training and inference cannot drift apart.
Without ``train_inst/``, a translator with a boundary channel learns from the boundaries between labels, which is
what it is given at inference without an instance map.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from ..errors import InputError
from ..imaging.labels import encode_label_map, read_label_ids
from ..inference.labels import label_layout
from .data import PairDataset, list_images, oriented_size, read_training_image
from .seeds import mixed_seed

LABEL_DIR, PHOTO_DIR, INSTANCE_DIR = "train_label", "train_img", "train_inst"  # NVIDIA's {phase}_label, ...
RESIZE_OR_CROP = ("scale_width", "scale_width_and_crop", "none")
EVALUATION_PHASES = ("test", "val", "train")  # the split pix2pix eval reads from a label-map folder, first found


def phase_folders(phase: str, images: bool = False) -> tuple[str, str, str]:
    """The input, photo and instance folder names of a split, as NVIDIA names them: train_label, test_img, ...;
    with ``images`` (label_nc 0: images in, not label maps) train_A and train_B."""
    names = (LABEL_DIR, PHOTO_DIR, INSTANCE_DIR) if not images else ("train_A", "train_B", INSTANCE_DIR)
    return tuple(name.replace("train", phase, 1) for name in names)


def evaluation_phase(folder: Path) -> str | None:
    """The split of a label-map folder to evaluate on: test, else val, else train; None when it has none."""
    return next((phase for phase in EVALUATION_PHASES if (Path(folder) / f"{phase}_label").is_dir()), None)


class LabelMapDataset(PairDataset):
    """``(encoded label map [label_nc (+1), H, W], photo [3, H, W] in [-1, 1])`` per example of ``folder``; with
    ``label_nc`` 0, NVIDIA's image mode: ``(image [3, H, W], photo)`` from ``train_A/`` and ``train_B/``.

    ``resize_or_crop``: ``scale_width`` resizes to ``load_size`` wide (aspect kept), ``scale_width_and_crop`` then
    takes a random ``crop_size`` square, ``none`` keeps the size; every size is then rounded to a multiple of the
    generator's stride ``multiple``, as NVIDIA's ``none`` mode does (its other modes would fail on such sizes)."""

    encoded = True

    def __init__(self, folder: str | Path, label_nc: int, boundaries: bool, *, load_size: int, crop_size: int,
                 resize_or_crop: str, multiple: int, flip: bool = True, seed: int = 0, phase: str = "train",
                 instance_ids: bool = False) -> None:
        super().__init__(seed=seed)
        folder = Path(folder)
        if resize_or_crop not in RESIZE_OR_CROP:
            raise InputError(f"resize_or_crop must be one of {', '.join(RESIZE_OR_CROP)}, got {resize_or_crop!r}.")
        self.images_in = label_nc == 0
        self.dirs = label_dir, photo_dir, instance_dir = phase_folders(phase, self.images_in)
        if not (folder / label_dir).is_dir():
            raise InputError(f"{folder} has no {label_dir}/ folder: label-map data is {label_dir}/ (label-id "
                             f"PNGs), {photo_dir}/ (the photos) and optionally {instance_dir}/, as NVIDIA's "
                             "pix2pixHD datasets are laid out.")
        self.labels = list_images(folder / label_dir)
        self.photos = list_images(folder / photo_dir) if (folder / photo_dir).is_dir() else []
        has_instances = (folder / instance_dir).is_dir() and not self.images_in
        self.instances = list_images(folder / instance_dir) if has_instances else None
        counts = {label_dir: len(self.labels), photo_dir: len(self.photos)}
        if self.instances is not None:
            counts[instance_dir] = len(self.instances)
        if not self.labels or len(set(counts.values())) > 1:
            listed = ", ".join(f"{name}/ {count}" for name, count in counts.items())
            raise InputError(f"{folder}: the folders must hold one file per example, paired in sorted order, and "
                             f"they hold {listed} image(s): add or remove files so that the counts agree.")
        self.folder, self.label_nc, self.boundaries = folder, label_nc, boundaries
        self.load_size, self.crop_size, self.resize_or_crop = load_size, crop_size, resize_or_crop
        self.multiple, self.flip = multiple, flip
        self.instance_ids = instance_ids  # one channel more: the ids a feature encoder averages over

    def __len__(self) -> int:
        return len(self.labels)

    def describe(self) -> str:
        boundaries = "" if not self.boundaries else (
            ", with instance maps" if self.instances is not None else
            f", no {self.dirs[2]}/: the boundaries between labels stand in for the instances'")
        what = "images" if self.images_in else "label maps"
        labels = "" if self.images_in else f", {self.label_nc} labels"
        return (f"{what} ({self.dirs[0]}/ + {self.dirs[1]}/), {len(self)} example(s){labels}"
                f"{boundaries}; {self.resize_or_crop} to {self.training_size(0)[0]}x{self.training_size(0)[1]}")

    def training_size(self, index: int) -> tuple[int, int]:
        """``(width, height)`` of example ``index`` as trained (before the crop), from its label file's header."""
        size = oriented_size(self.labels[index])
        if size is None:
            raise InputError(f"{self.labels[index]} cannot be read as an image.")
        width, height = size
        if self.resize_or_crop != "none":
            width, height = self.load_size, int(self.load_size * height / width)
        return (max(self.multiple, round(width / self.multiple) * self.multiple),
                max(self.multiple, round(height / self.multiple) * self.multiple))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels, instances, photo = self._read(index)
        width, height = self.training_size(index)
        instances = _nearest(instances, height, width) if instances is not None else None
        labels, photo = (_bicubic(x, height, width) if x.is_floating_point() else _nearest(x, height, width)
                         for x in (labels, photo))
        generator = torch.Generator().manual_seed(mixed_seed(self.seed, self.epoch, index))
        window = self._crop_window(height, width, generator)
        flip = self.flip and bool(torch.rand((), generator=generator) < 0.5)
        labels, instances, photo = (_cropped(x, window, flip) if x is not None else None
                                    for x in (labels, instances, photo))
        if self.images_in:
            return (labels * 2 - 1).contiguous(), (photo * 2 - 1).contiguous()
        if int(labels.max()) >= self.label_nc:
            raise InputError(f"{self.labels[index]} holds label id {int(labels.max())}, but the run has label_nc "
                             f"{self.label_nc} (ids 0..{self.label_nc - 1}): set --label-nc to the number of labels "
                             "of the dataset (Cityscapes' labelIds: 35), or remove the file.")
        boundaries_of = instances if instances is not None else labels
        encoded = encode_label_map(labels[None], self.label_nc, boundaries_of[None] if self.boundaries else None)[0]
        if self.instance_ids:  # exact as floats: ids stay far below 2^24
            encoded = torch.cat([encoded, boundaries_of.to(encoded.dtype)])
        return encoded.contiguous(), (photo * 2 - 1).contiguous()

    def _read(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        labels = read_training_image(self.labels[index]) if self.images_in else read_label_ids(self.labels[index])[0]
        instances = read_label_ids(self.instances[index], "instance map")[0] if self.instances is not None else None
        if instances is not None and instances.shape != labels.shape:
            raise InputError(f"{self.instances[index]} is {_size(instances)} but its label map "
                             f"{self.labels[index].name} is {_size(labels)}: the n-th files of {self.dirs[2]}/ and "
                             f"{self.dirs[0]}/ must be the same scene.")
        photo = read_training_image(self.photos[index])
        (lh, lw), (ph, pw) = labels.shape[-2:], photo.shape[-2:]
        if abs(lw / lh - pw / ph) > 0.01 * lw / lh:
            raise InputError(f"{self.photos[index]} is {pw}x{ph} but its label map {self.labels[index].name} is "
                             f"{lw}x{lh}, another shape: the n-th files of {self.dirs[1]}/ and {self.dirs[0]}/ must be "
                             "the same scene (a photo at another resolution of the same shape is resized).")
        return labels, instances, photo

    def _crop_window(self, height: int, width: int, generator: torch.Generator) -> tuple[int, int, int, int]:
        """(top, left, height, width): NVIDIA's random square crop where the image exceeds it, else everything."""
        if self.resize_or_crop != "scale_width_and_crop" or (width <= self.crop_size and height <= self.crop_size):
            return 0, 0, height, width
        left = int(torch.randint(0, max(0, width - self.crop_size) + 1, (1,), generator=generator))
        top = int(torch.randint(0, max(0, height - self.crop_size) + 1, (1,), generator=generator))
        return top, left, min(self.crop_size, height - top), min(self.crop_size, width - left)


def _nearest(ids: torch.Tensor, height: int, width: int) -> torch.Tensor:
    if ids.shape[-2:] == (height, width):
        return ids
    return F.interpolate(ids[None].double(), size=(height, width), mode="nearest-exact")[0].long()


def _bicubic(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    if image.shape[-2:] == (height, width):
        return image
    return F.interpolate(image[None], size=(height, width), mode="bicubic", antialias=True)[0].clamp(0, 1)


def _cropped(x: torch.Tensor, window: tuple[int, int, int, int], flip: bool) -> torch.Tensor:
    top, left, height, width = window
    x = x[..., top:top + height, left:left + width]
    return x.flip(-1) if flip else x


def _size(ids: torch.Tensor) -> str:
    return f"{ids.shape[-1]}x{ids.shape[-2]}"


def label_map_dataset(folder: str | Path, config) -> LabelMapDataset:
    """The label-map dataset a pix2pixHD run (``config``: a Pix2PixHDConfig) trains on. A batch of several examples
    needs one training size for all: examples of other shapes are refused by name then."""
    generator = config.network_configs()[0]
    multiple = max(generator.multiple, config.encoder_config().multiple if config.instance_feat else 1)
    dataset = LabelMapDataset(folder, config.label_nc, config.instance, load_size=config.load_size,
                              crop_size=config.crop_size, resize_or_crop=config.resize_or_crop, multiple=multiple,
                              flip=config.flip, seed=config.seed, instance_ids=config.instance_feat)
    if config.batch_size > 1 and config.resize_or_crop != "scale_width_and_crop":
        first = dataset.training_size(0)
        other = next((i for i in range(len(dataset)) if dataset.training_size(i) != first), None)
        if other is not None:
            raise InputError(f"a batch of {config.batch_size} needs examples of one size, but "
                             f"{dataset.labels[0].name} trains at {first[0]}x{first[1]} and "
                             f"{dataset.labels[other].name} at {'x'.join(map(str, dataset.training_size(other)))}: "
                             "use --batch-size 1, or --resize-or-crop scale_width_and_crop.")
    smallest = 2 * multiple
    width, height = dataset.training_size(0)
    if min(width, height) < smallest:
        raise InputError(f"the examples train at {width}x{height}, but this generator needs at least {smallest} "
                         "pixels a side: raise --load-size, or lower --n-downsample-global.")
    return dataset


def evaluation_dataset(folder: str | Path, generator, label_nc: int | None = None) -> LabelMapDataset:
    """The label maps of a folder's test split (else val, else train) encoded for ``generator`` (its label layout,
    as inference reads it), at their own size, unflipped: translate pads them to the network's multiple."""
    phase = evaluation_phase(folder)
    if phase is None:
        raise InputError(f"{folder} has no test_label/, val_label/ or train_label/ folder: a label-map translator "
                         "is evaluated on label maps and their photos, laid out as NVIDIA's datasets.")
    has_instances = (Path(folder) / phase_folders(phase)[2]).is_dir()
    label_nc, boundaries = label_layout(generator, label_nc, has_instances)
    return LabelMapDataset(folder, label_nc, boundaries, load_size=1, crop_size=1, resize_or_crop="none", multiple=1,
                           flip=False, phase=phase)
