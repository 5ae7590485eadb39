"""Writing weights in the reference implementation's own format (``latest_net_G.pth``, ``latest_net_D.pth``).

Our networks mirror the reference's module trees, so the state dict is already keyed as the reference's
``UnetGenerator``, ``ResnetGenerator``, ``NLayerDiscriminator`` and ``PixelDiscriminator`` expect. What the
reference cannot build is refused by name: the Hub-community U-Net, affine InstanceNorm, and residual blocks named
``block`` are renamed to ``conv_block`` (the only difference in their keys).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from ..atomic import atomic_path
from ..errors import CheckpointError
from ..networks import Pix2PixNetwork

REFERENCE_FILES = {"generator": "latest_net_G.pth", "discriminator": "latest_net_D.pth"}


def reference_state_dict(net: Pix2PixNetwork) -> dict[str, torch.Tensor]:
    """``net``'s weights under the reference's key names; CheckpointError when the reference has no such network."""
    config = net.config
    if config.architecture == "community_unet":
        raise CheckpointError("the Hub-community U-Net (huggan/pix2pix-*) is not a network of the reference "
                              "implementation: it can only be saved in our format (or as its pytorch_model.bin).")
    if getattr(config, "norm_affine", False):
        raise CheckpointError("this ResNet uses affine InstanceNorm, which the reference's --norm instance does not "
                              "build (affine=False): its weights cannot be written in the reference's format.")
    state = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in net.state_dict().items()}
    if getattr(config, "block_name", "conv_block") == "block":
        state = {re.sub(r"^(model\.\d+)\.block\.", r"\1.conv_block.", k): v for k, v in state.items()}
    return state


def save_reference(folder: str | Path, generator: Pix2PixNetwork,
                   discriminator: Pix2PixNetwork | None = None) -> list[Path]:
    """Write ``latest_net_G.pth`` (and ``latest_net_D.pth``) into ``folder``, as the reference's ``save_networks``
    does (a bare state dict, loadable with ``torch.load(weights_only=True)``). Existing files are not replaced."""
    folder = Path(folder)
    written = []
    for net in (generator, discriminator):
        if net is None:
            continue
        target = folder / REFERENCE_FILES[net.role]
        if target.exists():
            raise CheckpointError(f"{target} exists: write the reference files into a new folder.")
        state = reference_state_dict(net)
        with atomic_path(target) as tmp:
            torch.save(state, tmp)
        written.append(target)
    return written
