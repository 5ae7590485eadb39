"""``pix2pix demo``: translate a real photo with a real pretrained translator and write a before/after PNG.

The translator is the MIT-licensed CycleGAN-style ResNet shipped by the ``vintagify`` package on PyPI
(modern photo -> vintage look, trained at 512 px). Its layout differs from the reference (affine InstanceNorm,
blocks named ``block``); it loads through the same architecture inference as every other checkpoint.
The photo is NASA's portrait of astronaut Eileen Collins (public domain), embedded in this package.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import replace
from importlib import resources
from pathlib import Path

from .errors import CheckpointError
from .images import load_image, side_by_side
from .loader import load_generator
from .translate import translate

VINTAGIFY_WEIGHTS = "resources/G_A2B_epoch33.pth"
INSTALL_HINT = "pip install --no-deps vintagify==0.1.2"


def vintagify_weights() -> Path:
    """Path of the vintagify generator weights, found without importing vintagify (which needs torchvision)."""
    spec = importlib.util.find_spec("vintagify")
    if spec is None or not spec.submodule_search_locations:
        raise CheckpointError(f"the demo translator comes from the vintagify package, which is not installed: "
                              f"run `{INSTALL_HINT}` (no other dependency is needed).")
    path = Path(next(iter(spec.submodule_search_locations))) / VINTAGIFY_WEIGHTS
    if not path.is_file():
        raise CheckpointError(f"vintagify is installed but {path} is missing: reinstall it with `{INSTALL_HINT}`.")
    return path


def default_photo() -> Path:
    return Path(str(resources.files("pix2pix_core") / "assets" / "astronaut.jpg"))


def run_demo(out: Path, image: Path | None = None, weights: Path | None = None) -> Path:
    """Translate ``image`` (default: the embedded photo) and write ``[before | after]`` to ``out``."""
    weights = weights or vintagify_weights()
    image = image or default_photo()
    started = time.perf_counter()
    generator = load_generator(weights)
    generator.io = replace(generator.io, train_size=512)
    config = generator.config
    print(f"translator: {weights.name} -> {config.architecture} ngf={config.ngf} blocks={config.n_blocks} "
          f"norm={config.norm} (affine={config.norm_affine}), block name '{config.block_name}'")
    photo = load_image(image)
    result = translate(generator, photo[None])[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    side_by_side([photo, result]).save(out)
    print(f"photo: {image.name} {photo.shape[2]}x{photo.shape[1]} -> wrote {out} "
          f"(before | after) in {time.perf_counter() - started:.1f}s")
    return out
