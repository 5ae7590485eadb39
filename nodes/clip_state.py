"""What a node carries from one run to the next for a clip that comes in meta-batch chunks (VideoHelperSuite's, or
ImageFromBatch slices in successive prompts): the flow-guided smoothing's last input and output frames."""

from __future__ import annotations

import torch
from comfy_api.latest import io

from ..pix2pix_core.video.stabilize import MAX_STRENGTH, Stabilizer

_STABILIZERS: dict[str, tuple[tuple[str, float], Stabilizer]] = {}  # node id -> ((model, strength), its state)


def stabilize_input() -> io.Float.Input:
    return io.Float.Input("stabilize", default=0.0, min=0.0, max=MAX_STRENGTH, step=0.05, optional=True,
                          tooltip="Video: blend each frame with the previous result, moved along the input's "
                                  "optical flow (OpenCV), where the flow tracks it; 0 is off. 0.5 halves the "
                                  "flicker a frame leaves; higher is smoother but can ghost. The next run of this "
                                  "node continues from this batch's last frame, so meta-batch chunks are smoothed "
                                  "as the whole clip; a cut or another clip starts afresh.")


def stabilized(node: str | None, model: str, strength: float, inputs: torch.Tensor,
               outputs: torch.Tensor) -> torch.Tensor:
    """``outputs`` (the translation of ``inputs``, core tensors) smoothed, continuing from this node's last run
    with the same model and strength; the Stabilizer itself starts afresh where the batch does not follow on."""
    if not strength:
        return outputs
    key = (model, strength)
    held = _STABILIZERS.get(node)
    if held is None or held[0] != key:
        held = _STABILIZERS[node] = (key, Stabilizer(strength))
    return held[1](inputs, outputs)
