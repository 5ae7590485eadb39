"""Train a translator inside ComfyUI from two IMAGE batches or a folder, with progress, preview and Cancel."""

from __future__ import annotations

from pathlib import Path

import comfy.model_management as mm
import numpy as np
import torch
from comfy_api.latest import io

from ..pix2pix_core.errors import Pix2PixError
from ..pix2pix_core.inference.precision import PRECISIONS
from ..pix2pix_core.networks.norm import NORMS
from ..pix2pix_core.paths import contained_path
from ..pix2pix_core.training.cyclegan import CycleGANConfig, CycleGANTrainer
from ..pix2pix_core.training.data import DERIVED_KINDS
from ..pix2pix_core.training.hub_datasets import HUB_PREFIX, HubData, hub_data
from ..pix2pix_core.training.pix2pix import (
    CHECKPOINT_DIR,
    DISCRIMINATORS,
    GENERATORS,
    Pix2PixConfig,
    Pix2PixTrainer,
    TrainCallbacks,
)
from ..pix2pix_core.training.plot import loss_plot
from ..pix2pix_core.training.presets import PAIRED_PRESETS, PRESETS, UNPAIRED_PRESETS
from ..pix2pix_core.training.presets import preset as training_preset
from ..pix2pix_core.training.sources import DataSource, merged_settings, open_training_data
from ..pix2pix_core.weights.directory import save_pretrained
from .common import CATEGORY, Pix2PixModel, Pix2PixModelIO, Progress, cancellable, input_path, schema, to_core
from .models import model_dir

DEFAULTS = Pix2PixConfig()
TRAINING_PRECISIONS = sorted(PRECISIONS, key=lambda name: name != "auto")  # auto first: the widgets' default


