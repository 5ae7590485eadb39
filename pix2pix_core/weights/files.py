"""Reading weight files safely: safetensors first, ``torch.load(weights_only=True)`` for ``.pth``/``.bin``; nothing
here unpickles arbitrary objects. Wrapper dicts and DataParallel prefixes are unwrapped."""

from __future__ import annotations

import json
import pickle
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

from ..errors import CheckpointError

StateDict = dict[str, torch.Tensor]
CONFIG_METADATA_KEY = "pix2pix_config"
WRAPPER_KEYS = ("state_dict", "model", "generator", "netG", "G", "discriminator", "netD", "D")
LEGACY_NORM_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")


@dataclass
class WeightsFile:
    """A state dict read from disk, plus the safetensors metadata (if any) and how it was read."""

    state_dict: StateDict
    metadata: dict[str, str] = field(default_factory=dict)
    format: str = "safetensors"


def read_weights(path: str | Path) -> WeightsFile:
    """Read a ``.safetensors``, ``.pth``/``.pt``/``.bin`` (zip or legacy torch format) file onto the CPU."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} does not exist or is not a file.")
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes): the download or copy did not finish. Fetch it again.")
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":
        return WeightsFile(_torch_load(path), format="torch")
    if _looks_like_safetensors(head, size) or path.suffix == ".safetensors":
        return _read_safetensors(path)
    raise CheckpointError(
        f"{path} is not a checkpoint: it is neither safetensors nor a PyTorch file. "
        "Point to a .safetensors, .pth or pytorch_model.bin file, or a directory holding config.json and "
        "model.safetensors."
    )


def _looks_like_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 9:
        return False
    (header_len,) = struct.unpack("<Q", head[:8])
    return head[8:9] == b"{" and 8 + header_len <= size


def _read_safetensors(path: Path) -> WeightsFile:
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = dict(f.metadata() or {})
        state_dict = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{path} is not a readable safetensors file ({exc}). It is probably truncated or corrupt: "
            "download or copy it again."
        ) from exc
    return WeightsFile(state_dict, metadata, "safetensors")


def _torch_load(path: Path) -> StateDict:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"refusing to load {path}: it contains pickled Python objects besides tensors, which could run code "
            "when loaded. Only plain state dicts are accepted. If you trust the file, re-save its state dict with "
            "`torch.save(model.state_dict(), ...)` or convert it to safetensors."
        ) from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as exc:
        raise CheckpointError(
            f"{path} could not be read as a PyTorch checkpoint ({exc}). It is probably truncated or corrupt: "
            "download or copy it again."
        ) from exc
    return unwrap_state_dict(obj, str(path))


def unwrap_state_dict(obj: object, origin: str) -> StateDict:
    """Return the flat ``{name: tensor}`` mapping inside ``obj`` (a bare state dict or a common wrapper dict)."""
    if isinstance(obj, Mapping):
        for key in WRAPPER_KEYS:
            if isinstance(obj.get(key), Mapping) and len(obj) <= 8:
                return unwrap_state_dict(obj[key], origin)
        if obj and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()):
            return _strip_wrapper_prefix(dict(obj))
    kind = type(obj).__name__
    keys = list(obj)[:6] if isinstance(obj, Mapping) else []
    raise CheckpointError(
        f"{origin} holds a {kind}{f' with keys {keys}' if keys else ''}, not a state dict of tensors. "
        "Save the network's weights with `torch.save(net.state_dict(), path)`."
    )


def _strip_wrapper_prefix(state_dict: StateDict) -> StateDict:
    """Drop the ``module.`` prefix that DataParallel/DistributedDataParallel add to every key."""
    if all(k.startswith("module.") for k in state_dict):
        return {k[len("module."):]: v for k, v in state_dict.items()}
    return state_dict


def embedded_config(weights: WeightsFile) -> dict | None:
    """The config.json content we embed in safetensors metadata when saving, if present."""
    text = weights.metadata.get(CONFIG_METADATA_KEY)
    if not text:
        return None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError("the config embedded in the file's safetensors metadata is not valid JSON: the file "
                              "was not written by comfyui-pix2pix or is damaged. Re-save it, or strip the "
                              f"'{CONFIG_METADATA_KEY}' metadata to infer the architecture.") from exc
