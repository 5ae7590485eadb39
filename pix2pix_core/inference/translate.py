"""The translation engine: from a user's images (0..1, any size, any batch) to the network and back.

Fit modes:
- ``native``: reflect-pad to the network's multiple, run fully convolutionally, crop back;
- ``resize``: resize to the training size and back, for models that need the global context they trained with;
- ``tiled``: overlapping tiles blended smoothly, normalised with whole-image statistics (see ``tiling``);
- ``auto`` (default): at the translator's training scale when it records one (see ``training_scale_size``), then
  native when the predicted peak fits the memory budget, tiled otherwise.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import weakref
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from ..allocator import reusing_allocations
from ..errors import InputError, ResourceError
from ..imaging.tensors import check_images, to_channels
from ..networks import Generator
from ..networks.io import IOSpec
from ..networks.norm import uses_input_statistics
from .memory import HEAP_REUSE_FROM, HEAP_REUSE_OVERHEAD, default_memory_budget, estimate_native_bytes, share_estimate
from .modes import STATISTICS, inference_statistics, normalising_in_place
from .precision import PRECISIONS, resolve_precision
from .temporal import ClipSemantics
from .tiling import Tile, run_tiled, run_tiled_exact, tile_grid

FIT_MODES = ("auto", "native", "resize", "tiled")
# tiled U-Nets: exact statistics for the first 8 norms (unet_256's encoder), estimated after. A random BatchNorm
# unet_256 on a 2048 px photo, 512 px tiles: 34.5 dB against native with 2 passes (25 s), 36.8 dB with 8 (39 s)
STATISTICS_PASSES = 8
Progress = Callable[[int, int], None]

# converted copies of a user's generator, per (dtype, memory format), with the weights' identity they were made from
_CONVERTED_COPIES: weakref.WeakKeyDictionary[nn.Module, dict[tuple, tuple[tuple, nn.Module]]] = (
    weakref.WeakKeyDictionary())


def translate(generator: Generator, images: torch.Tensor, *, fit: str = "auto", statistics: str = "per_image",
              dropout_seed: int | None = None, precision: str = "float32", batch_size: int = 8,
              tile_size: int | None = None, tile_overlap: int | None = None, statistics_passes: int = STATISTICS_PASSES,
              memory_budget: int | None = None, weight_copy: bool = True,
              progress: Progress | None = None, clip: ClipSemantics | None = None) -> torch.Tensor:
    """Translate ``images`` ``[B, C, H, W]`` in 0..1 to ``[B, C_out, H, W]`` in 0..1, on the generator's device.

    - ``statistics``: ``"per_image"`` (the reference's test-time BatchNorm, batch-invariant) or ``"eval"``.
    - ``dropout_seed``: keep dropout on, masks drawn from this seed image by image (the reference's stochastic
      output for each image alone). Not available in tiled mode.
    - ``precision``: ``float32``, ``bfloat16``, ``float16`` or ``auto`` (bfloat16 where the hardware runs it fast).
    - ``tile_size`` / ``tile_overlap``: tiled mode geometry in pixels, rounded up to the network's multiple.
    - ``statistics_passes``: tiled mode for networks that are not a chain of segments (U-Nets; a ResNet's
      statistics are always exact, see ``tiling.run_tiled_exact``), passes that gather whole-image normalisation
      statistics: the first
      ``statistics_passes`` normalisation layers get exact statistics (short passes that stop at their layer),
      the later ones statistics estimated in the last gathering pass. A value at least the network's number of
      input-statistics norm layers makes tiling exact where the receptive field fits in the overlap.
    - ``memory_budget``: bytes the translation may add to what is loaded (default: 80% of free GPU memory, half the
      free RAM): activations, a converted copy of the weights, and the full-size output and staging buffers.
    - ``weight_copy``: on the CPU, a BatchNorm network runs float32 from a cached channels_last copy of its weights
      (faster); False runs the weights as they are, for a machine short of memory. A reduced ``precision`` always
      needs its converted copy. The copy is skipped anyway when it would take over a quarter of the budget.
    - ``progress(done, total)``: called after each unit of work (a convolution of a native forward, a batch of
      tiles in a tiled pass); raise from it to stop.
    - ``clip``: what the frames of one clip share (one dropout mask, fixed statistics), applied to the network
      that runs; see ``inference.temporal``.

    Gray inputs are repeated to RGB, RGB(A) is reduced to luma for 1-channel models, and an alpha channel is
    kept aside and re-attached to RGB outputs.
    """
    check_options(fit, statistics, precision, batch_size, statistics_passes, dropout_seed, tile_size, tile_overlap)
    device = next(generator.parameters()).device
    labels = generator.io.input_space == "labels"
    if labels:
        (x, present), alpha = label_input(images, generator, fit), None
    else:
        (x, alpha), present = prepare_images(images, generator.config.in_channels), None
    x = x.to(device, torch.float32)
    budget = memory_budget or default_memory_budget(device)
    memory_format = torch.contiguous_format if dropout_seed is not None else None
    net, dtype = _execution_network(generator, precision, device, memory_format, weight_copy, budget // 4)
    if present is not None:
        net = _without_channels(net, present)
    element_size = torch.finfo(dtype).bits // 8
    copied = module_bytes(net, shared_with=generator)
    engine = _Engine(net, dtype, statistics, dropout_seed, max(budget - copied, 0), element_size, progress)
    scaled = training_scale_size(generator.io, x.shape[-2:]) if fit == "auto" and not labels else None
    shared = clip.applied(net) if clip is not None else contextlib.nullcontext()
    with _cudnn_benchmark(device), torch.inference_mode(), shared, normalising_in_place(net):
        if scaled is not None:
            y = at_size(lambda small: engine.fitted(small, tile_size, tile_overlap, batch_size, statistics_passes), x,
                        scaled)
        elif fit == "auto":
            y = engine.fitted(x, tile_size, tile_overlap, batch_size, statistics_passes)
        elif fit == "tiled":
            y = engine.tiled(x, tile_size, tile_overlap, batch_size, statistics_passes)
        elif fit == "resize":
            y = engine.resized(x, generator.io.train_size, batch_size)
        else:
            y = engine.native(x, batch_size)
    return restore_alpha(y.to(images.device), alpha)


def prepare_images(images: torch.Tensor, in_channels: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Checked images as a model with ``in_channels`` takes them (rounding outside 0..1 clamped), and their alpha
    channel kept aside (or None)."""
    check_images(images, channels=(1, 2, 3, 4))
    if images.min() < 0 or images.max() > 1:
        images = images.clamp(0, 1)
    alpha = images[:, 3:4] if images.shape[1] == 4 else None
    return match_channels(images, in_channels), alpha


def label_input(maps: torch.Tensor, generator: Generator, fit: str) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Encoded label maps (one-hot labels and boundaries, see ``inference.labels``) as the engine takes images:
    ``(x + 1) / 2``, which its scaling to [-1, 1] maps back exactly (0 and 1 stay 0 and 1); only the channels not
    zero everywhere (given as a mask, None when all are kept) where the network can leave the others out."""
    channels = generator.config.in_channels
    if maps.dim() != 4 or maps.shape[1] != channels:
        raise InputError(f"this translator takes label maps encoded as {channels} channels (one-hot labels and "
                         f"instance boundaries), got shape {tuple(maps.shape)}: pass label ids to translate_labels "
                         "(pix2pix_core.inference.labels), which encodes them.")
    if fit == "resize":
        raise InputError("label maps are translated at their own size (fit native, tiled or auto): resizing one "
                         "would blend its labels.")
    maps = maps.detach()
    # two reductions rather than a full-size |maps| (instance features are signed)
    present = (maps.amax(dim=(0, 2, 3)) != 0) | (maps.amin(dim=(0, 2, 3)) != 0)
    if bool(present.all()) or not generator.input_convolutions():
        return maps.float().add(1).div_(2), None
    return maps[:, present].float().add_(1).div_(2), present  # the selection is a new tensor: scaled in place


def _without_channels(net: Generator, present: torch.Tensor) -> Generator:
    """``net`` for inputs holding only the ``present`` channels: a copy sharing every weight but its input
    convolutions', which keep the weights of those channels alone (a label map's absent labels are zero
    everywhere: leaving them out changes no sum, and a street scene uses about half of Cityscapes' labels)."""
    pruned = {id(conv.weight) for conv in net.input_convolutions()}
    shared = {id(t): t for t in (*net.parameters(), *net.buffers()) if id(t) not in pruned}
    copied = copy.deepcopy(net, shared)
    index = present.nonzero()[:, 0].to(next(net.parameters()).device)
    for conv in copied.input_convolutions():
        conv.weight = nn.Parameter(conv.weight.detach().index_select(1, index), requires_grad=False)
        conv.in_channels = len(index)
    copied.config = dataclasses.replace(copied.config, in_channels=len(index))
    share_estimate(copied, net)
    return copied


def restore_alpha(y: torch.Tensor, alpha: torch.Tensor | None) -> torch.Tensor:
    """``y`` with the input's alpha channel re-attached, when it is RGB and the input had one."""
    if alpha is not None and y.shape[1] == 3:
        y = torch.cat([y, alpha.to(y.device, y.dtype)], 1)
    return y


class _Engine:
    """Runs the network on prepared [-1, 1] inputs under one statistics mode, precision and memory budget."""

    def __init__(self, net: Generator, dtype: torch.dtype, statistics: str, dropout_seed: int | None, budget: int,
                 element_size: int, progress: Progress | None) -> None:
        self.net, self.dtype, self.statistics, self.dropout_seed = net, dtype, statistics, dropout_seed
        self.budget, self.element_size = budget, element_size
        self.progress = progress or (lambda done, total: None)
        self.memory_format = _memory_format_of(net)
        self.device = next(net.parameters()).device

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[-1, 1] float32 (already padded) -> [-1, 1] float32."""
        x = x.to(self.dtype).contiguous(memory_format=self.memory_format)
        try:
            return self.net(x).float()
        except (torch.OutOfMemoryError, RuntimeError) as exc:
            if isinstance(exc, torch.OutOfMemoryError) or "allocate" in str(exc) or "out of memory" in str(exc):
                raise ResourceError(
                    f"ran out of memory translating a batch of shape {tuple(x.shape)} ({exc}). "
                    "Use fit='tiled' (or 'auto'), a smaller tile_size or batch_size, or precision='bfloat16'."
                ) from exc
            raise

    def native(self, x: torch.Tensor, batch_size: int) -> torch.Tensor:
        padded = _padded_size(x.shape[-2:], self.net)
        per_image = estimate_native_bytes(self.net, 1, *padded, self.element_size)
        if per_image > self.budget:
            raise ResourceError(
                f"a {x.shape[-2]}x{x.shape[-1]} image needs about {per_image / 2**30:.1f} GiB in native mode, over "
                f"the memory budget of {self.budget / 2**30:.1f} GiB. Use fit='tiled' (or 'auto'), which translates "
                "it in overlapping tiles with the same normalisation statistics, or raise memory_budget."
            )
        # large activations reused from the heap (faster on the CPU) where the larger peak that costs still fits
        reuse = self.device.type == "cpu" and HEAP_REUSE_FROM <= per_image <= self.budget / HEAP_REUSE_OVERHEAD
        footprint = max(1, int(per_image * HEAP_REUSE_OVERHEAD) if reuse else per_image)
        chunk = 1 if self.dropout_seed is not None else max(1, min(batch_size, self.budget // footprint))
        chunks = range(0, x.shape[0], chunk)
        outputs = []
        allocations = reusing_allocations() if reuse else contextlib.nullcontext()
        with _layer_progress(self.net, len(chunks), self.progress), allocations:
            for start in chunks:
                with inference_statistics(self.net, self.statistics, self.dropout_seed):
                    outputs.append(self._native_chunk(x[start:start + chunk]))
        return outputs[0] if len(outputs) == 1 else torch.cat(outputs)

    def _native_chunk(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        y = self.forward(_pad_to(x * 2 - 1, *_padded_size((h, w), self.net)))
        return y[..., :h, :w].add_(1).div_(2).clamp_(0, 1)

    def fitted(self, x: torch.Tensor, tile_size: int | None, overlap: int | None, batch_size: int,
               statistics_passes: int) -> torch.Tensor:
        """Native when one image's predicted peak fits the memory budget, tiled otherwise."""
        if estimate_native_bytes(self.net, 1, *_padded_size(x.shape[-2:], self.net), self.element_size) <= self.budget:
            return self.native(x, batch_size)
        return self.tiled(x, tile_size, overlap, batch_size, statistics_passes)

    def resized(self, x: torch.Tensor, train_size: int, batch_size: int) -> torch.Tensor:
        return at_training_size(lambda small: self.native(small, batch_size), x, train_size, self.net.multiple)

    def tiled(self, x: torch.Tensor, tile_size: int | None, overlap: int | None, batch_size: int,
              statistics_passes: int) -> torch.Tensor:
        if self.dropout_seed is not None:
            raise InputError("dropout with a seed is not available in tiled mode (each tile would draw its own "
                             "masks and show seams). Use fit='native' or 'resize', or leave dropout_seed unset.")
        m = self.net.multiple
        tile = _round_up(tile_size or max(512, 4 * m), m)
        overlap = _round_up(overlap if overlap is not None else max(tile // 4, 1), m)
        if overlap >= tile:
            raise InputError(f"tile_overlap ({overlap} after rounding to the multiple {m}) must be smaller than "
                             f"tile_size ({tile}).")
        h, w = x.shape[-2:]
        padded = _padded_size((h, w), self.net)
        tiles = tile_grid(*padded, tile, overlap)
        if len(tiles) == 1:  # the image fits in one tile: the native run is exact and needs one pass
            return self.native(x, batch_size)
        tile_h, tile_w = tiles[0].box[1] - tiles[0].box[0], tiles[0].box[3] - tiles[0].box[2]
        per_tile = estimate_native_bytes(self.net, 1, tile_h, tile_w, self.element_size)
        # beside the tiles: the padded copy of the input (when padding is needed), the full-size output being
        # blended, and the result of every image of the batch
        out_channels = self.net.config.out_channels
        staging = 4 * (padded[0] * padded[1] * (x.shape[1] * (padded != (h, w)) + out_channels)
                       + x.shape[0] * out_channels * h * w)
        for_tiles = self.budget - staging
        if per_tile > for_tiles:
            raise ResourceError(f"one {tile_h}x{tile_w} tile needs about {per_tile / 2**30:.2f} GiB, over the "
                                f"{max(for_tiles, 0) / 2**30:.2f} GiB the memory budget of "
                                f"{self.budget / 2**30:.2f} GiB leaves beside the full-size image buffers "
                                f"({staging / 2**30:.2f} GiB): use a smaller tile_size or raise memory_budget.")
        tiles_per_batch = max(1, min(batch_size, for_tiles // per_tile))
        result = torch.empty(x.shape[0], out_channels, h, w, device=x.device) if x.shape[0] > 1 else None
        for index, image in enumerate(x.split(1)):
            def progress(done: int, total: int, index: int = index) -> None:
                self.progress(index * total + done, x.shape[0] * total)

            with inference_statistics(self.net, self.statistics):
                y = self._tiled_image(_pad_to(image, *padded), tiles, overlap, tiles_per_batch, statistics_passes,
                                      for_tiles - per_tile * tiles_per_batch, progress)
            y = y[..., :h, :w].add_(1).div_(2).clamp_(0, 1)
            if result is None:
                return y
            result[index] = y[0]
            del y
        return result

    def _tiled_image(self, image: torch.Tensor, tiles: list[Tile], overlap: int, tiles_per_batch: int,
                     statistics_passes: int, cache_bytes: int, progress: Progress) -> torch.Tensor:
        """One padded 0..1 image through the tiles: every norm's statistics exact for a chain of segments (a
        ResNet), the ``statistics_passes`` schedule otherwise (a U-Net)."""
        segments = self.net.segments()
        if segments is not None and any(uses_input_statistics(m) for m in self.net.modules()):
            def prepare(x: torch.Tensor) -> torch.Tensor:
                return x.to(self.dtype).contiguous(memory_format=self.memory_format)

            return run_tiled_exact(prepare, segments, self.net, image, tiles, overlap, tiles_per_batch,
                                   max(cache_bytes, 0), statistics_passes, progress)
        return run_tiled(self.forward, self.net, image, tiles, overlap, tiles_per_batch, statistics_passes, progress)


@contextlib.contextmanager
def _layer_progress(net: nn.Module, forwards: int, progress: Progress) -> Iterator[None]:
    """Report ``progress`` after every convolution of ``forwards`` native forwards: one large image is minutes of
    work, and a bar that sits at 0/1 looks like a hang (a Cancel raised from ``progress`` stops at the next layer)."""
    convolutions = [m for m in net.modules() if isinstance(m, nn.modules.conv._ConvNd)]
    total, done = forwards * len(convolutions), 0

    def after_convolution(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal done
        done = min(done + 1, total)
        progress(done, total)

    handles = [m.register_forward_hook(after_convolution) for m in convolutions]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def resize01(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """0..1 images resized (bicubic, antialiased), still in 0..1."""
    return F.interpolate(x, size=size, mode="bicubic", antialias=True, align_corners=False).clamp(0, 1)


SCALE_TOLERANCE = 1.25  # auto runs natively within this factor of the training scale (no resampling loss)


def training_scale_size(io: IOSpec, size: tuple[int, int]) -> tuple[int, int] | None:
    """The size ``auto`` runs an image of ``size`` at: the translator's training scale, when it records one and the
    image is off it by more than SCALE_TOLERANCE; None to run at the image's own size.

    Training resized whole images to ``train_scale`` pixels a side before cropping, and a GAN learns the scale of
    the content it saw (the reference's test.py runs at that scale too): an image of another scale is resized to
    the same area (its aspect kept; the native forward pads it to the network's multiple), translated, and resized
    back.
    """
    if io.train_scale is None:
        return None
    factor = io.train_scale / math.sqrt(size[0] * size[1])
    if 1 / SCALE_TOLERANCE <= factor <= SCALE_TOLERANCE:
        return None
    return tuple(max(1, round(side * factor)) for side in size)


def training_scale_note(generator: Generator, size: tuple[int, int]) -> str | None:
    """What ``auto`` does differently for an image of ``size`` because of the training scale, in words (said once
    per run by the CLI and the node), or None."""
    scaled = training_scale_size(generator.io, size)
    if scaled is None:
        return None
    return (f"fit auto: this translator learned from images resized to {generator.io.train_scale} px, so a "
            f"{size[1]}x{size[0]} image is translated at {scaled[1]}x{scaled[0]} (the scale of what it saw) and "
            "resized back; --fit native (the node's fit: native) runs it at full size instead")


def at_size(run: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``run`` applied to ``x`` resized to ``size``, its result resized back to ``x``'s size."""
    return resize01(run(resize01(x, size)), tuple(x.shape[-2:]))


def at_training_size(run: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, train_size: int,
                     multiple: int) -> torch.Tensor:
    """``run`` applied to ``x`` resized to a ``train_size`` square (rounded up to ``multiple``), resized back."""
    side = _round_up(train_size, multiple)
    return at_size(run, x, (side, side))


def _round_up(value: int, multiple: int) -> int:
    return max(multiple, -(-value // multiple) * multiple)


def _padded_size(size: tuple[int, int], net: Generator) -> tuple[int, int]:
    """The size the network runs at: each side rounded up to its multiple, and at least its smallest side."""
    return tuple(max(net.min_side, _round_up(side, net.multiple)) for side in size)


def _pad_to(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Pad bottom/right to ``height`` x ``width``: reflect where the image is large enough, else replicate."""
    pad_h, pad_w = height - x.shape[-2], width - x.shape[-1]
    if not (pad_h or pad_w):
        return x
    mode = "reflect" if pad_h < x.shape[-2] and pad_w < x.shape[-1] else "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode)


def module_bytes(net: nn.Module, shared_with: nn.Module | None = None) -> int:
    """Bytes of a network's parameters and buffers (those it does not share with ``shared_with``)."""
    shared = {t.data_ptr() for t in (*shared_with.parameters(), *shared_with.buffers())} if shared_with else set()
    return sum(t.numel() * t.element_size() for t in (*net.parameters(), *net.buffers()) if t.data_ptr() not in shared)


def _execution_network(generator: Generator, precision: str, device: torch.device,
                       memory_format: torch.memory_format | None, weight_copy: bool = True,
                       copy_limit: int | None = None) -> tuple[Generator, torch.dtype]:
    """The network to run, never the user's generator changed: the generator itself when it already has the dtype
    and memory format wanted, else a converted copy, cached until the weights change. A float32 copy made only for
    speed (channels_last) is skipped when ``weight_copy`` is off or it would exceed ``copy_limit`` bytes.

    channels_last is wanted for reduced precision, and on the CPU for networks without InstanceNorm (oneDNN, the
    BatchNorm U-Net: 1.1x the float32 throughput at batch 8 and 1 GiB less at 4096x4096 than NCHW, for one more copy
    of the weights; InstanceNorm networks, ResNets and the Hub-community U-Net, run float32 5-12% faster NCHW);
    on CUDA float32 runs the generator as it is. Seeded dropout requires NCHW activations: dropout draws its masks
    in memory order, so only an NCHW forward reproduces the reference's masks.
    """
    dtype = resolve_precision(precision, device)
    cpu_prefers_channels_last = device.type == "cpu" and not any(isinstance(m, nn.InstanceNorm2d)
                                                                 for m in generator.modules())
    copy_fits = weight_copy and (copy_limit is None or module_bytes(generator) <= copy_limit)
    if memory_format is None and (dtype != torch.float32 or (cpu_prefers_channels_last and copy_fits)):
        memory_format = torch.channels_last
    if dtype == torch.float32 and memory_format in (None, _memory_format_of(generator)):
        return generator, dtype
    key = (dtype, memory_format, device, _weights_identity(generator))
    copies = _CONVERTED_COPIES.setdefault(generator, {})
    if (dtype, memory_format) not in copies or copies[dtype, memory_format][0] != key:
        converted = copy.deepcopy(generator).to(dtype=dtype, memory_format=memory_format)
        copies[dtype, memory_format] = (key, converted)
    return copies[dtype, memory_format][1], dtype


def _weights_identity(generator: nn.Module) -> tuple:
    """What tells whether a cached copy is stale: each weight's storage, its version counter (in-place ops bump it;
    inference tensors, as in ComfyUI, have none), and a sampled sum of its values, since fused optimisers (Adam
    with fused=True) update weights without bumping the version."""
    parameters = list(generator.parameters())
    with torch.no_grad():
        sampled = torch.stack([p.detach().reshape(-1)[::max(1, p.numel() // 16)].float().sum() for p in parameters])
    versions = tuple((p.data_ptr(), -1 if p.is_inference() else p._version) for p in parameters)
    return versions, tuple(sampled.tolist())


def _memory_format_of(net: nn.Module) -> torch.memory_format:
    """channels_last when the network's convolution weights are stored that way, else NCHW."""
    weight = next((p for p in net.parameters() if p.dim() == 4 and p.shape[1] * p.shape[2] * p.shape[3] > 1), None)
    channels_last = weight is not None and not weight.is_contiguous() and weight.is_contiguous(
        memory_format=torch.channels_last)
    return torch.channels_last if channels_last else torch.contiguous_format


@contextlib.contextmanager
def _cudnn_benchmark(device: torch.device) -> Iterator[None]:
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = device.type == "cuda" or previous
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


def check_options(fit: str = "auto", statistics: str = "per_image", precision: str = "float32", batch_size: int = 8,
                  statistics_passes: int = STATISTICS_PASSES, dropout_seed: int | None = None,
                  tile_size: int | None = None, tile_overlap: int | None = None) -> None:
    """Refuse options :func:`translate` cannot honour, before any image is read (a CLI checks them once)."""
    for name, value, allowed in (("fit", fit, FIT_MODES), ("statistics", statistics, STATISTICS),
                                 ("precision", precision, PRECISIONS)):
        if value not in allowed:
            raise InputError(f"{name} must be one of {', '.join(allowed)}, got {value!r}.")
    for name, value, low in (("batch_size", batch_size, 1), ("statistics_passes", statistics_passes, 1),
                             ("tile_size", tile_size, 1), ("tile_overlap", tile_overlap, 0)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < low):
            raise InputError(f"{name} must be an integer of at least {low}, got {value!r}"
                             + (" (leave it out for the default)." if name.startswith("tile") else "."))
    if dropout_seed is not None and (not isinstance(dropout_seed, int) or isinstance(dropout_seed, bool)):
        raise InputError(f"dropout_seed must be an integer or None, got {dropout_seed!r}.")


def match_channels(images: torch.Tensor, wanted: int) -> torch.Tensor:
    """The images as the model takes them (gray <-> RGB, alpha dropped); refused when no conversion is defined."""
    if images.shape[1] == wanted:
        return images
    if images.shape[1] == 4:
        images = images[:, :3]
    if images.shape[1] == 2 or wanted not in (1, 3):
        raise InputError(f"the model expects {wanted} input channel(s) and the images have {images.shape[1]}; no "
                         "conversion between those is defined. Prepare the images for this model first.")
    return to_channels(images, wanted)
