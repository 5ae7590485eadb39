"""pix2pixHD's feature clusters (``features_clustered_010.npy``), read without running pickled code.

A translator trained with instance features (NVIDIA's ``--instance_feat``) takes ``feat_num`` more input channels:
for each instance, a feature vector drawn from the k-means centres of its label's encoded features, which NVIDIA's
``encode_features.py`` saves with ``np.save`` as a dict ``{label id: [k, feat_num] array}``. ``np.save`` pickles a
dict, and unpickling can run any code, so the file is read by an unpickler that builds numpy arrays and plain
containers and refuses everything else.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_path
from ..errors import CheckpointError
from .directory import ENCODER_FILE

CLUSTER_PATTERN = "features_clustered_*.npy"
CLUSTER_FILE = "features_clustered_{:03d}.npy"  # NVIDIA's name, by the number of clusters per label
# what np.save of a dict of float arrays pickles: ndarray reconstruction and dtypes (and, in protocol 2 from Python 3,
# bytes rebuilt by _codecs.encode), nothing else
ALLOWED = {("_codecs", "encode"), ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
           ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
           ("numpy._core.multiarray", "scalar")}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a feature-cluster file")
        return super().find_class(module, name)


def read_feature_clusters(path: str | os.PathLike) -> dict[int, torch.Tensor]:
    """``{label id: [k, feat_num] float32}`` from NVIDIA's cluster file; anything else is refused by name."""
    path = Path(path)
    try:
        with open(path, "rb") as file:
            version = np.lib.format.read_magic(file)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            _, _, dtype = read_header(file)
            if not dtype.hasobject:
                raise ValueError("it holds a plain array, not the dict of cluster centres")
            loaded = _ArraysOnly(io.BytesIO(file.read()), encoding="latin1").load()
        clusters = loaded.item() if isinstance(loaded, np.ndarray) and loaded.shape == () else loaded
        if not isinstance(clusters, dict) or not clusters:
            raise ValueError("it does not hold a dict of cluster centres by label")
        tensors = {int(label): torch.from_numpy(np.asarray(centres, dtype=np.float32)).reshape(len(centres), -1)
                   for label, centres in clusters.items()}
    except (OSError, ValueError, TypeError, EOFError, pickle.UnpicklingError) as exc:
        raise CheckpointError(f"{path} is not a pix2pixHD feature-cluster file (features_clustered_010.npy, as "
                              f"NVIDIA's encode_features.py writes it): {str(exc)[:200]}.") from None
    widths = {centres.shape[1] for centres in tensors.values()}
    if len(widths) != 1 or not all(len(centres) for centres in tensors.values()):
        raise CheckpointError(f"{path}: the cluster centres of its labels have different lengths ({sorted(widths)}) "
                              "or none: it is not one run's cluster file.")
    return tensors


def feature_files(folder: Path) -> list[Path]:
    """What a translator trained with instance features keeps beside its weights: the encoder and the clusters."""
    found = [folder / ENCODER_FILE] if (folder / ENCODER_FILE).is_file() else []
    return found + sorted(folder.glob(CLUSTER_PATTERN))


def find_feature_clusters(weights: str | os.PathLike) -> Path | None:
    """The cluster file NVIDIA keeps beside ``latest_net_G.pth`` (or in a model folder), when there is exactly one."""
    folder = Path(weights) if Path(weights).is_dir() else Path(weights).parent
    found = sorted(folder.glob(CLUSTER_PATTERN))
    return found[0] if len(found) == 1 else None


def sample_instance_features(instances: torch.Tensor, clusters: dict[int, torch.Tensor],
                             generator: torch.Generator | None = None) -> torch.Tensor:
    """NVIDIA's ``sample_features``: each instance (id ``label * 1000 + n``, or a bare label id for stuff) gets one
    randomly chosen centre of its label's clusters over all its pixels; labels without clusters get zeros (NVIDIA
    leaves them uninitialised memory).
    ``instances`` ``[B, 1, H, W]`` -> ``[B, feat_num, H, W]``."""
    feat_num = next(iter(clusters.values())).shape[1]
    features = torch.zeros(instances.shape[0], feat_num, *instances.shape[-2:])
    for instance in torch.unique(instances).tolist():
        label = instance if instance < 1000 else instance // 1000
        if label in clusters:
            centres = clusters[label]
            centre = centres[int(torch.randint(len(centres), (1,), generator=generator))]
            mask = (instances == instance).expand_as(features)
            features[mask] = centre[None, :, None, None].expand_as(features)[mask]
    return features.to(instances.device)


def write_feature_clusters(path: str | os.PathLike, clusters: dict[int, torch.Tensor]) -> None:
    """Write ``{label id: [k, feat_num] centres}`` as NVIDIA's encode_features.py does (``np.save`` of a dict of
    float64 arrays), atomically, so NVIDIA's code and :func:`read_feature_clusters` both read it."""
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as file:
        np.save(file, {label: centres.double().cpu().numpy() for label, centres in clusters.items()})
