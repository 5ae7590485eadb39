"""The four reference fixtures load with the architecture inferred and reproduce the reference's outputs."""

from __future__ import annotations

import copy

import pytest
import torch
from conftest import REFERENCE_FIXTURES

import pix2pix_core as p2p
from pix2pix_core.cli import main as cli_main
from pix2pix_core.networks import build_network, init_weights

# Two float32 forwards of the same weights differ by their summation orders (oneDNN picks kernels by CPU: AVX2,
# AVX512, AMX). Measured against a float64 forward, each fixture's own float32 error is at most 1.8e-6 (resnet9),
# so two correct float32 implementations can be up to ~4e-6 apart: ATOL 5e-6. The float64 check below cannot be
# moved by summation order, so the tolerance cannot hide a real difference: the fixture must sit within its own
# float32 rounding of our float64 forward (max F64_ATOL, mean F64_MEAN; measured 1.7e-6 and 2.4e-7 at worst).
ATOL, RTOL = 5e-6, 1e-5
F64_ATOL, F64_MEAN = 5e-6, 5e-7

EXPECTED = {
    "unet256_batch": ("unet", {"in_channels": 3, "out_channels": 3, "num_downs": 8, "ngf": 8, "norm": "batch"}),
    "unet256_color": ("unet", {"in_channels": 1, "out_channels": 2, "num_downs": 8, "ngf": 8, "norm": "batch"}),
    "resnet9_instance": ("resnet", {"in_channels": 3, "out_channels": 3, "ngf": 8, "n_blocks": 9, "norm": "instance",
                                    "norm_affine": False, "dropout": False, "block_name": "conv_block"}),
    "patchgan": ("patchgan", {"in_channels": 6, "ndf": 8, "n_layers": 3, "norm": "batch"}),
}


def _load(reference_dir, name):
    weights, io_file, role = REFERENCE_FIXTURES[name]
    loader = p2p.load_generator if role == "generator" else p2p.load_discriminator
    return loader(reference_dir / weights), torch.load(reference_dir / io_file, weights_only=True)


@pytest.mark.parametrize("name", sorted(REFERENCE_FIXTURES))
def test_architecture_is_inferred(reference_dir, name):
    net, _ = _load(reference_dir, name)
    architecture, arguments = EXPECTED[name]
    assert net.config.architecture == architecture
    assert {k: getattr(net.config, k) for k in arguments} == arguments


