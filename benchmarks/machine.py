"""What a benchmark ran on: the CPU, its vector features, and what PyTorch's kernels use of them.

Printed as the first row of every benchmark table, since figures from an AVX512-BF16 machine and an AVX2-only one
differ several-fold for bfloat16. ``ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2`` holds PyTorch's kernels to
AVX2 on a larger CPU, which is how this project measures the AVX2 rows of its README.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import torch

from pix2pix_core.inference.precision import cpu_has_fast_bfloat16

FEATURES = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16")


def cpu_row() -> tuple[str, str]:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", text)
    flags = set((re.search(r"^flags\s*:\s*(.+)$", text, re.M) or ["", ""])[1].split())
    present = " ".join(f for f in FEATURES if f in flags) or "unknown"
    limits = ", ".join(f"{name}={os.environ[name]}" for name in ("ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY")
                       if name in os.environ)
    used = (f"kernels: ATen {torch.backends.cpu.get_cpu_capability()}, native bfloat16 "
            f"{'yes' if cpu_has_fast_bfloat16() else 'no'}" + (f" ({limits})" if limits else ""))
    return "CPU", (f"{model[1].strip() if model else 'unknown'}, {torch.get_num_threads()} threads, torch "
                   f"{torch.__version__}; features: {present}; {used}")


def bfloat16_rows_apply() -> bool:
    """bfloat16 rows only where the CPU computes it natively (elsewhere it is emulated, tens of times slower)."""
    return cpu_has_fast_bfloat16()


def peak_rss_bytes() -> int:
    """This process's peak resident memory. Linux: VmHWM, which belongs to the process image since its exec;
    ru_maxrss would also count the parent's memory copied at fork, so a probe started by a large benchmark
    process would report the parent's size."""
    status = Path("/proc/self/status")
    if status.exists():
        found = re.search(r"^VmHWM:\s*(\d+) kB", status.read_text(), re.M)
        if found:
            return int(found[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def resident_bytes() -> int:
    """This process's resident memory now (Linux VmRSS; elsewhere the peak, as the best available)."""
    status = Path("/proc/self/status")
    found = re.search(r"^VmRSS:\s*(\d+) kB", status.read_text(), re.M) if status.exists() else None
    return int(found[1]) * 1024 if found else peak_rss_bytes()
