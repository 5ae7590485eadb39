"""``pix2pix demo``: a real pretrained translator on a real photo, then train-then-translate in about a minute.

1. The translator is the MIT-licensed CycleGAN-style ResNet shipped by the ``vintagify`` package on PyPI
   (modern photo -> vintage look, trained at 512 px). Its layout differs from the reference (affine InstanceNorm,
   blocks named ``block``); it loads through the same architecture inference as every other checkpoint.
   The photo is NASA's portrait of astronaut Eileen Collins (public domain), embedded in this package.
2. A small colorizer is trained for a time budget on pairs derived from three embedded photos (public domain /
   CC0), then colorizes a held-out one; the grid shows gray input | colorized | original.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from tqdm import tqdm

from ..examples import HELD_OUT_PHOTO, TRAIN_PHOTOS, asset, default_photo, vintagify_weights
from ..imaging.files import load_image, side_by_side
from ..imaging.lab import lab_to_rgb, rgb_to_lab
from ..inference.colorize import colorize
from ..inference.translate import translate
from ..training.data import DerivedPairDataset, Jitter
from ..training.pix2pix import Pix2PixConfig, Pix2PixTrainer, TrainCallbacks
from ..weights.directory import CHECKPOINT_DIR
from ..weights.loader import load_generator


def add_commands(sub, **_) -> None:
    demo = sub.add_parser("demo", help="translate a real photo with a real pretrained translator")
    demo.add_argument("--out", type=Path, default=Path("pix2pix_demo.png"), help="before/after PNG to write")
    demo.add_argument("--image", type=Path, help="photo to translate (default: an embedded photo)")
    demo.add_argument("--weights", type=Path, help="generator weights (default: the vintagify translator)")
    demo.add_argument("--train-steps", type=int, default=DEMO_STEPS,
                      help=f"and at most this many steps (default {DEMO_STEPS}: the time budget ends the run first)")
    demo.add_argument("--train-seconds", type=float, default=60.0,
                      help="then train a small colorizer for this long and colorize a held-out photo (0: skip)")
    demo.add_argument("--train-out", type=Path, default=Path("pix2pix_demo_train.png"),
                      help="grid of the training part: gray input | colorized | original")
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    run_demo(args.out, args.image, args.weights)
    if args.train_seconds > 0:
        run_training_demo(args.train_out, args.train_seconds, steps=args.train_steps)
    return 0


DEMO_STEPS = 2000


def run_demo(out: Path, image: Path | None = None, weights: Path | None = None) -> Path:
    """Translate ``image`` (default: the embedded photo) and write ``[before | after]`` to ``out``."""
    weights = weights or vintagify_weights()
    image = image or default_photo()
    started = time.perf_counter()
    generator = load_generator(weights)
    generator.io = replace(generator.io, train_size=512)
    config = generator.config
    print(f"translator: {weights.name} -> {config.architecture} ngf={config.ngf} blocks={config.n_blocks} "
          f"norm={config.norm} (affine={config.norm_affine}), block name '{config.block_name}'")
    photo = load_image(image)
    result = translate(generator, photo[None])[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    side_by_side([photo, result]).save(out)
    print(f"photo: {image.name} {photo.shape[2]}x{photo.shape[1]} -> wrote {out} "
          f"(before | after) in {time.perf_counter() - started:.1f}s")
    return out


def run_training_demo(out: Path, seconds: float = 60.0, device: str = "cpu", steps: int = DEMO_STEPS) -> Path:
    """Train a small colorizer for ``seconds`` on pairs derived from the embedded photos, colorize a held-out
    photo, write ``[gray input | colorized | original]`` to ``out`` and print the colour error of the result
    against the gray baseline (ab = 0)."""
    with tempfile.TemporaryDirectory() as tmp:
        photos = Path(tmp) / "photos"
        photos.mkdir()
        for name in TRAIN_PHOTOS:
            shutil.copyfile(asset(name), photos / name)
        # the schedule is what fits a minute on 2 cores; the time budget ends the run
        config = Pix2PixConfig(steps=steps, decay_steps=0, batch_size=4, ngf=32, ndf=32, num_downs=7,
                             crop_size=128, load_size=160, sample_every=DEMO_STEPS, checkpoint_every=DEMO_STEPS,
                             dataset="demo photos", input_space="lab_l", output_space="lab_ab", seed=0)
        dataset = DerivedPairDataset(photos, "colorize", jitter=Jitter(160, 128), seed=0)
        print(f"training a colorizer for {seconds:.0f} s on {dataset.describe()}", file=sys.stderr)
        bar = tqdm(desc="training", unit="step", file=sys.stderr)

        def progress(step: int, total: int, losses: dict[str, float]) -> None:
            bar.update(1)
            bar.set_postfix(l1=f"{losses['l1']:.3f}", refresh=False)

        started = time.perf_counter()
        result = Pix2PixTrainer(config, dataset, Path(tmp) / "run", device, TrainCallbacks(progress=progress),
                         resume=False).run(time_budget=seconds)
        bar.close()
        generator = load_generator(Path(tmp) / "run" / CHECKPOINT_DIR, device=device)
    photo = load_image(asset(HELD_OUT_PHOTO))
    gray = lab_to_rgb(torch.cat([rgb_to_lab(photo)[:1], torch.zeros_like(photo[:2])]))  # the gray baseline: ab = 0
    colorized = colorize(generator, gray[None])[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    side_by_side([gray, colorized, photo]).save(out)
    model_error, gray_error = ab_error(colorized, photo), ab_error(gray, photo)
    print(f"trained {result.steps_done} steps in {time.perf_counter() - started:.0f}s on {len(TRAIN_PHOTOS)} photos; "
          f"wrote {out} (gray input | colorized | original of the held-out {HELD_OUT_PHOTO}); mean ab error "
          f"{model_error:.2f} against {gray_error:.2f} for the gray baseline (ab = 0), in Lab units")
    return out


def ab_error(rgb: torch.Tensor, reference: torch.Tensor) -> float:
    """Mean Euclidean distance in the Lab ab plane between two ``[3, H, W]`` RGB images (Lab units)."""
    difference = rgb_to_lab(rgb)[1:] - rgb_to_lab(reference)[1:]
    return difference.norm(dim=0).mean().item()
