"""The pix2pix trainer: paper defaults, atomic checkpoints, exact resume, callbacks, mixed precision, DDP.

Every step: the discriminator step (halved loss on real and detached fake pairs), then the generator step
(GAN loss + lambda * L1), Adam (2e-4, betas 0.5/0.999), a constant learning rate then a linear decay to zero.
All randomness is a function of the seed and the step (data order, jitter) or is saved in the checkpoint (the
RNG that drives dropout), so stopping and resuming reproduces an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from PIL import Image, ImageDraw
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from ..atomic import recover_folder, write_folder
from ..devices import check_device
from ..errors import ConfigError, Pix2PixError
from ..imaging.files import side_by_side
from ..imaging.lab import decode_lab, lab_to_rgb
from ..inference.precision import PRECISIONS, resolve_precision
from ..locks import FolderLock
from ..networks import (
    NetworkConfig,
    PatchGANConfig,
    PixelDiscriminatorConfig,
    ResnetConfig,
    UnetConfig,
    build_network,
    init_weights,
)
from ..networks.io import IOSpec
from ..networks.norm import NORMS
from ..weights.directory import CONFIG_FILE, write_pretrained
from ..weights.files import read_weights
from .data import PairDataset
from .objective import GAN_MODES, discriminator_loss, generator_loss

CHECKPOINT_DIR = "checkpoint"
GENERATORS = ("unet", "resnet")
DISCRIMINATORS = ("patchgan", "pixel")
STATE_FILE = "trainer_state.pt"


class TrainingDiverged(Pix2PixError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


@dataclass
class TrainConfig:
    """Everything that defines a run (saved with every checkpoint). Defaults are the paper's."""

    steps: int = 1000
    decay_steps: int | None = None  # linear decay over the last N steps (default: half of the run)
    batch_size: int = 1
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    lambda_l1: float = 100.0
    gan_mode: str = "vanilla"
    generator: str = "unet"  # unet | resnet
    ngf: int = 64
    num_downs: int = 8
    n_blocks: int = 9
    norm: str = "batch"
    dropout: bool = True
    discriminator: str = "patchgan"  # patchgan | pixel
    ndf: int = 64
    n_layers: int = 3
    load_size: int = 286
    crop_size: int = 256
    flip: bool = True
    seed: int = 0
    precision: str = "float32"  # float32 | bfloat16 | float16 | auto
    checkpoint_every: int = 500
    sample_every: int = 100
    num_workers: int = 0
    sync_batchnorm: bool = False
    dataset: str = ""
    direction: str = "AtoB"
    input_space: str = ""  # default from the channel count
    output_space: str = ""

    def validate(self) -> None:
        """Refuse settings that cannot train, naming the field and what it accepts (0 is a value, never "unset")."""
        for name, allowed in (("gan_mode", GAN_MODES), ("generator", GENERATORS), ("discriminator", DISCRIMINATORS),
                              ("norm", NORMS), ("precision", PRECISIONS), ("direction", ("AtoB", "BtoA"))):
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}.")
        for name in ("steps", "batch_size", "ngf", "ndf", "num_downs", "n_blocks", "n_layers", "load_size",
                     "crop_size", "checkpoint_every", "sample_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}.")
        for name in ("seed", "num_workers"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 or more, got {getattr(self, name)}.")
        if not self.lr > 0 or not self.lambda_l1 >= 0:
            raise ConfigError(f"lr must be positive and lambda_l1 0 or more, got {self.lr} and {self.lambda_l1}.")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ConfigError(f"Adam's beta1 and beta2 must lie in [0, 1), got {self.beta1} and {self.beta2}.")
        if self.decay_steps is not None and not 0 <= self.decay_steps <= self.steps:
            raise ConfigError(f"decay_steps must lie between 0 and steps ({self.steps}), got {self.decay_steps}.")
        if self.crop_size > self.load_size:
            raise ConfigError(f"crop_size {self.crop_size} exceeds load_size {self.load_size}: the crop is taken "
                               "from the image resized to load_size.")
        generator, discriminator = self.network_configs(3, 3)
        for config in (generator, discriminator):
            config.validate()
        if self.crop_size % generator.multiple:
            hint = " lower num_downs or" if self.generator == "unet" else ""
            raise ConfigError(f"crop_size {self.crop_size} must be a multiple of {generator.multiple} for this "
                               f"{self.generator} generator:{hint} change crop_size.")

    def network_configs(self, in_channels: int, out_channels: int) -> tuple[NetworkConfig, NetworkConfig]:
        """The generator and discriminator this run trains (the discriminator sees the pair: in + out channels)."""
        if self.generator == "unet":
            g = UnetConfig(in_channels, out_channels, self.num_downs, self.ngf, self.norm, self.dropout)
        else:
            g = ResnetConfig(in_channels, out_channels, self.ngf, self.n_blocks, self.norm, dropout=self.dropout)
        d_args = {"in_channels": in_channels + out_channels, "ndf": self.ndf, "norm": self.norm}
        d = PatchGANConfig(n_layers=self.n_layers, **d_args) if self.discriminator == "patchgan" \
            else PixelDiscriminatorConfig(**d_args)
        return g, d


@dataclass
class TrainCallbacks:
    """Hooks for a UI: progress after each step, a preview grid now and then, and a stop request."""

    progress: Callable[[int, int, dict[str, float]], None] = lambda step, total, losses: None
    preview: Callable[[int, torch.Tensor], None] = lambda step, grid: None
    should_stop: Callable[[], bool] = lambda: False


STOP_REASONS = ("completed", "time budget", "signal", "stop request")


@dataclass
class TrainResult:
    generator: nn.Module
    steps_done: int
    stop_reason: str  # one of STOP_REASONS
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def stopped_early(self) -> bool:
        """Interrupted (signal or stop request), as opposed to finished or out of its time budget."""
        return self.stop_reason in ("signal", "stop request")


def _rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def _world() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


class Trainer:
    """Train a generator and discriminator on a :class:`PairDataset`, writing into ``out_dir``."""

    def __init__(self, config: TrainConfig, dataset: PairDataset, out_dir: str | Path, device: str | torch.device
                 = "cpu", callbacks: TrainCallbacks | None = None, resume: bool = True) -> None:
        config.validate()
        self.config, self.dataset, self.out_dir = config, dataset, Path(out_dir)
        self.device = check_device(device)
        self.callbacks = callbacks or TrainCallbacks()
        self.step, self.history = 0, []
        a, b = dataset[0]
        self.generator, self.discriminator = self._build_networks(a.shape[0], b.shape[0])
        self.opt_g, self.opt_d = (torch.optim.Adam(net.parameters(), lr=config.lr, betas=(config.beta1, config.beta2),
                                                   **self._adam_options()) for net in (self.generator,
                                                                                        self.discriminator))
        self.sched_g, self.sched_d = (torch.optim.lr_scheduler.LambdaLR(opt, self._lr_factor)
                                      for opt in (self.opt_g, self.opt_d))
        self.amp_dtype = self._amp_dtype()
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)
        self._stop_signal: int | None = None
        self._lock = FolderLock(self.out_dir)
        if _rank() == 0:
            if (self.out_dir / CONFIG_FILE).is_file():
                raise Pix2PixError(f"{self.out_dir} holds a saved translator (config.json): a training writes "
                                   "checkpoint/, samples/ and loss_curve.png into its own folder. Choose another one.")
            self._lock.acquire()  # held until run() ends, so two runs never share the folder
        try:
            if _rank() == 0:
                recover_folder(self.out_dir / CHECKPOINT_DIR)
            if resume and (self.out_dir / CHECKPOINT_DIR / STATE_FILE).is_file():
                self._load_checkpoint(self.out_dir / CHECKPOINT_DIR)
        except BaseException:
            self._lock.release()
            raise

    # ------------------------------------------------------------------------------------------------ setup
    def _build_networks(self, in_channels: int, out_channels: int) -> tuple[nn.Module, nn.Module]:
        c = self.config
        torch.manual_seed(c.seed)
        g_config, d_config = c.network_configs(in_channels, out_channels)
        g, d = (init_weights(build_network(cfg)).to(self.device) for cfg in (g_config, d_config))
        g.io = IOSpec(c.input_space or IOSpec.default_for(in_channels, out_channels).input_space,
                      c.output_space or IOSpec.default_for(in_channels, out_channels).output_space,
                      c.crop_size, c.direction)
        g, d = g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
        if c.sync_batchnorm and _world() > 1:
            g, d = (nn.SyncBatchNorm.convert_sync_batchnorm(net) for net in (g, d))
        return g, d

    def _adam_options(self) -> dict[str, Any]:
        # one fused kernel per parameter group: CUDA, and the CPU from torch 2.4 on
        fused_on_cpu = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 4)
        return {"fused": True} if self.device.type == "cuda" or fused_on_cpu else {"foreach": True}

    def _lr_factor(self, step: int) -> float:
        decay = self.config.decay_steps if self.config.decay_steps is not None else self.config.steps // 2
        constant = self.config.steps - decay
        return 1.0 if step < constant else max(0.0, 1.0 - (step - constant + 1) / (decay + 1))

    def _amp_dtype(self) -> torch.dtype | None:
        dtype = resolve_precision(self.config.precision, self.device)
        return None if dtype == torch.float32 else dtype

    # ------------------------------------------------------------------------------------------------ data
    def _loader(self) -> DataLoader:
        dataset = _EpochIndexed(self.dataset)
        schedule = BatchSchedule(len(self.dataset), self.config.batch_size, self.config.seed, _world(), _rank())
        # its own generator: creating an iterator must not draw from the global RNG (dropout's), or a resumed run
        # would drift from an uninterrupted one
        return DataLoader(dataset, batch_sampler=schedule.steps(self.step, self.config.steps),
                          num_workers=self.config.num_workers, pin_memory=self.device.type == "cuda",
                          generator=torch.Generator().manual_seed(0))

    # ------------------------------------------------------------------------------------------------ loop
    def run(self, time_budget: float | None = None) -> TrainResult:
        """Train until ``config.steps``, ``time_budget`` seconds, a stop request, or a signal; always leaves a
        loadable checkpoint. A run stopped by its time budget resumes where it stopped, as after a signal."""
        if time_budget is not None and not time_budget > 0:
            raise Pix2PixError(f"the time budget must be a positive number of seconds, got {time_budget}.")
        g_train = DistributedDataParallel(self.generator) if _world() > 1 else self.generator
        d_train = DistributedDataParallel(self.discriminator) if _world() > 1 else self.discriminator
        deadline = time.monotonic() + time_budget if time_budget is not None else math.inf
        reason = "completed"
        if _rank() == 0:
            self._lock.acquire()
        with self._signals(), contextlib.closing(self._lock):
            for a, b in self._loader():
                losses = self._train_step(g_train, d_train, a.to(self.device), b.to(self.device))
                self.step += 1
                self.history.append({"step": self.step, **losses})
                self.callbacks.progress(self.step, self.config.steps, losses)
                if self.step % self.config.sample_every == 0:
                    self._sample(a, b)
                reason = self._stop_reason(deadline)
                if reason != "completed" or self.step % self.config.checkpoint_every == 0 \
                        or self.step == self.config.steps:
                    self.save_checkpoint()
                if reason != "completed":
                    break
        return TrainResult(self.generator, self.step, reason, self.history)

    def _stop_reason(self, deadline: float) -> str:
        if self._stop_signal is not None:
            return "signal"
        if self.callbacks.should_stop():
            return "stop request"
        if time.monotonic() >= deadline and self.step < self.config.steps:
            return "time budget"
        return "completed"

    def _train_step(self, g: nn.Module, d: nn.Module, real_a: torch.Tensor, real_b: torch.Tensor) -> dict[str, float]:
        c = self.config
        real_a = real_a.contiguous(memory_format=torch.channels_last)
        real_b = real_b.contiguous(memory_format=torch.channels_last)
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
        self.scaler.update()
        self.sched_d.step()
        self.sched_g.step()
        self.discriminator.requires_grad_(True)
        return {"loss_d": loss_d.item(), "loss_g": loss_g.item(), "gan": adversarial.item(), "l1": l1.item()}

    def _check_finite(self, which: str, loss: torch.Tensor) -> None:
        if not math.isfinite(loss.item()):
            raise TrainingDiverged(
                f"step {self.step + 1}: the {which} loss is not finite ({loss.item()}); training stopped and the last "
                f"good checkpoint in {self.out_dir / CHECKPOINT_DIR} is kept. Lower the learning rate or use float32."
            )

    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        """SIGINT/SIGTERM finish the current step, save a checkpoint and stop (main thread only)."""
        def request_stop(signum: int, frame: object) -> None:
            self._stop_signal = signum

        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    # ------------------------------------------------------------------------------------------------ outputs
    def _sample(self, a: torch.Tensor, b: torch.Tensor) -> None:
        with torch.no_grad():
            self.generator.eval()
            fake = self.generator(a[:1].to(self.device).contiguous(memory_format=torch.channels_last)).float().cpu()
            self.generator.train()
        grid = torch.cat([_displayable(a[:1]), _displayable(fake), _displayable(b[:1])], -1)[0]
        self.callbacks.preview(self.step, grid)
        if _rank() == 0:
            side_by_side([grid]).save(_mkdir(self.out_dir / "samples") / f"step_{self.step:07d}.png")
            loss_curve(self.history).save(self.out_dir / "loss_curve.png")

    def save_checkpoint(self) -> Path:
        """Write the checkpoint all-or-nothing (a fresh folder swapped in): a crash at any point leaves one whole."""
        target = self.out_dir / CHECKPOINT_DIR
        if _rank() != 0:
            return target
        self.generator.training_facts = {"dataset": self.config.dataset, "lambda_l1": self.config.lambda_l1,
                                         "gan_mode": self.config.gan_mode, "steps": self.step,
                                         "batch_size": self.config.batch_size, "lr": self.config.lr,
                                         "last_losses": self.history[-1] if self.history else {}}

        def build(folder: Path) -> None:
            write_pretrained(_plain(self.generator), folder, _plain(self.discriminator))
            torch.save(self._state(), folder / STATE_FILE)
            (folder / "history.json").write_text(json.dumps(self.history))

        try:
            return write_folder(target, build)
        except OSError as exc:
            raise Pix2PixError(f"could not write the checkpoint into {self.out_dir} ({exc.strerror or exc}); the "
                               f"previous checkpoint, if any, is intact. Free space or fix the folder, then run "
                               "again to resume.") from exc

    def _check_same_networks(self, saved: dict[str, Any], folder: Path) -> None:
        """Resuming needs the networks the checkpoint holds: name every setting that differs."""
        changed = [f"{name} {saved[name]!r} -> {getattr(self.config, name)!r}" for name in ARCHITECTURE_FIELDS
                   if name in saved and saved[name] != getattr(self.config, name)]
        if changed:
            raise Pix2PixError(f"{folder} was trained with other networks ({'; '.join(changed)}). Resume with the "
                               "same settings, start afresh with --no-resume (resume=False), or use another folder.")

    def _state(self) -> dict[str, Any]:
        return {"step": self.step, "config": dataclasses.asdict(self.config),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                "sched_g": self.sched_g.state_dict(), "sched_d": self.sched_d.state_dict(),
                "scaler": self.scaler.state_dict(), "rng_cpu": torch.random.get_rng_state(),
                "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
                "saved_at": time.time()}

    def _load_checkpoint(self, folder: Path) -> None:
        try:
            state = torch.load(folder / STATE_FILE, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - a truncated or foreign file: one clear message
            raise Pix2PixError(f"{folder / STATE_FILE} cannot be read ({type(exc).__name__}): the checkpoint is "
                               "damaged. Start afresh with --no-resume (resume=False) or another output folder; "
                               f"{folder} still loads as a translator.") from exc
        self._check_same_networks(state.get("config", {}), folder)
        self.generator.load_state_dict(read_weights(folder / "model.safetensors").state_dict)
        self.discriminator.load_state_dict(read_weights(folder / "discriminator.safetensors").state_dict)
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.sched_g.load_state_dict(state["sched_g"])
        self.sched_d.load_state_dict(state["sched_d"])
        self.scaler.load_state_dict(state["scaler"])
        torch.random.set_rng_state(state["rng_cpu"])
        if state["rng_cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng_cuda"])
        self.step = state["step"]
        history = folder / "history.json"
        self.history = json.loads(history.read_text()) if history.is_file() else []


