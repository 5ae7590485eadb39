"""The translation engine: any size and batch, channel conversions, statistics modes, tiling, precision."""

from __future__ import annotations

import math
import platform
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from conftest import random_images

import pix2pix_core as p2p
from pix2pix_core.allocator import reusing_allocations
from pix2pix_core.examples import default_photo, vintagify_weights
from pix2pix_core.imaging.files import load_image
from pix2pix_core.inference.tiling import tile_grid
from pix2pix_core.networks import ResnetConfig, UnetConfig, build_network, init_weights


def _smooth_images(batch: int, height: int, width: int, seed: int = 0) -> torch.Tensor:
    """Photo-like inputs: smooth colour fields rather than per-pixel noise."""
    coarse = random_images(batch, 3, max(2, height // 10), max(2, width // 10), seed)
    return F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=False).clamp(0, 1)


def _with_running_stats(net):
    with torch.no_grad():
        net.train()(random_images(4, net.config.in_channels, 64, 64) * 2 - 1)
    return net.eval()


@pytest.fixture(scope="module")
def unet():
    torch.manual_seed(1)
    return _with_running_stats(init_weights(build_network(UnetConfig(num_downs=6, ngf=8))))


@pytest.fixture(scope="module")
def resnet_instance():
    torch.manual_seed(2)
    return init_weights(build_network(ResnetConfig(ngf=8, n_blocks=2))).eval()


@pytest.mark.parametrize("fit", ["native", "resize", "tiled", "auto"])
@pytest.mark.parametrize(("batch", "height", "width"), [(1, 1, 1), (5, 3, 7), (1, 333, 517), (1, 1000, 257)])
def test_output_has_the_input_size(unet, fit, batch, height, width):
    y = p2p.translate(unet, random_images(batch, 3, height, width), fit=fit, tile_size=128)
    assert y.shape == (batch, 3, height, width)
    assert y.dtype == torch.float32 and y.min() >= 0 and y.max() <= 1


def test_native_on_the_multiple_equals_the_plain_forward(unet):
    x = random_images(3, 3, 64, 128)
    with torch.no_grad(), p2p.inference_statistics(unet, "eval"):
        plain = ((unet(x * 2 - 1) + 1) / 2).clamp(0, 1)
    torch.testing.assert_close(p2p.translate(unet, x, fit="native", statistics="eval"), plain)


def test_the_engine_normalises_in_place_bit_for_bit_and_leaves_the_network_as_it_was(resnet_instance):
    """The engine's forward (norms writing over their convolution's output, residual sums into the block's
    output) equals the plain forward exactly, and the user's network is left as it was."""
    x = random_images(2, 3, 64, 96)
    with torch.no_grad():
        plain = ((resnet_instance(x * 2 - 1) + 1) / 2).clamp(0, 1)
    assert torch.equal(p2p.translate(resnet_instance, x, fit="native"), plain)
    assert not any(getattr(m, "in_place", False) for m in resnet_instance.modules())


def _resident_mib() -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text())[1]) / 1024


def test_large_activations_are_reused_within_a_translation_and_given_back_after():
    """Inside the block, freed 48 MiB blocks stay mapped for the next layer (glibc would unmap them at once);
    after the outermost block the free heap goes back to the system."""
    blocks = 6
    with reusing_allocations() as active:
        if not active:  # not glibc: nothing to tune, nothing changed
            assert platform.libc_ver()[0] != "glibc"
            return
        start = _resident_mib()
        with reusing_allocations():
            held = [torch.ones(12 << 20) for _ in range(blocks)]  # 48 MiB each, written
            del held
        assert _resident_mib() - start > blocks * 48 * 0.8  # the inner block's exit kept the heap: still in use
    assert _resident_mib() - start < blocks * 48 * 0.2
    with pytest.raises(p2p.ResourceError), reusing_allocations():  # a forward that fails gives the heap back too
        held = [torch.ones(12 << 20) for _ in range(blocks)]
        del held
        raise p2p.ResourceError("ran out of memory")
    assert _resident_mib() - start < blocks * 48 * 0.2


