"""The architecture a state dict holds, from its key names and shapes alone, and the one strict build-and-load
(legacy InstanceNorm keys, missing counters, float and finite values)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch
from torch import nn

from ..errors import ArchitectureError, CheckpointError
from ..networks import (
    NETWORKS,
    CommunityUnetConfig,
    FeatureEncoderConfig,
    LocalEnhancerConfig,
    MultiscalePatchGANConfig,
    NetworkConfig,
    PatchGANConfig,
    Pix2PixNetwork,
    PixelDiscriminatorConfig,
    ResnetConfig,
    UnetConfig,
    build_network,
)
from .files import StateDict

LEGACY_NORM_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")


@dataclass
class InferredArchitecture:
    """An architecture found in a state dict, with remarks on what the weights could not tell."""

    config: NetworkConfig
    notes: list[str] = field(default_factory=list)


def _norm_kind(state_dict: StateDict, norm_prefix: str, conv_prefix: str) -> tuple[str, bool]:
    """(norm, instance_affine) of the norm layer at ``norm_prefix``; the conv before it tells instance from none."""
    has = {s for s in ("weight", "running_mean") if norm_prefix + s in state_dict}
    if has == {"weight", "running_mean"}:
        return "batch", False
    if has == {"weight"}:
        return "instance", True
    if has == {"running_mean"}:  # legacy InstanceNorm buffers from old PyTorch versions
        return "instance", False
    return ("instance" if conv_prefix + "bias" in state_dict else "none"), False


def _infer_unet(sd: StateDict) -> InferredArchitecture:
    down = sd["model.model.0.weight"]
    up = sd["model.model.3.weight"]
    prefix, inner_levels = "model.model.1.model.", 0
    while prefix + "3.model.1.weight" in sd:
        prefix += "3.model."
        inner_levels += 1
    if prefix + "3.weight" not in sd:
        raise ArchitectureError("reference U-Net keys found but the innermost block (…model.3.weight) is missing.")
    norm, affine = _norm_kind(sd, "model.model.1.model.2.", "model.model.1.model.1.")
    if norm == "instance" and affine:
        raise ArchitectureError("reference U-Net with affine InstanceNorm is not a layout the reference produces.")
    config = UnetConfig(in_channels=down.shape[1], out_channels=up.shape[1], num_downs=inner_levels + 2,
                        ngf=down.shape[0], norm=norm, dropout=True)
    return InferredArchitecture(config, ["dropout is not visible in U-Net weights; assumed on (the pix2pix default)."])


def _infer_resnet(sd: StateDict) -> InferredArchitecture:
    first = sd["model.1.weight"]
    blocks: dict[int, str] = {}
    for key in sd:
        m = re.match(r"model\.(\d+)\.(conv_block|block)\.", key)
        if m:
            blocks[int(m.group(1))] = m.group(2)
    if not blocks:
        raise ArchitectureError("ResNet stem found (model.1 7x7 conv) but no residual blocks (model.N.conv_block.*).")
    block_name = blocks[min(blocks)]
    b = f"model.{min(blocks)}.{block_name}."
    zero_padding = b + "0.weight" in sd
    second_conv = 3 if zero_padding else 5
    dropout = b + f"{second_conv + 1}.weight" in sd and b + f"{second_conv}.weight" not in sd
    norm, affine = _norm_kind(sd, "model.2.", "model.1.")
    conv_indices = [int(m.group(1)) for k, v in sd.items()
                    if (m := re.fullmatch(r"model\.(\d+)\.weight", k)) and v.dim() == 4]
    last = sd[f"model.{max(conv_indices)}.weight"]
    downsampling = sum(1 for i in conv_indices if 1 < i < min(blocks))  # the stride-2 convs before the blocks
    config = ResnetConfig(in_channels=first.shape[1], out_channels=last.shape[0], ngf=first.shape[0],
                          n_blocks=len(blocks), norm=norm, norm_affine=affine, bias="model.1.bias" in sd,
                          dropout=dropout, padding="zero" if zero_padding else "reflect", block_name=block_name,
                          n_downsampling=downsampling)
    notes = [] if zero_padding else ["reflect padding assumed (replicate padding has the same keys)."]
    return InferredArchitecture(config, notes)


def _convs(sd: StateDict, prefix: str) -> list[int]:
    """Indices ``i`` of the 4-D ``{prefix}{i}.weight`` tensors (the convolutions of a Sequential), in order."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.weight")
    return sorted(int(m.group(1)) for k, v in sd.items() if (m := pattern.fullmatch(k)) and v.dim() == 4)


def _blocks(sd: StateDict, prefix: str) -> list[int]:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.conv_block\.")
    return sorted({int(m.group(1)) for k in sd if (m := pattern.match(k))})


def _count(sd: StateDict, template: str) -> int:
    count = 0
    while template.format(count + 1) in sd:
        count += 1
    return count