ARCHITECTURE_FIELDS = ("generator", "ngf", "num_downs", "n_blocks", "norm", "dropout", "discriminator", "ndf",
                      "n_layers")


class BatchSchedule:
    """Which samples each step trains on: ``(index, epoch)`` pairs, a pure function of the seed and the step.

    Each epoch is a permutation of the dataset seeded with ``seed + epoch``; the global sample position of step
    ``s``, batch slot ``j`` on ``rank`` is ``(s * world + rank) * batch_size + j``, so ranks never share a
    sample. Any step is computed directly (O(dataset) for a new epoch, nothing per skipped step): set-up costs
    the same for 10 steps or 10**9, and a resumed run starts exactly where an uninterrupted one would be.
    """

    def __init__(self, dataset_size: int, batch_size: int, seed: int, world: int = 1, rank: int = 0) -> None:
        self.size, self.batch_size, self.seed, self.world, self.rank = dataset_size, batch_size, seed, world, rank
        self._epoch, self._permutation = -1, torch.empty(0, dtype=torch.long)

    def __getitem__(self, step: int) -> list[tuple[int, int]]:
        batch = []
        for j in range(self.batch_size):
            position = (step * self.world + self.rank) * self.batch_size + j
            epoch = position // self.size
            if epoch != self._epoch:
                generator = torch.Generator().manual_seed(self.seed + epoch)
                self._epoch, self._permutation = epoch, torch.randperm(self.size, generator=generator)
            batch.append((int(self._permutation[position % self.size]), epoch))
        return batch

    def steps(self, start: int, stop: int) -> _ScheduledSteps:
        """The batches of steps ``start .. stop - 1``, produced one at a time (a DataLoader batch_sampler)."""
        return _ScheduledSteps(self, start, stop)


