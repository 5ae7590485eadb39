"""Edge detection in torch, batched and on any device: Canny, XDoG, HED, and the pix2pix paper's HED post-processing.

All functions take ``[B, C, H, W]`` images in 0..1 (C = 1, 3 or 4; colour is reduced to luminance) and return
``[B, 1, H, W]`` maps in 0..1. The polarity has one name everywhere (here, the CLI, the node): ``black_on_white``,
the black lines on white that edges->photo datasets (edges2shoes, edges2handbags) use. Canny and HED default to
white edges on black (what they detect), XDoG to its natural dark lines on white.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError
from .tensors import LUMA_709, check_images, to_channels


def _gray(images: torch.Tensor, name: str) -> torch.Tensor:
    check_images(images, name)
    return to_channels(images.float(), 1, LUMA_709)


def _check_unit(name: str, **values: float) -> None:
    for key, value in values.items():
        if not 0 <= value <= 1 or math.isnan(value):
            raise InputError(f"{name}: {key} must be between 0 and 1, got {value}.")


def gaussian_kernel(sigma: float, truncate: float = 4.0, device: torch.device | None = None) -> torch.Tensor:
    radius = max(1, int(truncate * sigma + 0.5))
    x = torch.arange(-radius, radius + 1, dtype=torch.float64, device=device)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return (k / k.sum()).float()


def correlate1d(x: torch.Tensor, kernel: torch.Tensor, dim: int, mode: str = "constant") -> torch.Tensor:
    """Correlate ``[B, 1, H, W]`` with a 1-D kernel along ``dim`` (-1 or -2), as weighted sums of shifted slices
    (much faster than a one-channel conv2d on the CPU)."""
    r = kernel.numel() // 2
    pad = (r, r, 0, 0) if dim == -1 else (0, 0, r, r)
    if mode != "constant" and x.shape[dim] <= r:
        mode = "replicate"
    padded = F.pad(x, pad, mode=mode)
    n = x.shape[dim]
    out = padded.narrow(dim, 0, n) * kernel[0]
    for i in range(1, kernel.numel()):
        out = out + padded.narrow(dim, i, n) * kernel[i]
    return out


def gaussian_blur(x: torch.Tensor, sigma: float, padding: str = "zeros") -> torch.Tensor:
    """Separable Gaussian (truncated at 4 sigma) of ``[B, 1, H, W]``; zero or reflect padding."""
    k = gaussian_kernel(sigma, device=x.device)
    mode = "constant" if padding == "zeros" else "reflect"
    return correlate1d(correlate1d(x, k, -1, mode), k, -2, mode)


def sobel(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(d/drow, d/dcol) with scipy.ndimage.sobel's kernels and reflect padding."""
    smooth = torch.tensor([1.0, 2.0, 1.0], device=x.device)
    diff = torch.tensor([-1.0, 0.0, 1.0], device=x.device)
    d_row = correlate1d(correlate1d(x, diff, -2, "reflect"), smooth, -1, "reflect")
    d_col = correlate1d(correlate1d(x, smooth, -2, "reflect"), diff, -1, "reflect")
    return d_row, d_col


def _neighbourhood_max(x: torch.Tensor) -> torch.Tensor:
    """3x3 maximum (boolean: dilation) with the border treated as background, separably."""
    h, w = x.shape[-2:]
    p = F.pad(x.to(torch.uint8) if x.dtype == torch.bool else x, (1, 1, 1, 1))
    p = p.bool() if x.dtype == torch.bool else p
    rows = torch.maximum(torch.maximum(p[..., 0:h, :], p[..., 1:h + 1, :]), p[..., 2:h + 2, :])
    return torch.maximum(torch.maximum(rows[..., 0:w], rows[..., 1:w + 1]), rows[..., 2:w + 2])


def _shift(x: torch.Tensor, dr: int, dc: int) -> torch.Tensor:
    """``out[r, c] = x[r + dr, c + dc]`` with zeros outside."""
    p = F.pad(x, (1, 1, 1, 1))
    h, w = x.shape[-2:]
    return p[..., 1 + dr:1 + dr + h, 1 + dc:1 + dc + w]


