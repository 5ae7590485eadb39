"""Networks beyond the fixtures: shapes, receptive fields, parameter counts, official-layout round trips."""

from __future__ import annotations

import pytest
import torch
from conftest import random_images

import pix2pix_core as p2p
from pix2pix_core.networks import (
    CommunityUnetConfig,
    PatchGANConfig,
    PixelDiscriminatorConfig,
    ResnetConfig,
    UnetConfig,
    build_network,
    init_weights,
)
from pix2pix_core.networks.norm import BatchNorm2d, InstanceNorm2d

ROUND_TRIP_CONFIGS = {
    "unet_128": UnetConfig(num_downs=7, ngf=8),
    "unet_instance_nodrop": UnetConfig(num_downs=6, ngf=4, norm="instance", dropout=False),
    "unet_no_norm": UnetConfig(num_downs=5, ngf=4, norm="none"),
    "resnet_6blocks": ResnetConfig(ngf=4, n_blocks=6),
    "resnet_dropout_batch": ResnetConfig(ngf=4, n_blocks=2, norm="batch", dropout=True),
    "resnet_zero_padding": ResnetConfig(ngf=4, n_blocks=3, padding="zero"),
    "resnet_affine_block": ResnetConfig(in_channels=1, ngf=4, n_blocks=2, norm_affine=True, bias=True,
                                        block_name="block"),
    "community_unet": CommunityUnetConfig(ngf=4),
    "patchgan_1": PatchGANConfig(ndf=4, n_layers=1),
    "patchgan_5": PatchGANConfig(ndf=4, n_layers=5),
    "patchgan_instance": PatchGANConfig(in_channels=4, ndf=4, n_layers=2, norm="instance"),
    "pixel": PixelDiscriminatorConfig(ndf=4),
}


def _as_inferred(config):
    """What inference can know: U-Net dropout is invisible (assumed on); ResNet conv bias is recorded explicitly."""
    arguments = config.arguments()
    if config.architecture == "unet":
        arguments["dropout"] = True
    if config.architecture == "resnet":
        arguments["bias"] = config.use_bias
    return arguments


@pytest.mark.parametrize("name", sorted(ROUND_TRIP_CONFIGS))
def test_official_layout_round_trip(name, tmp_path):
    """Save as a bare state dict (the reference's format), load with nothing but the file: same net, same output."""
    config = ROUND_TRIP_CONFIGS[name]
    net = init_weights(build_network(config))
    path = tmp_path / "latest_net.pth"
    torch.save(net.state_dict(), path)
    loader = p2p.load_generator if net.role == "generator" else p2p.load_discriminator
    loaded = loader(path)
    assert loaded.config.arguments() == _as_inferred(config)
    size = max(64, net.multiple) if net.role == "generator" else 128
    x = random_images(2, config.in_channels, size, size) * 2 - 1
    for mode in ("eval", "per_image"):
        with torch.no_grad(), p2p.inference_statistics(net, mode), p2p.inference_statistics(loaded, mode):
            assert torch.equal(net(x), loaded(x))


@pytest.mark.parametrize(("config", "size", "out_shape"), [
    (UnetConfig(num_downs=8, ngf=4), 256, (1, 3, 256, 256)),
    (UnetConfig(num_downs=7, ngf=4, in_channels=1, out_channels=2), 128, (1, 2, 128, 128)),
    (ResnetConfig(ngf=4, n_blocks=6), 100, (1, 3, 100, 100)),
    (CommunityUnetConfig(ngf=4), 256, (1, 3, 256, 256)),
    (PatchGANConfig(ndf=4), 256, (1, 1, 30, 30)),
    (PixelDiscriminatorConfig(ndf=4), 64, (1, 1, 64, 64)),
])
def test_output_shapes(config, size, out_shape):
    net = build_network(config).eval()
    with torch.no_grad():
        assert net(torch.zeros(1, config.in_channels, size, size)).shape == out_shape


