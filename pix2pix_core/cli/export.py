"""``pix2pix export`` (a generator as an ONNX file) and the ONNX Runtime route of ``pix2pix translate``."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch

from ..errors import Pix2PixError
from ..export.onnx_file import DEFAULT_OPSET, export_onnx, file_statistics
from ..export.runtime import OnnxTranslator, export_difference
from ..extras import install_hint
from ..inference.colorize import colorize_with
from ..inference.modes import STATISTICS
from ..networks.io import DIRECTIONS
from ..networks.norm import NO_STATISTICS
from ..weights.card import describe_statistics
from ..weights.loader import load_generator


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="generator: file, folder or Hub repo (as `pix2pix translate --model`)")
    parser.add_argument("--format", choices=("onnx",), default="onnx", help="onnx (default; the only one so far)")
    parser.add_argument("--out", type=Path, required=True, help="the .onnx file to write")
    parser.add_argument("--statistics", choices=STATISTICS, default="per_image",
                        help="per_image: each image normalised on its own, the reference's test-time BatchNorm "
                             "(default); eval: the running statistics")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})")
    parser.add_argument("--direction", choices=DIRECTIONS, help="a CycleGAN: which side (default AtoB)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file at --out")


def run_export(args: argparse.Namespace) -> int:
    generator = load_generator(args.model, direction=args.direction)
    started = time.perf_counter()
    path = export_onnx(generator, args.out, statistics=args.statistics, opset=args.opset, overwrite=args.overwrite)
    seconds = time.perf_counter() - started
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB, {seconds:.1f} s): images [B, "
          f"{generator.config.in_channels}, H, W] in 0..1, any size -> translated [B, {generator.config.out_channels}, "
          f"H, W]; {describe_statistics(file_statistics(path))}")
    if importlib.util.find_spec("onnxruntime") is None:
        print(f"not checked: onnxruntime is not installed ({install_hint('onnx')})", file=sys.stderr)
    else:
        difference, shape = export_difference(generator, path, args.statistics)
        print(f"checked in ONNX Runtime against PyTorch on {shape}: max |diff| {difference:.1e}")
    return 0


def is_onnx(model: str) -> bool:
    return str(model).lower().endswith(".onnx")


def onnx_translation(args: argparse.Namespace) -> Callable[[torch.Tensor], torch.Tensor]:
    """What ``translate --model FILE.onnx`` applies to each image; options the export fixed are refused."""
    translator = _runtime(args)
    if translator.channels == (1, 2):
        raise Pix2PixError(f"{args.model} is a colorization model (Lab L -> ab): its output is ab, not an image. "
                           "Use `pix2pix colorize`, which recombines it with each image's own luminance.")
    return lambda image: translator.translate(image[None])[0]


def onnx_colorization(args: argparse.Namespace) -> Callable[[torch.Tensor], torch.Tensor]:
    """What ``colorize --model FILE.onnx`` applies to each image (fit resize, the default, or native)."""
    translator = _runtime(args)
    if translator.channels != (1, 2):
        raise Pix2PixError(f"{args.model} maps {translator.channels[0]} -> {translator.channels[1] or '?'} "
                           "channels; colorize needs an exported colorization model (Lab L, 1 channel -> ab, 2).")
    fit = "resize" if args.fit == "resize" else "native"
    return lambda image: colorize_with(partial(translator.translate, fit=fit), image[None])[0]


def _runtime(args: argparse.Namespace) -> OnnxTranslator:
    translator = OnnxTranslator(args.model, args.device)
    given = {name: getattr(args, name, None) for name in ("fit", "dropout_seed", "tile_size", "tile_overlap",
                                                          "precision", "statistics")}
    fixed = [flag for flag, refused in (
        (f"--fit {given['fit']}", given["fit"] == "tiled"),
        ("--dropout-seed", given["dropout_seed"] is not None),
        ("--tile-size", given["tile_size"] is not None),
        ("--tile-overlap", given["tile_overlap"] is not None),
        (f"--precision {given['precision']}", given["precision"] not in (None, "float32", "auto"))) if refused]
    if fixed:
        raise Pix2PixError(f"{', '.join(fixed)}: not available with an ONNX model, which runs the whole image at "
                           "float32 as exported. Leave them out, or use the PyTorch model instead.")
    if given["statistics"] and translator.statistics not in (None, NO_STATISTICS) \
            and given["statistics"] != translator.statistics:
        raise Pix2PixError(f"{args.model} was exported with {translator.statistics} statistics, fixed in the file: "
                           f"export again with --statistics {given['statistics']}, or leave --statistics out.")
    for note in translator.notes:
        print(f"note: {note}", file=sys.stderr)
    return translator


def add_commands(sub, **_) -> None:
    export = sub.add_parser("export", help="export a generator as an ONNX file that translates any size without "
                            "PyTorch (ONNX Runtime, web, mobile, TensorRT)")
    add_export_arguments(export)
    export.set_defaults(func=run_export)
