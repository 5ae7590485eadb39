"""Training step time against a plain reference-style float32 step of the same networks, in one process.

    python benchmarks/train.py            # unet_256 ngf 64 + 70x70 PatchGAN, batch 1, 256x256 (paper setting)
    python benchmarks/train.py --cyclegan # also CycleGAN (2 x resnet_9blocks + 2 x PatchGAN) against the reference

The reference step: NCHW float32, Adam with PyTorch's CPU defaults, D step then G step as the reference's
optimize_parameters. Ours: Pix2PixTrainer._train_step (foreach Adam, zero_grad(set_to_none=True); NCHW in float32 on the
CPU, channels_last with bfloat16 autocast where the CPU has native bfloat16). Peak memory is measured in a fresh
process per mode.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import bfloat16_rows_apply, cpu_row, peak_rss_bytes  # noqa: E402

from pix2pix_core.training.cyclegan import CycleGANConfig, CycleGANTrainer
from pix2pix_core.training.data import TensorPairDataset
from pix2pix_core.training.objective import discriminator_loss, gan_loss, generator_loss
from pix2pix_core.training.pix2pix import Pix2PixConfig, Pix2PixTrainer
from pix2pix_core.training.unpaired import UnpairedDataset


def make_trainer(precision: str, tmp: Path) -> Pix2PixTrainer:
    data = TensorPairDataset(torch.rand(2, 3, 256, 256), torch.rand(2, 3, 256, 256))
    return Pix2PixTrainer(Pix2PixConfig(precision=precision, steps=10**6), data, tmp, resume=False)


def reference_step(trainer: Pix2PixTrainer):
    """The reference's optimize_parameters on NCHW float32 copies of the same networks."""
    g = trainer.generator.to(memory_format=torch.contiguous_format)
    d = trainer.discriminator.to(memory_format=torch.contiguous_format)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def step(a: torch.Tensor, b: torch.Tensor) -> None:
        fake = g(a)
        d.requires_grad_(True)
        opt_d.zero_grad()
        loss_d = discriminator_loss(d(torch.cat([a, b], 1)), d(torch.cat([a, fake.detach()], 1)))
        loss_d.backward()
        opt_d.step()
        d.requires_grad_(False)
        opt_g.zero_grad()
        loss_g, _, _ = generator_loss(d(torch.cat([a, fake], 1)), fake, b)
        loss_g.backward()
        opt_g.step()

    return step


def _our_step(trainer: Pix2PixTrainer, a: torch.Tensor, b: torch.Tensor) -> None:
    trainer._train_step(trainer.generator, trainer.discriminator, a, b)


def timed(step, a, b, repeats: int) -> float:
    step(a, b)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        step(a, b)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def memory_probe(probe: str) -> None:
    """Three steps of one ``model:mode`` (e.g. ``cyclegan:reference``) in this fresh process; prints its peak RSS."""
    import tempfile

    model, mode = probe.split(":")
    precision = "bfloat16" if mode == "bfloat16" else "float32"
    with tempfile.TemporaryDirectory() as tmp:
        if model == "cyclegan":
            trainer = make_cyclegan(precision, Path(tmp))
            step = reference_cyclegan_step(trainer.g_a, trainer.g_b, trainer.d_a, trainer.d_b) \
                if mode == "reference" else trainer._step
        else:
            trainer = make_trainer(precision, Path(tmp))
            step = reference_step(trainer) if mode == "reference" else partial(_our_step, trainer)
        a, b = torch.rand(1, 3, 256, 256) * 2 - 1, torch.rand(1, 3, 256, 256) * 2 - 1
        for _ in range(3):
            step(a, b)
    print(json.dumps({"peak": peak_rss_bytes()}))


def peak_rows(model: str, modes: tuple[str, ...]) -> list[tuple[str, str]]:
    """Peak RSS of the reference step and of ours in each mode, each in a fresh process (the whole process)."""
    rows = []
    for mode in ("reference", *modes):
        done = subprocess.run([sys.executable, __file__, "--memory-probe", f"{model}:{mode}"], capture_output=True,
                              text=True, check=True)
        peak = json.loads(done.stdout.strip().splitlines()[-1])["peak"]
        rows.append((f"peak RSS, {model} {mode} (whole process)", f"{peak / 2**30:.2f} GiB"))
    return rows


def make_cyclegan(precision: str, tmp: Path) -> CycleGANTrainer:
    data = UnpairedDataset(torch.rand(2, 3, 256, 256), torch.rand(2, 3, 256, 256))
    trainer = CycleGANTrainer(CycleGANConfig(precision=precision, steps=10**6), data, tmp, resume=False)
    trainer._prepare_run()
    return trainer


