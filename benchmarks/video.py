"""Clips: frames/s of ``pix2pix translate CLIP`` against the reference-style loop, and peak memory against the
clip's length.

    python benchmarks/video.py [--long 2000]

1. unet_256 (ngf 64, batch norm, dropout), a 256x256 pan of 48 frames (H.264, 25 fps), float32. Ours: the CLI's
   path (`translate_clip`, temporal clip, per-image statistics, batches of 8) with decoding and encoding. The
   reference-style loop, as test.py runs a clip's frames: one frame at a time, the eager forward in training mode
   (its batch-of-one BatchNorm, dropout on), with the same decoding and encoding. Both in this process, as a ratio.
2. Peak resident memory of `pix2pix translate` (a subprocess each) for 512x512 pans of 500 and ``--long`` frames
   with a narrow U-Net (ngf 8): flat in the clip's length is the claim, since frames stream in chunks.
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
from video_clips import pan_frames, panning, write_clip  # noqa: E402

import pix2pix_core as p2p  # noqa: E402
from pix2pix_core.inference.clip import translate_clip  # noqa: E402
from pix2pix_core.networks import UnetConfig, build_network, init_weights  # noqa: E402
from pix2pix_core.video.files import ClipWriter, probe, read_chunks  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", type=int, default=2000, help="frames of the long clip (default 2000)")
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
        narrow = p2p.save_pretrained(init_weights(build_network(UnetConfig(ngf=8))), folder / "narrow")
        for frames in (500, args.long):
            rss, seconds = _peak_rss(folder, frames, narrow)
            print(f"| peak RSS, `pix2pix translate` of a 512x512 clip of {frames} frames (ngf 8) | {rss:.0f} MB "
                  f"({seconds:.0f} s) |")


if __name__ == "__main__":
    main()
