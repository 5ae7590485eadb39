"""Clips: frames/s of ``pix2pix translate CLIP`` against the reference-style loop, and peak memory against the
clip's length.

    python benchmarks/video.py [--long 2000]

1. unet_256 (ngf 64, batch norm, dropout), a 256x256 pan of 48 frames (H.264, 25 fps), float32. Ours: the CLI's
   path (`translate_clip`, temporal clip, per-image statistics, batches of 8) with decoding and encoding. The
   reference-style loop, as test.py runs a clip's frames: one frame at a time, the eager forward in training mode
   (its batch-of-one BatchNorm, dropout on), with the same decoding and encoding. Both in this process, as a ratio.
2. Flicker: the warping error (Lai et al., ECCV 2018; `pix2pix eval --flicker`) of a gray -> colour U-Net with
   dropout (ngf 16, RGB in and out), trained here for ``--train-steps`` steps on windows of three embedded photos,
   translating a pan across a fourth: ``frame`` (the reference: fresh dropout per frame), ``clip`` (one mask),
   ``clip`` with statistics fixed over the clip, and ``clip`` + ``--stabilize``, each beside the input's own
   warping error, with the frames/s of each (the cost of the flow-guided smoothing).
3. Peak resident memory of `pix2pix translate` (a subprocess each) for 512x512 pans of 500 and ``--long`` frames
   with a narrow U-Net (ngf 8): flat in the clip's length is the claim, since frames stream in chunks; and of 200
   frames with unet_256 itself (ngf 64), the level a real translator needs.
"""

from __future__ import annotations

import argparse
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
from video_clips import as_tensor, pan_frames, panning, write_clip  # noqa: E402

import pix2pix_core as p2p  # noqa: E402
from pix2pix_core.inference.clip import clip_statistics, translate_clip  # noqa: E402
from pix2pix_core.networks import UnetConfig, build_network, init_weights  # noqa: E402
from pix2pix_core.training.data import TensorPairDataset  # noqa: E402
from pix2pix_core.training.pix2pix import Pix2PixConfig, Pix2PixTrainer  # noqa: E402
from pix2pix_core.video.files import ClipWriter, probe, read_chunks  # noqa: E402
from pix2pix_core.video.flicker import warping_errors  # noqa: E402
from pix2pix_core.video.stabilize import stabilized  # noqa: E402

STABILIZE = (0.5, 0.8)


def _ours(generator, source: Path, target: Path) -> float:
    started = time.perf_counter()
    writer = ClipWriter(probe(source), target)
    with writer.open():
        for chunk in translate_clip(generator, read_chunks(source, 16), temporal="clip", fit="native"):
            writer.write(chunk)
    return writer.written / (time.perf_counter() - started)


def _reference_loop(generator, source: Path, target: Path) -> float:
    started = time.perf_counter()
    writer = ClipWriter(probe(source), target)
    generator.train()  # test.py never calls eval(): batch-of-one BatchNorm, dropout on
    with writer.open(), torch.no_grad():
        for chunk in read_chunks(source, 1):
            writer.write((generator(chunk * 2 - 1) + 1) / 2)
    generator.eval()
    return writer.written / (time.perf_counter() - started)


