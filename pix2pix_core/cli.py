"""The ``pix2pix`` command line (also ``python -m pix2pix_core``)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import torch
from tqdm import tqdm

from .atomic import atomic_write_text
from .cli_export import add_export_arguments, is_onnx, onnx_colorization, onnx_translation, run_export
from .cli_train import add_hub_data_arguments, add_train_arguments, data_source, run_training
from .demo import run_demo, run_training_demo
from .devices import check_device
from .errors import InputError, Pix2PixError, WrongRole
from .export.onnx_file import list_exports_in_card
from .imaging.edges import HED_REPO, canny, hed, load_hed, xdog
from .imaging.files import find_images, read_image, save_image
from .inference.colorize import check_colorization_model, colorize
from .inference.modes import STATISTICS
from .inference.precision import PRECISIONS
from .inference.translate import FIT_MODES, check_options, training_scale_note, translate
from .output_manifest import OutputManifest
from .training.evaluate import cycle_metrics, evaluate
from .training.presets import PAIRED_PRESETS, build_dataset, kind_for_model
from .training.trainer import TrainConfig
from .training.unpaired import unpaired_domains
from .weights.card import UNKNOWN_LICENSE
from .weights.catalogue import CATALOGUE, CATALOGUE_VERSION, DATASETS, train_command
from .weights.directory import model_config_of, save_pretrained
from .weights.hub import push_to_hub
from .weights.loader import load_discriminator, load_generator, load_translator
from .weights.reference import reference_names, save_reference

OUTPUT_FORMATS = {"same": (None, None), "png": ("PNG", ".png"), "jpeg": ("JPEG", ".jpg"), "webp": ("WEBP", ".webp"),
                  "tiff": ("TIFF", ".tif")}


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = _one_line_warning
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except Pix2PixError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before any file was written (the file loops and training stop on their own)
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a folder that cannot be written, a full disk, ...: the path and the reason
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}. Check the path, its permissions and the free space.",
              file=sys.stderr)
        return 2


def _device(text: str) -> str:
    """argparse type for --device: refused at once, as a usage error, when this machine has no such device."""
    try:
        check_device(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pix2pix", description="pix2pix image-to-image translation.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    device, files = _device_options(), _file_options()
    for add in (_add_demo, _add_info, _add_translate, _add_colorize, _add_edges, _add_train, _add_eval, _add_push,
                _add_models, _add_convert, _add_export):
        add(sub, device=device, files=files)
    return parser


def _device_options() -> argparse.ArgumentParser:
    """--device, shared by every command that computes (checked at once: a typo or a missing GPU is a usage error)."""
    options = argparse.ArgumentParser(add_help=False)
    default = "cuda" if torch.cuda.is_available() else "cpu"
    options.add_argument("--device", default=default, type=_device,
                         help=f"cpu, cuda, cuda:1, mps (default {default}; torchrun: one per process)")
    return options


def _file_options() -> argparse.ArgumentParser:
    """Inputs, --out and --format of the commands that turn image files into image files."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("inputs", nargs="+", help="image files and folders (folders are searched recursively)")
    options.add_argument("--out", type=Path, required=True, help="output folder (same names and sizes; an input "
                         "folder's tree is mirrored)")
    options.add_argument("--format", choices=sorted(OUTPUT_FORMATS),
                         help="output file format (same: each input's own; edges: png); 16-bit inputs stay 16-bit in "
                              "png and tiff")
    options.add_argument("--overwrite", action="store_true", help="replace files in --out that this command did not "
                         "write (by default only its own earlier outputs are replaced, and any other file is refused)")
    return options


def _add_demo(sub, **_) -> None:
    demo = sub.add_parser("demo", help="translate a real photo with a real pretrained translator")
    demo.add_argument("--out", type=Path, default=Path("pix2pix_demo.png"), help="before/after PNG to write")
    demo.add_argument("--image", type=Path, help="photo to translate (default: an embedded photo)")
    demo.add_argument("--weights", type=Path, help="generator weights (default: the vintagify translator)")
    demo.add_argument("--train-seconds", type=float, default=60.0,
                      help="then train a small colorizer for this long and colorize a held-out photo (0: skip)")
    demo.add_argument("--train-out", type=Path, default=Path("pix2pix_demo_train.png"),
                      help="grid of the training part: gray input | colorized | original")
    demo.set_defaults(func=_demo)


def _add_info(sub, **_) -> None:
    info = sub.add_parser("info", help="print a checkpoint's architecture and parameter count")
    info.add_argument("checkpoint", help="file or directory")
    info.add_argument("--json", action="store_true", help="print config.json instead of a summary")
    info.set_defaults(func=_info)