@dataclass
class _ScheduledSteps:
    schedule: BatchSchedule
    start: int
    stop: int

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        return (self.schedule[step] for step in range(self.start, self.stop))

    def __len__(self) -> int:
        return max(0, self.stop - self.start)


class _EpochIndexed(torch.utils.data.Dataset):
    """Fetches ``(index, epoch)`` items so that the jitter depends on the epoch, also in worker processes."""

    def __init__(self, dataset: PairDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, item: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        index, epoch = item
        self.dataset.epoch = epoch
        return self.dataset[index]


def _plain(net: nn.Module) -> nn.Module:
    return net.module if isinstance(net, DistributedDataParallel) else net


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _displayable(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] tensors with 1, 2 or 3 channels as RGB in 0..1 (2-channel ab shown on mid-gray L)."""
    x = x.float().cpu()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    elif x.shape[1] == 2:
        return lab_to_rgb(decode_lab(torch.zeros_like(x[:, :1]), x))
    return ((x[:, :3] + 1) / 2).clamp(0, 1)


def loss_curve(history: list[dict[str, float]], width: int = 640, height: int = 320):
    """A PIL image plotting the G and D losses and the L1 term over the steps (no plotting library needed)."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    if len(history) < 2:
        return image
    series = {"loss_g": (200, 40, 40), "loss_d": (40, 90, 200), "l1": (30, 150, 60)}
    margin = 30
    for name, colour in series.items():
        values = [h[name] for h in history]
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        points = [(margin + i * (width - 2 * margin) / (len(values) - 1),
                   height - margin - (v - low) / span * (height - 2 * margin)) for i, v in enumerate(values)]
        draw.line(points, fill=colour, width=2)
        draw.text((margin + 150 * list(series).index(name), 8), f"{name} {values[-1]:.3f}", fill=colour)
    draw.text((margin, height - 20), f"steps 1..{history[-1]['step']}", fill=(0, 0, 0))
    return image
