"""What a node carries from one run to the next for a clip that comes in meta-batch chunks (VideoHelperSuite's, or
ImageFromBatch slices in successive prompts): the clip's fixed statistics and the smoothing's last frames.

A batch continues the node's last one when the node runs with the same settings on frames of the same size, and
the step from the last frame it saw to the batch's first is no larger than the clip's own steps between
consecutive frames (twice the largest seen, plus 1/255). A rerun of the clip, another clip, or frames whose source
was edited start afresh.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from comfy_api.latest import io

from ..pix2pix_core.inference.temporal import Statistics
from ..pix2pix_core.video.stabilize import MAX_STRENGTH, Stabilizer

THUMBNAIL = 32  # frames are compared at this size: cheap, and blind to noise
STEP_MARGIN = 2.0


@dataclass
class ClipState:
    settings: tuple
    last: torch.Tensor  # the last frame seen, as a thumbnail
    step: float  # the largest change between consecutive frames seen
    statistics: Statistics | None = None  # statistics "clip": estimated on the clip's first batch
    stabilizer: Stabilizer | None = None

    def stabilized(self, strength: float, inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
        """``outputs`` (the translation of ``inputs``) smoothed, continuing from the batch before."""
        if not strength:
            return outputs
        if self.stabilizer is None:
            self.stabilizer = Stabilizer(strength)
        return self.stabilizer(inputs, outputs)


_CLIPS: dict[str | None, ClipState] = {}  # node id -> its clip


def clip_state(node: str | None, settings: tuple, frames: torch.Tensor) -> ClipState:
    """The state of the clip ``frames`` (``[n, C, H, W]``) belong to: the node's last one when they continue it."""
    small = F.adaptive_avg_pool2d(frames.float().cpu(), THUMBNAIL)
    steps = (small[1:] - small[:-1]).abs().mean(dim=(1, 2, 3))
    inner = float(steps.max()) if len(steps) else 0.0
    settings = (*settings, tuple(frames.shape[1:]))
    held = _CLIPS.get(node)
    if held is None or held.settings != settings or not _continues(held, small[0], inner):
        held = _CLIPS[node] = ClipState(settings, small[0], inner)
    held.last, held.step = small[-1], max(held.step, inner)
    return held


def _continues(held: ClipState, first: torch.Tensor, inner: float) -> bool:
    jump = float((first - held.last).abs().mean())
    return jump <= STEP_MARGIN * max(held.step, inner) + 1 / 255


def stabilize_input() -> io.Float.Input:
    return io.Float.Input("stabilize", default=0.0, min=0.0, max=MAX_STRENGTH, step=0.05, optional=True,
                          tooltip="Video: blend each frame with the previous result, moved along the input's "
                                  "optical flow (OpenCV), where the flow tracks it; 0 is off. 0.5 halves the "
                                  "flicker a frame leaves; higher is smoother but can ghost. The next run of this "
                                  "node continues from this batch's last frame when the batch continues the clip "
                                  "(meta-batch chunks are smoothed as the whole clip); another clip starts afresh.")
