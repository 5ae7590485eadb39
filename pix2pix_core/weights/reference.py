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

DIRECTION_SUFFIX = {None: "", "AtoB": "_A", "BtoA": "_B"}  # pix2pix, or a CycleGAN's G_A/D_A and G_B/D_B


def reference_file(role: str, direction: str | None = None) -> str:
    """The reference's file name for a network: ``latest_net_G.pth``, ``latest_net_D_B.pth``, ..."""
    return f"latest_net_{'G' if role == 'generator' else 'D'}{DIRECTION_SUFFIX[direction]}.pth"


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


def save_reference(folder: str | Path, networks: dict[str, Pix2PixNetwork]) -> list[Path]:
    """Write each network as ``folder/latest_net_<name>.pth`` (names as the reference's: ``G``, ``D``, or ``G_A``,
    ``G_B``, ``D_A``, ``D_B`` for CycleGAN), a bare state dict as its ``save_networks`` writes, loadable with
    ``torch.load(weights_only=True)``. Nothing is written if any target exists or any network cannot be saved."""
    folder = Path(folder)
    targets = {folder / f"latest_net_{name}.pth": net for name, net in networks.items()}
    existing = [str(path) for path in targets if path.exists()]
    if existing:
        raise CheckpointError(f"{', '.join(existing)} already exists: write the reference files into a new "
                              "folder.")
    states = {path: reference_state_dict(net) for path, net in targets.items()}
    for path, state in states.items():
        with atomic_path(path) as tmp:
            torch.save(state, tmp)
    return list(states)


def reference_names(generator: Pix2PixNetwork, discriminator: Pix2PixNetwork | None, direction: str | None) -> dict:
    """The reference's file names for a pix2pix translator (G, D) or one side of a CycleGAN (G_A, D_A / G_B, D_B)."""
    suffix = DIRECTION_SUFFIX[direction]
    return {f"G{suffix}": generator, **({f"D{suffix}": discriminator} if discriminator is not None else {})}