def _infer_local_enhancer(sd: StateDict) -> InferredArchitecture:
    """pix2pixHD's LocalEnhancer: ``model`` (the global generator less its last three layers), ``model{n}_1``
    and ``model{n}_2`` for each enhancer."""
    enhancers = _count(sd, "model{}_1.1.weight")
    front, back = f"model{enhancers}_1.", f"model{enhancers}_2."
    global_blocks, local_blocks = _blocks(sd, "model."), _blocks(sd, "model1_2.")
    if not global_blocks:
        raise ArchitectureError("pix2pixHD LocalEnhancer keys found but the global generator's residual blocks "
                                "(model.N.conv_block.*) are missing.")
    norm, _ = _norm_kind(sd, "model.2.", "model.1.")
    config = LocalEnhancerConfig(
        in_channels=sd["model1_1.1.weight"].shape[1], out_channels=sd[f"{back}{_convs(sd, back)[-1]}.weight"].shape[0],
        ngf=sd[front + "1.weight"].shape[0], n_downsample_global=len(_convs(sd, "model.")[1:]) // 2,
        n_blocks_global=len(global_blocks), n_local_enhancers=enhancers, n_blocks_local=len(local_blocks), norm=norm)
    return InferredArchitecture(config)


def _infer_multiscale(sd: StateDict) -> InferredArchitecture:
    """pix2pixHD's MultiscaleDiscriminator, with intermediate features (``scale{i}_layer{j}``) or without
    (``layer{i}``)."""
    features = "scale0_layer0.0.weight" in sd
    if features:
        scales, layers = _count(sd, "scale{}_layer0.0.weight") + 1, _count(sd, "scale0_layer{}.0.weight") - 1
        first, norm = sd["scale0_layer0.0.weight"], _norm_kind(sd, "scale0_layer1.1.", "scale0_layer1.0.")[0]
    else:
        scales, layers = _count(sd, "layer{}.0.weight") + 1, len(_convs(sd, "layer0.")) - 2
        first, norm = sd["layer0.0.weight"], _norm_kind(sd, "layer0.3.", "layer0.2.")[0]
    config = MultiscalePatchGANConfig(in_channels=first.shape[1], ndf=first.shape[0], n_layers=layers, num_D=scales,
                                      norm=norm, intermediate_features=features)
    return InferredArchitecture(config)


