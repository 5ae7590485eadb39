"""Running an exported translator with ONNX Runtime, with ``translate``'s image handling (gray <-> RGB, alpha
kept aside): the route for machines without PyTorch's model code, and the proof that an export is usable.

A file exported here carries its contract; any other ONNX file with one float image input ``[B, C, H, W]`` and
one image output runs too, fed 0..1 (resized to its input size when that size is fixed), with a note saying no
contract was found.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import torch

from ..errors import ExportError
from ..extras import require
from ..inference.translate import at_training_size, prepare_images, resize01, restore_alpha, translate
from ..networks import Generator
from .onnx_file import CONFIG_KEY, STATISTICS_KEY


class OnnxTranslator:
    def __init__(self, path: str | os.PathLike, device: str = "cpu") -> None:
        ort = require("onnxruntime", "onnx", ExportError)
        self.path = Path(path)
        if not self.path.is_file():
            raise ExportError(f"{self.path} is not a file: give the path of an .onnx translator.")
        providers = ["CPUExecutionProvider"]
        if str(device).startswith("cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        try:
            self.session = ort.InferenceSession(str(self.path), providers=providers)
        except Exception as exc:  # noqa: BLE001 - the runtime's reason, never the file's own text
            raise ExportError(f"{self.path} is not a loadable ONNX model ({_load_failure(exc)}). An export of ours: "
                              "export it again (pix2pix export); the file may be truncated or corrupt.") from exc
        self._check_signature()
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.config = _contract(metadata, self.path)
        self.statistics = metadata.get(STATISTICS_KEY)
        shape = self.session.get_inputs()[0].shape
        arguments = (self.config or {}).get("arguments", {})
        self.in_channels = arguments.get("in_channels", shape[1] if isinstance(shape[1], int) else 3)
        self.fixed_size = tuple(shape[2:]) if all(isinstance(side, int) for side in shape[2:]) else None
        self.fixed_batch = shape[0] if isinstance(shape[0], int) else None
        self.notes = [] if self.config is not None else [
            f"{self.path.name} has no comfyui-pix2pix contract metadata: it is fed [B, {self.in_channels}, H, W] in "
            "0..1" + (f", resized to {self.fixed_size[0]}x{self.fixed_size[1]} and back" if self.fixed_size else "")
            + ", and its output is read as 0..1."]

    def _check_signature(self) -> None:
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ExportError(f"{self.path} has {len(inputs)} input(s) and {len(outputs)} output(s); a translator "
                              "has one image input [B, C, H, W] and one image output.")
        if len(inputs[0].shape) != 4 or inputs[0].type != "tensor(float)":
            raise ExportError(f"{self.path} takes {inputs[0].type} of rank {len(inputs[0].shape)}; a translator takes "
                              "float images [B, C, H, W].")

    def translate(self, images: torch.Tensor, fit: str = "native") -> torch.Tensor:
        """``[B, C, H, W]`` in 0..1 -> the translated images in 0..1, same size, on the CPU. ``fit="resize"``
        runs the model at its training size (the contract's), as ``translate(..., fit="resize")``."""
        x, alpha = prepare_images(images, self.in_channels)
        x = x.detach().float().cpu()
        if fit == "resize":
            return restore_alpha(at_training_size(self._run, x, *self._training_size()), alpha)
        if fit != "native":
            raise ExportError(f"an ONNX model runs fit='native' or 'resize', got {fit!r}.")
        return restore_alpha(self._run(x), alpha)

    def _run(self, x: torch.Tensor) -> torch.Tensor:
        size = tuple(x.shape[-2:])
        if self.fixed_size and size != self.fixed_size:
            x = resize01(x, self.fixed_size)
        chunks = x.split(self.fixed_batch) if self.fixed_batch else [x]
        name = self.session.get_inputs()[0].name
        y = torch.cat([torch.from_numpy(np.asarray(self.session.run(None, {name: c.contiguous().numpy()})[0]))
                       for c in chunks])
        if y.dim() != 4 or y.shape[0] != x.shape[0]:
            raise ExportError(f"{self.path} returned shape {tuple(y.shape)} for input {tuple(x.shape)}: not an image "
                              "batch, so it is not a translator.")
        if tuple(y.shape[-2:]) != size:
            y = resize01(y, size)
        return y.float().clamp(0, 1)

    def _training_size(self) -> tuple[int, int]:
        io = (self.config or {}).get("io") or {}
        if "train_size" not in io:
            raise ExportError(f"{self.path} does not state its training size (no contract metadata): run it with "
                              "fit='native'.")
        return io["train_size"], io.get("multiple") or 1

    @property
    def channels(self) -> tuple[int, int | None]:
        """(input, output) channels: the contract's, else the input's and None."""
        arguments = (self.config or {}).get("arguments", {})
        return self.in_channels, arguments.get("out_channels")


def _load_failure(exc: Exception) -> str:
    """Why ONNX Runtime refused a file, in its own words where they name no content of the file."""
    text = str(exc)
    version = re.search(r"Unsupported model IR version: \d+, max supported IR version: \d+", text)
    if version:
        return f"{version[0]}: a newer onnxruntime reads it"
    if "Protobuf parsing failed" in text:
        return "not an ONNX protobuf: truncated, corrupt or another kind of file"
    category = re.search(r": ([A-Z_]{4,}) :", text)
    return category[1] if category else type(exc).__name__


def _contract(metadata: dict[str, str], path: Path) -> dict | None:
    if CONFIG_KEY not in metadata:
        return None
    try:
        return json.loads(metadata[CONFIG_KEY])
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path}: its {CONFIG_KEY} metadata is not valid JSON; export the model again.") from exc




def export_difference(generator: Generator, path: str | os.PathLike, statistics: str) -> tuple[float, str]:
    """Max |ONNX Runtime - translate(fit="native")| on two random images of an odd size: the check an export
    must pass (float32 summation order differs between the runtimes; 1e-4 is far above it)."""
    side = generator.multiple // 2 + 13
    images = torch.rand(2, generator.config.in_channels, side, side + 16, generator=torch.Generator().manual_seed(0))
    expected = translate(generator, images, fit="native", statistics=statistics).cpu()
    difference = (OnnxTranslator(path).translate(images) - expected).abs().max().item()
    return difference, f"2 images of {side}x{side + 16}"
