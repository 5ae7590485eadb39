"""The optional packages export needs, imported on demand with one clear message when missing."""

from __future__ import annotations

import importlib

from ..errors import ExportError

INSTALL_HINT = 'pip install "pix2pix-nodes[onnx]" (onnx, onnxscript and onnxruntime)'


def require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ExportError(f"{module} is not installed; ONNX export and ONNX Runtime translation need it. Install "
                          f"the extra: {INSTALL_HINT}.") from exc
