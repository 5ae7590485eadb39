"""The example files this package ships or points to: the embedded photos (public domain / CC0, see
``assets/README.md``) and the weights of the vintagify translator (MIT, from PyPI), used by the demo, the
workflows' templates and the tests."""

from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path

from .errors import CheckpointError

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


# the example inputs the templates start from: file -> what it is (assets/README.md gives each one's source)
EXAMPLE_PHOTOS = {
    "astronaut.jpg": "a portrait (Eileen Collins, NASA)",
    "chelsea.jpg": "a cat",
    "coffee.jpg": "a cup of coffee",
    "rocket.jpg": "a rocket launch at night",
    "facade_labels.png": "a facade label map in the CMP Facades colours",
}
TRAIN_PHOTOS = ("astronaut.jpg", "chelsea.jpg", "rocket.jpg")  # what the demo and the templates train on
HELD_OUT_PHOTO = "coffee.jpg"  # and what they translate: a photo the training never saw


def asset(name: str) -> Path:
    return Path(str(resources.files(__package__) / "assets" / name))


def default_photo() -> Path:
    return asset("astronaut.jpg")
