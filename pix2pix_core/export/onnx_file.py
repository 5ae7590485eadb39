"""``export_onnx``: a generator as an ONNX file that does what ``translate(..., fit="native")`` does.

The graph takes ``images``: ``[B, C, H, W]`` float32 in 0..1, every axis but C dynamic, and returns
``translated`` in 0..1 at the same size (see :mod:`.graph`). The config.json contract (architecture, colour
spaces, multiple, training size, direction, provenance) travels in the file's ``metadata_props``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from pathlib import Path

import torch

from ..atomic import atomic_path, atomic_write_text
from ..errors import ExportError
from ..extras import require
from ..inference.modes import statistics_of
from ..networks import Generator
from ..weights.card import describe_statistics, with_onnx_section
from ..weights.directory import CARD_FILE, CONFIG_FILE, model_config_of
from .graph import TranslationGraph

DEFAULT_OPSET = 18
MIN_OPSET = 18  # the exporter's own floor
FORMAT = "comfyui-pix2pix/onnx-1"
# metadata_props keys
FORMAT_KEY, CONFIG_KEY, STATISTICS_KEY = "pix2pix.format", "pix2pix.config", "pix2pix.statistics"
INPUT_NAME, OUTPUT_NAME = "images", "translated"
MAX_SIDE = 2**16


def export_onnx(generator: Generator, path: str | os.PathLike, *, statistics: str = "per_image",
                opset: int = DEFAULT_OPSET, overwrite: bool = False) -> Path:
    """Write ``generator`` as an ONNX file at ``path`` (all or nothing) and return the path.

    ``statistics``: ``"per_image"`` (each image normalised on its own, the reference's test-time behaviour) or
    ``"eval"`` (running statistics). An existing file is replaced only with ``overwrite=True``."""
    onnx = require("onnx", "onnx", ExportError)
    require("onnxscript", "onnx", ExportError)
    path = Path(path)
    _check_target(path, overwrite)
    if getattr(generator, "role", None) != "generator":
        raise ExportError(f"only generators export to ONNX; this is a {getattr(generator, 'role', type(generator))}.")
    if generator.io.input_space == "labels":
        raise ExportError("a label-map translator (pix2pixHD) does not export to ONNX yet: the exported contract is "
                          "an image in and a picture out. Translate its label maps with `pix2pix translate` or "
                          "translate_labels.")
    if not isinstance(opset, int) or opset < MIN_OPSET:
        raise ExportError(f"opset must be an integer of at least {MIN_OPSET} (the exporter's floor), got {opset!r}.")
    graph = TranslationGraph(generator, statistics)
    model = _trace(graph, generator, opset)
    config = model_config_of(generator).to_dict()
    recorded = statistics_of(generator, statistics)
    onnx.helper.set_model_props(model, {FORMAT_KEY: FORMAT, CONFIG_KEY: json.dumps(config, sort_keys=True),
                                        STATISTICS_KEY: recorded})
    model.doc_string = (f"pix2pix {generator.config.architecture} translator: {INPUT_NAME} [B, C, H, W] in 0..1, any "
                        f"size -> {OUTPUT_NAME} in 0..1, same size; {describe_statistics(recorded)}.")
    with atomic_path(path) as tmp:
        onnx.save(model, str(tmp))
    list_exports_in_card(path.parent)
    return path


def file_statistics(path: Path) -> str:
    """The statistics mode an export of ours was made with ("unknown" for other files)."""
    model = require("onnx", "onnx", ExportError).load(str(path), load_external_data=False)
    props = {p.key: p.value for p in model.metadata_props}
    return props.get(STATISTICS_KEY, "unknown")


def list_exports_in_card(folder: Path) -> None:
    """An export next to our weights: the folder's model card lists every ONNX file there."""
    card = folder / CARD_FILE
    if (folder / CONFIG_FILE).is_file() and card.is_file():
        exports = [(p.name, file_statistics(p), p.stat().st_size) for p in sorted(folder.glob("*.onnx"))]
        atomic_write_text(card, with_onnx_section(card.read_text(), exports))


def _check_target(path: Path, overwrite: bool) -> None:
    if path.is_dir():
        raise ExportError(f"{path} is a folder: give the path of the .onnx file to write.")
    if path.exists() and not overwrite:
        raise ExportError(f"{path} exists: choose another path, or pass overwrite (--overwrite) to replace it.")
    folder = path.parent if path.parent != Path("") else Path(".")
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and not (existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)):
        raise ExportError(f"cannot write {path}: {existing} is not a writable folder. Choose another output path.")


def _trace(graph: TranslationGraph, generator: Generator, opset: int):
    """The ONNX model of ``graph`` with dynamic batch, height and width; exporter failures name the network."""
    channels = generator.config.in_channels
    side = torch.export.Dim("height", min=1, max=MAX_SIDE), torch.export.Dim("width", min=1, max=MAX_SIDE)
    batch = torch.export.Dim("batch", min=1, max=1024)
    example = torch.rand(2, channels, generator.multiple + 3, generator.multiple + 5)  # sizes no rule special-cases
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            program = torch.onnx.export(graph, (example,), dynamo=True, opset_version=opset,
                                        input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                                        dynamic_shapes={"images": {0: batch, 2: side[0], 3: side[1]}})
    except Exception as exc:  # noqa: BLE001 - any exporter failure becomes one message naming the network
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(f"the {generator.config.architecture} generator could not be exported to ONNX (opset "
                          f"{opset}): {type(exc).__name__}: {reason[:300]}") from exc
    program.model_proto.producer_name = "comfyui-pix2pix"
    return program.model_proto