def reference_cyclegan_step(*nets: torch.nn.Module):
    """The reference's CycleGAN optimize_parameters on G_A, G_B, D_A, D_B in NCHW float32: forward both cycles, G
    step (D frozen) with GAN + cycle + identity losses, then each D on a real and a pooled fake."""
    import itertools
    import random

    g_a, g_b, d_a, d_b = (net.to(memory_format=torch.contiguous_format) for net in nets)
    opt_g = torch.optim.Adam(itertools.chain(g_a.parameters(), g_b.parameters()), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(itertools.chain(d_a.parameters(), d_b.parameters()), lr=2e-4, betas=(0.5, 0.999))
    pools: dict[str, list] = {"a": [], "b": []}

    def query(name: str, image: torch.Tensor) -> torch.Tensor:
        pool = pools[name]
        if len(pool) < 50:
            pool.append(image)
            return image
        if random.uniform(0, 1) > 0.5:
            slot = random.randint(0, 49)
            old, pool[slot] = pool[slot], image
            return old
        return image

    def step(real_a: torch.Tensor, real_b: torch.Tensor) -> None:
        fake_b, fake_a = g_a(real_a), g_b(real_b)
        rec_a, rec_b = g_b(fake_b), g_a(fake_a)
        d_a.requires_grad_(False)
        d_b.requires_grad_(False)
        opt_g.zero_grad()
        l1 = torch.nn.functional.l1_loss
        loss_g = (gan_loss(d_a(fake_b), True, "lsgan") + gan_loss(d_b(fake_a), True, "lsgan")
                  + l1(rec_a, real_a) * 10 + l1(rec_b, real_b) * 10
                  + l1(g_a(real_b), real_b) * 5 + l1(g_b(real_a), real_a) * 5)
        loss_g.backward()
        opt_g.step()
        d_a.requires_grad_(True)
        d_b.requires_grad_(True)
        opt_d.zero_grad()
        for d, real, fake in ((d_a, real_b, query("b", fake_b.detach())), (d_b, real_a, query("a", fake_a.detach()))):
            discriminator_loss(d(real), d(fake), "lsgan").backward()
        opt_d.step()

    return step


def cyclegan_rows(repeats: int, tmp: Path) -> list[tuple[str, str]]:
    a, b = torch.rand(1, 3, 256, 256) * 2 - 1, torch.rand(1, 3, 256, 256) * 2 - 1
    modes = ("float32", "bfloat16") if bfloat16_rows_apply() else ("float32",)
    ours = {mode: make_cyclegan(mode, tmp / f"cyclegan-{mode}") for mode in modes}
    twin = make_cyclegan("float32", tmp / "cyclegan-reference")  # its own networks: ours run channels_last
    steps = {"reference": reference_cyclegan_step(twin.g_a, twin.g_b, twin.d_a, twin.d_b),
             **{mode: trainer._step for mode, trainer in ours.items()}}
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            times[name].append(timed(step, a, b, 1))
    t = {name: statistics.median(v) for name, v in times.items()}
    rows = [("CycleGAN reference-style float32 step", f"{t['reference'] * 1000:.0f} ms")]
    rows += [(f"our CycleGAN {mode} step", f"{t[mode] * 1000:.0f} ms: **{t['reference'] / t[mode]:.2f}x**")
             for mode in modes]
    return rows + peak_rows("cyclegan", modes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--memory-probe", help=argparse.SUPPRESS)
    parser.add_argument("--cyclegan", action="store_true", help="also time a CycleGAN step against the reference's")
    args = parser.parse_args()
    if args.memory_probe:
        memory_probe(args.memory_probe)
        return
    import tempfile

    a, b = torch.rand(1, 3, 256, 256) * 2 - 1, torch.rand(1, 3, 256, 256) * 2 - 1
    with tempfile.TemporaryDirectory() as tmp:
        modes = ("float32", "bfloat16") if bfloat16_rows_apply() else ("float32",)
        ours = {mode: make_trainer(mode, Path(tmp) / mode) for mode in modes}
        steps = {"reference": reference_step(make_trainer("float32", Path(tmp) / "reference")),
                 **{mode: partial(_our_step, trainer) for mode, trainer in ours.items()}}
        times = {name: [] for name in steps}
        for _ in range(args.repeats):  # interleaved so that drift hits all three alike
            for name, step in steps.items():
                times[name].append(timed(step, a, b, 1))
        t = {name: statistics.median(v) for name, v in times.items()}
    rows = [cpu_row(), ("reference-style float32 step", f"{t['reference'] * 1000:.0f} ms")]
    for mode in modes:
        rows.append((f"our {mode} step", f"{t[mode] * 1000:.0f} ms: **{t['reference'] / t[mode]:.2f}x**"))
    rows += peak_rows("pix2pix", modes)
    if args.cyclegan:
        with tempfile.TemporaryDirectory() as tmp:
            rows += cyclegan_rows(args.repeats, Path(tmp))
    print("unet_256 ngf 64 + PatchGAN ndf 64, batch 1, 256x256; CycleGAN: 2 x resnet_9blocks + 2 x PatchGAN",
          file=sys.stderr)
    print("| measurement | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
