"""``pix2pix translate``, ``colorize`` and ``edges``: image files in, image files out, through :mod:`..file_batch`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import torch
from tqdm import tqdm

from ..errors import Pix2PixError
from ..file_batch import FilePlan, plan_files, run_files
from ..imaging.edges import canny, hed, xdog
from ..imaging.files import read_image
from ..imaging.palettes import PALETTES
from ..inference.colorize import check_colorization_model, colorize
from ..inference.modes import STATISTICS
from ..inference.precision import PRECISIONS
from ..inference.translate import FIT_MODES, check_options, training_scale_note, translate
from ..networks.io import DIRECTIONS
from ..training.data import ALIGNED_RATIO
from ..weights.hed import HED_REPO, load_hed
from ..weights.loader import load_generator
from .export import is_onnx, onnx_colorization, onnx_translation
from .labels import label_reader
from .video import (
    add_video_options,
    check_clip_args,
    clip_semantics,
    is_clip_run,
    per_frame,
    run_clip,
    translate_video,
)


def add_commands(sub, device, files) -> None:
    for add in (_add_translate, _add_colorize, _add_edges):
        add(sub, device, files)


def _add_translate(sub, device, files) -> None:
    tr = sub.add_parser("translate", help="translate image files and folders with a generator",
                        parents=[files(), device])
    _model_options(tr, "generator: file, folder, Hub repo (see `pix2pix info`) or an exported .onnx file (run by "
                       "ONNX Runtime)", "auto")
    tr.add_argument("--statistics", choices=(*STATISTICS, "clip"),
                    help="per_image: the reference's test-time BatchNorm (default); eval: running statistics; "
                    "clip (video): fixed for the clip, estimated over frames drawn across it")
    tr.add_argument("--direction", choices=DIRECTIONS, help="a CycleGAN checkpoint or repo: which side translates "
                    "(default AtoB; BtoA: the way back)")
    tr.add_argument("--dropout-seed", type=int, help="keep dropout on with this seed (reference stochastic output)")
    tr.add_argument("--tile-size", type=int, help="tiled mode: tile side in pixels (default 512, or 4 times the "
                    "network's multiple if larger; fewer tiles run at once when memory is short)")
    tr.add_argument("--tile-overlap", type=int, help="tiled mode: overlap between tiles in pixels (default a quarter "
                    "of the tile)")
    labels = tr.add_argument_group("label maps (pix2pixHD translators: label ids in, a picture out)")
    labels.add_argument("--instance-map", metavar="PATH", help="the instance-id map of the label map (Cityscapes' "
                        "*_instanceIds.png), or a folder of them for a folder of label maps (found by name: "
                        "labelIds -> instanceIds)")
    labels.add_argument("--label-nc", type=int, help="the translator's label count, where its weights do not record "
                        "it (label2city: 35)")
    labels.add_argument("--palette", choices=sorted(PALETTES), help="the inputs are colour drawings in this "
                        "palette (the sketch pad's), not label-id PNGs")
    labels.add_argument("--cluster-file", metavar="NPY", help="a translator trained with instance features (NVIDIA's "
                        "--instance_feat): its feature clusters (default: the features_clustered_*.npy beside its "
                        "weights); each instance gets one of its label's cluster centres")
    labels.add_argument("--feature-seed", type=int, default=0, help="which cluster centre each instance gets: another "
                        "seed, another look (default 0)")
    add_video_options(tr, temporal=True)
    tr.set_defaults(func=_translate)


def _add_colorize(sub, device, files) -> None:
    col = sub.add_parser("colorize", help="colorize image files and folders with an L -> ab model",
                         parents=[files(), device])
    _model_options(col, "colorization generator (1 -> 2 channels): file, folder, Hub repo or exported .onnx",
                   "resize")
    add_video_options(col)
    col.set_defaults(func=_colorize)


def _model_options(parser: argparse.ArgumentParser, what: str, fit: str) -> None:
    parser.add_argument("--model", required=True, help=what)
    parser.add_argument("--fit", choices=FIT_MODES, default=fit,
                        help="native (the image's size), resize (the training size square), tiled, or auto: at the "
                        "training scale when the translator records it, native when it fits in memory, else tiled "
                        f"(default {fit})")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32",
                        help="float32 (default), bfloat16, float16 or auto (what the hardware runs fast)")
    parser.add_argument("--no-weight-copy", dest="weight_copy", action="store_false",
                        help="run the weights as they are, without the faster channels_last copy a BatchNorm model "
                        "gets on the CPU (for a machine short of memory)")


def _add_edges(sub, device, files) -> None:
    edges = sub.add_parser("edges", help="edge maps of image files and folders (Canny, XDoG, HED)",
                           parents=[files("png"), device])
    edges.add_argument("--method", choices=("canny", "xdog", "hed"), default="canny",
                       help="canny (default): thin lines at intensity steps; xdog: sketch-like strokes; hed: the "
                       "learned edges of the edges2shoes dataset (downloads its weights once)")
    edges.add_argument("--low", type=float, default=0.1,
                       help="canny: low threshold, a gradient magnitude of the 0..1 image (default 0.1)")
    edges.add_argument("--high", type=float, default=0.2, help="canny: high threshold (default 0.2)")
    edges.add_argument("--sigma", type=float, help="canny/xdog: Gaussian sigma (default 1.0 / 0.8)")
    edges.add_argument("--paper-postprocess", action="store_true",
                       help="hed only: the pix2pix paper's NMS, threshold 25/255, thinning and small-component removal")
    edges.add_argument("--hed-weights", help=f"hed: local ControlNetHED.pth (default: {HED_REPO} on the Hub)")
    edges.add_argument("--black-on-white", action=argparse.BooleanOptionalAction, default=True,
                       help="black lines on white, the edges2shoes convention (default); --no-black-on-white: white "
                       "lines on black")
    add_video_options(edges)
    edges.set_defaults(func=_edges)


def _translate(args: argparse.Namespace) -> int:
    video = check_clip_args(args) if is_clip_run(args) else None
    plan = _plan(args) if video is None else None
    semantics = clip_semantics(args) if video is not None else None
    if is_onnx(args.model) and video is not None:
        raise Pix2PixError(f"{args.model} is an ONNX export: a clip is translated with the PyTorch weights (its "
                           "temporal semantics need the network itself).")
    if is_onnx(args.model):
        return _over_files(plan, "translating", onnx_translation(args))
    generator = load_generator(args.model, device=args.device, direction=args.direction)
    if generator.io.output_space == "lab_ab":
        raise Pix2PixError(f"{args.model} is a colorization model (Lab L -> ab): use `pix2pix colorize`, which "
                           "recombines its output with each image's own luminance.")
    options = {"fit": args.fit, "statistics": args.statistics or "per_image", "dropout_seed": args.dropout_seed,
               "precision": args.precision, "tile_size": args.tile_size, "tile_overlap": args.tile_overlap}
    if video is not None:  # the clip's own statistics and dropout: see inference/temporal.py
        del options["statistics"], options["dropout_seed"]
        check_options(**options)
        return translate_video(args, generator, {**options, "weight_copy": args.weight_copy}, video, semantics)
    check_options(**options)  # once, before the first image (not as a "skipped" line per image)
    options["weight_copy"] = args.weight_copy
    if generator.io.input_space == "labels":
        read = label_reader(args, generator, plan.inputs)
        return _over_files(plan, "translating", lambda maps: _translated(generator, maps, options), read=read)
    if args.instance_map or args.label_nc or args.palette or args.cluster_file:
        raise Pix2PixError(f"--instance-map, --label-nc, --palette and --cluster-file are for label-map translators "
                           "(pix2pixHD); "
                           f"{args.model} takes {generator.io.input_space} images.")
    said: set[str] = set()

    def once(kind: str, note: str | None) -> None:  # each note once per run, for the first image it applies to
        if note is not None and kind not in said:
            said.add(kind)
            tqdm.write(note, file=sys.stderr)

    def run(image: torch.Tensor) -> torch.Tensor:
        size = tuple(image.shape[-2:])
        once("pair", _pair_note(size))
        if args.fit == "auto":
            once("scale", training_scale_note(generator, size))
        return _translated(generator, image, options)

    return _over_files(plan, "translating", run)


def _pair_note(size: tuple[int, int]) -> str | None:
    """A warning, for an input shaped like an aligned A|B training pair: both halves are translated as one image."""
    height, width = size
    if not ALIGNED_RATIO[0] <= width / height <= ALIGNED_RATIO[1]:  # the ratio training reads as A|B
        return None
    return ("warning: an input is twice as wide as it is high, like an aligned A|B training pair: the whole image is "
            "translated, both halves together. To translate one side, give that half alone (crop it first).")


def _colorize(args: argparse.Namespace) -> int:
    clip = check_clip_args(args) if is_clip_run(args) else None
    plan = _plan(args) if clip is None else None
    if is_onnx(args.model):
        run_onnx = onnx_colorization(args)
        if clip is not None:
            return run_clip(args, clip, per_frame(lambda frames: torch.stack([run_onnx(f) for f in frames])),
                            "colorizing")
        return _over_files(plan, "colorizing", _with_alpha(run_onnx))
    generator = load_generator(args.model, device=args.device)
    check_colorization_model(generator)
    options = {"fit": args.fit, "precision": args.precision, "weight_copy": args.weight_copy}
    if clip is not None:
        return run_clip(args, clip, per_frame(lambda frames: colorize(generator, frames, **options)), "colorizing")

    def run(image: torch.Tensor) -> torch.Tensor:
        with _progress_within_image() as progress:
            return colorize(generator, image[None], progress=progress, **options)[0]

    return _over_files(plan, "colorizing", _with_alpha(run))


WITHIN_IMAGE_DELAY = 2.0  # seconds before the bar within one image appears: small images never show it


@contextlib.contextmanager
def _progress_within_image() -> Iterator[Callable[[int, int], None]]:
    """A second progress bar, under the files' bar, for the layers or tiles of one image that takes a while."""
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc="  this image", unit="step", leave=False, delay=WITHIN_IMAGE_DELAY,
                       file=sys.stderr, position=1)
        bar.total = total
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()