def non_maximum_suppression(magnitude: torch.Tensor, d_row: torch.Tensor, d_col: torch.Tensor) -> torch.Tensor:
    """Keep pixels whose magnitude is not below the two values interpolated along the gradient direction."""
    m = magnitude
    ai, aj = d_row.abs(), d_col.abs()
    up, down, right, left = d_row >= 0, d_row <= 0, d_col >= 0, d_col <= 0
    cond1 = (up & right) | (down & left)
    steep = ai >= aj
    # per sector: (neighbour 1a, neighbour 1b, neighbour 2a, neighbour 2b) as (drow, dcol) offsets, weight
    sectors = (
        (cond1 & steep, ((1, 0), (1, 1), (-1, 0), (-1, -1)), aj / ai.clamp_min(1e-12)),
        (cond1 & ~steep, ((0, 1), (1, 1), (0, -1), (-1, -1)), ai / aj.clamp_min(1e-12)),
        (~cond1 & ~steep, ((0, 1), (-1, 1), (0, -1), (1, -1)), ai / aj.clamp_min(1e-12)),
        (~cond1 & steep, ((-1, 0), (-1, 1), (1, 0), (1, -1)), aj / ai.clamp_min(1e-12)),
    )
    keep = torch.zeros_like(m, dtype=torch.bool)
    padded, (h, w_) = F.pad(m, (1, 1, 1, 1)), m.shape[-2:]

    def at(dr: int, dc: int) -> torch.Tensor:
        return padded[..., 1 + dr:1 + dr + h, 1 + dc:1 + dc + w_]

    for mask, (n1a, n1b, n2a, n2b), w in sectors:
        plus = at(*n1b) * w + at(*n1a) * (1 - w)
        minus = at(*n2b) * w + at(*n2a) * (1 - w)
        keep |= mask & (plus <= m) & (minus <= m)
    return torch.where(keep, m, torch.zeros_like(m))


def hysteresis(weak: torch.Tensor, strong: torch.Tensor) -> torch.Tensor:
    """Weak pixels 8-connected to a strong one (through weak pixels) are kept."""
    edges = strong & weak
    while True:
        grown = edges
        for _ in range(8):  # several dilations per convergence check
            grown = _neighbourhood_max(grown) & weak
        if torch.equal(grown, edges):
            return edges
        edges = grown


def canny(images: torch.Tensor, low: float = 0.1, high: float = 0.2, sigma: float = 1.0,
          black_on_white: bool = False) -> torch.Tensor:
    """Canny edges: Gaussian blur, Sobel gradients, non-maximum suppression, double threshold with hysteresis.

    ``low`` and ``high`` are gradient magnitudes of the 0..1 image (as scikit-image's defaults for float images).
    """
    _check_unit("canny", low=low, high=high)
    if low > high:
        raise InputError(f"canny: low threshold ({low}) must not exceed high threshold ({high}).")
    if not sigma > 0:
        raise InputError(f"canny: sigma must be positive, got {sigma}.")
    gray = _gray(images, "canny")
    ones = torch.ones_like(gray[:1])
    smoothed = gaussian_blur(gray, sigma) / gaussian_blur(ones, sigma)  # normalised at the borders
    d_row, d_col = sobel(smoothed)
    magnitude = torch.hypot(d_row, d_col)
    inner = torch.zeros_like(ones, dtype=torch.bool)
    inner[..., 1:-1, 1:-1] = True  # the one-pixel border carries no edges
    suppressed = non_maximum_suppression(magnitude, d_row, d_col) * inner
    edges = hysteresis(suppressed >= low, suppressed >= high).float()
    return 1 - edges if black_on_white else edges