@pytest.mark.parametrize(("n_layers", "field"), [(1, 16), (2, 34), (3, 70), (4, 142), (5, 286)])
def test_patchgan_receptive_field(n_layers, field):
    """Measured, not computed: the input pixels one central logit depends on span exactly the stated field."""
    config = PatchGANConfig(in_channels=2, ndf=2, n_layers=n_layers)
    assert config.receptive_field == field
    net = init_weights(build_network(config)).eval().double()
    size = field + 2 ** (n_layers + 2)
    x = torch.randn(1, 2, size, size, dtype=torch.float64, requires_grad=True)
    out = net(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows = x.grad.abs().sum(dim=(0, 1, 3)).nonzero()
    cols = x.grad.abs().sum(dim=(0, 1, 2)).nonzero()
    assert rows.max() - rows.min() + 1 == field
    assert cols.max() - cols.min() + 1 == field


def test_pixel_discriminator_sees_one_pixel():
    net = init_weights(build_network(PixelDiscriminatorConfig(ndf=4))).eval().double()
    x = torch.randn(1, 6, 16, 16, dtype=torch.float64, requires_grad=True)
    net(x)[0, 0, 7, 9].backward()
    assert x.grad.abs().sum(1)[0].nonzero().tolist() == [[7, 9]]


def test_parameter_counts_match_the_paper_networks():
    with torch.device("meta"):
        unet = build_network(UnetConfig())
        community = build_network(CommunityUnetConfig())
    assert sum(p.numel() for p in unet.parameters()) == 54_413_955
    assert sum(p.numel() for p in community.parameters()) == 54_404_099


def test_community_unet_keys():
    with torch.device("meta"):
        keys = set(build_network(CommunityUnetConfig()).state_dict())
    assert {"down1.model.0.weight", "down8.model.0.weight", "up7.model.0.weight", "final.2.weight",
            "final.2.bias"} <= keys
    assert not any("bias" in k for k in keys - {"final.2.bias"})


def test_paper_init_statistics():
    net = init_weights(build_network(UnetConfig(ngf=16)))
    conv = net.model.model[0].weight
    norm = net.model.model[1].model[2]
    assert abs(conv.std().item() - 0.02) < 0.002 and abs(conv.mean().item()) < 0.002
    assert abs(norm.weight.mean().item() - 1.0) < 0.01 and torch.equal(norm.bias, torch.zeros_like(norm.bias))


def test_per_image_statistics_are_batch_invariant():
    """An image gives the same output alone or inside a batch of 8 (the reference would mix batch statistics)."""
    net = init_weights(build_network(UnetConfig(num_downs=6, ngf=8)))
    batch = random_images(8, 3, 64, 64) * 2 - 1
    with torch.no_grad(), p2p.inference_statistics(net, "per_image"):
        together = net(batch)
        alone = torch.cat([net(batch[i:i + 1]) for i in range(8)])
    torch.testing.assert_close(together, alone, atol=1e-6, rtol=1e-5)
    with torch.no_grad():
        net.train()
        mixed = net(batch)  # plain train-mode BatchNorm: statistics of the whole batch
    assert (mixed - alone).abs().max() > 1e-3


def test_seeded_dropout_is_reproducible_and_stochastic():
    net = init_weights(build_network(UnetConfig(num_downs=6, ngf=8)))
    x = random_images(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        with p2p.inference_statistics(net, "per_image", dropout_seed=3):
            a = net(x)
        with p2p.inference_statistics(net, "per_image", dropout_seed=3):
            b = net(x)
        with p2p.inference_statistics(net, "per_image", dropout_seed=4):
            c = net(x)
        with p2p.inference_statistics(net, "per_image"):
            d = net(x)
    assert torch.equal(a, b)
    assert not torch.equal(a, c) and not torch.equal(a, d)


@pytest.mark.parametrize(("norm", "shape"), [("instance", (3, 8, 12, 20)), ("instance_affine", (2, 8, 12, 20)),
                                             ("batch", (3, 8, 12, 20))])
def test_norms_normalise_in_place_bit_for_bit_and_only_without_autograd(norm, shape):
    torch.manual_seed(0)
    layer = (BatchNorm2d(8) if norm == "batch" else InstanceNorm2d(8, affine=norm == "instance_affine"))
    if norm == "batch":
        layer.per_image_statistics = True
    if layer.affine:
        torch.nn.init.normal_(layer.weight)
        torch.nn.init.normal_(layer.bias)
    x = torch.randn(shape) * 3 + 2
    with torch.no_grad():
        for memory_format in (torch.contiguous_format, torch.channels_last):
            given = x.clone(memory_format=memory_format)
            layer.in_place = False
            plain = layer(given.clone(memory_format=memory_format))
            layer.in_place = True
            out = layer(given)
            # instance norm: NCHW only (where it is F.instance_norm's kernel); per-image batch norm: both layouts
            assert (out.data_ptr() == given.data_ptr()) == (norm == "batch" or given.is_contiguous())
            assert torch.equal(out, plain)
    given = x.clone().requires_grad_()
    out = layer(given)
    assert out.data_ptr() != given.data_ptr() and torch.equal(given.detach(), x)
    out.sum().backward()  # autograd still works: nothing was overwritten
