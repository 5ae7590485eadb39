"""How much memory a native forward needs, and how much the machine can give.

The estimate comes from one small probe forward per network: every activation the forward creates is tracked
until it is freed, which gives the peak of live activation bytes per input pixel. Activations scale with the
input area, so that figure times the padded area (and the batch) predicts the native peak.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import torch
from torch import nn

from .modes import inference_statistics

_BYTES_PER_PIXEL: weakref.WeakKeyDictionary[nn.Module, float] = weakref.WeakKeyDictionary()
GiB = 1024**3
KERNEL_OVERHEAD = 2.0  # measured: native peak RSS growth / tracked activation peak is about 1.6 on CPU; a margin
# with large blocks reused from the heap (``allocator``) the peak grows by its holes: 1.47x (unet_256, 2048 px) and
# 1.17x (pix2pixHD, 2048x1024) the mmap peak, measured; reuse is for runs whose estimate fits this many times
HEAP_REUSE_OVERHEAD = 1.5
# and only for runs this large: below it no activation of these networks reaches glibc's 32 MiB mmap threshold
# (unet_256 at 1024 px estimates 0.43 GB, its largest activations 64 MiB), and each run ends by trimming the heap
HEAP_REUSE_FROM = 256 * 2**20


class _LiveBytes:
    """Counts the bytes of tensor storages alive at once during a forward (storages counted once each)."""

    def __init__(self) -> None:
        self.live: dict[int, int] = {}
        self.peak = 0

    def add(self, tensor: torch.Tensor) -> None:
        storage = tensor.untyped_storage()
        key = storage.data_ptr()
        if key in self.live:
            return
        self.live[key] = storage.nbytes()
        weakref.finalize(tensor, self.live.pop, key, None)
        self.peak = max(self.peak, sum(self.live.values()))

    def hook(self, module: nn.Module, inputs: tuple, output: object) -> None:
        if isinstance(output, torch.Tensor):
            self.add(output)


def activation_bytes_per_pixel(generator: nn.Module) -> float:
    """Peak live activation bytes per input pixel, as float32 (measured once per network, cached)."""
    if generator in _BYTES_PER_PIXEL:
        return _BYTES_PER_PIXEL[generator]
    side = max(generator.multiple, 64)
    param = next(generator.parameters())
    counter = _LiveBytes()
    handles = [m.register_forward_hook(counter.hook) for m in generator.modules()]
    try:
        with torch.inference_mode(), inference_statistics(generator, "per_image"):
            x = torch.zeros(1, generator.config.in_channels, side, side, device=param.device, dtype=param.dtype)
            counter.add(x)
            generator(x)
    finally:
        for handle in handles:
            handle.remove()
    _BYTES_PER_PIXEL[generator] = counter.peak / (side * side) * 4 / param.element_size()
    return _BYTES_PER_PIXEL[generator]


def share_estimate(copy: nn.Module, original: nn.Module) -> None:
    """Let ``copy``, a network whose activations are at most ``original``'s (the same layers on fewer input
    channels), use ``original``'s measurement instead of a probe forward of its own."""
    _BYTES_PER_PIXEL[copy] = activation_bytes_per_pixel(original)


def estimate_native_bytes(generator: nn.Module, batch: int, height: int, width: int, element_size: int = 4) -> int:
    """Predicted peak bytes of a native forward on ``[batch, C, height, width]`` (already padded), with a margin
    for what the kernels allocate beyond the activations."""
    per_pixel = activation_bytes_per_pixel(generator) * element_size / 4
    return int(KERNEL_OVERHEAD * per_pixel * batch * height * width)


def default_memory_budget(device: torch.device) -> int:
    """Bytes a translation may use: 80% of free GPU memory, or half of the available RAM on the CPU."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free * 0.8)
    return int(_available_ram() * 0.5)


def _available_ram() -> int:
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * GiB