class Pix2PixTrain(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixTrain",
            search_aliases=["train pix2pix", "paired training", "train image to image", "fine-tune translator"],
            display_name="Pix2Pix Train",
            category=f"{CATEGORY}/training",
            description=(
                "Trains a pix2pix translator (the paper's recipe) from paired IMAGE batches or a folder, showing a "
                "preview as it goes. Cancel stops it and keeps a checkpoint; queueing it again resumes. The result "
                "is saved in models/pix2pix/<save_name>/ and returned."
            ),
            is_output_node=True,
            inputs=[
                io.Image.Input("inputs", optional=True, tooltip="Input images (A), paired with 'targets' by index; "
                                                               "with the colorize or edges2photo preset, photos "
                                                               "alone (each pair is derived from a photo)."),
                io.Image.Input("targets", optional=True, tooltip="Target images (B), same count as 'inputs'."),
                io.String.Input("folder", default="", tooltip="Or a folder inside ComfyUI's input folder (e.g. "
                                                             "'my_pairs'): aligned A|B images, A/ + B/ folders, or "
                                                             "photos with the colorize / edges2photo preset. Or a "
                                                             "Hub dataset: 'hub:huggan/facades' (its train split; "
                                                             "'hub:org/name@revision' pins a revision)."),
                io.Combo.Input("preset", options=["custom", *PAIRED_PRESETS], default="custom",
                               tooltip="colorize / edges2photo derive pairs from photos; facades: aligned, BtoA."),
                io.Int.Input("steps", default=1000, min=1, max=10**7, tooltip="Optimisation steps."),
                io.Float.Input("learning_rate", default=2e-4, min=1e-6, max=1e-2, step=1e-5,
                               tooltip="Adam learning rate (the paper: 0.0002), decayed linearly over the second "
                                       "half."),
                io.Int.Input("crop_size", default=256, min=64, max=1024, step=64,
                             tooltip="Training crop (the paper: 256 from 286); a multiple of 2^num_downs."),
                io.Int.Input("ngf", default=64, min=4, max=128, tooltip="Generator width (the paper: 64)."),
                io.Int.Input("num_downs", default=8, min=5, max=9, tooltip="U-Net levels: 8 for 256 px crops."),
                io.Combo.Input("precision", options=TRAINING_PRECISIONS, default="auto",
                               tooltip="Mixed precision for speed where supported."),
                io.String.Input("save_name", default="my-translator",
                                tooltip="Folder under models/pix2pix (a plain name); checkpoints go beside it in "
                                        "<save_name>.training/."),
                io.Int.Input("seed", default=0, min=0, max=2**31 - 1, tooltip="Seed for init, data order, jitter."),
                io.Float.Input("minutes", default=0.0, min=0.0, max=10**5, step=1.0,
                               tooltip="Stop after this long with a checkpoint and return the model (0: no limit). "
                                       "Queueing again continues the same schedule."),
                io.Combo.Input("generator", options=list(GENERATORS), default=DEFAULTS.generator,
                               tooltip="unet (pix2pix, skip connections) or resnet (CycleGAN-style residual blocks)."),
                io.Int.Input("n_blocks", default=DEFAULTS.n_blocks, min=1, max=32,
                             tooltip="ResNet generator: residual blocks (9 for 256 px, 6 for 128)."),
                io.Combo.Input("norm", options=list(NORMS), default=DEFAULTS.norm,
                               tooltip="Normalisation of both networks (the paper: batch)."),
                io.Boolean.Input("dropout", default=DEFAULTS.dropout,
                                 tooltip="Dropout 0.5 in the generator (the paper: on, it is its noise source)."),
                io.Combo.Input("discriminator", options=list(DISCRIMINATORS), default=DEFAULTS.discriminator,
                               tooltip="patchgan (judges overlapping patches) or pixel (1x1, colour only)."),
                io.Int.Input("n_layers", default=DEFAULTS.n_layers, min=1, max=5,
                             tooltip="PatchGAN layers: 1/2/3/4/5 give 16/34/70/142/286 px patches (the paper: 3)."),
                io.Float.Input("beta1", default=DEFAULTS.beta1, min=0.0, max=0.999, step=0.01,
                               tooltip="Adam beta1 (the paper: 0.5)."),
                io.Int.Input("decay_steps", default=-1, min=-1, max=10**7,
                             tooltip="Steps of linear learning-rate decay at the end (-1: the second half of the "
                                     "run, as the paper; 0: constant)."),
                io.Boolean.Input("tensorboard", default=False, optional=True,  # optional: older workflows load
                                 tooltip="Also write TensorBoard events (losses, learning rates, samples, settings) "
                                         "to models/pix2pix/<save_name>.training/tb; needs the tensorboard package."),
            ],
            outputs=[Pix2PixModelIO.Output(display_name="model", tooltip="The trained translator."),
                     io.Image.Output(display_name="loss_curve", tooltip="Each loss over the steps: a panel per "
                                             "loss with value and step axes, raw and smoothed.")],
        )

    @classmethod
    def execute(cls, inputs=None, targets=None, **widgets) -> io.NodeOutput:
        defaults = widget_defaults(cls)
        widgets = {**defaults, **widgets}
        recipe = training_preset(None if widgets["preset"] == "custom" else widgets["preset"])
        config = Pix2PixConfig(**merged_settings(recipe, _paired_fields(**widgets), _paired_fields(**defaults)))
        config.validate()
        save_name = widgets["save_name"]
        target, run_dir = training_folders(save_name)
        if widgets["folder"].strip():
            source = DataSource(node_data(widgets["folder"], "folder"))
        elif inputs is None:
            raise Pix2PixError("Pix2Pix Train: connect 'inputs' (with 'targets', or photos alone with the colorize "
                               "or edges2photo preset), or give a folder.")
        elif targets is None and recipe.kind not in DERIVED_KINDS:
            raise Pix2PixError("Pix2Pix Train: connect 'targets' too (paired with 'inputs' by index), or choose a "
                               "preset that derives the pairs from photos (colorize, edges2photo).")
        else:
            source = DataSource(a=to_core(inputs).clone(), b=None if targets is None else to_core(targets).clone())
        with torch.inference_mode(False), torch.enable_grad():
            dataset = open_training_data(source, recipe.kind, config, run_dir, fetch=cancellable)
            trainer = run_training(Pix2PixTrainer, config, dataset, run_dir, widgets["minutes"], "Pix2Pix Train",
                                   widgets["tensorboard"])
            generator, discriminator = trainer.generator.eval(), trainer.discriminator.eval()
            save_pretrained(generator, target, discriminator, overwrite=True)
        return io.NodeOutput(Pix2PixModel(generator, discriminator, save_name), loss_image(trainer.history))


def widget_defaults(node: type[io.ComfyNode]) -> dict:
    """A node's widget values as its schema declares them by default (optional ones included)."""
    return {item.id: item.default for item in node.define_schema().inputs if getattr(item, "default", None) is not None}


