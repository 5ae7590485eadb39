"""The CycleGAN trainer (Zhu et al., ICCV 2017) on the shared training loop, with the reference's defaults.

Two generators ``G_A: A -> B`` and ``G_B: B -> A`` (ResNet, instance norm, no dropout), two PatchGANs judging one
image each (``D_A`` the B domain, ``D_B`` the A domain). Each step: both cycles forward; the generator step first
(D frozen): LSGAN losses, cycle L1 weighted ``lambda_a`` / ``lambda_b``, identity L1 weighted ``lambda_identity``
times those; then each discriminator on a real image and a fake drawn from its image pool, halved. The pools'
contents and random state are saved with the checkpoint, so resuming is exact.

Checkpoint layout: ``checkpoint/AtoB/`` (G_A with D_A, which judges its outputs) and ``checkpoint/BtoA/`` (G_B with
D_B) are each a complete translator; ``trainer_state.pt`` and ``history.json`` sit beside them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..errors import ConfigError
from ..networks import PatchGANConfig, ResnetConfig, build_network, init_weights
from ..networks.io import IOSpec
from ..weights.directory import DISCRIMINATOR_FILE, GENERATOR_FILE, write_pretrained
from ..weights.files import read_weights
from .loop import LoopConfig, TrainingLoop, _displayable, _plain, ddp
from .objective import discriminator_loss, gan_loss
from .unpaired import ImagePool

DIRECTIONS = {"AtoB": ("g_a", "d_a"), "BtoA": ("g_b", "d_b")}  # checkpoint folder -> (generator, its critic)


@dataclass
class CycleGANConfig(LoopConfig):
    """Everything that defines a CycleGAN run (saved with every checkpoint). Defaults are the reference's."""

    gan_mode: str = "lsgan"
    norm: str = "instance"
    lambda_a: float = 10.0  # cycle A -> B -> A
    lambda_b: float = 10.0  # cycle B -> A -> B
    lambda_identity: float = 0.5
    pool_size: int = 50
    domain_a: str = "A"  # names of the domains, for the model cards
    domain_b: str = "B"

    def validate(self) -> None:
        if self.pool_size < 0:
            raise ConfigError(f"pool_size must be 0 or more, got {self.pool_size}.")
        if not all(value >= 0 for value in (self.lambda_a, self.lambda_b, self.lambda_identity)):
            raise ConfigError("lambda_a, lambda_b and lambda_identity must be 0 or more.")
        super().validate()

    def crop_multiple_hint(self) -> str:
        return "the ResNet generators need it; "

    def network_configs(self, channels: int = 3) -> tuple[ResnetConfig, PatchGANConfig]:
        """One generator and one discriminator (both directions have the same shapes: RGB to RGB)."""
        return (ResnetConfig(channels, channels, self.ngf, self.n_blocks, self.norm, dropout=False),
                PatchGANConfig(in_channels=channels, ndf=self.ndf, n_layers=self.n_layers, norm=self.norm))


