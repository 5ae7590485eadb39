"""The pix2pix trainer: paper defaults, on the shared training loop (atomic checkpoints, exact resume, callbacks,
mixed precision, DDP: see ``loop``).

Every step: the discriminator step (halved loss on real and detached fake pairs), then the generator step
(GAN loss + lambda * L1), Adam (2e-4, betas 0.5/0.999), a constant learning rate then a linear decay to zero.
All randomness is a function of the seed and the step (data order, jitter) or is saved in the checkpoint (the
RNG that drives dropout), so stopping and resuming reproduces an uninterrupted run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..errors import ConfigError
from ..networks import (
    NetworkConfig,
    PatchGANConfig,
    PixelDiscriminatorConfig,
    ResnetConfig,
    UnetConfig,
    build_network,
    init_weights,
)
from ..networks.io import DIRECTIONS, IOSpec
from ..weights.directory import DISCRIMINATOR_FILE, GENERATOR_FILE, write_pretrained
from ..weights.files import read_weights
from .loop import (  # noqa: F401 - CHECKPOINT_DIR ... ddp: the trainer's public names, re-exported
    CHECKPOINT_DIR,
    BatchSchedule,
    LoopConfig,
    TrainCallbacks,
    TrainingDiverged,
    TrainingLoop,
    _displayable,
    _plain,
    _world,
    ddp,
)
from .objective import discriminator_loss, generator_loss

GENERATORS = ("unet", "resnet")
DISCRIMINATORS = ("patchgan", "pixel")
ARCHITECTURE_FIELDS = ("generator", "ngf", "num_downs", "n_blocks", "norm", "dropout", "discriminator", "ndf",
                       "n_layers")


@dataclass
class Pix2PixConfig(LoopConfig):
    """Everything that defines a pix2pix run (saved with every checkpoint). Defaults are the paper's."""

    lambda_l1: float = 100.0
    generator: str = "unet"  # unet | resnet
    num_downs: int = 8
    dropout: bool = True
    discriminator: str = "patchgan"  # patchgan | pixel
    sync_batchnorm: bool = False
    direction: str = "AtoB"
    input_space: str = ""  # default from the channel count
    output_space: str = ""

    def validate(self) -> None:
        for name, allowed in (("generator", GENERATORS), ("discriminator", DISCRIMINATORS),
                              ("direction", DIRECTIONS)):
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}.")
        if self.num_downs < 1:
            raise ConfigError(f"num_downs must be at least 1, got {self.num_downs}.")
        if not self.lambda_l1 >= 0:
            raise ConfigError(f"lambda_l1 must be 0 or more, got {self.lambda_l1}.")
        super().validate()

    def crop_multiple_hint(self) -> str:
        return "lower num_downs or " if self.generator == "unet" else ""

    def network_configs(self, in_channels: int = 3, out_channels: int = 3) -> tuple[NetworkConfig, NetworkConfig]:
        """The generator and discriminator this run trains (the discriminator sees the pair: in + out channels)."""
        if self.generator == "unet":
            g = UnetConfig(in_channels, out_channels, self.num_downs, self.ngf, self.norm, self.dropout)
        else:
            g = ResnetConfig(in_channels, out_channels, self.ngf, self.n_blocks, self.norm, dropout=self.dropout)
        d_args = {"in_channels": in_channels + out_channels, "ndf": self.ndf, "norm": self.norm}
        d = PatchGANConfig(n_layers=self.n_layers, **d_args) if self.discriminator == "patchgan" \
            else PixelDiscriminatorConfig(**d_args)
        return g, d