def xdog(images: torch.Tensor, sigma: float = 0.8, k: float = 1.6, p: float = 20.0, epsilon: float = 0.1,
         phi: float = 10.0, black_on_white: bool = True) -> torch.Tensor:
    """eXtended Difference of Gaussians (Winnemöller et al. 2012): sketch-like dark lines on white (or, with
    ``black_on_white=False``, light lines on black).

    ``U = (1 + p) G_sigma(I) - p G_{k sigma}(I)``; white where ``U >= epsilon``, else ``1 + tanh(phi (U - epsilon))``.
    """
    if not (sigma > 0 and k > 1 and phi > 0 and p >= 0):
        raise InputError(f"xdog: need sigma > 0, k > 1, p >= 0 and phi > 0; got sigma={sigma}, k={k}, p={p}, "
                         f"phi={phi}.")
    gray = _gray(images, "xdog")
    sharpened = (1 + p) * gaussian_blur(gray, sigma, "reflect") - p * gaussian_blur(gray, k * sigma, "reflect")
    sketch = torch.where(sharpened >= epsilon, torch.ones_like(sharpened),
                         1 + torch.tanh(phi * (sharpened - epsilon))).clamp(0, 1)
    return sketch if black_on_white else 1 - sketch


# --------------------------------------------------------------------------------------------------------- HED
def hed(net: nn.Module, images: torch.Tensor, paper_postprocess: bool = False, black_on_white: bool = False,
        batch_size: int = 4) -> torch.Tensor:
    """HED edge probabilities (white on black), or with ``paper_postprocess`` the pix2pix edges2shoes recipe."""
    check_images(images, "hed")
    device = next(net.parameters()).device
    rgb = to_channels(images, 3)
    outputs = []
    with torch.inference_mode():
        for chunk in rgb.split(batch_size):
            outputs.append(net(chunk.to(device, torch.float32) * 255).to(images.device))
    edges = torch.cat(outputs)
    if paper_postprocess:
        edges = postprocess_hed(edges)
    return 1 - edges if black_on_white else edges


# --------------------------------------------------------------------------------------- paper post-processing
def postprocess_hed(probability: torch.Tensor, threshold: float = 25 / 255, min_size: int = 5) -> torch.Tensor:
    """The pix2pix paper's edges: non-maximum suppression along the edge map's own gradient, threshold,
    thinning to one pixel, removal of components under ``min_size`` pixels. Returns 0/1 (white edges on black)."""
    smoothed = gaussian_blur(probability, 1.0, "reflect")
    d_row, d_col = sobel(smoothed)
    thin_candidates = non_maximum_suppression(probability, d_row, d_col) >= threshold
    return remove_small_components(thin(thin_candidates), min_size).float()


def thin(mask: torch.Tensor, max_iterations: int = 100) -> torch.Tensor:
    """Zhang-Suen thinning of a boolean ``[B, 1, H, W]`` mask to one-pixel-wide lines."""
    x = mask.clone()
    for _ in range(max_iterations):
        changed = False
        for step in (0, 1):
            p = [_shift(x.float(), dr, dc) for dr, dc in ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1),
                                                          (0, -1), (-1, -1))]  # P2..P9, clockwise from north
            neighbours = sum(p)
            transitions = sum(((p[i] == 0) & (p[(i + 1) % 8] == 1)).float() for i in range(8))
            if step == 0:
                a, b = p[0] * p[2] * p[4], p[2] * p[4] * p[6]
            else:
                a, b = p[0] * p[2] * p[6], p[0] * p[4] * p[6]
            remove = x & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & (a == 0) & (b == 0)
            if remove.any():
                x = x & ~remove
                changed = True
        if not changed:
            break
    return x


def connected_components(mask: torch.Tensor) -> torch.Tensor:
    """8-connected component labels of a boolean ``[B, 1, H, W]`` mask (0 = background, labels are pixel ids)."""
    b, _, h, w = mask.shape
    ids = torch.arange(1, h * w + 1, device=mask.device, dtype=torch.float32).view(1, 1, h, w).expand(b, 1, h, w)
    labels = torch.where(mask, ids, torch.zeros_like(ids))
    while True:
        grown = labels
        for _ in range(8):
            grown = torch.where(mask, _neighbourhood_max(grown), grown)
        if torch.equal(grown, labels):
            return labels.long()
        labels = grown


def remove_small_components(mask: torch.Tensor, min_size: int) -> torch.Tensor:
    """Drop 8-connected components of fewer than ``min_size`` pixels."""
    labels = connected_components(mask)
    keep = torch.zeros_like(mask)
    for i in range(mask.shape[0]):
        counts = torch.bincount(labels[i].flatten())
        large = counts >= min_size
        large[0] = False
        keep[i] = large[labels[i]]
    return keep
