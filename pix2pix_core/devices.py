"""Checking a device name before any work: a typo or a missing GPU is a message, not a traceback later on."""

from __future__ import annotations

import torch

from .errors import InputError


def check_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch.device that this machine has; InputError naming what to use otherwise."""
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InputError(f"{str(device)[:40]!r} is not a device: use cpu, cuda, cuda:1 or mps.") from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"device {str(device)!r} is not available: this PyTorch has no CUDA support or sees no "
                             "GPU. Use cpu (or install a CUDA build of PyTorch).")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise InputError(f"device {str(device)!r} does not exist: this machine has {torch.cuda.device_count()} "
                             "GPU(s), cuda:0 and up.")
    elif resolved.type == "mps" and not torch.backends.mps.is_available():
        raise InputError(f"device {str(device)!r} is not available here (no Apple GPU): use cpu.")
    elif resolved.type not in ("cpu", "cuda", "mps"):
        raise InputError(f"device {str(device)!r} is not supported: use cpu, cuda, cuda:1 or mps.")
    return resolved
