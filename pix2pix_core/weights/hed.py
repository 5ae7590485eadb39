"""HED's weights: a local ``ControlNetHED.pth`` / ``.safetensors``, or the file from the Hub (pinned, offline-aware)."""

from __future__ import annotations

import os

import torch

from ..errors import InputError
from ..hub_client import fetch_file
from ..networks.hed import HedNetwork
from .files import read_weights

HED_REPO, HED_FILE = "lllyasviel/Annotators", "ControlNetHED.pth"
HED_REVISION = os.environ.get("PIX2PIX_HED_REVISION", "main")


def load_hed(source: str | os.PathLike | None = None, *, revision: str | None = None, cache_dir=None,
             local_dir=None, local_files_only: bool | None = None, token=None,
             device: str | torch.device = "cpu") -> HedNetwork:
    """HED weights from a local ``ControlNetHED.pth`` / ``.safetensors``, or from the Hub (``lllyasviel/Annotators``).

    Hub downloads follow the shared rules (pinned revision, offline mode, a message naming the manual path).
    """
    if source is None:
        source = fetch_file(HED_REPO, HED_FILE, revision=revision or HED_REVISION, cache_dir=cache_dir,
                            local_dir=local_dir, local_files_only=local_files_only, token=token)
    state = read_weights(source).state_dict
    net = HedNetwork()
    expected = set(net.state_dict())
    if set(state) != expected:
        missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
        raise InputError(f"{source} is not a ControlNetHED checkpoint: missing {missing[:4]}, unexpected "
                         f"{unexpected[:4]}.")
    net.load_state_dict({k: v.float() for k, v in state.items()})
    return net.to(device).eval().requires_grad_(False)
