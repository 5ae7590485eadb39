"""A street scene drawn as label maps, in Cityscapes ids: what the pix2pixHD tests, the benchmark and the
labels_to_city template translate (no Cityscapes file: their terms do not allow passing them on)."""

from __future__ import annotations

import torch


def street_scene(width: int, height: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A drawn street as Cityscapes ids and instance ids ([1, 1, H, W]): sky, buildings with a wall and trees, a
    pole with a sign, a traffic light, a fence, a sidewalk, a road with ground and terrain, two touching cars (told
    apart only by the instance map), a bus, two people and a bicycle: 16 labels, 6 instances."""
    labels = torch.full((height, width), 23)
    rows = lambda a, b: slice(int(a * height), int(b * height))  # noqa: E731
    cols = lambda a, b: slice(int(a * width), int(b * width))  # noqa: E731
    labels[rows(0.15, 0.55), :] = 11
    labels[rows(0.25, 0.55), cols(0.6, 0.8)] = 21
    labels[rows(0.2, 0.5), cols(0.05, 0.3)] = 12
    labels[rows(0.55, 0.65), :] = 8
    labels[rows(0.65, 1.0), :] = 7
    labels[rows(0.3, 0.65), cols(0.45, 0.455)] = 17
    labels[rows(0.3, 0.34), cols(0.44, 0.47)] = 20
    labels[rows(0.35, 0.38), cols(0.5, 0.52)] = 19
    labels[rows(0.5, 0.58), cols(0.85, 0.95)] = 13
    labels[rows(0.8, 1.0), cols(0.0, 1.0)] = 6
    labels[rows(0.9, 1.0), cols(0.3, 0.5)] = 22
    instances = labels.clone()
    for k, (label, r, c) in enumerate([(26, (0.62, 0.8), (0.1, 0.3)), (26, (0.62, 0.78), (0.3, 0.45)),
                                       (28, (0.5, 0.75), (0.55, 0.75)), (24, (0.5, 0.7), (0.8, 0.82)),
                                       (24, (0.5, 0.7), (0.83, 0.85)), (33, (0.6, 0.7), (0.86, 0.9))]):
        labels[rows(*r), cols(*c)] = label
        instances[rows(*r), cols(*c)] = label * 1000 + k
    return labels[None, None], instances[None, None]


def street_photo(labels: torch.Tensor, instances: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """A "photo" of a drawn street ([1, 3, H, W] in 0..1): each label in its Cityscapes colour, each instance a
    little brighter than the last, with fixed noise: what a translator of these label maps can learn to draw."""
    from pix2pix_core.imaging.labels import coloured_labels

    picture = coloured_labels(torch.nn.functional.one_hot(labels[:, 0], 34).permute(0, 3, 1, 2).float(), 34)
    picture = picture * (1 + 0.15 * (instances % 1000 % 7 - 3) * (instances >= 1000))
    noise = torch.rand(picture.shape, generator=torch.Generator().manual_seed(seed)) - 0.5
    return (picture + 0.1 * noise).clamp(0, 1)


def write_street_dataset(folder, examples: int, width: int, height: int, instances: bool = True,
                         phase: str = "train"):
    """NVIDIA's layout, ``train_label/`` (8-bit ids), ``train_inst/`` (16-bit), ``train_img/`` (or another
    ``phase``'s): the street shifted sideways and mirrored from example to example, with the Cityscapes names."""
    from pathlib import Path

    from PIL import Image

    from pix2pix_core.imaging.files import save_image

    folder = Path(folder)
    label_dir, photo_dir, instance_dir = (folder / f"{phase}_{kind}" for kind in ("label", "img", "inst"))
    for path in (label_dir, photo_dir) + ((instance_dir,) if instances else ()):
        path.mkdir(parents=True, exist_ok=True)
    labels, instance_ids = street_scene(width, height)
    for n in range(examples):
        shift = n * width // max(examples, 1)
        ids, inst = labels.roll(shift, -1), instance_ids.roll(shift, -1)
        if n % 2:
            ids, inst = ids.flip(-1), inst.flip(-1)
        stem = f"city_{n:06d}_000019"
        Image.fromarray(ids[0, 0].numpy().astype("uint8")).save(label_dir / f"{stem}_gtFine_labelIds.png")
        if instances:
            Image.fromarray(inst[0, 0].numpy().astype("uint16")).save(instance_dir / f"{stem}_gtFine_instanceIds.png")
        save_image(street_photo(ids, inst, n)[0], photo_dir / f"{stem}_leftImg8bit.png")
    return folder
