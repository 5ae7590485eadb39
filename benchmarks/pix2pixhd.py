"""pix2pixHD on the CPU: label2city-sized translators against NVIDIA's eager forward of the same weights.

    python benchmarks/pix2pixhd.py [--repeats 3] [--train-only]

The network is label2city_1024p's generator (the local enhancer, ngf 32, over the global generator at ngf 64: four
downsamplings, 9 + 3 residual blocks) with random weights of the real shape, on a drawn street scene of 16 labels
and its instances (one-hot + boundaries, 36 channels). NVIDIA's forward is an independent reading of its
``models/networks.py`` (tests/nvidia_pix2pixhd.py), eager, NCHW, float32, as its test.py runs without AMP. Ours is
``translate_labels`` with ``fit="auto"`` under a 4 GiB memory budget. Times are medians, in this process,
interleaved, as wall time and as this process's CPU time (steadier on a shared machine); peak resident memory is
measured in a fresh process for each (VmHWM).

The training step: label2city_512p's networks (the global generator, ngf 64; two discriminators with intermediate
features, ndf 64) with the VGG19 loss (random weights: the same arithmetic as ImageNet's), on 256x128 label maps,
batch 1, float32: ``Pix2PixHDTrainer``'s step against an independent reading of NVIDIA's ``pix2pixHD_model.py``
forward and ``train.py`` update, from the same weights on the same batches.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import cpu_row  # noqa: E402
from nvidia_pix2pixhd import GlobalGenerator, LocalEnhancer, MultiscaleDiscriminator, Vgg19, train_step, weights_init  # noqa: E402
from street_scenes import street_scene, write_street_dataset  # noqa: E402

from pix2pix_core.imaging.labels import encode_label_map  # noqa: E402
from pix2pix_core.inference.labels import translate_labels  # noqa: E402
from pix2pix_core.networks import LocalEnhancerConfig  # noqa: E402
from pix2pix_core.training.label_data import label_map_dataset  # noqa: E402
from pix2pix_core.training.pix2pixhd import Pix2PixHDConfig, Pix2PixHDTrainer  # noqa: E402
from pix2pix_core.weights.architecture import build_and_load  # noqa: E402

SIZES = ((1024, 512), (2048, 1024))
BUDGET = 4 * 2**30


def _networks():
    torch.manual_seed(0)
    theirs = LocalEnhancer(36, 3, ngf=32, n_down=4, n_blocks_global=9, n_local=1, n_blocks_local=3)
    theirs = theirs.apply(weights_init).eval()
    return theirs, build_and_load(LocalEnhancerConfig(), theirs.state_dict(), "label2city-sized").eval()


def _run(which: str, width: int, height: int) -> None:
    """One translation in this (fresh) process, for its peak memory."""
    theirs, ours = _networks()
    labels, instances = street_scene(width, height)
    with torch.inference_mode():
        if which == "nvidia":
            theirs(encode_label_map(labels, 35, instances))
        else:
            translate_labels(ours, labels, instances, fit="auto", memory_budget=BUDGET)


def _timed(run) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``run()``: CPU time leaves out what a shared machine's
    other tenants take, which moves wall times by 10-20% from one run to the next on these VMs."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def _peak_rss(which: str, width: int, height: int) -> float:
    code = ("import re, sys; sys.path.insert(0, sys.argv[1]); import pix2pixhd; "
            "pix2pixhd._run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])); "
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "benchmarks"), which, str(width), str(height)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return int(done.stdout.strip().splitlines()[-1]) / 2**20


def _training_step_row(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = Pix2PixHDConfig(vgg="random", load_size=256, label_nc=34, checkpoint_every=10**6)
        data = label_map_dataset(write_street_dataset(Path(folder) / "streets", 2, 512, 256), config)
        ours = Pix2PixHDTrainer(config, data, Path(folder) / "run", resume=False)
        ours._prepare_run()
        g, d = GlobalGenerator(35, 3), MultiscaleDiscriminator(38, interm=True, num_D=2)
        vgg = Vgg19()
        for theirs, mine in ((g, ours.generator), (d, ours.discriminator), (vgg, ours.vgg_loss.vgg)):
            theirs.load_state_dict(mine.state_dict())
        adam = {"lr": 2e-4, "betas": (0.5, 0.999)}
        opt_g, opt_d = torch.optim.Adam(g.parameters(), **adam), torch.optim.Adam(d.parameters(), **adam)
        nvidia, mine = [], []
        for labels, photos in itertools.islice(itertools.cycle(list(itertools.islice(ours._loader(), 2))),
                                               repeats + 1):
            started = time.perf_counter()
            train_step(g, d, vgg, opt_g, opt_d, labels, photos, n_layers_d=3, num_d=2)
            nvidia.append(time.perf_counter() - started)
            started = time.perf_counter()
            ours._step(labels, photos)
            mine.append(time.perf_counter() - started)
        a, b = statistics.median(nvidia[1:]), statistics.median(mine[1:])  # the first step warms up
        print(f"| training step, 256x128, label2city_512p networks + VGG19: NVIDIA {a:.2f} s, ours {b:.2f} s | "
              f"**{a / b:.2f}x** |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-only", action="store_true", help="only the training step")
    args = parser.parse_args()
    label, features = cpu_row()
    print(f"| {label} | {features} |\n| --- | --- |")
    _training_step_row(max(args.repeats, 5))
    if args.train_only:
        return
    theirs, ours = _networks()
    for width, height in SIZES:
        labels, instances = street_scene(width, height)
        encoded = encode_label_map(labels, 35, instances)
        nvidia, mine = [], []
        with torch.inference_mode():
            theirs(encoded[..., :64, :64])
            translate_labels(ours, labels[..., :64, :64], instances[..., :64, :64], fit="native")
            for _ in range(args.repeats):
                nvidia.append(_timed(lambda x=encoded: theirs(x)))
                mine.append(_timed(lambda ids=labels, inst=instances: translate_labels(ours, ids, inst, fit="auto",
                                                                                      memory_budget=BUDGET)))
        for clock, unit in enumerate(("s", "CPU s")):
            a, b = statistics.median(t[clock] for t in nvidia), statistics.median(t[clock] for t in mine)
            print(f"| {width}x{height}: NVIDIA eager {a:.1f} {unit}, ours {b:.1f} {unit} | **{a / b:.2f}x** |")
        print(f"| {width}x{height}: peak RSS NVIDIA eager {_peak_rss('nvidia', width, height):.2f} GiB, ours "
              f"(budget {BUDGET / 2**30:.0f} GiB) {_peak_rss('ours', width, height):.2f} GiB | |")


if __name__ == "__main__":
    main()
