"""The interactive demo's ``.pict`` translators (affinelayer/pix2pix-tensorflow: edges2cats, edges2shoes,
edges2handbags AtoB; facades BtoA), read into :class:`~pix2pix_core.networks.tensorflow_unet.TensorflowUnetGenerator`.

The format, as ``server/tools/export-checkpoint.py`` writes it and the demo page reads it: three parts, each a
big-endian uint32 length then its bytes: a JSON list of ``{"name", "shape"}`` (the generator's TensorFlow
variables, sorted by name), a 256-entry float32 table, and one uint8 per value, indexing that table, the variables
flattened in list order. Kernels are TensorFlow's: a conv's ``[kh, kw, in, out]``, a transposed conv's
``[kh, kw, out, in]``; PyTorch's are ``[out, in, kh, kw]`` and ``[in, out, kh, kw]``.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import numpy as np
import torch

from ..errors import CheckpointError
from ..networks.io import IOSpec
from ..networks.tensorflow_unet import LEVELS, TensorflowUnetConfig
from .config import ModelConfig

PICT_SUFFIX = ".pict"
TABLE_SIZE = 256
SCOPE = "generator"
# the demo's input space per translator: its page draws black edges on white, or facade label colours
INPUT_SPACES = {"edges2": "edges"}


def is_pict(path: Path) -> bool:
    """A .pict file by name, or by its first bytes (a length, then the JSON list of shapes)."""
    if path.suffix.lower() == PICT_SUFFIX:
        return path.is_file()  # a missing file is the weights reader's to report
    if not path.is_file():
        return False
    with open(path, "rb") as f:
        return f.read(6)[4:6] == b"[{"


def read_pict_arrays(path: Path) -> dict[str, np.ndarray]:
    """The TensorFlow variables of a ``.pict`` file, decoded through its table (float32)."""
    data = path.read_bytes()
    parts, offset = [], 0
    while offset < len(data) and len(parts) < 3:
        if offset + 4 > len(data):
            break
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        parts.append(data[offset + 4:offset + 4 + length])
        offset += 4 + length
    if len(parts) != 3 or offset != len(data):
        raise CheckpointError(f"{path} is not a .pict file (three length-prefixed parts: shapes, table, values): "
                              "the file is damaged or of another kind.")
    try:
        shapes = json.loads(parts[0].decode("utf-8"))
        sizes = [int(np.prod(entry["shape"])) for entry in shapes]
        names = {entry["name"] for entry in shapes}
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}: the .pict shape list is not valid JSON of names and shapes.") from exc
    if len(names) != len(shapes) or len(parts[1]) != 4 * TABLE_SIZE or len(parts[2]) != sum(sizes):
        raise CheckpointError(f"{path}: the .pict table or values have the wrong length ({len(parts[1])} bytes of "
                              f"table, {len(parts[2])} values for {sum(sizes)}); the file is damaged.")
    table = np.frombuffer(parts[1], dtype="<f4")  # the demo page reads it as a Float32Array: little-endian
    values = table[np.frombuffer(parts[2], dtype=np.uint8)]
    arrays, start = {}, 0
    for entry, size in zip(shapes, sizes):
        arrays[entry["name"]] = values[start:start + size].reshape(entry["shape"])
        start += size
    return arrays


def _tensor(array: np.ndarray, *order: int) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array.transpose(order) if order else array)).float()


def pict_state_dict(arrays: dict[str, np.ndarray], origin: str) -> tuple[TensorflowUnetConfig, dict]:
    """The architecture and our state dict for a .pict's variables (conv kernels transposed to PyTorch's layout)."""
    def get(name: str) -> np.ndarray:
        key = f"{SCOPE}/{name}"
        if key not in arrays:
            raise CheckpointError(f"{origin} has no variable {key}: not a pix2pix-tensorflow U-Net generator "
                                  f"(it holds {len(arrays)} variables, e.g. {sorted(arrays)[:3]}).")
        return arrays[key]

    first, last = get("encoder_1/conv2d/kernel"), get("decoder_1/conv2d_transpose/kernel")
    config = TensorflowUnetConfig(in_channels=first.shape[2], out_channels=last.shape[2], ngf=first.shape[3])
    state = {}

    def layer(ours: str, index: int, scope: str, conv: str, norm_index: int | None) -> None:
        """One level: its conv (both kinds store the two channel axes last, swapped to PyTorch's first) and norm."""
        state[f"{ours}s.{index}.weight"] = _tensor(get(f"{scope}/{conv}/kernel"), 3, 2, 0, 1)
        state[f"{ours}s.{index}.bias"] = _tensor(get(f"{scope}/{conv}/bias"))
        if norm_index is not None:
            for theirs, mine in (("gamma", "weight"), ("beta", "bias")):
                state[f"{ours}_norms.{norm_index}.{mine}"] = _tensor(get(f"{scope}/batch_normalization/{theirs}"))

    for level in range(1, LEVELS + 1):  # encoders[k] is encoder_{k+1}; encoder_1 has no norm
        layer("encoder", level - 1, f"encoder_{level}", "conv2d", level - 2 if level > 1 else None)
    for index, level in enumerate(range(LEVELS, 0, -1)):  # decoders[k] is decoder_{8-k}; decoder_1 has no norm
        layer("decoder", index, f"decoder_{level}", "conv2d_transpose", index if level > 1 else None)
    return config, state


def pict_model_config(path: Path, config: TensorflowUnetConfig) -> ModelConfig:
    """What a .pict file implies: the demo's direction from its name (``edges2cats_AtoB``), edges for edges2*."""
    direction = re.search(r"_(AtoB|BtoA)$", path.stem)
    space = next((space for prefix, space in INPUT_SPACES.items() if path.stem.startswith(prefix)), "rgb")
    io = IOSpec(space if config.in_channels == 3 else "gray", "rgb", 256, direction[1] if direction else "AtoB")
    source = {"file": path.name, "format": "pict", "notes": [
        "a pix2pix-tensorflow interactive-demo translator: 8-bit weights (a 256-entry table), batch norm on each "
        "image's own statistics (no eval mode)"]}
    return ModelConfig("generator", config.architecture, config.arguments(), io=io, source=source)
