"""pix2pixHD's instance-level feature embedding after training (NVIDIA/pix2pixHD ``encode_features.py``).

The feature encoder's output, averaged over each instance, is collected over the training examples: one vector per
instance of at least half of 1/32 of the image (NVIDIA's area filter), grouped by the instance's label (``id //
1000`` for things, the id itself for stuff). Each label's vectors are clustered by k-means into at most
``n_clusters`` centres; at inference each instance gets one of its label's centres (``weights/feature_clusters``).
NVIDIA clusters with scikit-learn's KMeans; this is Lloyd's algorithm from k-means++ seeds, in torch.
"""

from __future__ import annotations

import torch

BLOCKS = 32  # NVIDIA's block_num: an instance counts when it covers more than half of 1/32 of the image


def instance_vectors(features: torch.Tensor, instances: torch.Tensor) -> dict[int, list[torch.Tensor]]:
    """``{label: [vector, ...]}`` of one example: ``features`` ``[F, H, W]`` (already constant over each instance),
    ``instances`` ``[H, W]`` ids; instances under NVIDIA's area threshold are left out."""
    height, width = instances.shape
    vectors: dict[int, list[torch.Tensor]] = {}
    for instance in torch.unique(instances).tolist():
        mask = instances == instance
        if mask.sum().item() / (height * width // BLOCKS) <= 0.5:
            continue
        label = instance if instance < 1000 else instance // 1000
        vectors.setdefault(label, []).append(features[:, mask][:, 0])
    return vectors


def kmeans(points: torch.Tensor, k: int, seed: int = 0, iterations: int = 100) -> torch.Tensor:
    """``k`` centres of ``points`` ``[N, F]`` (k <= N): k-means++ seeding, then Lloyd's iterations to convergence."""
    generator = torch.Generator().manual_seed(seed)
    points = points.double()
    centres = points[torch.randint(len(points), (1,), generator=generator)]
    while len(centres) < k:
        distance = torch.cdist(points, centres).min(1).values ** 2
        if distance.sum() == 0:
            break  # fewer distinct points than k: every point is a centre already
        centres = torch.cat([centres, points[torch.multinomial(distance, 1, generator=generator)]])
    for _ in range(iterations):
        nearest = torch.cdist(points, centres).argmin(1)
        moved = torch.stack([points[nearest == j].mean(0) if (nearest == j).any() else centres[j]
                             for j in range(len(centres))])
        if torch.allclose(moved, centres):
            break
        centres = moved
    return centres


def cluster_features(vectors: dict[int, list[torch.Tensor]], n_clusters: int = 10,
                     seed: int = 0) -> dict[int, torch.Tensor]:
    """Each label's vectors clustered into at most ``n_clusters`` centres."""
    return {label: kmeans(torch.stack(found), min(n_clusters, len(found)), seed)
            for label, found in sorted(vectors.items()) if found}