class Pix2PixTrainer(TrainingLoop):
    """Train a generator and discriminator on a :class:`PairDataset`, writing into ``out_dir``."""

    ARCHITECTURE_FIELDS = ARCHITECTURE_FIELDS

    def _build(self, sample: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.optim.Optimizer]:
        self.generator, self.discriminator = self._build_networks(sample[0].shape[0], sample[1].shape[0])
        self.opt_g, self.opt_d = self._adam(self.generator.parameters()), self._adam(self.discriminator.parameters())
        return {"g": self.opt_g, "d": self.opt_d}

    def _build_networks(self, in_channels: int, out_channels: int) -> tuple[nn.Module, nn.Module]:
        c = self.config
        torch.manual_seed(c.seed)
        g_config, d_config = c.network_configs(in_channels, out_channels)
        g, d = (init_weights(build_network(cfg)).to(self.device) for cfg in (g_config, d_config))
        g.io = IOSpec(c.input_space or IOSpec.default_for(in_channels, out_channels).input_space,
                      c.output_space or IOSpec.default_for(in_channels, out_channels).output_space,
                      c.crop_size, c.direction, train_scale=c.load_size)
        self.memory_format = self.training_memory_format()
        g, d = g.to(memory_format=self.memory_format), d.to(memory_format=self.memory_format)
        if c.sync_batchnorm and _world() > 1:
            g, d = (nn.SyncBatchNorm.convert_sync_batchnorm(net) for net in (g, d))
        return g, d

    def _prepare_run(self) -> None:
        self._g_train, self._d_train = ddp(self.generator), ddp(self.discriminator)

    def _step(self, a: torch.Tensor, b: torch.Tensor) -> dict[str, float]:
        return self._train_step(self._g_train, self._d_train, a, b)

    def _train_step(self, g: nn.Module, d: nn.Module, real_a: torch.Tensor, real_b: torch.Tensor) -> dict[str, float]:
        c = self.config
        real_a = real_a.contiguous(memory_format=self.memory_format)
        real_b = real_b.contiguous(memory_format=self.memory_format)
        g.train()
        d.train()
        with self._autocast():
            fake_b = g(real_a)
        # discriminator step, on the real pair and the detached fake pair
        self.discriminator.requires_grad_(True)
        self.opt_d.zero_grad(set_to_none=True)
        with self._autocast():  # fake first, as the reference (the order of BatchNorm's running-stat updates)
            fake_logits = d(torch.cat([real_a, fake_b.detach()], 1))
            loss_d = discriminator_loss(d(torch.cat([real_a, real_b], 1)), fake_logits, c.gan_mode)
        self._check_finite("D", loss_d)
        self.scaler.scale(loss_d).backward()
        self.scaler.step(self.opt_d)
        # generator step, through the updated discriminator
        self.discriminator.requires_grad_(False)
        self.opt_g.zero_grad(set_to_none=True)
        with self._autocast():
            loss_g, adversarial, l1 = generator_loss(d(torch.cat([real_a, fake_b], 1)), fake_b.float(),
                                                     real_b.float(), c.lambda_l1, c.gan_mode)
        self._check_finite("G", loss_g)
        self.scaler.scale(loss_g).backward()
        self.scaler.step(self.opt_g)
        self._finish_step()
        self.discriminator.requires_grad_(True)
        return {"loss_d": loss_d.item(), "loss_g": loss_g.item(), "gan": adversarial.item(), "l1": l1.item()}

    def _sample(self, a: torch.Tensor, b: torch.Tensor) -> None:
        with torch.no_grad():
            self.generator.eval()
            fake = self.generator(a[:1].to(self.device).contiguous(memory_format=self.memory_format)).float().cpu()
            self.generator.train()
        luminance = a[:1] if a.shape[1] == 1 and fake.shape[1] == 2 else None  # a colorizer: L in, ab out
        grid = [_displayable(a[:1]), _displayable(fake, luminance), _displayable(b[:1], luminance)]
        self._save_sample(torch.cat(grid, -1)[0])

    def _write_networks(self, folder: Path) -> None:
        self.generator.training_facts = {**self.data_facts(), "lambda_l1": self.config.lambda_l1,
                                         "gan_mode": self.config.gan_mode, "steps": self.step,
                                         "batch_size": self.config.batch_size, "lr": self.config.lr,
                                         "last_losses": self.history[-1] if self.history else {}}
        write_pretrained(_plain(self.generator), folder, _plain(self.discriminator), name=self.out_dir.name)

    def _load_networks(self, folder: Path) -> None:
        self.generator.load_state_dict(read_weights(folder / GENERATOR_FILE).state_dict)
        self.discriminator.load_state_dict(read_weights(folder / DISCRIMINATOR_FILE).state_dict)
