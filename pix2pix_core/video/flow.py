"""Optical flow between two frames (Farnebäck, OpenCV on the CPU), warping along it, and the occlusion check.

Shared by the flicker measure (:mod:`.flicker`) and the flow-guided smoothing (:mod:`.stabilize`). Frames are
``[H, W, C]`` float32 arrays in 0..1 with 1, 3 or 4 channels; flow is ``[H, W, 2]`` (dx, dy) in pixels.
"""

from __future__ import annotations

import numpy as np

from ..extras import require
from .files import VideoError

FARNEBACK = {"pyr_scale": 0.5, "levels": 4, "winsize": 15, "iterations": 3, "poly_n": 5, "poly_sigma": 1.2,
             "flags": 0}


def cv2():
    return require("cv2", "video", VideoError)


def _luma(cv, image: np.ndarray) -> np.ndarray:
    pixels = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    return pixels[..., 0] if pixels.shape[-1] == 1 else cv.cvtColor(np.ascontiguousarray(pixels[..., :3]),
                                                                     cv.COLOR_RGB2GRAY)


def flow(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per pixel of ``source``, where it is in ``target``."""
    cv = cv2()
    return cv.calcOpticalFlowFarneback(_luma(cv, source), _luma(cv, target), None, **FARNEBACK)


def warp(image: np.ndarray, along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``image`` sampled at ``pixel + along`` (bilinear), and the pixels whose sample lies inside the frame."""
    cv = cv2()
    height, width = along.shape[:2]
    x, y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    map_x, map_y = x + along[..., 0], y + along[..., 1]
    inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
    warped = cv.remap(image, map_x, map_y, cv.INTER_LINEAR, borderMode=cv.BORDER_REPLICATE)
    return warped.reshape(image.shape), inside


def visible(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Pixels whose backward flow the forward flow undoes: not occluded (Sundaram et al., ECCV 2010)."""
    forward_there, _ = warp(forward, backward)
    loop = backward + forward_there
    bound = 0.01 * ((backward**2).sum(-1) + (forward_there**2).sum(-1)) + 0.5
    return (loop**2).sum(-1) < bound


def tracked(now: np.ndarray, before: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The flow from frame ``now`` back to ``before``, and the pixels it tracks (not occluded, inside the frame)."""
    backward = flow(now, before)
    keep = visible(backward, flow(before, now))
    return backward, keep & warp(before[..., :1], backward)[1]