def _infer_feature_encoder(sd: StateDict) -> InferredArchitecture:
    """pix2pixHD's feature Encoder: the global generator's layout with no residual blocks."""
    convs = _convs(sd, "model.")
    norm, _ = _norm_kind(sd, "model.2.", "model.1.")
    config = FeatureEncoderConfig(in_channels=sd["model.1.weight"].shape[1],
                                  out_channels=sd[f"model.{convs[-1]}.weight"].shape[0],
                                  ngf=sd["model.1.weight"].shape[0], n_downsampling=(len(convs) - 2) // 2, norm=norm)
    return InferredArchitecture(config)


def _infer_community_unet(sd: StateDict) -> InferredArchitecture:
    first, final = sd["down1.model.0.weight"], sd["final.2.weight"]
    config = CommunityUnetConfig(in_channels=first.shape[1], out_channels=final.shape[0], ngf=first.shape[0])
    return InferredArchitecture(config)


def _infer_patchgan(sd: StateDict) -> InferredArchitecture:
    first = sd["model.0.weight"]
    convs = sorted(int(m.group(1)) for k, v in sd.items()
                   if (m := re.fullmatch(r"model\.(\d+)\.weight", k)) and v.dim() == 4)
    norm, _ = _norm_kind(sd, "model.3.", "model.2.")
    config = PatchGANConfig(in_channels=first.shape[1], ndf=first.shape[0], n_layers=len(convs) - 2, norm=norm)
    return InferredArchitecture(config)


def _infer_pixel(sd: StateDict) -> InferredArchitecture:
    first = sd["net.0.weight"]
    norm, _ = _norm_kind(sd, "net.3.", "net.2.")
    return InferredArchitecture(PixelDiscriminatorConfig(in_channels=first.shape[1], ndf=first.shape[0], norm=norm))


def _is_4d(sd: StateDict, key: str, kernel: int | None = None) -> bool:
    t = sd.get(key)
    return t is not None and t.dim() == 4 and (kernel is None or t.shape[-1] == kernel)


SIGNATURES = (  # (architecture, test on the keys, inference)
    ("unet", lambda sd: _is_4d(sd, "model.model.0.weight") and _is_4d(sd, "model.model.3.weight"), _infer_unet),
    ("community_unet", lambda sd: _is_4d(sd, "down1.model.0.weight") and _is_4d(sd, "final.2.weight"),
     _infer_community_unet),
    ("local_enhancer", lambda sd: _is_4d(sd, "model1_1.1.weight", 7), _infer_local_enhancer),
    ("multiscale_patchgan", lambda sd: _is_4d(sd, "scale0_layer0.0.weight", 4) or _is_4d(sd, "layer0.0.weight", 4),
     _infer_multiscale),
    ("feature_encoder", lambda sd: _is_4d(sd, "model.1.weight", 7) and not _blocks(sd, "model.")
     and not any(".block." in key for key in sd), _infer_feature_encoder),
    ("resnet", lambda sd: _is_4d(sd, "model.1.weight", 7), _infer_resnet),
    ("patchgan", lambda sd: _is_4d(sd, "model.0.weight", 4), _infer_patchgan),
    ("pixel", lambda sd: _is_4d(sd, "net.0.weight", 1), _infer_pixel),
)


def infer_architecture(state_dict: StateDict, origin: str = "state dict") -> InferredArchitecture:
    """Find the architecture and its arguments from key names and shapes alone (a config, not a network: the one
    strict load, :func:`build_and_load`, verifies it)."""
    for _, matches, infer in SIGNATURES:
        if matches(state_dict):
            return infer(state_dict)
    raise ArchitectureError(_no_match_message(state_dict, origin))


def _no_match_message(state_dict: StateDict, origin: str) -> str:
    keys = set(state_dict)
    scores = []
    for name, _, _ in SIGNATURES:
        reference = set(_default_keys(name))
        scores.append((len(keys & reference) / len(reference | keys), name, reference))
    score, name, reference = max(scores)
    sample = ", ".join(sorted(keys)[:5])
    return (
        f"{origin} matches no known pix2pix architecture ({', '.join(name for name, _, _ in SIGNATURES)}). "
        f"Its {len(keys)} keys start with: {sample}. Closest: {name} ({score:.0%} of keys shared; it would need "
        f"e.g. {', '.join(sorted(reference - keys)[:3]) or '-'}). Is this a pix2pix/CycleGAN network's state dict?"
    )


def _default_keys(architecture: str) -> list[str]:
    with torch.device("meta"):
        return list(build_network(NETWORKS[architecture].Config()).state_dict())


# ---------------------------------------------------------------------------------------- loading into a network
def build_and_load(config: NetworkConfig, state_dict: StateDict, origin: str) -> Pix2PixNetwork:
    """Build the network for ``config`` and load ``state_dict`` strictly after legacy-key handling."""
    with torch.device("meta"):
        net = build_network(config)
    expected = net.state_dict()
    state_dict = adapt_legacy_keys(net, state_dict)
    _check_values(state_dict, expected, origin)
    state_dict = {k: v.float() if v.is_floating_point() else v for k, v in state_dict.items()}
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = [f"{k}: file {tuple(state_dict[k].shape)} vs model {tuple(expected[k].shape)}"
                  for k in expected if k in state_dict and state_dict[k].shape != expected[k].shape]
    if missing or unexpected or mismatched:
        raise ArchitectureError(
            f"{origin} does not fit {config.architecture} {config.arguments()}: "
            + "; ".join(f"{label} ({len(items)}): {', '.join(items[:4])}{' …' if len(items) > 4 else ''}"
                        for label, items in (("missing", missing), ("unexpected", unexpected),
                                             ("shape mismatch", mismatched)) if items)
            + ". If a config.json came with the weights, it does not describe them; delete it to infer the "
            "architecture from the weights."
        )
    net.load_state_dict(state_dict, strict=True, assign=True)
    return net


def _check_values(state_dict: StateDict, expected: StateDict, origin: str) -> None:
    """Weights must be floating point where the network has floats, and finite (NaN or Inf gives flat images)."""
    integer = [f"{k} ({v.dtype})" for k, v in state_dict.items()
               if k in expected and expected[k].is_floating_point() and not v.is_floating_point()]
    if integer:
        raise CheckpointError(f"{origin} holds non-float tensors where weights belong: {', '.join(integer[:4])}"
                              f"{' …' if len(integer) > 4 else ''}. Quantised or corrupted weights cannot be loaded "
                              "as they are: use the original float checkpoint.")
    broken = [k for k, v in state_dict.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if broken:
        raise CheckpointError(f"{origin} holds NaN or infinite values in {len(broken)} tensor(s): "
                              f"{', '.join(broken[:4])}{' …' if len(broken) > 4 else ''}. The training that wrote it "
                              "diverged or the file is damaged: use an earlier checkpoint.")


def adapt_legacy_keys(net: nn.Module, state_dict: StateDict) -> StateDict:
    """Drop InstanceNorm running stats saved by old PyTorch; add missing ``num_batches_tracked`` counters."""
    modules = dict(net.named_modules())
    adapted = {}
    for key, value in state_dict.items():
        owner, _, leaf = key.rpartition(".")
        if leaf in LEGACY_NORM_SUFFIXES and isinstance(modules.get(owner), nn.InstanceNorm2d):
            continue
        adapted[key] = value
    for key, value in net.state_dict().items():
        if key.endswith(".num_batches_tracked") and key not in adapted:
            adapted[key] = torch.zeros((), dtype=value.dtype)
    return adapted
