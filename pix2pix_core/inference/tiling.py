"""Tiled translation: overlapping tiles, smooth blending, and whole-image normalisation statistics.

Tiles sit on a grid aligned to the network's multiple, so every tile sees the same downsampling grid as the
whole image (a tile's origin is a whole activation pixel at every scale), and a tile's interior equals the
native result wherever the receptive field fits in the tile.

Layers that normalise with the statistics of their input (InstanceNorm; BatchNorm with per-image statistics)
must not use each tile's own statistics, or every tile gets its own colour cast and seams appear. Sums of every
such layer's input are accumulated, per image and channel, over the tiles' *cores* (a partition of the image),
and later passes normalise every tile with those whole-image statistics. A norm's statistics are exact once all
the norms before it are. ``run_tiled_exact`` (a network that is a chain of segments, a ResNet) makes every norm
exact in one sweep, caching each tile's activation between segments; ``run_tiled`` (a U-Net) makes the first
``statistics_passes`` exact with short passes that stop at their layer and estimates the rest in one more pass.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn

from ..networks.norm import BatchNorm2d, InstanceNorm2d, uses_input_statistics

Box = tuple[int, int, int, int]  # y0, y1, x0, x1 in pixels of the padded image


@dataclass(frozen=True)
class Tile:
    box: Box  # where the tile sits
    core: Box  # the part of the image this tile owns for statistics (cores partition the image)


def _starts(size: int, tile: int, stride: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, stride))
    return [*starts, size - tile]


def tile_grid(height: int, width: int, tile: int, overlap: int) -> list[Tile]:
    """Tiles of side ``tile`` (clipped to the image) overlapping by at least ``overlap``.

    Pass sizes that are multiples of the network's multiple: the tile origins then are too.
    """
    stride = tile - overlap
    ys, xs = _starts(height, tile, stride), _starts(width, tile, stride)

    def cores(starts: list[int], size: int, extent: int) -> list[tuple[int, int]]:
        bounds = [0]
        for before, after in zip(starts, starts[1:]):  # split each overlap in its middle
            bounds.append((before + extent + after) // 2)
        return list(zip(bounds, [*bounds[1:], size]))

    th, tw = min(tile, height), min(tile, width)
    return [Tile((y, y + th, x, x + tw), (cy0, cy1, cx0, cx1))
            for y, (cy0, cy1) in zip(ys, cores(ys, height, th))
            for x, (cx0, cx1) in zip(xs, cores(xs, width, tw))]


def blend_weights(tile: Tile, height: int, width: int, overlap: int, device: torch.device) -> torch.Tensor:
    """``[h, w]`` weights: 1 inside; on each side shared with a neighbour, 0 over the outer quarter of the overlap
    (where the tile's border corrupts its output) and a raised-cosine ramp across the middle half.

    Two neighbours' ramps are complementary, so the weights always sum to a positive value and the blend is smooth.
    """
    y0, y1, x0, x1 = tile.box
    return torch.outer(_profile(y0, y1, height, overlap, device), _profile(x0, x1, width, overlap, device)).float()


def _profile(start: int, stop: int, size: int, overlap: int, device: torch.device) -> torch.Tensor:
    """One side's blend weights along one axis (float64)."""
    margin, ramp_length = overlap // 4, overlap - 2 * (overlap // 4)
    n = stop - start
    w = torch.ones(n, device=device, dtype=torch.float64)
    if ramp_length <= 0:
        return w
    t = (torch.arange(ramp_length, device=device, dtype=torch.float64) + 0.5) / ramp_length
    rise = torch.cat([torch.zeros(margin, device=device, dtype=torch.float64), 0.5 - 0.5 * torch.cos(torch.pi * t)])
    if start > 0:
        w[:len(rise)] = rise[:n]
    if stop < size:
        w[n - len(rise):] = torch.minimum(w[n - len(rise):], rise.flip(0)[-n:])
    return w


def weight_sums(tiles: list[Tile], height: int, width: int, overlap: int,
                device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The blend weights summed over all tiles, as a column and a row vector whose outer product it is: the tiles
    form a product grid and each tile's weights are an outer product, so no full-size weight image is needed."""
    def along(spans: set[tuple[int, int]], size: int) -> torch.Tensor:
        total = torch.zeros(size, device=device, dtype=torch.float64)
        for start, stop in spans:
            total[start:stop] += _profile(start, stop, size, overlap, device)
        return total.float()

    return (along({(t.box[0], t.box[1]) for t in tiles}, height),
            along({(t.box[2], t.box[3]) for t in tiles}, width))


class _StopTile(Exception):
    """Raised by the hook to end a truncated pass once the layer it gathers statistics for has been seen."""


class WholeImageStatistics:
    """A norm ``statistics_hook`` that normalises tiles with statistics accumulated over the whole image.

    ``norms`` lists the hooked layers in execution order. In a pass, layers before ``first_collected`` use
    statistics already known to be exact; from ``first_collected`` on, layers use known statistics when there
    are any (the output pass) or each tile's own (a gathering pass), and accumulate sums over the tile cores.
    """

    def __init__(self, norms: list[nn.Module]) -> None:
        self.norms = norms
        self.frozen: dict[nn.Module, tuple[torch.Tensor, torch.Tensor]] = {}
        self.sums: dict[nn.Module, list] = {}
        self.cores: list[Box] = []  # one per tile of the current batch, relative to the tile
        self.tile_size: tuple[int, int] = (1, 1)
        self.first_collected: int | None = 0  # None: collect nothing (the output pass)
        self.stop_after: int | None = None

    def set_tiles(self, tiles: list[Tile]) -> None:
        self.cores = [(t.core[0] - t.box[0], t.core[1] - t.box[0], t.core[2] - t.box[2], t.core[3] - t.box[2])
                      for t in tiles]
        y0, y1, x0, x1 = tiles[0].box
        self.tile_size = (y1 - y0, x1 - x0)

    def end_pass(self) -> None:
        """Turn this pass's sums into the statistics later passes normalise with."""
        for module, (total, squares, count) in self.sums.items():
            mean = total / count
            var = (squares / count - mean * mean).clamp_min(0)
            self.frozen[module] = (mean.float(), var.float())
        self.sums.clear()

    def __call__(self, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        index = self.norms.index(module)
        collecting = self.first_collected is not None and index >= self.first_collected
        if collecting:
            self._accumulate(module, x)
            if index == self.stop_after:
                raise _StopTile
        if module in self.frozen and not collecting:
            mean, var = (s[:, :, None, None] for s in self.frozen[module])
        else:  # each tile's own statistics, until whole-image ones are known
            var, mean = torch.var_mean(x.float(), dim=(2, 3), keepdim=True, correction=0)
        scale = torch.rsqrt(var + module.eps)
        if module.weight is not None:
            scale = scale * module.weight.float().view(1, -1, 1, 1)
        shift = -mean * scale
        if module.bias is not None:
            shift = shift + module.bias.float().view(1, -1, 1, 1)
        return torch.addcmul(shift.to(x.dtype), x, scale.to(x.dtype))

    def _accumulate(self, module: nn.Module, x: torch.Tensor) -> None:
        sy, sx = self.tile_size[0] / x.shape[-2], self.tile_size[1] / x.shape[-1]
        total = squares = 0
        count = 0
        for i, (y0, y1, x0, x1) in enumerate(self.cores):  # the batch holds tiles of one image
            part = x[i, :, _half_up(y0 / sy):_half_up(y1 / sy), _half_up(x0 / sx):_half_up(x1 / sx)].double()
            total = total + part.sum(dim=(-2, -1))[None]
            squares = squares + (part * part).sum(dim=(-2, -1))[None]
            count += part.shape[-2] * part.shape[-1]
        previous = self.sums.get(module, (0, 0, 0))
        self.sums[module] = [previous[0] + total, previous[1] + squares, previous[2] + count]


def _half_up(value: float) -> int:
    """Round half up: unlike round(), consistent under integer shifts, so neighbouring cores partition exactly."""
    return math.floor(value + 0.5)


@contextlib.contextmanager
def hooked_norms(net: nn.Module) -> Iterator[WholeImageStatistics | None]:
    """Hook every norm layer that uses input statistics (registration order is execution order in our networks)."""
    norms = [m for m in net.modules() if isinstance(m, (BatchNorm2d, InstanceNorm2d)) and uses_input_statistics(m)]
    hook = WholeImageStatistics(norms) if norms else None
    for m in norms:
        m.statistics_hook = hook
    try:
        yield hook
    finally:
        for m in norms:
            m.statistics_hook = None


def statistics_schedule(n_norms: int, statistics_passes: int) -> list[tuple[int | None, int | None]]:
    """(first_collected, stop_after) for each pass; the last pass produces the output.

    Passes 1..p-1 make layers 0..p-2 exact, each stopping right after its layer; pass p gathers statistics for
    the remaining layers (the first of them exact, the later ones estimated with per-tile statistics upstream).
    """
    if n_norms == 0:
        return [(None, None)]
    p = min(statistics_passes, n_norms)
    return [(i, i) for i in range(p - 1)] + [(p - 1, None), (None, None)]


def run_tiled(run: Callable[[torch.Tensor], torch.Tensor], net: nn.Module, image: torch.Tensor, tiles: list[Tile],
              overlap: int, tiles_per_batch: int, statistics_passes: int,
              progress: Callable[[int, int], None] = lambda done, total: None) -> torch.Tensor:
    """Translate one padded image ``[1, C, H, W]`` in 0..1 tile by tile; ``run`` maps a tile batch in [-1, 1] to
    outputs; the result is in [-1, 1]."""
    height, width = image.shape[-2:]
    batches = _batches(tiles, tiles_per_batch)
    out = None
    with hooked_norms(net) as hook:
        schedule = statistics_schedule(len(hook.norms) if hook else 0, statistics_passes)
        total = len(schedule) * len(batches)
        for pass_index, (first_collected, stop_after) in enumerate(schedule):
            if hook:
                hook.first_collected, hook.stop_after = first_collected, stop_after
            for batch_index, batch in enumerate(batches):
                if hook:
                    hook.set_tiles(batch)
                try:
                    result = run(_crops(image, batch))
                except _StopTile:
                    result = None
                progress(pass_index * len(batches) + batch_index + 1, total)
                if first_collected is None:
                    out = _blend_into(out, batch, result, overlap, (height, width))
            if hook:
                hook.end_pass()
    return _normalised(out, tiles, overlap)


def run_tiled_exact(prepare: Callable[[torch.Tensor], torch.Tensor], segments: list[nn.Module], net: nn.Module,
                    image: torch.Tensor, tiles: list[Tile], overlap: int, tiles_per_batch: int, cache_bytes: int,
                    statistics_passes: int, progress: Callable[[int, int], None] = lambda done, total: None
                    ) -> torch.Tensor:
    """:func:`run_tiled` for a network that is a chain of ``segments``, with every norm's whole-image statistics
    exact: norm k's are gathered over the tiles once norms 0..k-1 are final, as ``statistics_passes`` = all would,
    but each tile resumes from its activation cached at the last segment reached instead of from the image. Caches
    are kept while they total at most ``cache_bytes`` (else the sweep resumes from the last one that fitted), so
    each segment runs about once per norm it holds plus once, not once per norm of the whole network. When no
    cache fits at all, each sweep starts from the image: after ``statistics_passes`` of those, the remaining
    norms are estimated in one pass, as :func:`run_tiled` does. ``prepare`` turns a batch of crops in [-1, 1]
    into the network's input (dtype, memory format)."""
    height, width = image.shape[-2:]
    batches = _batches(tiles, tiles_per_batch)
    out, cache, position = None, None, 0
    with hooked_norms(net) as hook:
        norms = hook.norms if hook else []
        segment_of = {m: i for i, segment in enumerate(segments) for m in segment.modules() if m in norms}
        total = (len(norms) + 1) * len(batches)

        def start(index: int, batch: list[Tile]) -> torch.Tensor:
            if cache is not None:
                return cache[index]
            return prepare(_crops(image, batch))

        for k, norm in enumerate(norms):
            if cache is None and k >= statistics_passes:  # no cache fits: estimate the rest rather than sweep on
                hook.first_collected, hook.stop_after = k, None
                for index, batch in enumerate(batches):
                    hook.set_tiles(batch)
                    x = start(index, batch)
                    for segment in segments:
                        x = segment(x)
                    progress(k * len(batches) + index + 1, total)
                hook.end_pass()
                break
            target = segment_of[norm]
            hook.first_collected = hook.stop_after = k  # norms before k are final; k is gathered, then stop
            advanced, stored = [], 0
            for index, batch in enumerate(batches):
                hook.set_tiles(batch)
                x = start(index, batch)
                for segment in segments[position:target]:
                    x = segment(x)
                if advanced is not None and stored + x.nbytes <= cache_bytes:
                    advanced.append(x)
                    stored += x.nbytes
                else:
                    advanced = None  # the caches at this segment would not fit: keep resuming from the earlier one
                with contextlib.suppress(_StopTile):
                    segments[target](x)
                progress(k * len(batches) + index + 1, total)
            hook.end_pass()
            if advanced is not None and target > position:
                cache, position = advanced, target
        if hook:
            hook.first_collected = None
        done = (min(len(norms), statistics_passes + 1) if cache is None else len(norms)) * len(batches)
        total = done + len(batches)
        for index, batch in enumerate(batches):
            x = start(index, batch)
            for segment in segments[position:]:
                x = segment(x)
            if cache is not None:
                cache[index] = None  # its memory is free as soon as the tile's output exists
            out = _blend_into(out, batch, x, overlap, (height, width))
            progress(done + index + 1, total)
    return _normalised(out, tiles, overlap)


def _batches(tiles: list[Tile], tiles_per_batch: int) -> list[list[Tile]]:
    return [tiles[i:i + tiles_per_batch] for i in range(0, len(tiles), tiles_per_batch)]


def _crops(image: torch.Tensor, batch: list[Tile]) -> torch.Tensor:
    """The batch's tiles cut from the 0..1 image, as one [-1, 1] batch (a copy: the image stays in 0..1)."""
    return torch.cat([image[..., t.box[0]:t.box[1], t.box[2]:t.box[3]] for t in batch]).mul_(2).sub_(1)


def _normalised(out: torch.Tensor, tiles: list[Tile], overlap: int) -> torch.Tensor:
    """The blended sum divided by the sum of the blend weights."""
    rows, columns = weight_sums(tiles, *out.shape[-2:], overlap, out.device)
    return out.div_(rows[:, None]).div_(columns[None, :])


def _blend_into(out: torch.Tensor | None, batch: list[Tile], result: torch.Tensor, overlap: int,
                size: tuple[int, int]) -> torch.Tensor:
    if out is None:
        out = torch.zeros(1, result.shape[1], *size, device=result.device)
    for tile, y in zip(batch, result):
        y0, y1, x0, x1 = tile.box
        out[0, :, y0:y1, x0:x1].addcmul_(y.float(), blend_weights(tile, *size, overlap, result.device))
    return out
