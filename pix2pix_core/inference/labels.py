"""Label maps to pictures with a pix2pixHD-style translator: its input is one-hot labels (and instance boundaries).

How many labels the one-hot has, and whether a boundary channel follows, is recorded in a translator's
``config.json`` (``io.label_nc``, ``io.instance_boundaries``). NVIDIA's ``latest_net_G.pth`` records neither: its
input channel count is labels + 1 with instance maps (Cityscapes: 35 + 1) or labels alone, so an instance map
given says the first, ``label_nc`` given says either, and with neither the error asks. A translator trained with
instance features (NVIDIA's ``--instance_feat``) takes ``feat_num`` channels more, sampled per instance from its
feature-cluster file (``weights/feature_clusters.py``) and passed as ``features``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import torch

from ..errors import InputError
from ..imaging.labels import encode_label_map
from ..networks import Generator
from ..weights.feature_clusters import find_feature_clusters, read_feature_clusters, sample_instance_features
from .translate import translate

log = logging.getLogger(__name__)


def label_layout(generator: Generator, label_nc: int | None = None, has_instances: bool = False,
                 feature_channels: int = 0) -> tuple[int, bool]:
    """(label count, whether a boundary channel follows) for ``generator``'s input, of which the last
    ``feature_channels`` are instance features."""
    io, channels = generator.io, generator.config.in_channels - feature_channels
    if io.input_space != "labels":
        raise InputError(f"this translator takes {io.input_space} images ({channels} channel(s)), not label maps: "
                         "translate an image with it.")
    label_nc = label_nc or io.label_nc
    if label_nc is None:
        if io.instance_boundaries or has_instances:
            return channels - 1, True
        if io.instance_boundaries is None:
            raise InputError(f"this translator takes {channels} input channels: {channels - 1} labels and the "
                             f"instance boundaries (Cityscapes' label2city: 35 + 1), or {channels} labels alone. Its "
                             "weights do not say which: give the instance map (--instance-map, instances=...) for "
                             f"the first, or the label count (--label-nc {channels - 1} without an instance map "
                             f"draws the boundaries of the labels' own regions; --label-nc {channels} for the "
                             "second).")
        return channels, False
    boundaries = channels - label_nc
    if boundaries not in (0, 1):
        features = (f" Its {channels - label_nc - 1} channels beyond {label_nc} labels and the boundaries are "
                    "instance features (NVIDIA's --instance_feat), if it was trained with them: give its feature-"
                    "cluster file (features_clustered_010.npy; --cluster-file)." if channels - label_nc > 1
                    and not feature_channels else "")
        raise InputError(f"label_nc {label_nc} does not fit this translator: it takes {channels} input channels"
                         f"{' besides the features' if feature_channels else ''}, {channels} or {channels - 1} "
                         f"labels (the latter with instance boundaries).{features}")
    if has_instances and not boundaries:
        raise InputError(f"this translator takes {label_nc} labels and no instance boundaries: leave the instance "
                         "map out.")
    return label_nc, bool(boundaries)


def record_label_layout(generator: Generator, label_nc: int) -> None:
    """Record in ``generator``'s io contract (so in the config.json it is saved with) that it takes ``label_nc``
    labels, and whether instance boundaries follow."""
    label_nc, boundaries = label_layout(generator, label_nc)
    generator.io = dataclasses.replace(generator.io, label_nc=label_nc, instance_boundaries=boundaries)


def clusters_beside(generator: Generator, weights: str | os.PathLike) -> dict[int, torch.Tensor] | None:
    """The feature clusters NVIDIA keeps beside a translator's weights, read when its input has room for features
    (more channels than its recorded labels and boundaries, or no record); None when there are none."""
    known = generator.io.label_nc
    room = known is None or generator.config.in_channels > known + 1
    found = find_feature_clusters(weights) if room and Path(weights).exists() else None
    if found is None:
        return None
    log.info("instance features from %s", found)
    return read_feature_clusters(found)


def draw_features(clusters: dict[int, torch.Tensor], label_ids: torch.Tensor, instances: torch.Tensor | None,
                  seed: int = 0) -> torch.Tensor:
    """Each instance's features (without an instance map, each label region's), the same for a seed and a map
    whatever else is translated with it."""
    return sample_instance_features(instances if instances is not None else label_ids, clusters,
                                    torch.Generator().manual_seed(seed))


def encode_labels(generator: Generator, label_ids: torch.Tensor, instances: torch.Tensor | None = None,
                  label_nc: int | None = None, features: torch.Tensor | None = None) -> torch.Tensor:
    """``label_ids`` ``[B, 1, H, W]`` (and ``instances``, same shape; ``features`` ``[B, feat_num, H, W]`` for a
    translator trained with instance features) as ``generator`` takes them. A translator trained with instance maps
    given none gets the boundaries between different labels (each label region one instance), which is what a drawn
    label map holds."""
    feature_channels = 0 if features is None else features.shape[1]
    label_nc, boundaries = label_layout(generator, label_nc, instances is not None, feature_channels)
    if boundaries and instances is None:
        log.info("no instance map: the boundaries between labels stand in for the instances' own")
        instances = label_ids
    encoded = encode_label_map(label_ids, label_nc, instances if boundaries else None)
    if features is None:
        return encoded
    if features.shape[0] != encoded.shape[0] or features.shape[-2:] != encoded.shape[-2:]:
        raise InputError(f"the instance features are {tuple(features.shape)}; the label maps need [{encoded.shape[0]},"
                         f" {feature_channels}, {encoded.shape[-2]}, {encoded.shape[-1]}].")
    return torch.cat([encoded, features.to(encoded)], 1)


def translate_labels(generator: Generator, label_ids: torch.Tensor, instances: torch.Tensor | None = None, *,
                     label_nc: int | None = None, features: torch.Tensor | None = None, **options) -> torch.Tensor:
    """Label maps ``[B, 1, H, W]`` of integer ids (and their instance maps, and instance features for a translator
    trained with them: ``sample_instance_features``) -> ``[B, 3, H, W]`` pictures in 0..1; ``options`` as
    :func:`translate` (fit native, tiled or auto: label maps are never resized)."""
    return translate(generator, encode_labels(generator, label_ids, instances, label_nc, features), **options)