def _with_alpha(run):
    """``run`` ([C, H, W] -> RGB) with the input's alpha channel re-attached."""
    return lambda image: (torch.cat([run(image), image[3:]]) if image.shape[0] == 4 else run(image))


def _edges(args: argparse.Namespace) -> int:
    if args.paper_postprocess and args.method != "hed":
        raise Pix2PixError(f"--paper-postprocess is the paper's recipe for HED maps (thinning soft HED edges to "
                           f"one-pixel lines); {args.method} lines need none of it. Use --method hed with it, or "
                           "leave it out.")
    clip = check_clip_args(args) if is_clip_run(args) else None
    plan = _plan(args, default_format="png") if clip is None else None  # lossless maps, whatever the inputs' format
    sigma = {"sigma": args.sigma} if args.sigma else {}
    if args.method == "canny":
        detect = partial(canny, low=args.low, high=args.high, black_on_white=args.black_on_white, **sigma)
    elif args.method == "xdog":
        detect = partial(xdog, **sigma)
    else:
        net = load_hed(args.hed_weights, device=args.device)
        detect = partial(hed, net, paper_postprocess=args.paper_postprocess, black_on_white=args.black_on_white)
    if clip is not None:
        return run_clip(args, clip, per_frame(detect), f"{args.method} edges")
    return _over_files(plan, f"{args.method} edges", lambda image: detect(image[None])[0], keep_alpha=False,
                       keep_depth=False)


