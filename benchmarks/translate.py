"""Translation engine against the plain eager float32 forward the reference runs, in one process.

    python benchmarks/translate.py            # everything (about 15 minutes on 2 cores)
    python benchmarks/translate.py --quick    # speed and quality at 1024 px only

Prints a Markdown table: speed ratios (unet_256, ngf 64, 256x256), bfloat16 quality on a real trained translator
(the vintagify weights on a real photo), tiled against native PSNR for an InstanceNorm ResNet (vintagify) and a
BatchNorm U-Net at 1024 and 2048 px, the fraction of the CPU's float32 FMA peak, and the peak resident memory
of 1024/2048/4096 px images beside the memory_budget they ran under (each measured in a fresh process).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import bfloat16_rows_apply, cpu_row, peak_rss_bytes, resident_bytes  # noqa: E402

import pix2pix_core as p2p  # noqa: E402
from pix2pix_core.networks import UnetConfig, build_network, init_weights

GMAC_PER_IMAGE = 6.05  # unet_256, ngf 64, one 256x256 image
TILED_BUDGET = 2**30  # memory_budget of the tiled runs: all the translation may add, tiles and full-size buffers


def reference_forward(net: torch.nn.Module):
    """What the reference test.py runs: the network in train() mode (BatchNorm on the batch), no_grad, NCHW.

    Dropout is switched off so both sides compute the same deterministic function.
    """
    ref = copy.deepcopy(net).train()
    for m in ref.modules():
        if isinstance(m, torch.nn.Dropout):
            m.eval()

    def run(x01: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return (ref(x01 * 2 - 1) + 1) / 2

    return run


def timed(fns: dict, x: torch.Tensor, repeats: int) -> dict[str, float]:
    """Median seconds per call of each function, calls interleaved so that drift in the machine hits all alike."""
    for fn in fns.values():
        fn(x)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(x)
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def speed_rows(repeats: int) -> list[tuple[str, str]]:
    torch.manual_seed(0)
    net = init_weights(build_network(UnetConfig())).eval()
    fns = {"eager": reference_forward(net),
           "float32": lambda v: p2p.translate(net, v, fit="native")}
    if bfloat16_rows_apply():
        fns["bfloat16"] = lambda v: p2p.translate(net, v, fit="native", precision="bfloat16")
    rows = []
    for batch in (1, 8):
        t = timed(fns, torch.rand(batch, 3, 256, 256), repeats if batch == 1 else max(3, repeats // 3))
        per_image = {name: seconds / batch * 1000 for name, seconds in t.items()}
        rows.append((f"float32, 256x256, batch {batch}", f"{per_image['eager']:.0f} ms/img eager vs "
                     f"{per_image['float32']:.0f} ms/img: **{t['eager'] / t['float32']:.2f}x**"))
        if "bfloat16" in t:
            rows.append((f"bfloat16, 256x256, batch {batch}",
                         f"{per_image['bfloat16']:.0f} ms/img: **{t['eager'] / t['bfloat16']:.2f}x** eager float32"))
        if batch == 8:
            gmacs = GMAC_PER_IMAGE * batch / t["float32"]
            rows.append(("float32 throughput, batch 8", f"{gmacs:.1f} GMAC/s = {gmacs / cpu_peak_gmacs():.0%} of the "
                                                       f"CPU's float32 FMA peak ({cpu_peak_gmacs():.0f} GMAC/s)"))
    return rows


def cpu_peak_gmacs(fma_per_cycle: int = 16) -> float:
    """Cores x clock x float32 FMA lanes per cycle (two 256-bit FMA pipes: 16; Zen 4 splits AVX-512 into two)."""
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    mhz = [float(m) for m in re.findall(r"cpu MHz\s*:\s*([\d.]+)", text)] or [2500.0]
    return (os.cpu_count() or 1) * max(mhz) / 1000 * fma_per_cycle


def tiled_quality_row(kind: str, side: int) -> tuple[str, str]:
    """Tiled (512 px tiles, default statistics) against native on the embedded photo resized to ``side``."""
    from pix2pix_core.examples import default_photo, vintagify_weights
    from pix2pix_core.imaging.files import load_image

    torch.manual_seed(0)
    g = p2p.load_generator(vintagify_weights()) if kind == "vintagify" else \
        init_weights(build_network(UnetConfig())).eval()
    photo = F.interpolate(load_image(default_photo())[None], size=(side, side), mode="bicubic",
                          antialias=True).clamp(0, 1)
    start = time.perf_counter()
    native = p2p.translate(g, photo, fit="native", memory_budget=64 * 2**30)
    native_seconds = time.perf_counter() - start
    start = time.perf_counter()
    tiled = p2p.translate(g, photo, fit="tiled", tile_size=512)
    seconds = time.perf_counter() - start
    psnr = -10 * torch.log10(F.mse_loss(tiled, native)).item()
    name = "vintagify, affine InstanceNorm ResNet" if kind == "vintagify" else "unet_256, BatchNorm, random weights"
    return (f"tiled quality ({name}, {side}x{side}, 512 px tiles)",
            f"PSNR **{psnr:.1f} dB** against native; {seconds:.0f} s tiled, {native_seconds:.0f} s native")


def quality_rows(full: bool) -> list[tuple[str, str]]:
    from pix2pix_core.examples import default_photo, vintagify_weights
    from pix2pix_core.imaging.files import load_image

    rows = [tiled_quality_row(kind, side) for kind in ("vintagify", "unet")
            for side in ((1024, 2048) if full else (1024,))]
    if bfloat16_rows_apply():
        g = p2p.load_generator(vintagify_weights())
        photo = load_image(default_photo())[None]
        reference = p2p.translate(g, photo, fit="native")
        half = p2p.translate(g, photo, fit="native", precision="bfloat16")
        psnr = -10 * torch.log10(F.mse_loss(half, reference)).item()
        rows.insert(0, ("bfloat16 quality (vintagify, 512 px photo)", f"PSNR **{psnr:.1f} dB** against float32"))
    return rows


def memory_probe(fit: str, side: int, budget: int, weight_copy: bool) -> None:
    """Run in a fresh process: translate one side x side image, print the peak RSS and its growth above the loaded
    model and input (bytes) as JSON."""
    torch.manual_seed(0)
    net = init_weights(build_network(UnetConfig())).eval()
    image = F.interpolate(torch.rand(1, 3, 16, 16), size=(side, side), mode="bilinear").clamp(0, 1)
    before = resident_bytes()
    start = time.perf_counter()
    p2p.translate(net, image, fit=fit, memory_budget=budget, weight_copy=weight_copy)
    seconds = time.perf_counter() - start
    peak = peak_rss_bytes()
    print(json.dumps({"peak": peak, "growth": peak - before, "seconds": seconds}))


# (fit, side, memory_budget, weight_copy): native with room to spare; tiled at 1 GiB, the budget the README states
MEMORY_RUNS = [("native", 1024, 64 * 2**30, True), ("native", 2048, 64 * 2**30, True),
               ("tiled", 1024, TILED_BUDGET, True), ("tiled", 2048, TILED_BUDGET, True),
               ("auto", 4096, TILED_BUDGET, True), ("auto", 4096, TILED_BUDGET, False)]


def memory_rows() -> list[tuple[str, str]]:
    rows = []
    for fit, side, budget, weight_copy in MEMORY_RUNS:
        done = subprocess.run([sys.executable, __file__, "--memory-probe", fit, str(side), str(budget),
                               str(int(weight_copy))], capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        copy = "" if weight_copy else ", weight_copy=False"
        rows.append((f"{side}x{side}, fit={fit}, budget {budget / 2**30:.0f} GiB{copy}",
                     f"peak RSS **{result['peak'] / 2**30:.2f} GiB** ({result['peak'] / 1e9:.2f} GB), growth "
                     f"{result['growth'] / 2**30:.2f} GiB above the loaded model and input, {result['seconds']:.0f} s"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the memory runs")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--memory-probe", nargs=4, metavar=("FIT", "SIDE", "BUDGET", "COPY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe:
        fit, side, budget, weight_copy = args.memory_probe
        memory_probe(fit, int(side), int(budget), weight_copy == "1")
        return
    rows = [cpu_row(), *speed_rows(args.repeats), *quality_rows(full=not args.quick)]
    if not args.quick:
        rows += memory_rows()
    print("| measurement | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
