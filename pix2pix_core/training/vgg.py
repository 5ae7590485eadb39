"""pix2pixHD's perceptual loss: L1 between VGG19 features of the generated and the real photo, at relu1_1, relu2_1,
relu3_1, relu4_1 and relu5_1, weighted 1/32, 1/16, 1/8, 1/4 and 1 (NVIDIA/pix2pixHD ``VGGLoss``).

The network is torchvision's ``vgg19().features`` up to relu5_1, built here with its module names, so torchvision's
ImageNet file (``vgg19-dcbb9e9d.pth``) loads key for key without torchvision. As NVIDIA's code, it is fed the
[-1, 1] images as they are (no ImageNet mean/std). Where the weights come from (``VGG_SOURCES``):

- ``auto``: torchvision's file in torch's hub cache (``$TORCH_HOME/hub/checkpoints``), downloaded there (548 MB,
  hash-checked, each read bounded in time) when it is missing;
- a path: that file (a state dict, ``.pth`` or ``.safetensors``; never unpickled beyond tensors);
- ``random``: a randomly initialised VGG19, for offline tests. Its features are not perceptual: a translator
  trained with it learns from a random-feature loss, and its model card says so.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from pathlib import Path

import torch
from torch import nn

from ..errors import ConfigError, InputError
from ..weights.files import read_weights

log = logging.getLogger(__name__)

VGG_FILE = "vgg19-dcbb9e9d.pth"  # torchvision's ImageNet weights; the hash prefix is checked on download
VGG_URL = f"https://download.pytorch.org/models/{VGG_FILE}"
VGG_SOURCES = ("auto", "random")  # or a path
DOWNLOAD_TIMEOUT_S = 60  # per read of the download, not for the whole file
LAYER_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)
# torchvision's vgg19 "features" up to relu5_1 (index 29): convolutions by width, "M" a max pool
VGG19_LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512)
SLICE_ENDS = (2, 7, 12, 21, 30)  # features[:2] -> relu1_1, [2:7] -> relu2_1, ... [21:30] -> relu5_1


class VGG19Features(nn.Module):
    """``features`` as torchvision numbers it; forward returns the five relu outputs the loss compares."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for item in VGG19_LAYOUT:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU(inplace=True)]
                channels = item
        self.features = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outputs, start = [], 0
        for end in SLICE_ENDS:
            x = self.features[start:end](x)
            outputs.append(x)
            start = end
        return outputs


class VGGLoss(nn.Module):
    """``sum_i w_i * L1(vgg_i(fake), vgg_i(real))``; the VGG is frozen (evaluation mode, no gradients to it)."""

    def __init__(self, vgg: VGG19Features) -> None:
        super().__init__()
        self.vgg = vgg.eval().requires_grad_(False)

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            targets = self.vgg(real)
        return sum(w * nn.functional.l1_loss(f, t) for w, f, t in zip(LAYER_WEIGHTS, self.vgg(fake), targets))


def load_vgg(source: str) -> VGG19Features:
    """The VGG19 of ``source`` (see the module docstring); the random one is seeded by the caller's RNG."""
    vgg = VGG19Features()
    if source == "random":
        log.warning("the VGG loss uses a random VGG19 (--vgg random): its features are not perceptual")
        return vgg
    path = Path(source) if source != "auto" else cached_vgg_file()
    if not path.is_file():
        raise InputError(f"--vgg {source}: no such file. Give torchvision's VGG19 weights ({VGG_FILE}, from "
                         f"{VGG_URL}), --vgg auto to fetch them, or --no-vgg-loss.")
    weights = read_weights(path).state_dict
    features = {key: value for key, value in weights.items() if key.startswith("features.")}
    expected = vgg.state_dict()
    missing = [key for key in expected if key not in features or features[key].shape != expected[key].shape]
    if missing:
        raise InputError(f"{path} is not torchvision's VGG19 ({len(missing)} of its {len(expected)} feature tensors "
                         f"are missing or of another shape, e.g. {missing[0]}): give {VGG_FILE} from {VGG_URL}.")
    vgg.load_state_dict({key: features[key] for key in expected})
    return vgg


def cached_vgg_file() -> Path:
    """torchvision's VGG19 file in torch's hub cache, downloaded there first if missing."""
    path = Path(torch.hub.get_dir()) / "checkpoints" / VGG_FILE
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        log.warning("downloading the VGG19 weights for the perceptual loss (548 MB) to %s", path)
        try:
            with _socket_timeout(DOWNLOAD_TIMEOUT_S):
                torch.hub.download_url_to_file(VGG_URL, str(path), hash_prefix=VGG_FILE.split("-")[1][:8])
        except (OSError, RuntimeError) as exc:
            raise ConfigError(f"could not download the VGG19 weights from {VGG_URL} ({type(exc).__name__}: "
                              f"{str(exc)[:200]}). Download the file yourself and give it with --vgg FILE, or "
                              "train without the perceptual loss (--no-vgg-loss).") from exc
    return path


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    """Every socket read of the download waits at most ``seconds`` (urllib's default is forever)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