def _add_translate(sub, device, files) -> None:
    tr = sub.add_parser("translate", help="translate image files and folders with a generator",
                        parents=[files, device])
    _model_options(tr, "generator: file, folder, Hub repo (see `pix2pix info`) or an exported .onnx file (run by "
                       "ONNX Runtime)", "auto")
    tr.add_argument("--statistics", choices=STATISTICS,
                    help="per_image: the reference's test-time BatchNorm (default); eval: running statistics")
    tr.add_argument("--dropout-seed", type=int, help="keep dropout on with this seed (reference stochastic output)")
    tr.add_argument("--tile-size", type=int, help="tiled mode: tile side in pixels")
    tr.add_argument("--tile-overlap", type=int, help="tiled mode: overlap between tiles in pixels")
    tr.set_defaults(func=_translate)


def _add_colorize(sub, device, files) -> None:
    col = sub.add_parser("colorize", help="colorize image files and folders with an L -> ab model",
                         parents=[files, device])
    _model_options(col, "colorization generator (1 -> 2 channels): file, folder, Hub repo or exported .onnx",
                   "resize")
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
                           parents=[files, device])
    edges.add_argument("--method", choices=("canny", "xdog", "hed"), default="canny")
    edges.add_argument("--low", type=float, default=0.1, help="canny: low threshold (gradient magnitude, 0..1)")
    edges.add_argument("--high", type=float, default=0.2, help="canny: high threshold (0..1)")
    edges.add_argument("--sigma", type=float, help="canny/xdog: Gaussian sigma (default 1.0 / 0.8)")
    edges.add_argument("--paper-postprocess", action="store_true",
                       help="hed only: the pix2pix paper's NMS, threshold 25/255, thinning and small-component removal")
    edges.add_argument("--hed-weights", help=f"hed: local ControlNetHED.pth (default: {HED_REPO} on the Hub)")
    edges.add_argument("--black-on-white", action=argparse.BooleanOptionalAction, default=True,
                       help="black lines on white, the edges2shoes convention (default); --no-black-on-white: white "
                       "lines on black")
    edges.set_defaults(func=_edges)


def _add_train(sub, device, **_) -> None:
    train = sub.add_parser("train", help="train a translator on paired images (paper defaults)", parents=[device],
                           description="Train a pix2pix translator. Defaults are the paper's (U-Net 256, 70x70 "
                           "PatchGAN, batch 1, Adam 2e-4 / 0.5, L1 weight 100).")
    add_train_arguments(train)
    train.set_defaults(func=run_training)


def _add_eval(sub, device, **_) -> None:
    ev = sub.add_parser("eval", help="L1, PSNR and SSIM of a generator on a paired test split", parents=[device])
    ev.add_argument("--model", required=True, help="generator: file, folder or Hub repo")
    ev.add_argument("--data", required=True, help="test pairs (same layouts as `pix2pix train`), or a Hub dataset "
                    "org/name")
    add_hub_data_arguments(ev, "test")
    ev.add_argument("--preset", choices=PAIRED_PRESETS, help="how pairs are made (default: from the model's io "
                    "contract: Lab pairs for a colorizer, Canny pairs for an edges model, else the folder's layout)")
    ev.add_argument("--direction", choices=("AtoB", "BtoA"), default=None, help="default: the model's")
    ev.add_argument("--statistics", choices=STATISTICS, default="per_image")
    ev.add_argument("--json", type=Path, help="also write the metrics to this JSON file")
    ev.set_defaults(func=_eval)


def _add_push(sub, **_) -> None:
    push = sub.add_parser("push", help="publish a saved translator directory to the Hugging Face Hub")
    push.add_argument("directory", type=Path, help="a directory written by `pix2pix convert` or training")
    push.add_argument("repo_id", help="org/name on the Hub")
    push.add_argument("--private", action="store_true", help="create the repo private")
    push.add_argument("--token", help="Hub token with write access (default: HF_TOKEN or the saved login)")
    push.add_argument("--license", default=UNKNOWN_LICENSE, help="licence of the weights for the card (default: "
                      "unknown, said so in the card)")
    push.set_defaults(func=_push)


def _add_models(sub, **_) -> None:
    sub.add_parser("models", help="list known pretrained translators on the Hub").set_defaults(func=_models)