@pytest.mark.parametrize("name", sorted(REFERENCE_FIXTURES))
def test_outputs_match_reference(reference_dir, name):
    net, io = _load(reference_dir, name)
    with torch.no_grad():
        with p2p.inference_statistics(net, "eval"):
            out_eval = net(io["input"])
        with p2p.inference_statistics(net, "per_image"):
            out_per_image = net(io["input"])
        with p2p.inference_statistics(net, "per_image", dropout_seed=1234):
            out_dropout = net(io["input"])
    torch.testing.assert_close(out_eval, io["out_eval"], atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(out_per_image, io["out_train_nodrop"], atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(out_dropout, io["out_train_dropout_seed1234"], atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("name", sorted(REFERENCE_FIXTURES))
def test_fixtures_are_within_float32_rounding_of_a_float64_forward(reference_dir, name):
    net, io = _load(reference_dir, name)
    exact = copy.deepcopy(net).double()
    for mode, key in (("eval", "out_eval"), ("per_image", "out_train_nodrop")):
        with torch.no_grad(), p2p.inference_statistics(exact, mode):
            error = (exact(io["input"].double()) - io[key].double()).abs()
        assert error.max() <= F64_ATOL and error.mean() <= F64_MEAN, (mode, error.max().item(), error.mean().item())


def test_statistics_modes_differ_and_restore(reference_dir):
    """Eval and per-image outputs differ (the fixture can tell them apart) and the net leaves the context as it was."""
    net, io = _load(reference_dir, "unet256_batch")
    net.train()
    rng_before = torch.random.get_rng_state()
    with torch.no_grad(), p2p.inference_statistics(net, "per_image", dropout_seed=7):
        net(io["input"])
    assert net.training and all(m.training for m in net.modules())
    assert torch.equal(rng_before, torch.random.get_rng_state())
    assert (io["out_eval"] - io["out_train_nodrop"]).abs().max() > 0.1


@pytest.mark.parametrize("name", sorted(REFERENCE_FIXTURES))
def test_init_reproduces_reference_construction(reference_dir, name):
    """Seed 5 + construction + the paper's init gives the fixture's weights bit for bit: same module order."""
    net, _ = _load(reference_dir, name)
    torch.manual_seed(5)
    fresh = init_weights(build_network(net.config))
    reference = torch.load(reference_dir / REFERENCE_FIXTURES[name][0], weights_only=True)
    for key, value in fresh.state_dict().items():
        if not key.endswith(("running_mean", "running_var", "num_batches_tracked")):
            assert torch.equal(value, reference[key]), key


def test_translate_matches_per_image_reference(reference_dir):
    """The engine's default (per-image statistics) on 0..1 images equals the reference test-time output."""
    net, io = _load(reference_dir, "unet256_batch")
    out = p2p.translate(net, (io["input"] + 1) / 2)
    torch.testing.assert_close(out, ((io["out_train_nodrop"] + 1) / 2).clamp(0, 1), atol=ATOL, rtol=RTOL)


def test_translate_leaves_the_generator_unchanged_and_seeded_dropout_exact(reference_dir):
    """Any call order: translate first, then the reference's stochastic output through the context manager and
    through translate itself (dropout draws masks in memory order, so the layout of the user's net matters)."""
    net, io = _load(reference_dir, "unet256_batch")
    before = {k: (v.clone(), v.stride()) for k, v in net.state_dict().items()}
    for precision in ("float32", "bfloat16"):
        p2p.translate(net, torch.rand(2, 3, 40, 300), precision=precision)
    assert all(torch.equal(v, before[k][0]) and v.stride() == before[k][1] for k, v in net.state_dict().items())
    with torch.no_grad(), p2p.inference_statistics(net, "per_image", dropout_seed=1234):
        torch.testing.assert_close(net(io["input"]), io["out_train_dropout_seed1234"], atol=ATOL, rtol=RTOL)
    seeded = p2p.translate(net, (io["input"] + 1) / 2, dropout_seed=1234)
    expected = ((io["out_train_dropout_seed1234"] + 1) / 2).clamp(0, 1)
    torch.testing.assert_close(seeded, expected, atol=ATOL, rtol=RTOL)
    net.to(memory_format=torch.channels_last)  # a user's own channels_last network: translate still reproduces it
    torch.testing.assert_close(p2p.translate(net, (io["input"] + 1) / 2, dropout_seed=1234), expected, atol=ATOL,
                               rtol=RTOL)


@pytest.mark.parametrize("name", sorted(REFERENCE_FIXTURES))
def test_info_prints_architecture(reference_dir, name, capsys):
    assert cli_main(["info", str(reference_dir / REFERENCE_FIXTURES[name][0])]) == 0
    out = capsys.readouterr().out
    architecture, arguments = EXPECTED[name]
    assert f"'{architecture}'" in out.splitlines()[0] and "parameters" in out.splitlines()[0]
    printed = dict(line.split(None, 1) for line in out.splitlines()[1:] if line.startswith("  ") and
                   not line.strip().startswith("note:"))
    for key, value in arguments.items():  # each argument on its own line, with exactly its value
        assert printed[key].strip() == str(value), (key, printed.get(key))


@pytest.mark.parametrize("name", ["unet256_batch", "unet256_color", "resnet9_instance"])
def test_convert_then_load_gives_identical_outputs(reference_dir, name, tmp_path, capsys):
    weights, io_file, _ = REFERENCE_FIXTURES[name]
    args = ["convert", str(reference_dir / weights), "--out", str(tmp_path / "converted")]
    if name == "unet256_batch":
        args += ["--discriminator", str(reference_dir / "ref_patchgan_ndf8.pth")]
    assert cli_main(args) == 0
    original, io = _load(reference_dir, name)
    converted = p2p.load_generator(tmp_path / "converted")
    assert converted.config == original.config
    for mode in ("eval", "per_image"):
        with torch.no_grad(), p2p.inference_statistics(original, mode), p2p.inference_statistics(converted, mode):
            assert torch.equal(original(io["input"]), converted(io["input"]))
    if name == "unet256_batch":
        d = p2p.load_discriminator(tmp_path / "converted")
        d_io = torch.load(reference_dir / "ref_patchgan_ndf8_io.pt", weights_only=True)
        with torch.no_grad(), p2p.inference_statistics(d, "eval"):
            torch.testing.assert_close(d(d_io["input"]), d_io["out_eval"], atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("name", ["unet256_batch", "unet256_color", "resnet9_instance"])
def test_convert_to_reference_gives_back_the_reference_files(reference_dir, name, tmp_path, capsys):
    """reference .pth -> our format -> reference .pth: the same keys and the same tensors, bit for bit, as the
    reference implementation saved them (so its own networks load the result)."""
    weights = reference_dir / REFERENCE_FIXTURES[name][0]
    critic = ["--discriminator", str(reference_dir / "ref_patchgan_ndf8.pth")] if name == "unet256_batch" else []
    assert cli_main(["convert", str(weights), "--out", str(tmp_path / "ours"), *critic]) == 0
    args = ["convert", str(tmp_path / "ours"), "--out", str(tmp_path / "ref"), "--to", "reference"]
    assert cli_main(args) == 0  # the discriminator the folder holds goes along
    original = torch.load(weights, weights_only=True)
    written = torch.load(tmp_path / "ref" / "latest_net_G.pth", weights_only=True)
    assert list(written) == list(original)
    assert all(torch.equal(written[k], original[k]) for k in original)
    if name == "unet256_batch":
        d = torch.load(tmp_path / "ref" / "latest_net_D.pth", weights_only=True)
        original_d = torch.load(reference_dir / "ref_patchgan_ndf8.pth", weights_only=True)
        assert list(d) == list(original_d) and all(torch.equal(d[k], original_d[k]) for k in original_d)
    assert cli_main(args[:6]) == 2  # never replaces an existing file
    assert "exists" in capsys.readouterr().err


def test_what_the_reference_cannot_build_is_refused(tmp_path):
    from pix2pix_core.examples import vintagify_weights
    from pix2pix_core.networks import CommunityUnetConfig
    from pix2pix_core.weights.reference import reference_state_dict

    with pytest.raises(p2p.CheckpointError, match="not a network of the reference"):
        reference_state_dict(init_weights(build_network(CommunityUnetConfig(ngf=4))))
    with pytest.raises(p2p.CheckpointError, match="affine InstanceNorm"):
        reference_state_dict(p2p.load_generator(vintagify_weights()))