def _plan(args: argparse.Namespace, default_format: str = "same") -> FilePlan:
    """The outputs of this run, checked before any model is loaded."""
    return plan_files(args.inputs, args.out, args.format or default_format, overwrite=args.overwrite,
                      skip_existing=args.skip_existing)


def _translated(generator, image: torch.Tensor, options: dict) -> torch.Tensor:
    with _progress_within_image() as progress:
        return translate(generator, image[None], progress=progress, **options)[0]


def _over_files(plan: FilePlan, label: str, run, keep_alpha: bool = True, keep_depth: bool = True,
                read=read_image) -> int:
    """Run ``plan`` with a progress bar; one line for each skipped input and one for the result."""
    if plan.done:
        print(f"--skip-existing: {len(plan.done)} of {len(plan.inputs)} output(s) are already in {plan.out}",
              file=sys.stderr)
    bar = tqdm(total=len(plan.todo), desc=label, unit="image", file=sys.stderr)

    def progress(skipped: tuple[Path, str] | None) -> None:
        bar.update(1)
        if skipped is not None:
            tqdm.write(f"skipped {skipped[0]}: {skipped[1]}", file=sys.stderr)

    result = run_files(plan, run, keep_alpha=keep_alpha, keep_depth=keep_depth, progress=progress, read=read)
    bar.close()
    if result.interrupted:
        print(f"interrupted: wrote {result.written} of {len(plan.todo)} image(s) to {plan.out}; no partial file was "
              "left (rerun with --skip-existing to do the rest)", file=sys.stderr)
        return 130
    skipped = f"; skipped {len(result.skipped)}" if result.skipped else ""
    print(f"wrote {result.written} image(s) to {plan.out}{skipped}")
    return 1 if result.skipped else 0
