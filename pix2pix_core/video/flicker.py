"""How much a translated clip flickers: the warping error of Lai et al., ECCV 2018, "Learning Blind Video Temporal
Consistency".

For each frame ``t > 0``: the optical flow from input frame ``t`` back to ``t - 1`` (Farnebäck, OpenCV, on the
input's luma), ``warp(O_{t-1})`` sampled along it, and the masked mean of ``|O_t - warp(O_{t-1})|`` over RGB in
0..1, where the mask drops occluded pixels (the forward-backward check of Sundaram et al., ECCV 2010, as Lai et al.
use it) and pixels that came from outside the frame. The clip's figure is the mean over its frames. The same
measure of the input clip itself (its own motion) is the reference a translation is read against.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch

from .files import VideoError, probe, read_chunks
from .flow import tracked, warp


def _frames(chunks: Iterable[torch.Tensor]) -> Iterator[np.ndarray]:
    for chunk in chunks:
        yield from chunk.permute(0, 2, 3, 1).float().numpy()


def warping_errors(inputs: Iterable[torch.Tensor], outputs: Iterable[torch.Tensor]) -> tuple[float, float]:
    """(the outputs' warping error, the inputs' own), both clips given as chunks of ``[n, C, H, W]`` in 0..1
    (the flow is the input's, so a 1-channel input and an RGB output compare)."""
    sums = np.zeros(2)
    frames = 0
    previous = None
    for image, output in zip(_frames(inputs), _frames(outputs), strict=True):
        if output.shape[:2] != image.shape[:2]:
            raise VideoError(f"the clips' frames differ in size ({output.shape[1]}x{output.shape[0]} against "
                             f"{image.shape[1]}x{image.shape[0]}): compare a translation with its own input.")
        if previous is not None:
            backward, keep = tracked(image, previous[0])
            for k, (now, before) in enumerate(((output, previous[1]), (image, previous[0]))):
                warped, _ = warp(before, backward)
                sums[k] += np.abs(now - warped).mean(-1)[keep].mean() if keep.any() else 0.0
            frames += 1
        previous = (image, output)
    if not frames:
        raise VideoError("a clip of one frame has no motion to measure: give at least two frames.")
    return float(sums[0] / frames), float(sums[1] / frames)


def clip_warping_errors(input_clip, output_clip, chunk: int = 16) -> dict:
    """The warping errors of ``output_clip`` and of ``input_clip``, read from the files, with their frame counts."""
    source, result = probe(input_clip), probe(output_clip)
    if source.frames != result.frames:
        raise VideoError(f"{output_clip} has {result.frames} frames and {input_clip} {source.frames}: compare a "
                         "translation with the clip it was made from.")
    output_error, input_error = warping_errors(read_chunks(input_clip, chunk), read_chunks(output_clip, chunk))
    return {"frames": source.frames, "warping_error": output_error, "input_warping_error": input_error,
            "ratio_to_input": output_error / input_error if input_error else float("inf")}
