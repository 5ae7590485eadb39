"""``pix2pix info``, ``convert``, ``push`` and ``models``: checkpoints and the Hub."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import torch

from ..atomic import atomic_path
from ..errors import Pix2PixError, WrongRole
from ..export.onnx_file import list_exports_in_card
from ..inference.labels import record_label_layout
from ..networks.io import DIRECTIONS
from ..training.known_datasets import DATASETS, DatasetEntry
from ..weights.card import UNKNOWN_LICENSE
from ..weights.catalogue import CATALOGUE, CATALOGUE_VERSION, DEMO_MODELS_REPO, DEMO_TRANSLATORS
from ..weights.demo_models import demo_url, download_demo_translator
from ..weights.directory import (
    CONFIG_FILE,
    DISCRIMINATOR_FILE,
    ENCODER_FILE,
    SAMPLES_DIR,
    model_config_of,
    save_pretrained,
)
from ..weights.feature_clusters import CLUSTER_PATTERN, feature_files
from ..weights.hub import push_to_hub
from ..weights.loader import load_discriminator, load_encoder, load_generator, load_translator
from ..weights.reference import reference_file, reference_names, save_reference


def add_commands(sub, **_) -> None:
    for add in (_add_info, _add_push, _add_models, _add_convert):
        add(sub)


def _add_info(sub, **_) -> None:
    info = sub.add_parser("info", help="print a checkpoint's architecture and parameter count")
    info.add_argument("checkpoint", help="file or directory")
    info.add_argument("--json", action="store_true", help="print config.json instead of a summary")
    info.add_argument("--direction", choices=DIRECTIONS, help="a CycleGAN: which side to describe (default AtoB)")
    info.set_defaults(func=_info)


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
    models = sub.add_parser("models", help="list known pretrained translators (Hub, the paper's demo); `models get "
                            "NAME` downloads a demo translator")
    models.add_argument("action", nargs="?", choices=("list", "get"), default="list",
                        help="list (default) or get")
    models.add_argument("name", nargs="?", choices=[entry.name for entry in DEMO_TRANSLATORS],
                        help="get: the demo translator to download")
    models.add_argument("--out", type=Path, default=Path("."), help="get: the folder to download into (default: "
                        "the current folder)")
    models.set_defaults(func=_models)


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
    convert.add_argument("--label-nc", type=int, help="a label-map translator (pix2pixHD): its label count, recorded "
                         "in config.json so it is never asked again (label2city: 35, with instance boundaries)")
    convert.add_argument("--license", default=UNKNOWN_LICENSE, help="licence of the weights as a Hub identifier "
                         "(mit, apache-2.0, cc-by-nc-4.0, ...); third-party weights keep their own (default: unknown, "
                         "said so in the card)")
    convert.set_defaults(func=_convert)


def _push(args: argparse.Namespace) -> int:
    directory = args.directory
    generator, discriminator = load_translator(directory)
    samples = sorted((directory / SAMPLES_DIR).glob("*.png")) if (directory / SAMPLES_DIR).is_dir() else []
    exports = sorted(directory.glob("*.onnx"))  # ONNX exports travel with the weights, listed in the card
    prepare = list_exports_in_card if exports else None
    extras = exports + feature_files(directory)
    commit = push_to_hub(generator, args.repo_id, discriminator=discriminator, samples=samples,
                         private=args.private, token=args.token, license=args.license, extra_files=extras,
                         prepare=prepare)
    also = f" with {', '.join(p.name for p in extras)}" if extras else ""
    print(f"pushed {directory}{also} to {args.repo_id} (commit {commit})")
    return 0


def _models(args: argparse.Namespace) -> int:
    if args.action == "get":
        if args.name is None:
            raise Pix2PixError(f"models get needs a name: one of {', '.join(e.name for e in DEMO_TRANSLATORS)}.")
        path = download_demo_translator(args.name, args.out)
        print(f"{path} is the demo's {args.name} translator; translate with: pix2pix translate --model {path} "
              "IMAGES --out OUT")
        return 0
    print(f"known pix2pix translators (catalogue v{CATALOGUE_VERSION}):")
    for entry in CATALOGUE:
        print(f"  {entry.repo_id:<30} {entry.task}  [{entry.input_space}, {entry.direction}, fit={entry.fit}]")
        print(f"  {'':<30} input: {entry.input_preparation}")
    print("\npaired datasets on the Hub (train on one with --data org/name; labels -> photo is BtoA):")
    for data in DATASETS:
        print(f"  {data.repo_id:<30} {data.pairs}")
        print(f"  {'':<30} {train_command(data)}")
    print(f"\nthe paper's interactive demo ({DEMO_MODELS_REPO}, .pict; `pix2pix models get NAME`):")
    for demo in DEMO_TRANSLATORS:
        print(f"  {demo.name:<30} {demo.task}")
        print(f"  {'':<30} {demo_url(demo)}")
    return 0


def _cyclegan_sides(path: Path) -> list[str]:
    """The directions a local CycleGAN checkpoint holds (ours: AtoB/ and BtoA/; the reference's G_A and G_B)."""
    return [direction for direction in DIRECTIONS if path.is_dir() and (
        (path / direction / CONFIG_FILE).is_file() or (path / reference_file("generator", direction)).is_file())]


def _load_any(source: str, direction: str | None = None):
    """A generator, or a discriminator when the file holds one."""
    try:
        return load_generator(source, direction=direction)
    except WrongRole as exc:
        if exc.found == "encoder":
            return load_encoder(source)
        if exc.found != "discriminator":
            raise
        return load_discriminator(source)


def _info(args: argparse.Namespace) -> int:
    net = _load_any(args.checkpoint, args.direction)
    config = model_config_of(net)
    if args.json:
        print(config.to_json(), end="")
        return 0
    sides = _cyclegan_sides(Path(args.checkpoint))
    side = f" ({args.direction or 'AtoB'} side)" if sides else ""
    print(f"{args.checkpoint}{side}: {config.role} '{config.architecture}', {_parameters(net)}")
    if sides:
        print(f"  a CycleGAN: two generators, {' and '.join(sides)}; `--direction BtoA` picks the way back (here, "
              "in translate and in export)")
    for key, value in config.arguments.items():
        print(f"  {key:<13} {value}")
    if net.role == "generator":
        print(f"  {'multiple':<13} {net.multiple} (input sizes are padded to it)")
        print(f"  {'io':<13} {config.io.input_space} -> {config.io.output_space}, trained at {config.io.train_size}")
    elif net.role == "discriminator":
        scales = getattr(net.config, "num_D", 1)
        coarser = f" at full size, twice that at each of {scales - 1} coarser scale(s)" if scales > 1 else ""
        print(f"  {'patch size':<13} {net.config.receptive_field} px receptive field{coarser}")
    for note in config.source.get("notes", []):
        print(f"  note: {note}")
    return 0


def _convert(args: argparse.Namespace) -> int:
    if args.to == "reference":
        for path in save_reference(args.out, _reference_networks(args)):
            print(f"wrote {path} in the reference implementation's format (a bare state dict with its key names)")
        for clusters in sorted(Path(args.checkpoint).glob(CLUSTER_PATTERN)) if Path(args.checkpoint).is_dir() else []:
            with atomic_path(Path(args.out) / clusters.name) as tmp:
                shutil.copyfile(clusters, tmp)
            print(f"wrote {Path(args.out) / clusters.name}, the feature clusters NVIDIA's test.py reads")
        return 0
    generator = load_generator(args.checkpoint)
    if args.label_nc:
        record_label_layout(generator, args.label_nc)
    discriminator = load_discriminator(args.discriminator) if args.discriminator else None
    save_pretrained(generator, args.out, discriminator, license=args.license, overwrite=args.overwrite)
    config = model_config_of(generator)
    print(f"wrote {args.out}: the {config.architecture} generator ({_parameters(generator)}, "
          f"{config.io.input_space} -> {config.io.output_space}, sizes padded to multiples of {generator.multiple}) "
          "as config.json + model.safetensors")
    if discriminator is not None:
        print(f"  the {discriminator.config.architecture} discriminator ({_parameters(discriminator)}) as "
              f"{DISCRIMINATOR_FILE}")
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
        for direction in DIRECTIONS:
            networks |= reference_names(*load_translator(source, direction=direction), direction)
        return networks
    if args.discriminator:
        return reference_names(load_generator(args.checkpoint), load_discriminator(args.discriminator), None)
    networks = reference_names(*load_translator(args.checkpoint), None)  # the checkpoint's own critic goes along
    if (source / ENCODER_FILE).is_file():  # pix2pixHD's feature encoder: NVIDIA's latest_net_E.pth
        networks["E"] = load_encoder(source)
    return networks


def _parameters(net: torch.nn.Module) -> str:
    return f"{sum(p.numel() for p in net.parameters()):,} parameters"


def train_command(entry: DatasetEntry) -> str:
    """The ``pix2pix train`` line that trains ``entry`` as the paper did (its direction, its preset)."""
    recipe = f"--preset {entry.preset}" if entry.preset else f"--direction {entry.train_direction}"
    name = entry.repo_id.split("/")[1]
    return f"pix2pix train --data {entry.repo_id} {recipe} --out runs/{name} --epochs 200"
