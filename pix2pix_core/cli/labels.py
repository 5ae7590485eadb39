"""``pix2pix translate labels.png --model G [--instance-map inst.png]``: label maps read as pix2pixHD takes them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import torch

from ..errors import InputError
from ..imaging.files import ImageFile, read_image
from ..imaging.labels import label_ids_from_colours, read_label_ids
from ..imaging.palettes import PALETTES
from ..inference.labels import clusters_beside, draw_features, encode_labels, label_layout
from ..networks import Generator
from ..weights.feature_clusters import read_feature_clusters


def label_reader(args: argparse.Namespace, generator: Generator, inputs: list[Path]) -> Callable[[Path], ImageFile]:
    """Each label map (ids, or a drawing in ``--palette``) with its instance map, encoded for ``generator``; the
    label count and the instance map's use are checked once, before any file."""
    clusters = _feature_clusters(args, generator)
    feature_channels = next(iter(clusters.values())).shape[1] if clusters else 0
    label_layout(generator, args.label_nc, args.instance_map is not None, feature_channels)
    instance_option = Path(args.instance_map) if args.instance_map else None
    if instance_option is not None and not instance_option.exists():
        raise InputError(f"--instance-map {instance_option}: no such file or folder.")
    if instance_option is not None and instance_option.is_file() and len(inputs) > 1:
        raise InputError(f"--instance-map {instance_option} is one file for {len(inputs)} label maps: give a folder "
                         "of instance maps named as the label maps (labelIds -> instanceIds).")
    palette = PALETTES[args.palette] if args.palette else None

    def read(path: Path) -> ImageFile:
        source = read_image(path) if palette else None
        ids = label_ids_from_colours(source.pixels[None], palette) if palette else read_label_ids(path)
        instances = None
        if instance_option is not None:
            instances = read_label_ids(_instance_file(instance_option, path), "instance map")
        features = draw_features(clusters, ids, instances, args.feature_seed) if clusters else None
        return ImageFile(encode_labels(generator, ids, instances, args.label_nc, features)[0], "PNG", 8)

    return read


def _feature_clusters(args: argparse.Namespace, generator: Generator) -> dict[int, torch.Tensor] | None:
    """The --cluster-file, or NVIDIA's cluster file beside the weights."""
    if args.cluster_file:
        if not Path(args.cluster_file).is_file():
            raise InputError(f"--cluster-file {args.cluster_file}: no such file.")
        return read_feature_clusters(args.cluster_file)
    return clusters_beside(generator, args.model)


def _instance_file(option: Path, label_map: Path) -> Path:
    """The instance map of ``label_map``: the file given, or in the folder given its Cityscapes name (labelIds ->
    instanceIds) or its own name."""
    if option.is_file():
        return option
    for name in (label_map.name.replace("labelIds", "instanceIds"), label_map.name):
        if (option / name).is_file():
            return option / name
    raise InputError(f"no instance map for {label_map.name} in {option} (looked for "
                     f"{label_map.name.replace('labelIds', 'instanceIds')}).")
