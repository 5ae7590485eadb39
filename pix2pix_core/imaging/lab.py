"""Colour: sRGB <-> CIE Lab (D65, 2 degree observer) in torch, the pix2pix colorization encoding, and colorize().

The conversion follows the usual definition (sRGB companding, the sRGB->XYZ matrix, the CIE f(t) with the
0.008856 / 7.787 linear segment) and matches ``skimage.color.rgb2lab`` / ``lab2rgb``. Batched, on any device;
computed in float32 (within 1e-5 Lab units of skimage) or in float64 for float64 inputs.
"""

from __future__ import annotations

import torch

from .tensors import check_images

XYZ_FROM_RGB = ((0.412453, 0.357580, 0.180423),
                (0.212671, 0.715160, 0.072169),
                (0.019334, 0.119193, 0.950227))
D65_WHITE = (0.95047, 1.0, 1.08883)
L_SCALE, AB_SCALE = 50.0, 110.0  # network input L/50 - 1, output ab/110


def _work_dtype(x: torch.Tensor) -> torch.dtype:
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """``[..., 3, H, W]`` sRGB in 0..1 to Lab (L in 0..100, a and b roughly -110..110)."""
    check_images(rgb, "rgb_to_lab", channels=(3,), batched=False)
    x = rgb.to(_work_dtype(rgb))
    linear = torch.where(x > 0.04045, ((x + 0.055) / 1.055) ** 2.4, x / 12.92)
    matrix = torch.tensor(XYZ_FROM_RGB, dtype=x.dtype, device=x.device)
    xyz = torch.einsum("ij,...jhw->...ihw", matrix, linear)
    xyz = xyz / torch.tensor(D65_WHITE, dtype=x.dtype, device=x.device).view(3, 1, 1)
    f = torch.where(xyz > 0.008856, xyz.clamp_min(0) ** (1 / 3), 7.787 * xyz + 16 / 116)
    fx, fy, fz = f.unbind(-3)
    lab = torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], dim=-3)
    return lab.to(rgb.dtype)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Lab to sRGB in 0..1 (out-of-gamut colours clipped, negative Z clipped to 0 as skimage does)."""
    check_images(lab, "lab_to_rgb", channels=(3,), batched=False, unit_range=False)
    x = lab.to(_work_dtype(lab))
    L, a, b = x.unbind(-3)
    fy = (L + 16) / 116
    f = torch.stack([a / 500 + fy, fy, (fy - b / 200).clamp_min(0)], dim=-3)
    xyz = torch.where(f > 0.2068966, f**3, (f - 16 / 116) / 7.787)
    xyz = xyz * torch.tensor(D65_WHITE, dtype=x.dtype, device=x.device).view(3, 1, 1)
    rgb_from_xyz = torch.linalg.inv(torch.tensor(XYZ_FROM_RGB, dtype=torch.float64)).to(x.dtype).to(x.device)
    linear = torch.einsum("ij,...jhw->...ihw", rgb_from_xyz, xyz)
    rgb = torch.where(linear > 0.0031308, 1.055 * linear.clamp_min(0) ** (1 / 2.4) - 0.055, 12.92 * linear)
    return rgb.clamp(0, 1).to(lab.dtype)


def encode_l(lab: torch.Tensor) -> torch.Tensor:
    """The network input of a colorization model: L / 50 - 1, shape [..., 1, H, W]."""
    return lab[..., :1, :, :] / L_SCALE - 1


def encode_ab(lab: torch.Tensor) -> torch.Tensor:
    """The network target of a colorization model: ab / 110, shape [..., 2, H, W]."""
    return lab[..., 1:, :, :] / AB_SCALE


def decode_lab(l_encoded: torch.Tensor, ab_encoded: torch.Tensor) -> torch.Tensor:
    """Inverse of encode_l / encode_ab: back to Lab."""
    return torch.cat([(l_encoded + 1) * L_SCALE, ab_encoded * AB_SCALE], dim=-3)