def _add_convert(sub, **_) -> None:
    convert = sub.add_parser("convert", help="write a checkpoint as config.json + model.safetensors + README.md")
    convert.add_argument("checkpoint", help="generator file or directory (official .pth, .bin, .safetensors)")
    convert.add_argument("--out", type=Path, required=True, help="directory to write")
    convert.add_argument("--discriminator", help="also convert this discriminator checkpoint")
    convert.add_argument("--to", choices=("ours", "reference"), default="ours",
                         help="ours: config.json + model.safetensors + card (default); reference: latest_net_G.pth "
                              "(+ latest_net_D.pth) for the reference implementation's code")
    convert.add_argument("--overwrite", action="store_true", help="replace a translator already in --out (never "
                         "other files)")
    convert.add_argument("--license", default=UNKNOWN_LICENSE, help="licence of the weights as a Hub identifier "
                         "(mit, apache-2.0, cc-by-nc-4.0, ...); third-party weights keep their own (default: unknown, "
                         "said so in the card)")
    convert.set_defaults(func=_convert)


def _add_export(sub, **_) -> None:
    export = sub.add_parser("export", help="export a generator as an ONNX file that translates any size without "
                            "PyTorch (ONNX Runtime, web, mobile, TensorRT)")
    add_export_arguments(export)
    export.set_defaults(func=run_export)


def _demo(args: argparse.Namespace) -> int:
    run_demo(args.out, args.image, args.weights)
    if args.train_seconds > 0:
        run_training_demo(args.train_out, args.train_seconds)
    return 0


def _translate(args: argparse.Namespace) -> int:
    if is_onnx(args.model):
        return _over_files(args, "translating", onnx_translation(args))
    generator = load_generator(args.model, device=args.device)
    if generator.io.output_space == "lab_ab":
        raise Pix2PixError(f"{args.model} is a colorization model (Lab L -> ab): use `pix2pix colorize`, which "
                           "recombines its output with each image's own luminance.")
    options = {"fit": args.fit, "statistics": args.statistics or "per_image", "dropout_seed": args.dropout_seed,
               "precision": args.precision, "tile_size": args.tile_size, "tile_overlap": args.tile_overlap}
    check_options(**options)  # once, before the first image (not as a "skipped" line per image)
    options["weight_copy"] = args.weight_copy
    noted = False

    def run(image: torch.Tensor) -> torch.Tensor:
        nonlocal noted
        note = training_scale_note(generator, tuple(image.shape[-2:])) if args.fit == "auto" and not noted else None
        if note is not None:  # once per run, for the first image it applies to
            noted = True
            tqdm.write(note, file=sys.stderr)
        with _progress_within_image() as progress:
            return translate(generator, image[None], progress=progress, **options)[0]

    return _over_files(args, "translating", run)


def _colorize(args: argparse.Namespace) -> int:
    if is_onnx(args.model):
        return _over_files(args, "colorizing", _with_alpha(onnx_colorization(args)))
    generator = load_generator(args.model, device=args.device)
    check_colorization_model(generator)
    options = {"fit": args.fit, "precision": args.precision, "weight_copy": args.weight_copy}

    def run(image: torch.Tensor) -> torch.Tensor:
        with _progress_within_image() as progress:
            return colorize(generator, image[None], progress=progress, **options)[0]

    return _over_files(args, "colorizing", _with_alpha(run))


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
    sigma = {"sigma": args.sigma} if args.sigma else {}
    if args.method == "canny":
        detect = partial(canny, low=args.low, high=args.high, black_on_white=args.black_on_white, **sigma)
    elif args.method == "xdog":
        detect = partial(xdog, **sigma)
    else:
        net = load_hed(args.hed_weights, device=args.device)
        detect = partial(hed, net, paper_postprocess=args.paper_postprocess, black_on_white=args.black_on_white)
    return _over_files(args, f"{args.method} edges", lambda image: detect(image[None])[0], keep_alpha=False,
                       keep_depth=False, default_format="png")  # lossless maps, whatever the inputs' format



