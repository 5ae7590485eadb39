"""Evaluation: L1, PSNR and SSIM of a generator on a paired test split, and the cycle reconstruction of an
unpaired (CycleGAN) translator pair (images compared in 0..1)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from ..errors import InputError
from ..imaging.edges import gaussian_kernel
from ..imaging.tensors import to_channels
from ..inference.translate import translate
from ..networks import Generator
from .data import PairDataset, list_images, read_training_image


def psnr(x: torch.Tensor, y: torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB for images in 0..1."""
    mse = F.mse_loss(x, y).item()
    return math.inf if mse == 0 else 10 * math.log10(1.0 / mse)


def ssim(x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean structural similarity of ``[B, C, H, W]`` images in 0..1: Gaussian window (sigma 1.5, 11 taps),
    K1 = 0.01, K2 = 0.03, per channel, averaged (as skimage's ``structural_similarity`` with gaussian_weights)."""
    k = gaussian_kernel(1.5, truncate=3.5, device=x.device)
    window = (k[:, None] * k[None, :]).expand(x.shape[1], 1, -1, -1)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, window, groups=x.shape[1])

    c1, c2 = 0.01**2, 0.03**2
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean().item()


def evaluate(generator: Generator, dataset: PairDataset, statistics: str = "per_image",
             progress: Callable[[int, int], None] | None = None) -> dict[str, float]:
    """Mean L1, PSNR and SSIM of the translation of A against B over ``dataset`` (build it without jitter), at each
    pair's own size. Outputs and targets are compared in 0..1 (network space mapped linearly, also for Lab); a
    label-map translator's A is the encoded label map."""
    totals = {"l1": 0.0, "psnr": 0.0, "ssim": 0.0}
    with torch.inference_mode():
        for i in range(len(dataset)):
            a, b = dataset[i]
            source = a[None] if generator.io.input_space == "labels" else ((a[None] + 1) / 2).clamp(0, 1)
            fake01 = translate(generator, source, fit="native", statistics=statistics)
            real01 = to_channels(((b[None] + 1) / 2).clamp(0, 1), fake01.shape[1])  # gray models: luma targets
            totals["l1"] += F.l1_loss(fake01, real01).item()
            totals["psnr"] += psnr(fake01, real01)
            totals["ssim"] += ssim(fake01, real01)
            if progress:
                progress(i + 1, len(dataset))
    return {name: value / len(dataset) for name, value in totals.items()} | {"images": len(dataset)}


def cycle_metrics(a_to_b: Generator, b_to_a: Generator, folder_a: Path, folder_b: Path,
                  statistics: str = "per_image") -> dict[str, float]:
    """An unpaired translator has no target to compare with: the mean L1 (0..1) of each domain's images against
    their round trip, ``G_B(G_A(a))`` and ``G_A(G_B(b))``, at each image's own size."""
    totals = {}
    for name, folder, there, back in (("cycle_l1_a", folder_a, a_to_b, b_to_a), ("cycle_l1_b", folder_b, b_to_a,
                                                                                   a_to_b)):
        paths = list_images(folder)
        if not paths:
            raise InputError(f"{folder} holds no images to measure the cycle reconstruction on.")
        errors = []
        with torch.inference_mode():
            for path in paths:
                image = read_training_image(path)[None]
                round_trip = translate(back, translate(there, image, fit="native", statistics=statistics),
                                       fit="native", statistics=statistics)
                errors.append(F.l1_loss(round_trip, image).item())
        totals[name] = sum(errors) / len(errors)
        totals[f"images_{name[-1]}"] = len(paths)
    return totals
