"""``pix2pix train``: its options, torchrun/DDP set-up, a progress bar and the summary line."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
from pathlib import Path

import torch.distributed as dist
from tqdm import tqdm

from ..errors import Pix2PixError
from ..extras import require
from ..inference.precision import PRECISIONS
from ..networks.io import DIRECTIONS
from ..networks.norm import NORMS
from ..training.cyclegan import CycleGANConfig, CycleGANTrainer
from ..training.hub_datasets import HubData, hub_data
from ..training.label_data import RESIZE_OR_CROP
from ..training.loop import LOSS_CURVE_FILE, LR_DECAYS, check_run_folder, recorded_run
from ..training.objective import GAN_MODES
from ..training.pix2pix import DISCRIMINATORS, GENERATORS, Pix2PixConfig, Pix2PixTrainer, TrainCallbacks
from ..training.pix2pixhd import HD_GENERATORS, Pix2PixHDConfig, Pix2PixHDTrainer
from ..training.presets import PAIRED_PRESETS, PRESETS, UNPAIRED_PRESETS, preset
from ..training.sources import DataSource, merged_settings, open_training_data
from ..weights.directory import CHECKPOINT_DIR, SAMPLES_DIR
from .aliases import DeprecatedAlias

DEFAULTS = Pix2PixConfig()
HD = Pix2PixHDConfig()
METHODS = ("pix2pix", "cyclegan", "pix2pixhd")
CONFIGS = {"pix2pix": Pix2PixConfig, "cyclegan": CycleGANConfig, "pix2pixhd": Pix2PixHDConfig}
TRAINERS = {"pix2pix": Pix2PixTrainer, "cyclegan": CycleGANTrainer, "pix2pixhd": Pix2PixHDTrainer}

EPILOG = """examples:
  pix2pix train --data facades/train --out runs/facades --preset facades --epochs 200   the paper's facades run
  pix2pix train --data my_pairs --out runs/mine --steps 20000                            my_pairs/A + my_pairs/B
  pix2pix train --data photos --out runs/color --preset colorize --minutes 30            gray -> colour, 30 min

  small and fast (a CPU, a first try): a narrow U-Net of 6 levels on 64 px crops
  pix2pix train --data my_pairs --out runs/quick --ngf 16 --ndf 16 --num-downs 6 --crop-size 64 --load-size 72 \\
      --batch-size 4 --minutes 10

  CycleGAN-style ResNet generator, instance norm, least-squares GAN
  pix2pix train --data my_pairs --out runs/resnet --generator resnet --n-blocks 9 --norm instance --no-dropout \\
      --gan-mode lsgan

  unpaired (CycleGAN, the reference's defaults): DIR/trainA + DIR/trainB, or two folders
  pix2pix train --preset cyclegan --data horse2zebra --out runs/h2z --epochs 200        the paper's run
  pix2pix train --method cyclegan --data-a summer/ --data-b winter/ --out runs/s2w --minutes 60

  from the Hugging Face Hub (the datasets extra): the layout is read from the dataset's features
  pix2pix train --data huggan/facades --preset facades --out runs/facades --epochs 200
  pix2pix train --method cyclegan --data huggan/selfie2anime --out runs/s2a --steps 100000

  pix2pixHD (label maps -> photos): DIR/train_label, DIR/train_img (and DIR/train_inst), as NVIDIA lays them out
  pix2pix train --method pix2pixhd --data cityscapes --out runs/city512 --epochs 200           global, 1024x512
  pix2pix train --method pix2pixhd --data cityscapes --out runs/city1024 --generator local --ngf 32 --num-D 3 \
      --global-from runs/city512/checkpoint --niter-fix-global 10 --resize-or-crop none --epochs 100

Running the same command again resumes from OUT/checkpoint; --steps and --epochs give the length of the
learning-rate schedule, --minutes only when this invocation stops (run again to continue)."""


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``pix2pix train``: every Pix2PixConfig field, with its meaning and its default."""
    d = DEFAULTS
    parser.epilog, parser.formatter_class = EPILOG, argparse.RawDescriptionHelpFormatter
    method = parser.add_argument_group("method")
    method.add_argument("--method", choices=METHODS,
                        help="pix2pix (paired, default), cyclegan (unpaired: ResNet generators, instance norm, "
                             "LSGAN, cycle and identity losses, image pools, the reference's defaults; a cyclegan "
                             "preset implies it) or pix2pixhd (label maps -> photos: multiscale discriminator, "
                             "feature matching, VGG loss, NVIDIA's defaults)")
    method.add_argument("--model", dest="method", choices=METHODS, action=DeprecatedAlias, new="--method",
                        help=argparse.SUPPRESS)  # the old spelling: --model names the weights in other commands
    method.add_argument("--lambda-a", type=float, help="cyclegan: weight of the A -> B -> A cycle L1 (default 10)")
    method.add_argument("--lambda-b", type=float, help="cyclegan: weight of the B -> A -> B cycle L1 (default 10)")
    method.add_argument("--lambda-identity", type=float, help="cyclegan: identity L1 weight, times lambda "
                        "(default 0.5)")
    method.add_argument("--pool-size", type=int, help="cyclegan: generated images the discriminators see again "
                        "(default 50; 0: none)")
    add_pix2pixhd_arguments(parser)
    data = parser.add_argument_group("data")
    data.add_argument("--data", help="aligned A|B images, a folder with A/ and B/, or photos (with --preset colorize "
                      "or edges2photo); a Hub dataset org/name (or hub:org/name), laid out as its features say; "
                      "cyclegan: a folder with trainA/ and trainB/, or a Hub dataset's two image columns")
    add_hub_data_arguments(data, "train")
    data.add_argument("--data-a", type=Path, help="cyclegan: the folder of domain A (with --data-b)")
    data.add_argument("--data-b", type=Path, help="cyclegan: the folder of domain B")
    data.add_argument("--out", type=Path, required=True, help="run folder: checkpoint/, samples/, loss_curve.png")
    data.add_argument("--preset", choices=sorted(PRESETS), help="; ".join(
        f"{name}: {recipe.summary}" for name, recipe in PRESETS.items()) + ". Options given explicitly win over "
        "the preset's. Default: pix2pix pairs as --data lays them out")
    data.add_argument("--direction", choices=DIRECTIONS, help=f"which side is the input (default {d.direction})")
    data.add_argument("--load-size", type=int, help=f"resize images to this side before cropping (default "
                      f"{d.load_size})")
    data.add_argument("--crop-size", type=int, help=f"random crop side, the training size; a multiple of "
                      f"2^num-downs for a U-Net (default {d.crop_size})")
    data.add_argument("--no-flip", dest="flip", action="store_const", const=False, help="no random horizontal flips")
    data.add_argument("--num-workers", type=int, help=f"DataLoader worker processes (default {d.num_workers})")
    data.add_argument("--seed", type=int, help=f"seed of the init, data order and jitter (default {d.seed})")

    length = parser.add_argument_group("length (the learning-rate schedule is constant, then decays linearly)")
    steps = length.add_mutually_exclusive_group()
    steps.add_argument("--steps", type=int, help=f"optimisation steps (default {d.steps})")
    steps.add_argument("--epochs", type=float, help="passes over the data instead (the paper: 200)")
    length.add_argument("--decay-steps", type=int, help="steps of linear decay to 0 at the end of the schedule "
                        "(default: half of the steps; the paper: 100 of 200 epochs)")
    length.add_argument("--lr-decay", choices=LR_DECAYS, help="lower the rate every step, or once per epoch as the "
                        "reference does (default: epoch with --epochs, step with --steps)")
    length.add_argument("--minutes", type=float, help="stop this invocation after this long, with a checkpoint "
                        "(default: no limit; run again to continue)")
    length.add_argument("--no-resume", action="store_true", help="start afresh even if OUT holds a checkpoint")

    nets = parser.add_argument_group("networks")
    nets.add_argument("--generator", choices=GENERATORS + HD_GENERATORS, help=f"U-Net (pix2pix) or ResNet (CycleGAN) "
                      f"(default {d.generator}); pix2pixhd: global or local (default {HD.generator})")
    nets.add_argument("--ngf", type=int, help=f"generator width: filters of its first layer (default {d.ngf})")
    nets.add_argument("--num-downs", type=int, help=f"U-Net levels: 8 for 256 px crops, 7 for 128 (default "
                      f"{d.num_downs})")
    nets.add_argument("--n-blocks", type=int, help=f"ResNet residual blocks: 9 for 256 px, 6 for 128 (default "
                      f"{d.n_blocks})")
    nets.add_argument("--norm", choices=NORMS, help=f"normalisation of both networks (default {d.norm})")
    nets.add_argument("--no-dropout", dest="dropout", action="store_const", const=False,
                      help="no dropout in the generator (default: on, 0.5, as in the paper)")
    nets.add_argument("--discriminator", choices=DISCRIMINATORS, help=f"PatchGAN or per-pixel (1x1) discriminator "
                      f"(default {d.discriminator})")
    nets.add_argument("--ndf", type=int, help=f"discriminator width (default {d.ndf})")
    nets.add_argument("--n-layers", type=int, help=f"PatchGAN layers: 1/2/3/4/5 give 16/34/70/142/286 px patches "
                      f"(default {d.n_layers})")

    objective = parser.add_argument_group("objective and optimiser")
    objective.add_argument("--gan-mode", choices=GAN_MODES, help=f"vanilla (the paper's cross-entropy) or lsgan "
                           f"(default {d.gan_mode})")
    objective.add_argument("--lambda-l1", type=float, help=f"weight of the L1 term; 0 trains a pure GAN (default "
                           f"{d.lambda_l1:g})")
    objective.add_argument("--lr", type=float, help=f"Adam learning rate (default {d.lr:g})")
    objective.add_argument("--beta1", type=float, help=f"Adam beta1 (default {d.beta1:g})")
    objective.add_argument("--batch-size", type=int, help=f"images per step (default {d.batch_size})")

    output = parser.add_argument_group("outputs and speed")
    output.add_argument("--checkpoint-every", type=int, help=f"steps between checkpoints; one is also written at "
                        f"the end and on Ctrl-C (default {d.checkpoint_every})")
    output.add_argument("--sample-every", type=int, help=f"steps between samples/*.png and loss_curve.png "
                        f"(default {d.sample_every})")
    output.add_argument("--precision", choices=PRECISIONS, help=f"{d.precision} (default); bfloat16 on CUDA or a "
                        "CPU with AVX512-BF16/AMX; float16 on CUDA; auto picks what the hardware runs fast")
    output.add_argument("--sync-batchnorm", action="store_const", const=True, help="SyncBatchNorm across "
                        "processes (torchrun)")
    output.add_argument("--log", choices=("tensorboard",), help="also write TensorBoard events to OUT/tb (losses, "
                        "learning rates, samples, settings; `tensorboard --logdir OUT/tb`); needs the tensorboard "
                        "extra. Default: none")


def add_pix2pixhd_arguments(parser: argparse.ArgumentParser) -> None:
    """The options only --method pix2pixhd has (NVIDIA's names, dashed); its defaults are NVIDIA's: load size 1024
    (the width, scale_width), crop 512, instance norm, LSGAN, ngf 64 global, 2 discriminators."""
    hd = parser.add_argument_group("pix2pixhd (--method pix2pixhd; --n-blocks is n_blocks_global, --n-layers "
                                   "n_layers_D, --load-size / --crop-size loadSize / fineSize)")
    hd.add_argument("--label-nc", type=int, help=f"label ids in the label maps, 0 .. N-1 (default {HD.label_nc}: "
                    "Cityscapes' labelIds); 0: images in, train_A/ -> train_B/ (with --no-instance), as NVIDIA's")
    hd.add_argument("--no-instance", dest="instance", action="store_const", const=False,
                    help="no instance-boundary channel (default: one, from train_inst/ or else the labels' own "
                    "boundaries)")
    hd.add_argument("--resize-or-crop", choices=RESIZE_OR_CROP, help=f"scale_width: to --load-size wide; "
                    f"scale_width_and_crop: then a random --crop-size square; none: as they are (default "
                    f"{HD.resize_or_crop})")
    hd.add_argument("--n-downsample-global", type=int, help=f"stride-2 convolutions of the global generator "
                    f"(default {HD.n_downsample_global})")
    hd.add_argument("--n-local-enhancers", type=int, help=f"local: enhancers, each doubling the resolution "
                    f"(default {HD.n_local_enhancers})")
    hd.add_argument("--n-blocks-local", type=int, help=f"local: residual blocks per enhancer (default "
                    f"{HD.n_blocks_local})")
    hd.add_argument("--num-D", dest="num_D", type=int, help=f"discriminators, each at half the scale of the last "
                    f"(default {HD.num_D})")
    hd.add_argument("--lambda-feat", type=float, help=f"weight of the feature-matching and VGG losses (default "
                    f"{HD.lambda_feat:g})")
    hd.add_argument("--no-feature-matching", dest="feature_matching", action="store_const", const=False,
                    help="no discriminator feature-matching loss (NVIDIA's --no_ganFeat_loss)")
    hd.add_argument("--no-vgg-loss", dest="vgg_loss", action="store_const", const=False,
                    help="no VGG19 perceptual loss")
    hd.add_argument("--vgg", help="the VGG19 weights: auto (torchvision's file in torch's hub cache, downloaded there "
                    "once, 548 MB), a path to that file (vgg19-dcbb9e9d.pth), or random (for tests: not "
                    "perceptual) (default auto)")
    hd.add_argument("--global-from", help="local: start from this trained global generator (a run's checkpoint/ or "
                    "NVIDIA's latest_net_G.pth; NVIDIA's --load_pretrain)")
    hd.add_argument("--niter-fix-global", type=float, help="local: train only the outermost enhancer for this many "
                    "epochs first, then the whole generator (NVIDIA's --niter_fix_global)")
    hd.add_argument("--fix-global-steps", type=int, help="the same in steps")
    hd.add_argument("--instance-feat", action="store_const", const=True, help="train a feature encoder with the "
                    "generator: each instance's encoded features are one more input, and every checkpoint holds their "
                    "k-means clusters per label (features_clustered_010.npy), from which translation draws them "
                    "(NVIDIA's --instance_feat)")
    hd.add_argument("--feat-num", type=int, help=f"--instance-feat: features per instance (default {HD.feat_num})")
    hd.add_argument("--nef", type=int, help=f"--instance-feat: the encoder's width (default {HD.nef})")
    hd.add_argument("--n-downsample-E", dest="n_downsample_E", type=int, help=f"--instance-feat: the encoder's "
                    f"downsamplings (default {HD.n_downsample_E})")
    hd.add_argument("--n-clusters", type=int, help=f"--instance-feat: cluster centres per label (default "
                    f"{HD.n_clusters})")


def add_hub_data_arguments(group, split: str) -> None:
    """--split, --revision and --columns: which part of a Hub dataset --data reads (for train or eval)."""
    group.add_argument("--split", help=f"Hub dataset: the split to read (default {split})")
    pinning = "; a resumed run keeps the commit it started on" if split == "train" else ""
    group.add_argument("--revision", help=f"Hub dataset: branch, tag or commit (default main, pinned to the commit "
                       f"it names{pinning})")
    group.add_argument("--columns", help="Hub dataset: the input and target Image columns as A,B (default: from the "
                       "features, e.g. imageA,imageB), or the one column of aligned images or photos")


def data_source(data: str, args: argparse.Namespace, split: str) -> Path | HubData:
    """--data as a local folder, or as a Hub dataset with the split, revision and columns given."""
    hub = hub_data(data, args.split or split, args.revision, args.columns)
    if hub is not None:
        return hub
    given = [flag for flag in ("--split", "--revision", "--columns") if getattr(args, flag[2:]) is not None]
    if given:
        raise Pix2PixError(f"{', '.join(given)}: options of a Hub dataset, but {data} is a local folder (a Hub "
                           "dataset is named org/name, or hub:org/name when a local folder has that name).")
    return Path(data)


# options that only some methods have: named in the refusal when given to another
HD_ONLY = ("label_nc", "instance", "resize_or_crop", "n_downsample_global", "n_local_enhancers", "n_blocks_local",
           "num_D", "lambda_feat", "feature_matching", "vgg_loss", "vgg", "global_from", "niter_fix_global",
           "fix_global_steps", "instance_feat", "feat_num", "nef", "n_downsample_E", "n_clusters")
OWN_OPTIONS = {"pix2pix": ("direction", "generator", "num_downs", "dropout", "discriminator", "lambda_l1",
                           "sync_batchnorm"),
               "cyclegan": ("lambda_a", "lambda_b", "lambda_identity", "pool_size", "data_a", "data_b"),
               "pix2pixhd": ("generator", *HD_ONLY)}


def _config(args: argparse.Namespace) -> tuple[str, Pix2PixConfig | CycleGANConfig, int | None]:
    """The method's kind, its settings (a resume's recorded ones under the given ones), and the step recorded in
    OUT/checkpoint (None for a fresh run)."""
    recipe = preset(args.preset)
    if args.method is None:
        args.method = recipe.method
    elif args.preset and args.method != recipe.method:
        presets = PAIRED_PRESETS if args.method == "pix2pix" else UNPAIRED_PRESETS
        raise Pix2PixError(f"--preset {args.preset} is a {recipe.method} recipe, not one for --method {args.method}: "
                           f"use one of {', '.join(presets)}, or --method {recipe.method}.")
    own = OWN_OPTIONS[args.method]
    wrong = [name for options in OWN_OPTIONS.values() for name in options
             if name not in own and getattr(args, name, None) is not None]
    if wrong:
        raise Pix2PixError(f"{', '.join(_flag(n) for n in wrong)}: not an option of --method {args.method}; its own "
                           f"options are {', '.join(_flag(n) for n in own)} (and the shared ones).")
    kind = {"cyclegan": "unpaired", "pix2pixhd": "labels"}.get(args.method, recipe.kind)
    cls = CONFIGS[args.method]
    fields = {f.name for f in dataclasses.fields(cls)}
    given = merged_settings(recipe, {k: v for k, v in vars(args).items() if k in fields})  # 0, False are values
    recorded = None if args.no_resume else recorded_run(Path(args.out) / CHECKPOINT_DIR)
    if recorded is None:
        if args.epochs is not None:
            given.setdefault("lr_decay", "epoch")  # the reference's schedule for a run measured in epochs
        return kind, cls(**given), None
    settings = _resumed_settings(recorded["config"], given, fields, Path(args.out), args.preset)
    return kind, cls(**settings), recorded["step"]


# settings a resumed run may change: how long it runs and what it writes, not what it trains
RESUME_MAY_CHANGE = ("steps", "checkpoint_every", "sample_every", "num_workers")


def _resumed_settings(recorded: dict, given: dict, fields: set[str], out: Path, preset_name: str | None) -> dict:
    """A resume continues the run as it was recorded: options left out take the recorded values, and an explicit
    value that differs is refused with the list of differences (unless it is one that may change)."""
    implied = preset(preset_name).settings
    differences = [f"{_setting(name, preset_name if name in implied else None)} {recorded[name]!r} (recorded) -> "
                   f"{value!r}" for name, value in given.items()
                   if name in recorded and name not in RESUME_MAY_CHANGE and recorded[name] != value]
    if differences:
        raise Pix2PixError(f"{out} holds a run trained with other settings: {'; '.join(differences)}. Leave these "
                           "options out to resume it as it was, or start afresh with --no-resume (or another --out).")
    return {**{k: v for k, v in recorded.items() if k in fields}, **given}


def _setting(name: str, preset_name: str | None) -> str:
    """How the user set ``name``: its flag, or the preset that implies it."""
    return f"{name} (from --preset {preset_name})" if preset_name else _flag(name)


NEGATED_FLAGS = {"dropout": "--no-dropout", "instance": "--no-instance", "feature_matching": "--no-feature-matching",
                 "vgg_loss": "--no-vgg-loss", "num_D": "--num-D", "n_downsample_E": "--n-downsample-E"}


def _flag(name: str) -> str:
    return NEGATED_FLAGS.get(name) or f"--{name.replace('_', '-')}"


def _dataset(args: argparse.Namespace, kind: str, config: Pix2PixConfig | CycleGANConfig | Pix2PixHDConfig):
    """The run's data, checked for what the method needs, opened as every front end opens it."""
    source = DataSource(data_source(args.data, args, "train") if args.data is not None else None)
    if kind != "unpaired":
        if args.data is None:
            raise Pix2PixError("--data is required: the folder of training pairs, or a Hub dataset org/name" + (
                "" if kind != "labels" else "; for pix2pixhd the folder with train_label/ and train_img/") + ".")
    elif args.data_a is not None or args.data_b is not None:
        if args.data_a is None or args.data_b is None or args.data is not None:
            raise Pix2PixError("give either --data DIR (with DIR/trainA and DIR/trainB, or a Hub dataset org/name "
                               "with two image columns) or both --data-a and --data-b.")
        source = DataSource(a=Path(args.data_a), b=Path(args.data_b))
    elif args.data is None:
        raise Pix2PixError("--method cyclegan needs --data DIR (with DIR/trainA and DIR/trainB, or a Hub dataset "
                           "org/name) or --data-a and --data-b.")
    return open_training_data(source, kind, config, Path(args.out), resume=not args.no_resume)


def run_training(args: argparse.Namespace) -> int:
    kind, config, done = _config(args)
    config.validate()
    check_run_folder(Path(args.out))  # everything that can be checked is, before the data is read
    if args.log == "tensorboard":
        require("torch.utils.tensorboard", "tensorboard")
    if args.niter_fix_global is not None and config.generator != "local":
        raise Pix2PixError("--niter-fix-global trains a local enhancer on a global generator: add --generator local.")
    for name, value in (("minutes", args.minutes), ("epochs", args.epochs), ("niter-fix-global",
                                                                              args.niter_fix_global)):
        if value is not None and not value > 0:
            raise Pix2PixError(f"--{name} must be positive, got {value}: leave it out for the default.")
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    device = args.device
    if distributed:
        backend = "nccl" if device.startswith("cuda") else "gloo"
        dist.init_process_group(backend)
        if device.startswith("cuda"):
            device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    try:
        rank0 = not distributed or dist.get_rank() == 0
        dataset = _dataset(args, kind, config)
        if rank0:
            print(f"data: {args.data or args.data_a}: {dataset.describe()}", file=sys.stderr)
        per_step = config.batch_size * (dist.get_world_size() if distributed else 1)
        if args.epochs is not None:
            config.steps = max(1, round(args.epochs * len(dataset) / per_step))
        if args.niter_fix_global is not None:
            config.fix_global_steps = max(1, round(args.niter_fix_global * len(dataset) / per_step))
        output = _Output(rank0)
        where = Path(args.out) / CHECKPOINT_DIR
        if done is not None and done >= config.steps:
            output.say(f"already complete: {where} holds all {done} steps of this run; nothing to train (raise "
                       "--steps to train longer, or use --no-resume to start afresh)", sys.stdout)
            return 0
        trainer = TRAINERS[args.method](config, dataset, args.out, device, TrainCallbacks(progress=output.progress),
                                resume=not args.no_resume, log=args.log)
        if trainer.step:
            output.say(f"resuming from step {trainer.step} of {config.steps} ({where})")
        output.start(trainer.step, config.steps)
        result = trainer.run(args.minutes * 60 if args.minutes is not None else None)
        output.close()
        output.say(_summary(result.stop_reason, result.steps_done, config.steps, where, args.method),
                   sys.stdout)
        return 130 if result.stopped_early else 0
    finally:
        if distributed:
            dist.destroy_process_group()


class _Output:
    """The progress bar and the lines of a run on rank 0. A stream that breaks (the reader of `| tee` ended by the
    same Ctrl-C) silences the output instead of ending the run: its checkpoint matters more than its messages."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.bar = enabled, None

    def start(self, step: int, total: int) -> None:
        if self.enabled:  # initial=step: the rate and ETA count only the steps of this invocation
            self.bar = tqdm(total=total, initial=step, desc="training", unit="step", file=sys.stderr)

    def progress(self, step: int, total: int, losses: dict[str, float]) -> None:
        if self.bar is not None and self.enabled:
            self._guarded(lambda: (self.bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()}, refresh=False),
                                   self.bar.update(step - self.bar.n)))

    def say(self, line: str, stream=None) -> None:
        if self.enabled:
            self._guarded(lambda: print(line, file=stream or sys.stderr, flush=True))

    def close(self) -> None:
        if self.bar is not None:
            self._guarded(self.bar.close)

    def _guarded(self, write) -> None:
        try:
            write()
        except (BrokenPipeError, ValueError, OSError):  # ValueError: a closed stream
            self.enabled = False
            devnull = os.open(os.devnull, os.O_WRONLY)  # nor may Python's flush at exit fail on the dead pipe
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):
                    os.dup2(devnull, stream.fileno())


def _summary(reason: str, done: int, total: int, where: Path, method: str = "pix2pix") -> str:
    run = where.parent
    pictures = f"samples in {run / SAMPLES_DIR}/, the loss curve in {run / LOSS_CURVE_FILE}"
    if reason == "completed":
        if method == "cyclegan":
            use = f"pix2pix translate --model {where / 'AtoB'} IMAGES --out OUT (and {where / 'BtoA'} back)"
        elif method == "pix2pixhd":
            use = f"pix2pix translate --model {where} LABELS.png --instance-map INSTANCES.png --out OUT"
        else:
            use = f"pix2pix translate --model {where} IMAGES --out OUT"
        return f"trained {done} steps; {pictures}; translate with: {use}"
    return (f"stopped by {reason} at step {done} of {total}; checkpoint saved in {where} (run again to resume); "
            f"{pictures}")


def add_commands(sub, device, **_) -> None:
    train = sub.add_parser("train", help="train a translator: pix2pix on paired images, or CycleGAN on unpaired "
                           "ones (the papers' defaults)", parents=[device],
                           description="Train a pix2pix translator. Defaults are the paper's (U-Net 256, 70x70 "
                           "PatchGAN, batch 1, Adam 2e-4 / 0.5, L1 weight 100).")
    add_train_arguments(train)
    train.set_defaults(func=run_training)