class CycleGANTrainer(TrainingLoop):
    """Train G_A, G_B, D_A, D_B on an :class:`~pix2pix_core.training.unpaired.UnpairedDataset`."""

    ARCHITECTURE_FIELDS = ("ngf", "n_blocks", "norm", "ndf", "n_layers")

    def _build(self, sample: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        torch.manual_seed(c.seed)
        g_config, d_config = c.network_configs(sample[0].shape[0])
        self.memory_format = self.training_memory_format()
        # the reference's order: G_A, G_B, D_A, D_B, each initialised as it is built
        self.g_a, self.g_b, self.d_a, self.d_b = (
            init_weights(build_network(cfg)).to(self.device, memory_format=self.memory_format)
            for cfg in (g_config, g_config, d_config, d_config))
        for net, direction in ((self.g_a, "AtoB"), (self.g_b, "BtoA")):
            net.io = IOSpec("rgb", "rgb", c.crop_size, direction, train_scale=c.load_size)
        self.generator = self.g_a
        self.pool_a, self.pool_b = ImagePool(c.pool_size, c.seed + 1), ImagePool(c.pool_size, c.seed + 2)
        return {"g": self._adam(itertools.chain(self.g_a.parameters(), self.g_b.parameters())),
                "d": self._adam(itertools.chain(self.d_a.parameters(), self.d_b.parameters()))}

    def _prepare_run(self) -> None:
        self._nets = {name: ddp(getattr(self, name)) for name in ("g_a", "g_b", "d_a", "d_b")}

    def _step(self, real_a: torch.Tensor, real_b: torch.Tensor) -> dict[str, float]:
        c, n = self.config, self._nets
        real_a = real_a.contiguous(memory_format=self.memory_format)
        real_b = real_b.contiguous(memory_format=self.memory_format)
        for net in n.values():
            net.train()
        with self._autocast():
            fake_b = n["g_a"](real_a)
            rec_a = n["g_b"](fake_b)
            fake_a = n["g_b"](real_b)
            rec_b = n["g_a"](fake_a)
        # generator step, the discriminators frozen
        for d in (self.d_a, self.d_b):
            d.requires_grad_(False)
        self.optimizers["g"].zero_grad(set_to_none=True)
        with self._autocast():
            losses = {"gan_a": gan_loss(n["d_a"](fake_b), True, c.gan_mode),
                      "gan_b": gan_loss(n["d_b"](fake_a), True, c.gan_mode),
                      "cycle_a": F.l1_loss(rec_a.float(), real_a.float()) * c.lambda_a,
                      "cycle_b": F.l1_loss(rec_b.float(), real_b.float()) * c.lambda_b}
            if c.lambda_identity > 0:
                losses["idt_a"] = F.l1_loss(n["g_a"](real_b).float(), real_b.float()) * c.lambda_b * c.lambda_identity
                losses["idt_b"] = F.l1_loss(n["g_b"](real_a).float(), real_a.float()) * c.lambda_a * c.lambda_identity
            loss_g = sum(losses.values())
        self._check_finite("G", loss_g)
        self.scaler.scale(loss_g).backward()
        self.scaler.step(self.optimizers["g"])
        # discriminator step: a real image against a fake from the pool, halved
        for d in (self.d_a, self.d_b):
            d.requires_grad_(True)
        self.optimizers["d"].zero_grad(set_to_none=True)
        with self._autocast():
            past_b = self.pool_b.query(fake_b.detach())
            past_a = self.pool_a.query(fake_a.detach())
            loss_d_a = discriminator_loss(n["d_a"](real_b), n["d_a"](past_b), c.gan_mode)
            loss_d_b = discriminator_loss(n["d_b"](real_a), n["d_b"](past_a), c.gan_mode)
        self._check_finite("D", loss_d_a + loss_d_b)
        self.scaler.scale(loss_d_a + loss_d_b).backward()
        self.scaler.step(self.optimizers["d"])
        self._finish_step()
        return {"loss_g": loss_g.item(), "loss_d_a": loss_d_a.item(), "loss_d_b": loss_d_b.item(),
                **{name: value.item() for name, value in losses.items()}}

    def _sample(self, a: torch.Tensor, b: torch.Tensor) -> None:
        """A | G_A(A) | G_B(G_A(A)): the translation and its way back."""
        with torch.no_grad():
            self.g_a.eval()
            self.g_b.eval()
            fake = self.g_a(a[:1].to(self.device).contiguous(memory_format=self.memory_format))
            back = self.g_b(fake)
            self.g_a.train()
            self.g_b.train()
        self._save_sample(torch.cat([_displayable(a[:1]), _displayable(fake.float().cpu()),
                                     _displayable(back.float().cpu())], -1)[0])

    def _write_networks(self, folder: Path) -> None:
        c = self.config
        for direction, (g_name, d_name) in DIRECTIONS.items():
            source, target = (c.domain_a, c.domain_b) if direction == "AtoB" else (c.domain_b, c.domain_a)
            generator = _plain(getattr(self, g_name))
            generator.training_facts = {"method": "cyclegan", **self.data_facts(), "translates": f"{source} -> "
                                        f"{target}", "steps": self.step, "lambda_a": c.lambda_a,
                                        "lambda_b": c.lambda_b, "lambda_identity": c.lambda_identity,
                                        "last_losses": self.history[-1] if self.history else {}}
            write_pretrained(generator, folder / direction, _plain(getattr(self, d_name)),
                             name=f"{self.out_dir.name}/{direction}")

    def _load_networks(self, folder: Path) -> None:
        for direction, names in DIRECTIONS.items():
            for name, file in zip(names, (GENERATOR_FILE, DISCRIMINATOR_FILE)):
                getattr(self, name).load_state_dict(read_weights(folder / direction / file).state_dict)

    def _extra_state(self) -> dict[str, Any]:
        return {"pool_a": self.pool_a.state_dict(), "pool_b": self.pool_b.state_dict()}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        self.pool_a.load_state_dict(state["pool_a"], self.device)
        self.pool_b.load_state_dict(state["pool_b"], self.device)