def _over_files(args: argparse.Namespace, label: str, run, keep_alpha: bool = True, keep_depth: bool = True,
                default_format: str = "same") -> int:
    """Apply ``run`` ([C, H, W] -> [C', H, W]) to every input image, writing same names and sizes in the format
    ``args.format`` asks for (``same``: the input's format and bit depth)."""
    if args.out.exists() and not args.out.is_dir():
        raise Pix2PixError(f"--out {args.out} is a file: give a folder (it is created if missing).")
    same = next((item for item in map(Path, args.inputs) if item.is_dir() and item.resolve() == args.out.resolve()),
                None)
    if same is not None:
        raise Pix2PixError(f"--out {args.out} is the input folder {same}: the outputs would overwrite the inputs. "
                           "Choose another output folder (a subfolder is fine).")
    manifest = OutputManifest(args.out)
    files = find_images(args.inputs, exclude=manifest.ours())
    if not files:
        raise Pix2PixError(f"no images found in {' '.join(args.inputs)}.")
    chosen_format, suffix = OUTPUT_FORMATS[args.format or default_format]
    targets = output_paths(files, args.out, suffix)
    inputs = {path.resolve() for path, _ in files}
    clash = next((path for path in targets if path.resolve() in inputs), None)
    if clash is not None:
        raise Pix2PixError(f"--out {args.out} would overwrite the input {clash}: choose an output folder that is "
                           "not an input folder.")
    theirs = [path for path in targets if path.exists() and not manifest.is_ours(path)]
    if theirs and not args.overwrite:
        raise Pix2PixError(f"--out {args.out} already holds {len(theirs)} file(s) that this command would overwrite "
                           f"and did not write (e.g. {theirs[0]}). Choose a new or empty output folder, or pass "
                           "--overwrite to replace them.")
    failures = written = 0
    bar = tqdm(total=len(files), desc=label, unit="image", file=sys.stderr)
    try:
        for (path, _), target in zip(files, targets):
            try:
                source = read_image(path)
                image = source.pixels if keep_alpha or source.pixels.shape[0] != 4 else source.pixels[:3]
                save_image(run(image), target, chosen_format or source.format, source.bits if keep_depth else 8)
                manifest.record(target)
                written += 1
                bar.update(1)
            except InputError as exc:
                failures += 1
                bar.update(1)
                tqdm.write(f"skipped {path}: {exc}", file=sys.stderr)
    except KeyboardInterrupt:  # every file is written atomically: the finished ones are whole, none is partial
        bar.close()
        print(f"interrupted: wrote {written} of {len(files)} image(s) to {args.out}; no partial file was left",
              file=sys.stderr)
        return 130
    bar.close()
    print(f"wrote {written} image(s) to {args.out}" + (f"; skipped {failures}" if failures else ""))
    return 1 if failures else 0


def output_paths(files: list[tuple[Path, Path]], out: Path, suffix: str | None) -> list[Path]:
    """One distinct output path per input: its name (or its path in an input folder) under ``out``; when two
    would collide, the input tree is mirrored from the inputs' common folder, and a changed suffix keeps the old
    one in the name (``a.jpg.png`` beside ``a.png``)."""
    def with_suffix(relative: Path) -> Path:
        return relative.with_suffix(suffix) if suffix and relative.suffix.lower() != suffix else relative

    targets = [out / with_suffix(relative) for _, relative in files]
    if len(set(targets)) < len(targets):
        common = Path(os.path.commonpath([path.resolve().parent for path, _ in files]))
        targets = [out / with_suffix(path.resolve().relative_to(common)) for path, _ in files]
    if len(set(targets)) < len(targets) and suffix:
        targets = [target if target.suffix == path.suffix else target.with_name(path.name + suffix)
                   for (path, _), target in zip(files, targets)]
    return targets


def _eval(args: argparse.Namespace) -> int:
    if args.json is not None and args.json.is_dir():
        raise Pix2PixError(f"--json {args.json} is a folder: give the path of the JSON file to write.")
    source = data_source(args.data, args, "test")
    domains = unpaired_domains(source) if isinstance(source, Path) else None
    if domains is not None:  # no target exists for an unpaired image: the cycle reconstruction is the measure
        if args.preset:
            raise Pix2PixError(f"{args.data} holds unpaired domains ({domains[0].name}/, {domains[1].name}/): no "
                               "paired metric exists for them, so --preset does not apply. Leave it out to measure "
                               "the cycle reconstruction of a CycleGAN checkpoint.")
        a_to_b, b_to_a = (load_generator(args.model, device=args.device, direction=d) for d in ("AtoB", "BtoA"))
        metrics = cycle_metrics(a_to_b, b_to_a, *domains, args.statistics)
    else:
        generator = load_generator(args.model, device=args.device)
        kind, overrides = kind_for_model(generator.io, args.preset)
        direction = args.direction or overrides.get("direction") or generator.io.direction
        dataset = build_dataset(source, kind, TrainConfig(direction=direction), jitter=False)
        metrics = evaluate(generator, dataset, args.statistics)
    print("| metric | value |\n| --- | --- |")
    for name, value in metrics.items():
        print(f"| {name} | {value:.4f} |" if isinstance(value, float) else f"| {name} | {value} |")
    if args.json:
        provenance = dataset.provenance if domains is None else {}
        atomic_write_text(args.json, json.dumps({"model": str(args.model), "data": str(args.data), **provenance,
                                                 **metrics}, indent=2) + "\n")
    return 0


