"""Run by ComfyUI-Manager after `pip install -r requirements.txt`: checks the environment, installs nothing."""

from __future__ import annotations

import importlib.util
import sys

REQUIRED = {"torch": "torch>=2.1 (ComfyUI's own)", "numpy": "numpy", "PIL": "pillow",
            "safetensors": "safetensors>=0.4", "huggingface_hub": "huggingface-hub>=0.20", "tqdm": "tqdm"}


def missing_requirements() -> list[str]:
    return [spec for module, spec in REQUIRED.items() if importlib.util.find_spec(module) is None]


def torch_problem() -> str | None:
    import torch

    major, minor = (int(part) for part in torch.__version__.split(".")[:2])
    return None if (major, minor) >= (2, 1) else f"torch {torch.__version__} is older than 2.1"


def main() -> int:
    if sys.version_info < (3, 10):
        print(f"[comfyui-pix2pix] Python {sys.version.split()[0]} is too old: 3.10 or newer is needed.")
        return 1
    missing = missing_requirements()
    if missing:
        print("[comfyui-pix2pix] missing: " + ", ".join(missing))
        print("[comfyui-pix2pix] install them with: pip install -r requirements.txt")
        return 1
    problem = torch_problem()
    if problem:
        print(f"[comfyui-pix2pix] {problem}: update ComfyUI's PyTorch.")
        return 1
    print("[comfyui-pix2pix] environment OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
