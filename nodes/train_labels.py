"""Train a pix2pixHD label-map translator inside ComfyUI from a folder in NVIDIA's layout, with progress, preview
and Cancel (the same run folder, resume and save rules as Pix2Pix Train)."""

from __future__ import annotations

import torch
from comfy_api.latest import io

from ..pix2pix_core.paths import contained_path
from ..pix2pix_core.training.label_data import INSTANCE_DIR, LABEL_DIR, PHOTO_DIR, RESIZE_OR_CROP
from ..pix2pix_core.training.pix2pixhd import HD_GENERATORS, Pix2PixHDConfig, Pix2PixHDTrainer
from ..pix2pix_core.training.sources import DataSource, open_training_data
from ..pix2pix_core.weights.directory import CHECKPOINT_DIR, save_pretrained
from ..pix2pix_core.weights.feature_clusters import feature_files
from .common import CATEGORY, Pix2PixModel, Pix2PixModelIO, cancellable, input_path, schema
from .models import model_dir
from .train import TRAINING_PRECISIONS, _schedule, loss_image, run_training, training_folders, widget_defaults

HD = Pix2PixHDConfig()
VGG_CHOICES = ("auto", "off", "random")


class Pix2PixTrainLabels(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="Pix2PixTrainLabels",
            search_aliases=["pix2pixhd", "train pix2pixhd", "label map training", "train label2city"],
            display_name="Pix2PixHD Train (label maps)",
            category=f"{CATEGORY}/training",
            description=(
                "Trains a pix2pixHD translator (Wang et al. 2018, NVIDIA's recipe: multiscale discriminator, feature "
                "matching, VGG loss) from label maps and their photos, for Pix2Pix Translate Labels. Cancel keeps a "
                "checkpoint; queueing again resumes. Saved in models/pix2pix/<save_name>/."
            ),
            is_output_node=True,
            inputs=[
                io.String.Input("folder", default="", tooltip=f"A folder inside ComfyUI's input folder laid out as "
                                f"NVIDIA's datasets: {LABEL_DIR}/ (label-id PNGs), {PHOTO_DIR}/ (photos) and "
                                f"optionally {INSTANCE_DIR}/ (16-bit instance ids), the n-th files of each one "
                                "example."),
                io.Int.Input("label_nc", default=HD.label_nc, min=0, max=1024,
                             tooltip="Label ids 0 .. N-1 in the label maps (Cityscapes' labelIds: 35); 0: images "
                                     "in (train_A/ -> train_B/, instance off), an image translator."),
                io.Boolean.Input("instance", default=HD.instance,
                                 tooltip=f"An instance-boundary channel: from {INSTANCE_DIR}/, or without it the "
                                         "boundaries between labels (NVIDIA's default: on)."),
                io.Int.Input("steps", default=1000, min=1, max=10**7, tooltip="Optimisation steps (the schedule)."),
                io.Float.Input("minutes", default=0.0, min=0.0, max=10**5, step=1.0,
                               tooltip="Stop after this long with a checkpoint (0: no limit); queue again to go on."),
                io.Combo.Input("generator", options=list(HD_GENERATORS), default=HD.generator,
                               tooltip="global (label2city 512p) or local: a global generator inside a local "
                                       "enhancer at twice the resolution (label2city 1024p)."),
                io.Int.Input("ngf", default=HD.ngf, min=4, max=128,
                             tooltip="Generator width (NVIDIA: 64 global, 32 local)."),
                io.Int.Input("n_downsample_global", default=HD.n_downsample_global, min=1, max=6,
                             tooltip="Stride-2 convolutions of the global generator (NVIDIA: 4)."),
                io.Int.Input("n_blocks", default=HD.n_blocks, min=1, max=32,
                             tooltip="Residual blocks of the global generator (NVIDIA: 9)."),
                io.Int.Input("ndf", default=HD.ndf, min=4, max=128, tooltip="Discriminator width (NVIDIA: 64)."),
                io.Int.Input("num_D", default=HD.num_D, min=1, max=4,
                             tooltip="Discriminators, each at half the scale of the last (NVIDIA: 2; 3 at 1024p)."),
                io.Combo.Input("resize_or_crop", options=list(RESIZE_OR_CROP), default=HD.resize_or_crop,
                               tooltip="scale_width: to load_size wide; scale_width_and_crop: then a random "
                                       "crop_size square; none: as they are."),
                io.Int.Input("load_size", default=HD.load_size, min=32, max=4096, step=32,
                             tooltip="Width the examples are scaled to (NVIDIA: 1024)."),
                io.Int.Input("crop_size", default=HD.crop_size, min=32, max=4096, step=32,
                             tooltip="The square crop of scale_width_and_crop (NVIDIA: 512)."),
                io.Combo.Input("vgg_loss", options=list(VGG_CHOICES), default="auto",
                               tooltip="The VGG19 perceptual loss: auto uses torchvision's ImageNet file in torch's "
                                       "hub cache (downloaded there once, 548 MB); off trains without it; random is "
                                       "for tests (its features are not perceptual)."),
                io.String.Input("global_from", default="", tooltip="local: a trained global generator under "
                                "models/pix2pix to start from (e.g. 'label2city_512p/latest_net_G.pth')."),
                io.Int.Input("fix_global_steps", default=0, min=0, max=10**7,
                             tooltip="local: train only the enhancer for this many steps first (NVIDIA's "
                                     "niter_fix_global, in steps)."),
                io.Boolean.Input("instance_features", default=False,
                                 tooltip="The paper's instance-level features (NVIDIA's --instance_feat): a feature "
                                         "encoder trains with the generator, and the saved model keeps each label's "
                                         "feature clusters, from which Translate Labels draws a look per "
                                         "feature_seed."),
                io.Combo.Input("precision", options=TRAINING_PRECISIONS, default="auto",
                               tooltip="Mixed precision for speed where supported."),
                io.String.Input("save_name", default="my-label-translator", tooltip="Folder under models/pix2pix."),
                io.Int.Input("seed", default=0, min=0, max=2**31 - 1, tooltip="Seed for init, data order, jitter."),
                io.Boolean.Input("tensorboard", default=False,
                                 tooltip="Also write TensorBoard events to models/pix2pix/<save_name>.training/tb; "
                                         "needs the tensorboard package."),
            ],
            outputs=[Pix2PixModelIO.Output(display_name="model", tooltip="The trained label-map translator, for "
                                                                          "Pix2Pix Translate Labels."),
                     io.Image.Output(display_name="loss_curve", tooltip="Each loss over the steps, raw and smoothed.")],
        )

    @classmethod
    def execute(cls, **widgets) -> io.NodeOutput:
        widgets = {**widget_defaults(cls), **widgets}
        config = Pix2PixHDConfig(**_label_fields(**widgets))
        config.validate()
        save_name = widgets["save_name"]
        target, run_dir = training_folders(save_name)
        source = DataSource(input_path(widgets["folder"], "folder"))
        with torch.inference_mode(False), torch.enable_grad():
            dataset = open_training_data(source, "labels", config, run_dir, fetch=cancellable)
            trainer = run_training(Pix2PixHDTrainer, config, dataset, run_dir, widgets["minutes"],
                                   "Pix2PixHD Train", widgets["tensorboard"])
            generator, discriminator = trainer.generator.eval(), trainer.discriminator.eval()
            # with instance features, the encoder and the clusters Translate Labels draws from go along
            save_pretrained(generator, target, discriminator, overwrite=True,
                            extra_files=feature_files(run_dir / CHECKPOINT_DIR))
        return io.NodeOutput(Pix2PixModel(generator, discriminator, save_name), loss_image(trainer.history))


def _label_fields(steps, label_nc, instance, generator, ngf, n_downsample_global, n_blocks, ndf, num_D, resize_or_crop,
                  load_size, crop_size, vgg_loss, global_from, fix_global_steps, instance_features, precision, seed,
                  **_) -> dict:  # noqa: N803
    """Pix2PixHD Train's widgets as Pix2PixHDConfig fields; global_from is resolved inside models/pix2pix."""
    start = str(contained_path(model_dir(), global_from, what="global_from")) if global_from.strip() else ""
    return {**_schedule(steps), "label_nc": label_nc, "instance": instance, "generator": generator, "ngf": ngf,
            "n_downsample_global": n_downsample_global, "n_blocks": n_blocks, "ndf": ndf, "num_D": num_D,
            "resize_or_crop": resize_or_crop, "load_size": load_size, "crop_size": crop_size,
            "vgg_loss": vgg_loss != "off", "vgg": "random" if vgg_loss == "random" else "auto",
            "global_from": start, "fix_global_steps": fix_global_steps, "instance_feat": instance_features,
            "precision": precision, "seed": seed}