def _schedule(steps: int) -> dict:
    """How often a node's run samples and checkpoints: often enough that a short run shows and keeps its work."""
    return {"steps": steps, "sample_every": max(1, min(50, steps // 10)), "checkpoint_every": max(1, min(500, steps))}


def _paired_fields(steps, learning_rate, crop_size, ngf, num_downs, precision, seed, generator, n_blocks, norm,
                   dropout, discriminator, n_layers, beta1, decay_steps, **_) -> dict:
    """Pix2Pix Train's widgets as Pix2PixConfig fields."""
    return {**_schedule(steps), "lr": learning_rate, "crop_size": crop_size, "load_size": crop_size + crop_size // 8,
            "ngf": ngf, "ndf": ngf, "num_downs": num_downs, "precision": precision, "seed": seed,
            "generator": generator, "n_blocks": n_blocks, "norm": norm, "dropout": dropout,
            "discriminator": discriminator, "n_layers": n_layers, "beta1": beta1,
            "decay_steps": None if decay_steps < 0 else decay_steps}


def _unpaired_fields(steps, crop_size, ngf, n_blocks, precision, seed, **_) -> dict:
    """CycleGAN Train's widgets as CycleGANConfig fields."""
    return {**_schedule(steps), "crop_size": crop_size, "load_size": crop_size + crop_size // 8, "ngf": ngf,
            "ndf": ngf, "n_blocks": n_blocks, "precision": precision, "seed": seed}


def node_data(folder: str, what: str) -> Path | HubData:
    """A node's folder field: a Hub dataset ('hub:org/name[@revision]'), else a folder inside the input folder."""
    return hub_data(folder) if folder.strip().startswith(HUB_PREFIX) else input_path(folder, what)


def training_folders(save_name: str) -> tuple[Path, Path]:
    """``models/pix2pix/<save_name>`` and its run folder beside it; a model this training did not write is refused."""
    target = contained_path(model_dir(), save_name, what="save_name")
    run_dir = target.with_name(f"{target.name}.training")  # this run's checkpoints: queueing again resumes
    if target.exists() and not (run_dir / CHECKPOINT_DIR).is_dir():
        raise Pix2PixError(f"models/pix2pix/{save_name} already holds a model that this training did not write: "
                           "choose another save_name (or move that folder away first).")
    return target, run_dir


def run_training(trainer_class, config, dataset, run_dir: Path, minutes: float, label: str,
                 tensorboard: bool = False):
    """Train with ComfyUI's progress bar and live preview; Cancel saves a checkpoint, then stops the graph."""
    bar = Progress(config.steps, check_interrupt=False)
    latest = {}
    callbacks = TrainCallbacks(progress=lambda step, total, losses: bar(step, total, latest.pop("preview", None)),
                               preview=lambda step, grid: latest.__setitem__("preview", grid),
                               should_stop=bar.should_stop)
    trainer = trainer_class(config, dataset, run_dir, mm.get_torch_device(), callbacks,
                            log="tensorboard" if tensorboard else None)
    print(f"{label}: {dataset.describe()}")
    result = trainer.run(minutes * 60 if minutes > 0 else None)
    if result.stopped_early:  # Cancel: the checkpoint is saved, now stop the graph as ComfyUI expects
        raise mm.InterruptProcessingException()
    return trainer


def loss_image(history: list[dict[str, float]]) -> torch.Tensor:
    """The loss plot as an IMAGE ``[1, H, W, 3]``."""
    curve = torch.from_numpy(np.asarray(loss_plot(history))).float()[None] / 255
    return curve.to(mm.intermediate_device())


class Pix2PixTrainUnpaired(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixTrainUnpaired",
            search_aliases=["cyclegan", "unpaired training", "train style", "train cyclegan"],
            display_name="CycleGAN Train (unpaired)",
            category=f"{CATEGORY}/training",
            description=(
                "Trains a CycleGAN (Zhu et al. 2017, the reference's recipe) from two unpaired sets of images: "
                "photos and paintings, summer and winter, your photos and a look you want. Returns both "
                "directions. Cancel keeps a checkpoint; queueing again resumes. Saved in "
                "models/pix2pix/<save_name>/AtoB and /BtoA."
            ),
            is_output_node=True,
            inputs=[
                io.Image.Input("images_a", optional=True, tooltip="Domain A images (or give folder_a)."),
                io.Image.Input("images_b", optional=True, tooltip="Domain B images (or give folder_b)."),
                io.String.Input("folder_a", default="", tooltip="Or a folder of domain A images inside ComfyUI's "
                                                               "input folder (e.g. 'photos'). Or a Hub dataset "
                                                               "with both domains as two image columns, "
                                                               "'hub:org/name[@revision]' (leave folder_b empty)."),
                io.String.Input("folder_b", default="", tooltip="Or a folder of domain B images inside ComfyUI's "
                                                               "input folder (e.g. 'paintings')."),
                io.Combo.Input("preset", options=["custom", *UNPAIRED_PRESETS], default="custom", optional=True,
                               tooltip="custom: crop_size, ngf and n_blocks below. " + " ".join(
                                   f"{name}: {PRESETS[name].summary}." for name in UNPAIRED_PRESETS) +
                               " A preset sets those three where a widget is left at its default; a widget you "
                               "changed wins."),
                io.Int.Input("steps", default=1000, min=1, max=10**7, tooltip="Optimisation steps (the schedule)."),
                io.Float.Input("minutes", default=0.0, min=0.0, max=10**5, step=1.0,
                               tooltip="Stop after this long with a checkpoint (0: no limit); queue again to go on."),
                io.Int.Input("crop_size", default=256, min=32, max=1024, step=32,
                             tooltip="Training crop (the reference: 256 from 286)."),
                io.Int.Input("ngf", default=64, min=4, max=128, tooltip="Generator width (the reference: 64)."),
                io.Int.Input("n_blocks", default=9, min=1, max=32,
                             tooltip="Residual blocks: 9 for 256 px, 6 for 128 (the reference)."),
                io.Combo.Input("precision", options=TRAINING_PRECISIONS, default="auto",
                               tooltip="Mixed precision for speed where supported."),
                io.String.Input("save_name", default="my-cyclegan", tooltip="Folder under models/pix2pix."),
                io.Int.Input("seed", default=0, min=0, max=2**31 - 1, tooltip="Seed for init, data order, jitter."),
                io.Boolean.Input("tensorboard", default=False, optional=True,  # optional: older workflows load
                                 tooltip="Also write TensorBoard events (losses, learning rates, samples, settings) "
                                         "to models/pix2pix/<save_name>.training/tb; needs the tensorboard package."),
            ],
            outputs=[Pix2PixModelIO.Output(display_name="a_to_b", tooltip="G_A: domain A -> domain B."),
                     Pix2PixModelIO.Output(display_name="b_to_a", tooltip="G_B: domain B -> domain A."),
                     io.Image.Output(display_name="loss_curve", tooltip="Each loss over the steps: a panel per "
                                                                              "loss, raw and smoothed.")],
        )

    @classmethod
    def execute(cls, images_a=None, images_b=None, **widgets) -> io.NodeOutput:
        defaults = widget_defaults(cls)
        widgets = {**defaults, **widgets}
        recipe = training_preset(None if widgets["preset"] == "custom" else widgets["preset"])
        config = CycleGANConfig(**merged_settings(recipe, _unpaired_fields(**widgets), _unpaired_fields(**defaults)))
        config.validate()
        save_name = widgets["save_name"]
        target, run_dir = training_folders(save_name)
        source = cls._source(images_a, images_b, widgets["folder_a"], widgets["folder_b"])
        with torch.inference_mode(False), torch.enable_grad():
            dataset = open_training_data(source, "unpaired", config, run_dir, fetch=cancellable)
            trainer = run_training(CycleGANTrainer, config, dataset, run_dir, widgets["minutes"], "CycleGAN Train",
                                   widgets["tensorboard"])
            models = []
            for direction, g, d in (("AtoB", trainer.g_a, trainer.d_a), ("BtoA", trainer.g_b, trainer.d_b)):
                save_pretrained(g.eval(), target / direction, d.eval(), overwrite=True)
                models.append(Pix2PixModel(g, d, f"{save_name}/{direction}"))
        return io.NodeOutput(*models, loss_image(trainer.history))

    @staticmethod
    def _source(images_a, images_b, folder_a: str, folder_b: str) -> DataSource:
        if folder_a.strip().startswith(HUB_PREFIX):
            if folder_b.strip() or images_b is not None:
                raise Pix2PixError("CycleGAN Train: a Hub dataset in folder_a holds both domains (two image columns); "
                                   "leave folder_b and images_b empty.")
            return DataSource(hub_data(folder_a))
        sides = [input_path(folder, name) if folder.strip() else
                 (to_core(images).clone() if images is not None else None)
                 for name, folder, images in (("folder_a", folder_a, images_a), ("folder_b", folder_b, images_b))]
        if any(side is None for side in sides):
            raise Pix2PixError("CycleGAN Train: give each domain as images or a folder (images_a/folder_a and "
                               "images_b/folder_b).")
        return DataSource(a=sides[0], b=sides[1])