def test_a_native_run_reuses_large_activations_only_where_the_budget_has_room_for_it(resnet_instance, monkeypatch):
    from pix2pix_core.inference import translate as engine
    from pix2pix_core.inference.memory import HEAP_REUSE_OVERHEAD, estimate_native_bytes

    entered = []

    def spy():
        entered.append(True)
        return reusing_allocations()

    monkeypatch.setattr(engine, "reusing_allocations", spy)
    x = random_images(1, 3, 64, 64)
    p2p.translate(resnet_instance, x, fit="native")
    assert entered == []  # a small run: no activation reaches glibc's mmap threshold
    monkeypatch.setattr(engine, "HEAP_REUSE_FROM", 0)
    room = math.ceil(estimate_native_bytes(resnet_instance, 1, 64, 64) * HEAP_REUSE_OVERHEAD)
    reused = p2p.translate(resnet_instance, x, fit="native", memory_budget=room)
    assert entered == [True]
    plain = p2p.translate(resnet_instance, x, fit="native", memory_budget=room - 2)
    assert entered == [True] and torch.equal(reused, plain)  # a tight budget: the usual allocations, same result


def test_per_image_statistics_do_not_depend_on_the_batch(unet):
    x = random_images(8, 3, 64, 64)
    together = p2p.translate(unet, x, batch_size=8)
    # identical up to float rounding: the convolution kernels may sum in another order for another batch size
    torch.testing.assert_close(p2p.translate(unet, x, batch_size=3), together, atol=1e-6, rtol=0)
    torch.testing.assert_close(p2p.translate(unet, x[5:6]), together[5:6], atol=1e-6, rtol=0)


def test_seeded_dropout_is_per_image_and_deterministic(unet):
    x = random_images(4, 3, 64, 64)
    batch = p2p.translate(unet, x, dropout_seed=11)
    assert torch.equal(p2p.translate(unet, x[2:3], dropout_seed=11), batch[2:3])
    assert torch.equal(p2p.translate(unet, x, dropout_seed=11), batch)
    assert not torch.equal(batch, p2p.translate(unet, x))


def test_gray_and_rgba_inputs(unet):
    gray = random_images(1, 1, 64, 64)
    torch.testing.assert_close(p2p.translate(unet, gray), p2p.translate(unet, gray.expand(-1, 3, -1, -1)))
    rgba = random_images(2, 4, 40, 50)
    y = p2p.translate(unet, rgba)
    assert y.shape == (2, 4, 40, 50)
    assert torch.equal(y[:, 3], rgba[:, 3])
    torch.testing.assert_close(y[:, :3], p2p.translate(unet, rgba[:, :3]))


