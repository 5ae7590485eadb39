"""A clip translated chunk by chunk with the temporal semantics of ``inference.temporal``."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import torch
from torch import nn

from ..networks import Generator
from .temporal import ClipSemantics, Statistics, check_temporal
from .translate import translate

DEFAULT_BATCH = 8  # translate's own default, up to 256x256 frames
BATCH_PIXELS = DEFAULT_BATCH * 256 * 256  # larger frames: 2 a batch at 512x512, 1 from 1024x512 up
CLIP_SAMPLE = 16  # frames the clip's fixed statistics are estimated over


def translate_clip(generator: Generator, chunks: Iterable[torch.Tensor], *, temporal: str = "clip",
                   statistics: str = "per_image", dropout_seed: int | None = 0, fixed: Statistics | None = None,
                   **options) -> Iterator[torch.Tensor]:
    """The translation of a clip given in chunks ``[n, C, H, W]``, in order, in groups of ``batch_size`` frames
    (default 8, fewer for frames over 256x256: memory stays flat whatever the frame size) counted from the
    clip's start: the frames do not depend on the chunking (a batch's kernels may round differently from
    another's, so every chunking must give the same batches).

    ``temporal="frame"``: frame ``i`` is translated alone with dropout seed ``dropout_seed + i`` (the reference's
    test.py, fresh noise per frame). ``temporal="clip"``: one dropout mask from ``dropout_seed`` for every frame;
    ``statistics="clip"`` normalises every frame with ``fixed``, the clip's statistics from :func:`clip_statistics`
    (with the same seed and options). ``dropout_seed=None``: dropout off. ``options`` as :func:`translate`.
    """
    check_temporal(temporal, statistics, options.get("fit"))
    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        return
    pixels = first.shape[-2] * first.shape[-1]
    batch = options.setdefault("batch_size", max(1, min(DEFAULT_BATCH, BATCH_PIXELS // pixels)))
    chunks = regrouped(itertools.chain([first], chunks), batch)
    seed = _dropout_seed(generator, dropout_seed)
    if temporal == "frame":
        yield from _frame_by_frame(generator, chunks, statistics, seed, options)
        return
    if statistics == "clip" and fixed is None:
        raise ValueError("statistics 'clip' needs the clip's statistics (clip_statistics)")
    semantics = ClipSemantics(seed, fixed if statistics == "clip" else None)
    per_frame = "per_image" if statistics == "clip" else statistics
    for chunk in chunks:
        yield translate(generator, chunk, statistics=per_frame, clip=semantics, **options)


def clip_statistics(generator: Generator, sample: torch.Tensor, *, dropout_seed: int | None = 0,
                    **options) -> Statistics:
    """Each BatchNorm layer's mean and variance over ``sample`` (frames drawn from the clip, taken as one batch,
    under the clip's dropout mask): what ``statistics="clip"`` normalises every frame with."""
    if not len(sample):
        raise ValueError("statistics 'clip' needs sample frames of the clip")
    semantics = ClipSemantics(_dropout_seed(generator, dropout_seed), record=True)
    translate(generator, sample, statistics="per_image", clip=semantics, **{**options, "batch_size": len(sample)})
    return semantics.statistics


def _dropout_seed(generator: Generator, seed: int | None) -> int | None:
    return seed if seed is not None and any(isinstance(m, nn.Dropout) for m in generator.modules()) else None


def regrouped(chunks: Iterable[torch.Tensor], size: int) -> Iterator[torch.Tensor]:
    """The same frames in groups of exactly ``size`` (the last one what is left)."""
    pending: list[torch.Tensor] = []
    held = 0
    for chunk in chunks:
        pending.append(chunk)
        held += len(chunk)
        while held >= size:
            frames = torch.cat(pending)
            yield frames[:size]
            pending, held = [frames[size:]], held - size
    if held:
        yield torch.cat(pending)


def _frame_by_frame(generator: Generator, chunks: Iterable[torch.Tensor], statistics: str, seed: int | None,
                    options: dict) -> Iterator[torch.Tensor]:
    index = 0
    for chunk in chunks:
        if seed is None:
            yield translate(generator, chunk, statistics=statistics, **options)
        else:
            yield torch.cat([translate(generator, chunk[i:i + 1], statistics=statistics, dropout_seed=seed + index + i,
                                       **options) for i in range(len(chunk))])
        index += len(chunk)