def _peak_rss(folder: Path, frames: int, model: Path) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one `pix2pix translate` of a 512x512 pan of ``frames`` frames."""
    source = write_clip(folder / f"pan{frames}.mp4", panning(frames, 512, 512, step=1), audio=True)
    # VmHWM: this process's own peak (ru_maxrss would carry the parent's over fork and exec on Linux)
    code = ("import re, sys; from pix2pix_core.cli import main; code = main(sys.argv[1:]); "
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]); sys.exit(code)")
    started = time.perf_counter()
    command = ["translate", str(source), "--out", str(folder / f"out{frames}.mp4"), "--model", str(model),
               "--fit", "native"]
    done = subprocess.run([sys.executable, "-c", code, *command], capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024, time.perf_counter() - started


def _gray_to_color_unet(folder: Path, steps: int):
    """gray -> colour (RGB in, RGB out), ngf 16 with dropout, trained on 128x128 windows of astronaut, coffee and
    rocket."""
    windows = torch.cat([as_tensor(pan_frames(24, 128, 128, step=9, zoom=0.01, photo=name))
                         for name in ("astronaut.jpg", "coffee.jpg", "rocket.jpg")])
    grays = _gray(windows)
    config = Pix2PixConfig(steps=steps, ngf=16, num_downs=7, load_size=142, crop_size=128, checkpoint_every=10**6,
                           sample_every=10**6)
    started = time.perf_counter()
    result = Pix2PixTrainer(config, TensorPairDataset(grays, windows), folder / "sketch_run", resume=False).run()
    print(f"| flicker model: gray -> colour U-Net (ngf 16, dropout), {result.steps_done} steps | "
          f"{time.perf_counter() - started:.0f} s |")
    return result.generator.eval()


def _gray(images: torch.Tensor) -> torch.Tensor:
    luma = (images * torch.tensor([0.299, 0.587, 0.114])[:, None, None]).sum(1, keepdim=True)
    return luma.expand(-1, 3, -1, -1).contiguous()


def _flicker_rows(generator) -> None:
    colour = as_tensor(pan_frames(48, 192, 128, step=3))  # chelsea: not among the training photos
    pan = _gray(colour)
    error, own = warping_errors([pan], [colour])
    print(f"| warping error of the true colours (a perfect translator) | {error:.4f} = {error / own:.2f}x the "
          f"input's {own:.4f} |")
    runs = {"frame (the reference: fresh dropout per frame)": ({"temporal": "frame"}, 0.0),
            "clip (one dropout mask)": ({"temporal": "clip"}, 0.0),
            "clip, statistics fixed over the clip": (
                {"temporal": "clip", "statistics": "clip",
                 "fixed": clip_statistics(generator, pan[::3], dropout_seed=0, fit="native")}, 0.0),
            "dropout off, statistics fixed (no noise at all: the network's own floor)": (
                {"temporal": "clip", "statistics": "clip", "dropout_seed": None,
                 "fixed": clip_statistics(generator, pan[::3], dropout_seed=None, fit="native")}, 0.0),
            **{f"clip + --stabilize {strength}": ({"temporal": "clip"}, strength) for strength in STABILIZE}}
    for label, (semantics, strength) in runs.items():
        started = time.perf_counter()
        chunks = [pan[i:i + 16] for i in range(0, len(pan), 16)]
        frames = torch.cat(list(stabilized(chunks, lambda c, s=semantics: translate_clip(
            generator, c, **{"dropout_seed": 0, "fit": "native", **s}), strength)))
        rate = len(pan) / (time.perf_counter() - started)
        error, own = warping_errors([pan], [frames])
        print(f"| warping error, {label} | {error:.4f} = **{error / own:.2f}x** the input's {own:.4f} "
              f"({rate:.1f} frames/s at 192x128) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", type=int, default=2000, help="frames of the long clip (default 2000)")
    parser.add_argument("--train-steps", type=int, default=600, help="training steps of the flicker model "
                        "(default 600)")
    args = parser.parse_args()
    label, features = cpu_row()
    print(f"| {label} | {features} |\n| --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        torch.manual_seed(0)
        generator = init_weights(build_network(UnetConfig()))
        source = write_clip(folder / "pan256.mp4", pan_frames(48, 256, 256, step=2), audio=False)
        _ours(generator, source, folder / "warm.mp4")  # first-call costs (weight copy, kernels) out of the figure
        ours = _ours(generator, source, folder / "ours.mp4")
        reference = _reference_loop(generator, source, folder / "reference.mp4")
        print(f"| unet_256 at 256x256, 48 frames, decode + translate + encode: ours | {ours:.1f} frames/s |")
        print(f"| the reference-style loop (one frame at a time, eager, train mode) | {reference:.1f} frames/s |")
        print(f"| ours / reference | **{ours / reference:.2f}x** |")
        _flicker_rows(_gray_to_color_unet(folder, args.train_steps))
        narrow = p2p.save_pretrained(init_weights(build_network(UnetConfig(ngf=8))), folder / "narrow")
        full = p2p.save_pretrained(generator, folder / "unet_256")
        for model, width, frames in ((narrow, 8, 500), (narrow, 8, args.long), (full, 64, 200)):
            rss, seconds = _peak_rss(folder, frames, model)
            print(f"| peak RSS, `pix2pix translate` of a 512x512 clip of {frames} frames (ngf {width}) | "
                  f"{rss:.0f} MB ({seconds:.0f} s) |")


if __name__ == "__main__":
    main()
