"""Flow-guided smoothing of a translated clip (``--stabilize S``): each output frame is blended with the previous
smoothed output warped along the input's optical flow,

    O'_t = O_t + S * m_t * (warp(O'_{t-1}) - O_t),

where ``m_t`` keeps the pixels the flow tracks and whose input the warped previous input matches (occluded pixels,
those that come from outside the frame and those the flow got wrong keep ``O_t``), and a cut (under half the frame
kept) starts afresh. ``S`` in 0..1: 0 is off; higher is smoother and
more prone to ghosting. The flow is the input's, so what moves in the input moves in the output.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import torch

from ..errors import InputError
from .flow import tracked, warp

MAX_STRENGTH = 0.95  # at 1 the first frame would be kept for ever where the flow tracks it
CUT_FRACTION = 0.5  # a frame that tracks less than this much of the previous one follows a cut
MATCH_TOLERANCE = 0.08  # mean |input - warped previous input| over channels, in 0..1, of a pixel the flow tracks


def check_strength(strength: float) -> None:
    if not 0 <= strength <= MAX_STRENGTH:
        raise InputError(f"stabilize {strength}: give a strength from 0 (off) to {MAX_STRENGTH} (e.g. 0.5).")


class Stabilizer:
    """The smoothing, frame by frame; it keeps the last input and output frame, so a clip given in consecutive
    chunks (meta-batches, the CLI's chunks) is smoothed exactly as the whole clip."""

    def __init__(self, strength: float) -> None:
        check_strength(strength)
        self.strength = strength
        self.last: tuple[np.ndarray, np.ndarray] | None = None  # (input, smoothed output)

    def __call__(self, inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
        """``outputs`` ``[n, C, H, W]``, the translation of ``inputs`` ``[n, C', H, W]``, smoothed."""
        if len(inputs) != len(outputs):
            raise ValueError("stabilize: each output frame needs its input frame")
        images = inputs.permute(0, 2, 3, 1).float().cpu().numpy()
        results = outputs.permute(0, 2, 3, 1).float().cpu().numpy().copy()
        for image, result in zip(images, results, strict=True):
            if self.last is not None and self.last[0].shape == image.shape and self.strength:
                backward, keep = tracked(image, self.last[0])
                keep &= np.abs(image - warp(self.last[0], backward)[0]).mean(-1) < MATCH_TOLERANCE
                if keep.mean() >= CUT_FRACTION:
                    warped, _ = warp(self.last[1], backward)
                    result += self.strength * keep[..., None] * (warped - result)
            self.last = (image, result)
        return torch.from_numpy(results).permute(0, 3, 1, 2).to(outputs.device, outputs.dtype)


def stabilized(chunks: Iterable[torch.Tensor], translate: Callable[[Iterable[torch.Tensor]], Iterable[torch.Tensor]],
               strength: float) -> Iterator[torch.Tensor]:
    """``translate(chunks)`` (which may regroup the frames) with each output group smoothed beside its inputs."""
    if not strength:
        yield from translate(chunks)
        return
    smooth, seen = Stabilizer(strength), deque()

    def remembered() -> Iterator[torch.Tensor]:
        for chunk in chunks:
            seen.extend(chunk)
            yield chunk

    for outputs in translate(remembered()):
        inputs = torch.stack([seen.popleft() for _ in range(len(outputs))])
        yield smooth(inputs, outputs)
