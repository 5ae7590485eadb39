"""The pix2pixHD trainer (Wang et al., CVPR 2018; NVIDIA/pix2pixHD ``models/pix2pixHD_model.py`` and ``train.py``)
on the shared training loop (atomic checkpoints, exact resume, callbacks, mixed precision: see ``loop``).

Every step, as NVIDIA's: the generator translates the encoded label map; the multiscale discriminator judges the
detached fake pair and the real pair (its loss, halved, is the D loss) and the fake pair again for the generator,
whose loss is the GAN loss (summed over the scales, LSGAN by default) + lambda_feat x the discriminator feature
matching (4 / (n_layers + 1) per layer, 1 / num_D per scale) + lambda_feat x the VGG19 perceptual loss (``vgg``).
Then Adam steps the generator and the discriminator (2e-4, betas 0.5 / 0.999).

With ``instance_feat`` (NVIDIA's ``--instance_feat``) a feature encoder, trained with the generator, encodes the real
photo; its output averaged over each instance follows the label map into the generator, and every checkpoint holds
the encoder and the k-means clusters of those features per label, from which translation draws them.

The global-then-local schedule: a ``local`` generator may start from a trained ``global`` one (``global_from``,
NVIDIA's ``--load_pretrain``) and, for the first ``fix_global_steps`` steps, train only its outermost enhancer
(NVIDIA's ``--niter_fix_global``, counted in steps here); then the whole generator trains with a fresh Adam state,
as NVIDIA's ``update_fixed_params`` makes a new optimiser.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..errors import ConfigError
from ..imaging.labels import coloured_labels
from ..networks import (
    FeatureEncoderConfig,
    LocalEnhancerConfig,
    MultiscalePatchGANConfig,
    ResnetConfig,
    build_network,
    init_weights,
)
from ..networks.io import IOSpec
from ..weights.config import MAX_LABELS
from ..weights.directory import DISCRIMINATOR_FILE, ENCODER_FILE, GENERATOR_FILE, write_pretrained
from ..weights.feature_clusters import CLUSTER_FILE, write_feature_clusters
from ..weights.files import read_weights
from ..weights.loader import load_generator
from .instance_features import cluster_features, instance_vectors
from .label_data import RESIZE_OR_CROP
from .loop import LoopConfig, TrainingLoop, _displayable, _plain, _world, ddp
from .objective import feature_matching_loss, multiscale_gan_loss
from .vgg import VGGLoss, load_vgg

HD_GENERATORS = ("global", "local")
ARCHITECTURE_FIELDS = ("generator", "ngf", "n_downsample_global", "n_blocks", "n_local_enhancers", "n_blocks_local",
                       "norm", "ndf", "n_layers", "num_D", "label_nc", "instance", "feature_matching", "instance_feat",
                       "feat_num", "nef", "n_downsample_E")


@dataclass
class Pix2PixHDConfig(LoopConfig):
    """Everything that defines a pix2pixHD run (saved with every checkpoint). Defaults are NVIDIA's
    (``n_blocks`` is its n_blocks_global, ``n_layers`` its n_layers_D, ``load_size`` / ``crop_size`` its
    loadSize / fineSize)."""

    generator: str = "global"  # global | local (NVIDIA's --netG)
    n_downsample_global: int = 4
    n_local_enhancers: int = 1
    n_blocks_local: int = 3
    num_D: int = 2  # noqa: N815 - NVIDIA's option name
    norm: str = "instance"
    gan_mode: str = "lsgan"
    label_nc: int = 35
    instance: bool = True  # an instance-boundary channel after the labels (NVIDIA's --no_instance turns it off)
    lambda_feat: float = 10.0
    feature_matching: bool = True
    vgg_loss: bool = True
    vgg: str = "auto"  # auto | random | a path: see training/vgg.py
    fix_global_steps: int = 0
    global_from: str = ""  # a trained global generator a local one starts from
    instance_feat: bool = False  # NVIDIA's --instance_feat: a feature encoder trained with G, its output one more input
    feat_num: int = 3
    nef: int = 16
    n_downsample_E: int = 4  # noqa: N815 - NVIDIA's option name
    n_clusters: int = 10  # k-means centres per label, computed into the checkpoint with every save
    load_size: int = 1024
    crop_size: int = 512
    resize_or_crop: str = "scale_width"

    def validate(self) -> None:
        if self.generator not in HD_GENERATORS:
            raise ConfigError(f"generator must be one of {', '.join(HD_GENERATORS)}, got {self.generator!r}.")
        if self.resize_or_crop not in RESIZE_OR_CROP:
            raise ConfigError(f"resize_or_crop must be one of {', '.join(RESIZE_OR_CROP)}, got "
                              f"{self.resize_or_crop!r}.")
        for name in ("n_downsample_global", "n_local_enhancers", "num_D"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if self.label_nc == 0 and self.instance:
            raise ConfigError("label_nc 0 trains on images (train_A/ -> train_B/), which have no instance maps: "
                              "turn the instance channel off (--no-instance).")
        if self.label_nc > MAX_LABELS:
            raise ConfigError(f"label_nc must be at most {MAX_LABELS} (the one-hot input has a channel per label), "
                              f"got {self.label_nc}.")
        for name in ("n_blocks_local", "fix_global_steps", "label_nc"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 or more, got {getattr(self, name)}.")
        if not self.lambda_feat >= 0:
            raise ConfigError(f"lambda_feat must be 0 or more, got {self.lambda_feat}.")
        if self.instance_feat and self.label_nc == 0:
            raise ConfigError("instance_feat encodes the instances of label maps: it needs label_nc of 1 or more.")
        for name in ("feat_num", "nef", "n_downsample_E", "n_clusters"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if self.generator == "global" and (self.fix_global_steps or self.global_from):
            raise ConfigError("fix_global_steps and global_from train a local enhancer on a global generator: use "
                              "generator 'local' (NVIDIA's --netG local).")
        super().validate()

    @property
    def input_channels(self) -> int:
        """One-hot labels (and the boundaries), or with label_nc 0 an RGB image (NVIDIA's image mode)."""
        return self.label_nc + int(self.instance) if self.label_nc else 3

    def io(self) -> IOSpec:
        if not self.label_nc:
            return IOSpec("rgb", "rgb", self.train_size, train_scale=self.load_size)
        return IOSpec("labels", "rgb", self.train_size, train_scale=self.load_size, label_nc=self.label_nc,
                      instance_boundaries=self.instance)

    def network_configs(self, in_channels: int | None = None,
                        out_channels: int = 3) -> tuple[ResnetConfig | LocalEnhancerConfig, MultiscalePatchGANConfig]:
        """The generator (which also takes the instance features) and the discriminator (the label map and the
        image: no features, as NVIDIA's)."""
        in_channels = in_channels or self.input_channels
        g_in = in_channels + (self.feat_num if self.instance_feat else 0)
        if self.generator == "global":
            g = ResnetConfig(g_in, out_channels, self.ngf, self.n_blocks, self.norm, bias=True,
                             n_downsampling=self.n_downsample_global)
        else:
            g = LocalEnhancerConfig(g_in, out_channels, self.ngf, self.n_downsample_global, self.n_blocks,
                                    self.n_local_enhancers, self.n_blocks_local, self.norm)
        d = MultiscalePatchGANConfig(in_channels + out_channels, self.ndf, self.n_layers, self.num_D, self.norm,
                                     intermediate_features=self.feature_matching)
        return g, d

    def encoder_config(self, out_channels: int = 3) -> FeatureEncoderConfig:
        return FeatureEncoderConfig(out_channels, self.feat_num, self.nef, self.n_downsample_E, self.norm)

    @property
    def crops(self) -> bool:
        return self.resize_or_crop == "scale_width_and_crop"

    @property
    def train_size(self) -> int:
        return self.crop_size if self.crops else self.load_size


class Pix2PixHDTrainer(TrainingLoop):
    """Train a pix2pixHD generator and multiscale discriminator on a :class:`LabelMapDataset`."""

    ARCHITECTURE_FIELDS = ARCHITECTURE_FIELDS

    def _build(self, sample: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        torch.manual_seed(c.seed)
        label_channels = sample[0].shape[0] - int(c.instance_feat)  # the instance ids ride along for the encoder
        g_config, d_config = c.network_configs(label_channels, sample[1].shape[0])
        # NVIDIA's init: N(0, 0.02) convolutions, PyTorch's default biases; G, then D, then E, then the VGG
        configs = (g_config, d_config) + ((c.encoder_config(sample[1].shape[0]),) if c.instance_feat else ())
        self.generator, self.discriminator, *encoder = (init_weights(build_network(cfg), zero_biases=False)
                                                        for cfg in configs)
        self.encoder = encoder[0] if encoder else None
        if c.global_from:
            start_from_global(self.generator, c.global_from)
        self.generator.io = c.io()
        self.vgg_loss = VGGLoss(load_vgg(c.vgg)) if c.vgg_loss else None
        self.memory_format = self.training_memory_format()
        for name in ("generator", "discriminator", "encoder", "vgg_loss"):
            if getattr(self, name) is not None:
                setattr(self, name, getattr(self, name).to(self.device, memory_format=self.memory_format))
        # NVIDIA's --niter_fix_global trains the parameters of the outermost enhancer alone (model{n}_1, model{n}_2)
        enhancer = f"model{c.n_local_enhancers}"
        self.fixed_parameters = [p for name, p in self.generator.named_parameters()
                                 if c.fix_global_steps and not name.startswith(enhancer)]
        self.opt_g = self._adam(itertools.chain(self.generator.parameters(),  # E trains with G, as NVIDIA's
                                                self.encoder.parameters() if self.encoder is not None else ()))
        self.opt_d = self._adam(self.discriminator.parameters())
        return {"g": self.opt_g, "d": self.opt_d}

    def _prepare_run(self) -> None:
        self._g_train, self._d_train = ddp(self.generator), ddp(self.discriminator)
        self._e_train = ddp(self.encoder) if self.encoder is not None else None

    def _generator_input(self, labels: torch.Tensor, real: torch.Tensor,
                         encoder: nn.Module | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(the label map the discriminator sees, the generator's input): with instance features, the encoder's
        instance means of the real photo follow the label map (the last channel of ``labels`` holds the ids)."""
        if self.encoder is None:
            return labels, labels
        labels, instances = labels[:, :-1], labels[:, -1:].round().long()
        return labels, torch.cat([labels, (encoder or self.encoder)(real, instances)], 1)

    def _step(self, labels: torch.Tensor, real: torch.Tensor) -> dict[str, float]:
        c, g, d = self.config, self._g_train, self._d_train
        global_fixed = self._fix_or_free_the_global_generator()
        labels = labels.contiguous(memory_format=self.memory_format)
        real = real.contiguous(memory_format=self.memory_format)
        g.train()
        d.train()
        with self._autocast():
            labels, g_input = self._generator_input(labels, real, self._e_train)
            fake = g(g_input)
            # the discriminator's losses, on the detached fake pair first, as NVIDIA's forward
            self.discriminator.requires_grad_(True)
            d_fake = multiscale_gan_loss(d(torch.cat([labels, fake.detach()], 1)), False, c.gan_mode)
            real_outputs = d(torch.cat([labels, real], 1))
            d_real = multiscale_gan_loss(real_outputs, True, c.gan_mode)
            # the generator's, through the same discriminator (frozen: its gradients from G's loss are unused)
            self.discriminator.requires_grad_(False)
            fake_outputs = d(torch.cat([labels, fake], 1))
            losses = {"gan": multiscale_gan_loss(fake_outputs, True, c.gan_mode)}
            if c.feature_matching:
                losses["feat"] = feature_matching_loss(fake_outputs, real_outputs, c.n_layers) * c.lambda_feat
            if self.vgg_loss is not None:
                losses["vgg"] = self.vgg_loss(fake, real) * c.lambda_feat
            loss_g = sum(losses.values())
            loss_d = 0.5 * (d_fake + d_real)
        self._check_finite("G", loss_g)
        self._check_finite("D", loss_d)
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler.scale(loss_g).backward()
        if global_fixed:
            for parameter in self.fixed_parameters:
                parameter.grad = None
        self.scaler.step(self.opt_g)
        self.discriminator.requires_grad_(True)
        self.opt_d.zero_grad(set_to_none=True)
        self.scaler.scale(loss_d).backward()
        self.scaler.step(self.opt_d)
        self._finish_step()
        return {"loss_g": loss_g.item(), "loss_d": loss_d.item(), **{k: v.item() for k, v in losses.items()},
                "d_real": d_real.item(), "d_fake": d_fake.item()}

    def _fix_or_free_the_global_generator(self) -> bool:
        """Whether the global generator is fixed this step (before step ``fix_global_steps``): Adam leaves it, and in
        one process it takes no gradients at all (its backward pass is skipped). Under DDP every parameter keeps
        requiring gradients, as each rank's reducer was built with, and the fixed ones' are dropped before Adam
        (NVIDIA's step computes them too). At that step Adam starts afresh, as NVIDIA's new optimiser does."""
        fixed = bool(self.fixed_parameters) and self.step < self.config.fix_global_steps
        if self.fixed_parameters and _world() == 1:
            for parameter in self.fixed_parameters:
                parameter.requires_grad_(not fixed)
        if self.fixed_parameters and self.step == self.config.fix_global_steps:
            self.opt_g.state.clear()
        return fixed

    def _sample(self, labels: torch.Tensor, real: torch.Tensor) -> None:
        with torch.no_grad():
            self.generator.eval()
            labels, g_input = self._generator_input(labels[:1].to(self.device), real[:1].to(self.device))
            fake = self.generator(g_input.contiguous(memory_format=self.memory_format))
            self.generator.train()
        shown = coloured_labels(labels[:1].float().cpu(), self.config.label_nc) if self.config.label_nc else \
            _displayable(labels[:1])
        grid = [shown, _displayable(fake.float().cpu()), _displayable(real[:1])]
        self._save_sample(torch.cat(grid, -1)[0])

    def _write_networks(self, folder: Path) -> None:
        c = self.config
        vgg = ("off" if not c.vgg_loss else "random VGG19: its features are not perceptual" if c.vgg == "random"
               else "torchvision's ImageNet VGG19")
        self.generator.training_facts = {"method": "pix2pixhd", **self.data_facts(), "gan_mode": c.gan_mode,
                                         "lambda_feat": c.lambda_feat, "feature_matching": c.feature_matching,
                                         "vgg_loss": vgg, **self._feature_facts(), "steps": self.step,
                                         "batch_size": c.batch_size, "lr": c.lr,
                                         "last_losses": self.history[-1] if self.history else {}}
        write_pretrained(_plain(self.generator), folder, _plain(self.discriminator), name=self.out_dir.name,
                         encoder=self.encoder)
        if self.encoder is not None:  # every checkpoint translates: its clusters are computed with it
            write_feature_clusters(folder / CLUSTER_FILE.format(c.n_clusters), self._feature_clusters())

    def _feature_facts(self) -> dict[str, str]:
        c = self.config
        if not c.instance_feat:
            return {}
        return {"instance_features": f"{c.feat_num} per instance, drawn from {CLUSTER_FILE.format(c.n_clusters)} "
                                     f"(up to {c.n_clusters} k-means centres per label; encoder: {ENCODER_FILE})"}

    def _feature_clusters(self) -> dict[int, torch.Tensor]:
        """NVIDIA's encode_features.py over the training examples (unflipped), then k-means per label."""
        vectors: dict[int, list[torch.Tensor]] = {}
        examples = copy.copy(self.dataset)
        examples.flip = False
        self.encoder.eval()
        with torch.no_grad():
            for index in range(len(examples)):
                labels, photo = (x[None].to(self.device) for x in examples[index])
                instances = labels[:, -1:].round().long()
                features = self.encoder(photo, instances)[0].float().cpu()
                for label, found in instance_vectors(features, instances[0, 0].cpu()).items():
                    vectors.setdefault(label, []).extend(found)
        self.encoder.train()
        return cluster_features(vectors, self.config.n_clusters, self.config.seed)

    def _load_networks(self, folder: Path) -> None:
        self.generator.load_state_dict(read_weights(folder / GENERATOR_FILE).state_dict)
        self.discriminator.load_state_dict(read_weights(folder / DISCRIMINATOR_FILE).state_dict)
        if self.encoder is not None:
            self.encoder.load_state_dict(read_weights(folder / ENCODER_FILE).state_dict)


def start_from_global(local: nn.Module, source: str) -> None:
    """Copy a trained global generator (our folder or NVIDIA's ``latest_net_G.pth``) into ``local``'s global part
    (all its layers but the last three), as NVIDIA's ``--load_pretrain`` does; its shape must be the one inside."""
    trained = load_generator(source)
    expected = local.config.global_config()
    found = trained.config
    if not isinstance(found, ResnetConfig) or any(
            getattr(found, name) != getattr(expected, name)
            for name in ("in_channels", "ngf", "n_blocks", "n_downsampling", "norm")):
        raise ConfigError(
            f"{source} is not the global generator this local enhancer holds: it needs a global generator of "
            f"{expected.in_channels} input channels, ngf {expected.ngf} (the local ngf x 2^n_local_enhancers), "
            f"{expected.n_downsampling} downsamplings and {expected.n_blocks} blocks; {source} is a "
            f"{found.architecture} with {_shape(found)}. Train the global generator with those settings first "
            "(NVIDIA's label2city_512p for a local ngf 32).")
    own = local.model.state_dict()
    local.model.load_state_dict({key: value for key, value in trained.model.state_dict().items() if key in own})


def _shape(config) -> str:
    names = ("in_channels", "ngf", "n_downsampling", "n_blocks")
    return ", ".join(f"{name} {getattr(config, name)}" for name in names if hasattr(config, name))