def _push(args: argparse.Namespace) -> int:
    directory = args.directory
    generator, discriminator = load_translator(directory)
    samples = sorted((directory / "samples").glob("*.png")) if (directory / "samples").is_dir() else []
    exports = sorted(directory.glob("*.onnx"))  # ONNX exports travel with the weights, listed in the card
    prepare = list_exports_in_card if exports else None
    commit = push_to_hub(generator, args.repo_id, discriminator=discriminator, samples=samples,
                         private=args.private, token=args.token, license=args.license, extra_files=exports,
                         prepare=prepare)
    also = f" with {', '.join(p.name for p in exports)}" if exports else ""
    print(f"pushed {directory}{also} to {args.repo_id} (commit {commit})")
    return 0


def _models(args: argparse.Namespace) -> int:
    print(f"known pix2pix translators (catalogue v{CATALOGUE_VERSION}):")
    for entry in CATALOGUE:
        print(f"  {entry.repo_id:<30} {entry.task}  [{entry.input_space}, {entry.direction}, fit={entry.fit}]")
        print(f"  {'':<30} input: {entry.input_preparation}")
    print("\npaired datasets on the Hub (train on one with --data org/name; labels -> photo is BtoA):")
    for data in DATASETS:
        print(f"  {data.repo_id:<30} {data.pairs}")
        print(f"  {'':<30} {train_command(data)}")
    return 0


def _load_any(source: str):
    """A generator, or a discriminator when the file holds one."""
    try:
        return load_generator(source)
    except WrongRole as exc:
        if exc.found != "discriminator":
            raise
        return load_discriminator(source)


def _info(args: argparse.Namespace) -> int:
    net = _load_any(args.checkpoint)
    config = model_config_of(net)
    if args.json:
        print(config.to_json(), end="")
        return 0
    print(f"{args.checkpoint}: {config.role} '{config.architecture}', {_parameters(net)}")
    for key, value in config.arguments.items():
        print(f"  {key:<13} {value}")
    if net.role == "generator":
        print(f"  {'multiple':<13} {net.multiple} (input sizes are padded to it)")
        print(f"  {'io':<13} {config.io.input_space} -> {config.io.output_space}, trained at {config.io.train_size}")
    else:
        print(f"  {'patch size':<13} {net.config.receptive_field} px receptive field")
    for note in config.source.get("notes", []):
        print(f"  note: {note}")
    return 0


def _convert(args: argparse.Namespace) -> int:
    if args.to == "reference":
        for path in save_reference(args.out, _reference_networks(args)):
            print(f"wrote {path} in the reference implementation's format (a bare state dict with its key names)")
        return 0
    generator = load_generator(args.checkpoint)
    discriminator = load_discriminator(args.discriminator) if args.discriminator else None
    save_pretrained(generator, args.out, discriminator, license=args.license, overwrite=args.overwrite)
    config = model_config_of(generator)
    print(f"wrote {args.out}: the {config.architecture} generator ({_parameters(generator)}, "
          f"{config.io.input_space} -> {config.io.output_space}, sizes padded to multiples of {generator.multiple}) "
          "as config.json + model.safetensors")
    if discriminator is not None:
        print(f"  the {discriminator.config.architecture} discriminator ({_parameters(discriminator)}) as "
              "discriminator.safetensors")
    licence = (f"licence {args.license}" if args.license != UNKNOWN_LICENSE else
               "licence not stated: the card says so; pass --license with the original weights' licence")
    print(f"  a model card README.md ({licence})")
    return 0


def _reference_networks(args: argparse.Namespace) -> dict:
    """What --to reference writes: G (+ D), or for a CycleGAN folder both sides (G_A, G_B, D_A, D_B)."""
    source = Path(args.checkpoint)
    if (source / "AtoB").is_dir() and (source / "BtoA").is_dir():
        if args.discriminator:
            raise Pix2PixError("a CycleGAN checkpoint brings its own discriminators: leave --discriminator out.")
        networks = {}
        for direction in ("AtoB", "BtoA"):
            networks |= reference_names(*load_translator(source, direction=direction), direction)
        return networks
    discriminator = load_discriminator(args.discriminator) if args.discriminator else None
    return reference_names(load_generator(args.checkpoint), discriminator, None)


def _parameters(net: torch.nn.Module) -> str:
    return f"{sum(p.numel() for p in net.parameters()):,} parameters"
