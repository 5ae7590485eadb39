"""``pix2pix eval``: paired metrics of a generator on a test split, or a CycleGAN's cycle reconstruction."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from ..atomic import atomic_write_text
from ..errors import Pix2PixError
from ..inference.modes import STATISTICS
from ..networks.io import DIRECTIONS
from ..training.evaluate import cycle_metrics, evaluate
from ..training.label_data import LabelMapDataset, evaluation_dataset
from ..training.pix2pix import Pix2PixConfig
from ..training.presets import PAIRED_PRESETS, build_dataset, kind_for_model
from ..training.unpaired import unpaired_domains
from ..video.flicker import clip_warping_errors
from ..weights.loader import load_generator
from .train import add_hub_data_arguments, data_source


def add_commands(sub, device, **_) -> None:
    ev = sub.add_parser("eval", help="L1, PSNR and SSIM of a generator on a paired test split; --flicker: how much "
                        "a translated clip flickers", parents=[device])
    ev.add_argument("--model", help="generator: file, folder or Hub repo")
    ev.add_argument("--data", help="test pairs (same layouts as `pix2pix train`), or a Hub dataset org/name")
    ev.add_argument("--flicker", nargs=2, metavar=("INPUT_CLIP", "OUTPUT_CLIP"), help="instead: the warping error "
                    "(Lai et al. 2018) of OUTPUT_CLIP, a translation of INPUT_CLIP, beside INPUT_CLIP's own")
    add_hub_data_arguments(ev, "test")
    ev.add_argument("--preset", choices=PAIRED_PRESETS, help="how pairs are made (default: from the model's io "
                    "contract: Lab pairs for a colorizer, Canny pairs for an edges model, else the folder's layout)")
    ev.add_argument("--direction", choices=DIRECTIONS, default=None, help="default: the model's")
    ev.add_argument("--statistics", choices=STATISTICS, default="per_image",
                    help="per_image: the reference's test-time BatchNorm (default); eval: running statistics")
    ev.add_argument("--json", nargs="?", const=True, metavar="FILE",
                    help="print the metrics as JSON instead of a table (as `pix2pix info --json`); the old "
                    "`--json FILE` still writes FILE, as --out does")
    ev.add_argument("--out", type=Path, help="also write the metrics, with where they were measured, to this JSON file")
    ev.set_defaults(func=_eval)


def _label_dataset(args: argparse.Namespace, source, generator) -> LabelMapDataset:
    """A label-map translator's test data: NVIDIA's folder layout (test_label/, test_img/, test_inst/)."""
    if args.preset or args.direction:
        raise Pix2PixError("--preset and --direction are for image translators; a label-map translator is measured "
                           "on label maps and their photos (test_label/ + test_img/).")
    if not isinstance(source, Path):
        raise Pix2PixError("a label-map translator is measured on a folder of label maps (test_label/, test_img/, "
                           "test_inst/), not on a Hub dataset.")
    dataset = evaluation_dataset(source, generator)
    print(f"data: {args.data}: {dataset.describe()}", file=sys.stderr)
    return dataset


def _eval(args: argparse.Namespace) -> int:
    if isinstance(args.json, str):  # the old spelling of --out FILE
        print(f"note: --json FILE is the old spelling of --out FILE; it still works, but use --out {args.json} "
              "(--json alone prints the metrics as JSON)", file=sys.stderr)
        args.out, args.json = args.out or Path(args.json), False
    if args.out is not None and args.out.is_dir():
        raise Pix2PixError(f"--out {args.out} is a folder: give the path of the JSON file to write.")
    if args.flicker:
        if args.model or args.data:
            raise Pix2PixError("--flicker compares two clips: leave --model and --data out.")
        measured = _flicker(*args.flicker)
        return _report({"input": args.flicker[0], "output": args.flicker[1], **measured}, args, measured)
    if not (args.model and args.data):
        raise Pix2PixError("eval needs --model and --data (or --flicker INPUT_CLIP OUTPUT_CLIP).")
    source = data_source(args.data, args, "test")
    domains = unpaired_domains(source) if isinstance(source, Path) else None
    if domains is not None:  # no target exists for an unpaired image: the cycle reconstruction is the measure
        if args.preset:
            raise Pix2PixError(f"{args.data} holds unpaired domains ({domains[0].name}/, {domains[1].name}/): no "
                               "paired metric exists for them, so --preset does not apply. Leave it out to measure "
                               "the cycle reconstruction of a CycleGAN checkpoint.")
        a_to_b, b_to_a = (load_generator(args.model, device=args.device, direction=d) for d in DIRECTIONS)
        metrics = cycle_metrics(a_to_b, b_to_a, *domains, args.statistics)
    else:
        generator = load_generator(args.model, device=args.device)
        if generator.io.input_space == "labels":
            dataset = _label_dataset(args, source, generator)
        else:
            kind, overrides = kind_for_model(generator.io, args.preset)
            direction = args.direction or overrides.get("direction") or generator.io.direction
            dataset = build_dataset(source, kind, Pix2PixConfig(direction=direction), jitter=False)
            print(f"data: {args.data}: {dataset.describe()}; the model translates {direction} "
                  f"({generator.io.input_space} -> {generator.io.output_space})", file=sys.stderr)
        with tqdm(total=len(dataset), desc="evaluating", unit="pair", file=sys.stderr) as bar:
            metrics = evaluate(generator, dataset, args.statistics, progress=lambda done, _: bar.update(done - bar.n))
    record = {"model": str(args.model), "data": str(args.data),
              **(dataset.provenance if domains is None else {}), **metrics}
    return _report(record, args, metrics)


def _flicker(input_clip: str, output_clip: str) -> dict:
    print(f"measuring the warping error of {output_clip} against {input_clip}'s motion", file=sys.stderr)
    return clip_warping_errors(input_clip, output_clip)


def _report(record: dict, args: argparse.Namespace, metrics: dict | None = None) -> int:
    """The metrics as a table or JSON, and the whole record to --out."""
    metrics = record if metrics is None else metrics
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        print("| metric | value |\n| --- | --- |")
        for name, value in metrics.items():
            print(f"| {name} | {value:.4f} |" if isinstance(value, float) else f"| {name} | {value} |")
    if args.out:
        atomic_write_text(args.out, json.dumps(record, indent=2) + "\n")
    return 0