def test_rgb_input_for_a_one_channel_model():
    g = init_weights(build_network(ResnetConfig(in_channels=1, out_channels=3, ngf=4, n_blocks=1)))
    rgb = random_images(1, 3, 16, 16)
    luma = (rgb * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    torch.testing.assert_close(p2p.translate(g, rgb), p2p.translate(g, luma))


def test_resize_runs_at_the_training_size(unet):
    """The contract: the network sees the image as a training-size square, and the result has the input's size;
    at the training size itself, resize is the native forward."""
    unet.io = unet.io.__class__(train_size=128)
    try:
        seen, y = _shapes_run(unet, _smooth_images(1, 90, 150), fit="resize")
        assert seen == [(1, 3, 128, 128)] and y.shape == (1, 3, 90, 150) and 0 <= y.min() and y.max() <= 1
        at_size = _smooth_images(1, 128, 128)
        torch.testing.assert_close(p2p.translate(unet, at_size, fit="resize"), p2p.translate(unet, at_size,
                                   fit="native"), atol=2e-6, rtol=0)
    finally:
        unet.io = unet.io.__class__()


def _shapes_run(net, images, **options) -> tuple[list[tuple[int, ...]], torch.Tensor]:
    """The input shapes the network's forward ran on during one translate call, and its result."""
    p2p.translate(net, _smooth_images(1, 8, 8), fit="native")  # the memory estimate's one probe forward, first
    seen = []
    hook = torch.nn.modules.module.register_module_forward_pre_hook(
        lambda module, args: seen.append(tuple(args[0].shape)) if isinstance(module, type(net)) else None)
    try:
        return seen, p2p.translate(net, images, **options)
    finally:
        hook.remove()


def test_auto_works_at_the_recorded_training_scale(resnet_instance, capsys):
    """A translator trained on images resized to 128 px, given 256 px: auto translates at 128 and resizes back;
    an image near that scale, or a translator that records no scale, runs at the image's own size."""
    net = resnet_instance
    try:
        net.io = net.io.__class__(train_size=128, train_scale=128)
        seen, y = _shapes_run(net, _smooth_images(1, 256, 256))
        assert seen == [(1, 3, 128, 128)] and y.shape == (1, 3, 256, 256)
        seen, _ = _shapes_run(net, _smooth_images(1, 200, 400))  # the same area as 128 x 128, the aspect kept
        assert seen == [(1, 3, 92, 184)]  # 91 x 181, reflect-padded to the ResNet's multiple of 4
        seen, _ = _shapes_run(net, _smooth_images(1, 144, 150))  # within 1.25 of the scale: native
        assert seen == [(1, 3, 144, 152)]
        seen, _ = _shapes_run(net, _smooth_images(1, 256, 256), fit="native")
        assert seen == [(1, 3, 256, 256)]
        assert "translated at 128x128" in p2p.inference.translate.training_scale_note(net, (256, 256))
        net.io = net.io.__class__(train_size=128)
        seen, _ = _shapes_run(net, _smooth_images(1, 256, 256))
        assert seen == [(1, 3, 256, 256)] and p2p.inference.translate.training_scale_note(net, (256, 256)) is None
    finally:
        net.io = net.io.__class__()


def test_tile_grid_cores_partition_the_image():
    for height, width, tile, overlap, multiple in [(300, 420, 160, 96, 4), (1024, 768, 512, 256, 256),
                                                   (64, 64, 128, 32, 32)]:
        cover = torch.zeros(height, width, dtype=torch.int32)
        for t in tile_grid(height, width, tile, overlap):
            y0, y1, x0, x1 = t.core
            cover[y0:y1, x0:x1] += 1
            assert t.box[0] % multiple == 0 and t.box[2] % multiple == 0
            assert t.box[0] <= y0 < y1 <= t.box[1] and t.box[2] <= x0 < x1 <= t.box[3]
        assert torch.equal(cover, torch.ones_like(cover))


def _seam_ratio(y: torch.Tensor, tile_starts: list[int]) -> float:
    """Largest horizontal jump across tile borders over the largest jump elsewhere."""
    jumps = (y[..., 1:] - y[..., :-1]).abs().amax(dim=(0, 1, 2))
    at_borders = torch.zeros_like(jumps, dtype=torch.bool)
    for x0 in tile_starts[1:]:
        at_borders[x0 - 2:x0 + 2] = True
    return (jumps[at_borders].max() / jumps[~at_borders].max()).item()


def test_tiled_equals_native_with_running_statistics():
    """BatchNorm with running statistics: tiles reproduce the native result, and no seam shows."""
    torch.manual_seed(3)
    g = _with_running_stats(init_weights(build_network(ResnetConfig(ngf=8, n_blocks=2, norm="batch"))))
    x = _smooth_images(1, 200, 360)
    native = p2p.translate(g, x, fit="native", statistics="eval")
    tiled = p2p.translate(g, x, fit="tiled", statistics="eval", tile_size=160, tile_overlap=128)
    assert (tiled - native).abs().max() < 1e-4
    starts = sorted({t.box[2] for t in tile_grid(200, 360, 160, 128)})
    assert len(starts) > 2 and _seam_ratio(tiled, starts) < 1.5


def test_tiled_with_exact_statistics_matches_native(resnet_instance):
    """InstanceNorm ResNet: every norm gets the whole image's exact statistics (the chain of segments is swept norm
    by norm from cached tile activations), so tiling equals native where the receptive field fits; and the same
    when the caches do not fit and each norm's sweep resumes from the image."""
    from pix2pix_core.inference.tiling import run_tiled_exact

    x = _smooth_images(1, 200, 300)
    native = p2p.translate(resnet_instance, x, fit="native")
    tiled = p2p.translate(resnet_instance, x, fit="tiled", tile_size=160, tile_overlap=128)
    assert (tiled - native).abs().max() < 1e-3
    tiles = tile_grid(200, 300, 160, 128)
    with torch.inference_mode(), p2p.inference_statistics(resnet_instance, "per_image"):
        cached, uncached, estimated = (
            run_tiled_exact(lambda c: c, resnet_instance.segments(), resnet_instance, x, tiles, 128, 2, cache_bytes,
                            passes) for cache_bytes, passes in ((2**40, 1), (0, 99), (0, 1)))
    torch.testing.assert_close(uncached, cached, atol=1e-5, rtol=0)
    assert ((cached + 1) / 2 - native).abs().max() < 1e-3
    # no cache fits and one sweep from the image is allowed: the later norms are estimated, close but not exact
    assert 1e-3 < ((estimated + 1) / 2 - native).abs().max() and ((estimated + 1) / 2 - native).abs().mean() < 2e-2


@pytest.mark.slow
def test_tiled_vintagify_matches_native():
    """The case that was wrong: a real affine-InstanceNorm ResNet (vintagify) on a real photo, tiled at 30 dB and
    darker before; with exact statistics it is the native result (1024 px: 99.5 dB, benchmarks/translate.py)."""
    g = p2p.load_generator(vintagify_weights())
    photo = F.interpolate(load_image(default_photo())[None], size=(320, 320), mode="bicubic",
                          antialias=True).clamp(0, 1)
    native = p2p.translate(g, photo, fit="native")
    tiled = p2p.translate(g, photo, fit="tiled", tile_size=192, tile_overlap=64)
    psnr = -10 * torch.log10(F.mse_loss(tiled, native))
    assert psnr > 45 and (tiled.mean() - native.mean()).abs() < 1e-3


def test_tiled_two_pass_statistics_are_close_and_seamless(unet, resnet_instance):
    """The default two statistics passes: close to native on average, and every tile shares the same statistics."""
    for net, tile, overlap in ((unet, 128, 64), (resnet_instance, 128, 64)):
        x = _smooth_images(1, 256, 384, seed=4)
        native = p2p.translate(net, x, fit="native")
        tiled = p2p.translate(net, x, fit="tiled", tile_size=tile, tile_overlap=overlap)
        assert (tiled - native).abs().mean() < 2e-2
        own_statistics = p2p.translate(net, x, fit="tiled", tile_size=tile, tile_overlap=overlap,
                                       statistics_passes=1)
        assert (tiled - native).abs().mean() <= (own_statistics - native).abs().mean()
        starts = sorted({t.box[2] for t in tile_grid(256, 384, tile, overlap)})
        assert _seam_ratio(tiled, starts) < 1.5


def test_auto_picks_tiles_when_native_would_not_fit(resnet_instance):
    x = _smooth_images(1, 300, 300)
    native = p2p.translate(resnet_instance, x, fit="native")
    calls = []
    auto = p2p.translate(resnet_instance, x, fit="auto", memory_budget=8 * 2**20, tile_size=128,
                         progress=lambda done, total: calls.append((done, total)))
    assert calls[-1][0] == calls[-1][1] > 4  # several tiles and passes
    assert (auto - native).abs().mean() < 2e-2
    with pytest.raises(p2p.ResourceError, match="native mode.*fit='tiled'"):
        p2p.translate(resnet_instance, x, fit="native", memory_budget=8 * 2**20)


def test_a_single_native_image_reports_progress_layer_by_layer(unet, resnet_instance):
    """One large image is one native forward: its progress moves per convolution, not 0/1 until the end."""
    for net in (unet, resnet_instance):
        convolutions = sum(isinstance(m, torch.nn.modules.conv._ConvNd) for m in net.modules())
        calls = []
        p2p.translate(net, _smooth_images(1, 64, 64), fit="native", progress=lambda *call, seen=calls:
                      seen.append(call))
        assert calls == [(done, convolutions) for done in range(1, convolutions + 1)] and convolutions >= 10
    calls = []
    p2p.translate(unet, _smooth_images(3, 64, 64), fit="native", batch_size=2,
                  progress=lambda *call: calls.append(call))
    assert len(calls) == calls[-1][1] and calls[-1][0] == calls[-1][1]  # two chunks, one count

    def cancel(done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # a Cancel raised from progress stops within the forward
        p2p.translate(unet, _smooth_images(1, 64, 64), fit="native", progress=cancel)


def test_the_budget_covers_the_weight_copy_and_the_full_size_buffers(unet):
    """memory_budget bounds all a translation adds: the channels_last copy of the weights (skipped on request) and
    the full-size output beside the tiles (the peak RSS figures: benchmarks/translate.py)."""
    from pix2pix_core.inference import translate as engine
    from pix2pix_core.inference.tiling import blend_weights, weight_sums

    x = _smooth_images(1, 256, 320)
    engine._CONVERTED_COPIES.pop(unet, None)
    as_is = p2p.translate(unet, x, fit="native", weight_copy=False)
    assert unet not in engine._CONVERTED_COPIES  # ran the user's weights, no copy made
    torch.testing.assert_close(p2p.translate(unet, x, fit="native"), as_is, atol=1e-4, rtol=0)
    assert unet in engine._CONVERTED_COPIES  # the default: the faster copy
    output_bytes = 4 * 3 * 256 * 320
    with pytest.raises(p2p.ResourceError, match="beside the full-size image buffers"):
        p2p.translate(unet, x, fit="tiled", tile_size=128, weight_copy=False, memory_budget=2 * output_bytes)
    tiles = tile_grid(256, 320, 128, 64)  # the blend's normaliser: two vectors equal to the full weight image
    full = torch.zeros(256, 320)
    for t in tiles:
        full[t.box[0]:t.box[1], t.box[2]:t.box[3]] += blend_weights(t, 256, 320, 64, torch.device("cpu"))
    rows, columns = weight_sums(tiles, 256, 320, 64, torch.device("cpu"))
    torch.testing.assert_close(rows[:, None] * columns[None, :], full)


def test_bfloat16_is_close_to_float32(unet):
    x = _smooth_images(2, 96, 80)
    full = p2p.translate(unet, x)
    half = p2p.translate(unet, x, precision="bfloat16")
    psnr = -10 * torch.log10((half - full).pow(2).mean())
    assert psnr > 30
    assert torch.equal(p2p.translate(unet, x, precision="bfloat16", dropout_seed=5),
                       p2p.translate(unet, x, precision="bfloat16", dropout_seed=5))
    assert next(unet.parameters()).dtype == torch.float32  # the user's network is untouched


@pytest.mark.parametrize(("images", "message"), [
    (torch.full((1, 3, 8, 8), float("nan")), "NaN"),
    (torch.full((1, 3, 8, 8), float("inf")), "Inf"),
    (torch.zeros(0, 3, 8, 8), "empty"),
    (torch.zeros(1, 3, 0, 8), "empty"),
    (torch.zeros(1, 2, 8, 8), "no conversion"),
    (torch.zeros(1, 5, 8, 8), "5 channels"),
    (torch.zeros(3, 8, 8), r"\[B, C, H, W\]"),
    (torch.zeros(1, 3, 8, 8, dtype=torch.uint8), "integers"),
    (random_images(1, 3, 8, 8) * 255, r"found 0\.\d+\.\.25\d.*0\.\.255 values: divide them by 255"),
    (random_images(1, 3, 8, 8) * 2 - 1, r"found -0\.9\d+\.\.0\.9\d+.*\(images \+ 1\) / 2"),
])
def test_bad_images(unet, images, message):
    with pytest.raises(p2p.InputError, match=message):
        p2p.translate(unet, images)


def test_rounding_outside_0_1_is_clamped(unet):
    x = random_images(1, 3, 64, 64)
    overshoot = x.clone()
    overshoot[0, 0, 0, :2] = torch.tensor([-0.015, 1.015])  # a resampling overshoot, within rounding
    clamped = overshoot.clamp(0, 1)
    assert torch.equal(p2p.translate(unet, overshoot), p2p.translate(unet, clamped))


@pytest.mark.parametrize(("options", "message"), [
    ({"fit": "stretch"}, "fit must be one of"),
    ({"precision": "int8"}, "precision must be one of"),
    ({"statistics": "batch"}, "statistics must be one of"),
    ({"fit": "tiled", "dropout_seed": 1}, "not available in tiled mode"),
    ({"fit": "tiled", "tile_size": 64, "tile_overlap": 64}, "must be smaller than"),
    ({"batch_size": 0}, "at least 1"),
])
def test_bad_options(unet, options, message):
    with pytest.raises(p2p.InputError, match=message):
        p2p.translate(unet, random_images(1, 3, 64, 64), **options)


@pytest.mark.slow
def test_bfloat16_without_native_support_warns_once(tmp_path):
    """oneDNN held to AVX2 (ONEDNN_MAX_CPU_ISA) has no native bfloat16, as on an AVX2-only CPU: an explicit
    bfloat16 request warns once, naming the cost and 'auto'; 'auto' picks float32 there, silently."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from PIL import Image

    model = p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), tmp_path / "model")
    for name in ("a", "b", "c"):
        Image.new("RGB", (24, 16), (200, 30, 10)).save(tmp_path / f"{name}.png")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "ONEDNN_MAX_CPU_ISA": "AVX2",
           "ATEN_CPU_CAPABILITY": "avx2"}
    outputs = {}
    for precision in ("bfloat16", "auto"):
        done = subprocess.run([sys.executable, "-m", "pix2pix_core", "translate", "--model", str(model),
                               *(str(tmp_path / f"{n}.png") for n in "abc"), "--out", str(tmp_path / precision),
                               "--precision", precision], capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stderr
        outputs[precision] = done.stderr
    assert outputs["bfloat16"].count("warning: bfloat16 was requested") == 1
    assert "'auto'" in outputs["bfloat16"] and "slower than float32" in outputs["bfloat16"]
    assert "warning" not in outputs["auto"]


def test_a_cached_copy_follows_weights_changed_by_a_fused_optimizer():
    """Fused Adam updates weights without bumping their version counters: the engine's cached channels_last and
    bfloat16 copies must still see the new weights (a BatchNorm U-Net: the CPU runs its float32 copy channels_last)."""
    import copy

    g = init_weights(build_network(UnetConfig(ngf=4, num_downs=5)))
    x = random_images(1, 3, 32, 32)
    for precision in ("float32", "bfloat16"):
        p2p.translate(g, x, precision=precision)  # makes the cached copy
    optimizer = torch.optim.Adam(g.parameters(), lr=0.05, fused=True)
    g.train()
    g(x * 2 - 1).mean().backward()
    optimizer.step()
    g.eval()
    fresh = copy.deepcopy(g)
    for precision in ("float32", "bfloat16"):
        torch.testing.assert_close(p2p.translate(g, x, precision=precision),
                                   p2p.translate(fresh, x, precision=precision))
