"""Optional packages (the extras), imported on demand with one message naming what needs them and the install."""

from __future__ import annotations

import importlib

from .errors import Pix2PixError

# extra -> (its packages, what needs them)
EXTRAS = {"onnx": (("onnx", "onnxscript", "onnxruntime"), "ONNX export and ONNX Runtime translation"),
          "tensorboard": (("tensorboard",), "--log tensorboard (TensorBoard logging)"),
          "datasets": (("datasets",), "training on a Hugging Face Hub dataset (--data org/name, hub:org/name)"),
          "video": (("av", "opencv-python-headless"), "video files (PyAV, the FFmpeg binding ComfyUI uses) and "
                                                     "the flicker measure (OpenCV's optical flow)")}


def install_hint(extra: str) -> str:
    """The command for the core's users, and the packages for ComfyUI's Python (where the node pack lives)."""
    return f'pip install "pix2pix-nodes[{extra}]"; in ComfyUI\'s Python: pip install {" ".join(EXTRAS[extra][0])}'


def require(module: str, extra: str, error: type[Pix2PixError] = Pix2PixError):
    """``module`` imported, or ``error`` saying it is missing, what needs it and how to install the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise error(f"{module} is not installed; {EXTRAS[extra][1]} needs it. Install the extra: "
                    f"{install_hint(extra)}.") from exc
