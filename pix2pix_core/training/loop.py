"""What every trainer here shares: the loop, the schedule, signals, precision, the folder lock, checkpoints.

A subclass builds its networks and optimisers (:meth:`TrainingLoop._build`), does one step (:meth:`_step`),
writes its translators into a checkpoint folder (:meth:`_write_networks`) and reads them back
(:meth:`_load_networks`); everything else is here, the same for pix2pix and CycleGAN: lazy batches that are a pure
function of (seed, step), a constant then linearly decaying learning rate, bfloat16/float16 autocast with a grad
scaler, SIGINT/SIGTERM and Cancel that save and stop, a NaN stop, a time budget, all-or-nothing checkpoints under
an OS lock, and resume that reproduces an uninterrupted run (optimisers, schedulers, scaler and RNG state saved).
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
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset

from ..atomic import free_space, is_disk_full, mib, recover_folder, write_folder
from ..devices import check_device
from ..errors import ConfigError, Pix2PixError
from ..imaging.files import side_by_side
from ..imaging.lab import decode_lab, lab_to_rgb
from ..inference.precision import PRECISIONS, resolve_precision
from ..locks import FolderLock
from ..networks.norm import NORMS
from ..weights.directory import CHECKPOINT_DIR, CONFIG_FILE, SAMPLES_DIR
from .data import Jitter
from .objective import GAN_MODES
from .plot import loss_plot
from .seeds import mixed_seed
from .tensorboard import TensorBoardLog

STATE_FILE = "trainer_state.pt"
HISTORY_FILE = "history.json"
LOSS_CURVE_FILE = "loss_curve.png"  # beside checkpoint/ and samples/ in a run folder
LR_DECAYS = ("step", "epoch")


class TrainingDiverged(Pix2PixError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


@dataclass
class LoopConfig:
    """The settings every trainer has (saved with every checkpoint); defaults are the papers'."""

    steps: int = 1000
    decay_steps: int | None = None  # linear decay over the last N steps (default: half of the run)
    lr_decay: str = "step"  # step: the rate falls every step; epoch: once per pass over the data, as the reference
    batch_size: int = 1
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    gan_mode: str = "vanilla"
    ngf: int = 64
    n_blocks: int = 9
    norm: str = "batch"
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
    dataset: str = ""

    def validate(self) -> None:
        """Refuse settings that cannot train, naming the field and what it accepts (0 is a value, never "unset")."""
        for name, allowed in (("gan_mode", GAN_MODES), ("norm", NORMS), ("precision", PRECISIONS),
                              ("lr_decay", LR_DECAYS)):
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}.")
        for name in ("steps", "batch_size", "ngf", "ndf", "n_blocks", "n_layers", "load_size", "crop_size",
                     "checkpoint_every", "sample_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}.")
        for name in ("seed", "num_workers"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 or more, got {getattr(self, name)}.")
        if not self.lr > 0:
            raise ConfigError(f"lr must be positive, got {self.lr}.")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ConfigError(f"Adam's beta1 and beta2 must lie in [0, 1), got {self.beta1} and {self.beta2}.")
        if self.decay_steps is not None and not 0 <= self.decay_steps <= self.steps:
            raise ConfigError(f"decay_steps must lie between 0 and steps ({self.steps}), got {self.decay_steps}.")
        if self.crops and self.crop_size > self.load_size:
            raise ConfigError(f"crop_size {self.crop_size} exceeds load_size {self.load_size}: the crop is taken "
                              "from the image resized to load_size.")
        generator, discriminator = self.network_configs()
        for config in (generator, discriminator):
            config.validate()
        if self.crops and self.crop_size % generator.multiple:
            raise ConfigError(f"crop_size {self.crop_size} must be a multiple of {generator.multiple} for this "
                              f"generator: {self.crop_multiple_hint()}change crop_size.")

    def network_configs(self, *channels: int) -> tuple:
        raise NotImplementedError

    @property
    def crops(self) -> bool:
        """Whether training takes crop_size crops (of images resized to load_size)."""
        return True

    def jitter(self) -> Jitter:
        """The reference's jitter with these settings: resize to load_size, random crop, flip unless off."""
        return Jitter(self.load_size, self.crop_size, self.flip)

    def crop_multiple_hint(self) -> str:
        return ""


@dataclass
class TrainCallbacks:
    """Hooks for a UI: progress after each step, a preview grid now and then, and a stop request."""

    progress: Callable[[int, int, dict[str, float]], None] = lambda step, total, losses: None
    preview: Callable[[int, torch.Tensor], None] = lambda step, grid: None
    should_stop: Callable[[], bool] = lambda: False


STOP_REASONS = ("completed", "time budget", "signal", "stop request")
LOGS = (None, "tensorboard")


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


def _agreed(reason: str, device: torch.device) -> str:
    """The stop reason every rank acts on: the most urgent one any rank has. A time budget, a signal or a stop
    request seen by one rank alone would leave the others waiting in the next step's all-reduce for ever."""
    if _world() == 1:
        return reason
    code = torch.tensor([STOP_REASONS.index(reason)], device=device)
    dist.all_reduce(code, op=dist.ReduceOp.MAX)
    return STOP_REASONS[int(code.item())]


class TrainingLoop:
    """The shared trainer (see the module docstring); subclasses set ``generator`` (what a run returns) in _build."""

    ARCHITECTURE_FIELDS: tuple[str, ...] = ()  # config fields a resume must not change

    def __init__(self, config: Any, dataset: Any, out_dir: str | Path, device: str | torch.device = "cpu",
                 callbacks: TrainCallbacks | None = None, resume: bool = True, log: str | None = None) -> None:
        """``log="tensorboard"`` also writes TensorBoard events into ``out_dir/tb`` (see ``tensorboard.py``)."""
        config.validate()
        if log not in LOGS:
            raise ConfigError(f"log must be one of {', '.join(map(str, LOGS))}, got {log!r}.")
        self.config, self.dataset, self.out_dir, self.log = config, dataset, Path(out_dir), log
        self._board: TensorBoardLog | None = None
        self.device = check_device(device)
        self.callbacks = callbacks or TrainCallbacks()
        self.step, self.history = 0, []
        self.optimizers = self._build(dataset[0])
        self.schedulers = {name: torch.optim.lr_scheduler.LambdaLR(opt, self._lr_factor)
                           for name, opt in self.optimizers.items()}
        self.amp_dtype = self._amp_dtype()
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)
        self._stop_signal: int | None = None
        self._lock = FolderLock(self.out_dir)
        if _rank() == 0:
            check_run_folder(self.out_dir)
            self._lock.acquire()  # held until run() ends, so two runs never share the folder
        try:
            if _rank() == 0:
                recover_folder(self.out_dir / CHECKPOINT_DIR)
            if resume and (self.out_dir / CHECKPOINT_DIR / STATE_FILE).is_file():
                self._load_checkpoint(self.out_dir / CHECKPOINT_DIR)
        except BaseException:
            self._lock.release()
            raise

    # ------------------------------------------------------------------------------------------- subclass hooks
    def _build(self, sample: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.optim.Optimizer]:
        """Build the networks from one sample's shapes; return the optimisers by name."""
        raise NotImplementedError

    def _prepare_run(self) -> None:
        """Before the loop (e.g. wrap the networks for DistributedDataParallel)."""

    def _step(self, a: torch.Tensor, b: torch.Tensor) -> dict[str, float]:
        raise NotImplementedError

    def _sample(self, a: torch.Tensor, b: torch.Tensor) -> None:
        raise NotImplementedError

    def _write_networks(self, folder: Path) -> None:
        raise NotImplementedError

    def _load_networks(self, folder: Path) -> None:
        raise NotImplementedError

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore what _extra_state saved."""

    # ------------------------------------------------------------------------------------------------ setup
    def _adam(self, parameters) -> torch.optim.Optimizer:
        # one fused kernel per parameter group: CUDA, and the CPU from torch 2.4 on
        fused_on_cpu = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 4)
        options = {"fused": True} if self.device.type == "cuda" or fused_on_cpu else {"foreach": True}
        return torch.optim.Adam(parameters, lr=self.config.lr, betas=(self.config.beta1, self.config.beta2),
                                **options)

    def _lr_factor(self, step: int) -> float:
        """The reference's linear rule, ``1 - max(0, period + 1 - constant) / (decay + 1)``, over periods of one step,
        or of one epoch (``lr_decay="epoch"``: the period is the epoch in which the step starts); the last period
        trains at ``1 / (decay + 1)`` of the rate."""
        samples, size = (self.config.batch_size * _world(), len(self.dataset)) if self.config.lr_decay == "epoch" \
            else (1, 1)  # samples per step and per period
        periods = -(-self.config.steps * samples // size)
        decay = periods // 2 if self.config.decay_steps is None else round(self.config.decay_steps * samples / size)
        return 1.0 - max(0, step * samples // size + 1 - (periods - decay)) / (decay + 1)

    def _amp_dtype(self) -> torch.dtype | None:
        dtype = resolve_precision(self.config.precision, self.device)
        return None if dtype == torch.float32 else dtype

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
        self._prepare_run()
        deadline = time.monotonic() + time_budget if time_budget is not None else math.inf
        reason = "completed"
        if _rank() == 0:
            self._lock.acquire()
            if self.log == "tensorboard":
                self._board = TensorBoardLog(self.out_dir, self.config, self.step)
        board = contextlib.closing(self._board) if self._board is not None else contextlib.nullcontext()
        with self._signals(), contextlib.closing(self._lock), board:
            for a, b in self._loader():
                losses = self._step(a.to(self.device), b.to(self.device))
                self.step += 1
                self.history.append({"step": self.step, **losses})
                # a stop (Ctrl-C, SIGTERM) saves before anything is shown: under `| tee`, Ctrl-C also ends the
                # reader, and the next write to the dead pipe must not lose the steps since the last checkpoint
                reason = _agreed(self._stop_reason(deadline), self.device)
                if reason != "completed" or self.step % self.config.checkpoint_every == 0 \
                        or self.step == self.config.steps:
                    self.save_checkpoint()
                self.callbacks.progress(self.step, self.config.steps, losses)
                if self._board is not None:
                    self._board.step(self.step, losses, self.optimizers)
                if self.step % self.config.sample_every == 0 or self.step == self.config.steps \
                        or reason != "completed":  # the last step of a run always leaves a sample and the plot
                    self._sample(a, b)
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

    def _finish_step(self) -> None:
        """After the optimiser steps: the grad scaler and the learning-rate schedules move on."""
        self.scaler.update()
        for scheduler in self.schedulers.values():
            scheduler.step()

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
    def _save_sample(self, grid: torch.Tensor) -> None:
        self.callbacks.preview(self.step, grid)
        if self._board is not None:
            self._board.sample(self.step, grid)
        if _rank() == 0:
            side_by_side([grid]).save(_mkdir(self.out_dir / SAMPLES_DIR) / f"step_{self.step:07d}.png")
            loss_plot(self.history).save(self.out_dir / LOSS_CURVE_FILE)

    def save_checkpoint(self) -> Path:
        """Write the checkpoint all-or-nothing (a fresh folder swapped in): a crash at any point leaves one whole."""
        target = self.out_dir / CHECKPOINT_DIR
        if _rank() != 0:
            return target

        def build(folder: Path) -> None:
            self._write_networks(folder)
            torch.save(self._state(), folder / STATE_FILE)
            (folder / HISTORY_FILE).write_text(json.dumps(self.history))

        try:
            return write_folder(target, build)
        except Exception as exc:
            if not _is_write_failure(exc):
                raise
            raise Pix2PixError(self._write_failure_message(target, exc)) from exc

    def _write_failure_message(self, target: Path, exc: Exception) -> str:
        """What failed, how much space a checkpoint needs against what is free there, and that nothing is lost."""
        text, free, needed = str(exc), free_space(target), self._checkpoint_bytes()
        full = is_disk_full(exc) or free < needed
        reason = "the disk is full" if full else (getattr(exc, "strerror", None) or text.splitlines()[0][:200])
        previous = (recorded_run(target) or {}).get("step")
        kept = (f"the checkpoint of step {previous} in {target} is intact" if previous is not None else
                "no earlier checkpoint exists, and nothing partial was left")
        return (f"could not write the checkpoint of step {self.step} into {target}: {reason}. A checkpoint needs "
                f"about {mib(needed)} there (while it replaces the previous one, both are on "
                f"disk), and {mib(free)} are free. Nothing else is lost: {kept}. Free space on that disk (or move "
                "--out to another one), then run the same command again to resume.")

    def _checkpoint_bytes(self) -> int:
        """About what one checkpoint takes on disk: the networks' weights and the optimisers' state."""
        tensors = [t for opt in self.optimizers.values() for group in opt.param_groups for t in group["params"]]
        tensors += [t for opt in self.optimizers.values() for state in opt.state.values() for t in state.values()
                    if isinstance(t, torch.Tensor)]
        return sum(t.numel() * t.element_size() for t in tensors)

    def training_memory_format(self) -> torch.memory_format:
        """channels_last pays off with reduced precision and on GPUs; a float32 step on the CPU runs as fast or
        faster NCHW (measured: pix2pix 650 vs 650 ms with AVX512 kernels, 680 vs 830 ms with AVX2; CycleGAN
        faster NCHW on both: benchmarks/train.py)."""
        low_precision = resolve_precision(self.config.precision, self.device) != torch.float32
        return torch.channels_last if low_precision or self.device.type == "cuda" else torch.contiguous_format

    def data_facts(self) -> dict[str, str]:
        """The data's name for the checkpoint, and for a Hub dataset its id, split and pinned commit."""
        return {"dataset": self.config.dataset, **getattr(self.dataset, "provenance", {})}

    def _check_same_networks(self, saved: dict[str, Any], folder: Path) -> None:
        """Resuming needs the networks the checkpoint holds: name every setting that differs."""
        changed = [f"{name} {saved[name]!r} -> {getattr(self.config, name)!r}" for name in self.ARCHITECTURE_FIELDS
                   if name in saved and saved[name] != getattr(self.config, name)]
        if changed:
            raise Pix2PixError(f"{folder} was trained with other networks ({'; '.join(changed)}). Resume with the "
                               "same settings, start afresh with --no-resume (resume=False), or use another folder.")

    def _state(self) -> dict[str, Any]:
        return {"step": self.step, "config": dataclasses.asdict(self.config),
                **{f"opt_{name}": opt.state_dict() for name, opt in self.optimizers.items()},
                **{f"sched_{name}": sched.state_dict() for name, sched in self.schedulers.items()},
                "scaler": self.scaler.state_dict(), "rng_cpu": torch.random.get_rng_state(),
                "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
                "saved_at": time.time(), **self._extra_state()}

    def _load_checkpoint(self, folder: Path) -> None:
        try:
            state = torch.load(folder / STATE_FILE, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - a truncated or foreign file: one clear message
            raise Pix2PixError(f"{folder / STATE_FILE} cannot be read ({type(exc).__name__}): the checkpoint is "
                               "damaged. Start afresh with --no-resume (resume=False) or another output folder; "
                               f"{folder} still loads as a translator.") from exc
        self._check_same_networks(state.get("config", {}), folder)
        self._load_networks(folder)
        for name, opt in self.optimizers.items():
            opt.load_state_dict(state[f"opt_{name}"])
            self.schedulers[name].load_state_dict(state[f"sched_{name}"])
        self.scaler.load_state_dict(state["scaler"])
        torch.random.set_rng_state(state["rng_cpu"])
        if state["rng_cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng_cuda"])
        self._load_extra_state(state)
        self.step = state["step"]
        history = folder / HISTORY_FILE
        self.history = json.loads(history.read_text()) if history.is_file() else []


def check_run_folder(out_dir: Path) -> None:
    """A training's output folder must not be a saved translator (checked before any work)."""
    if (Path(out_dir) / CONFIG_FILE).is_file():
        raise Pix2PixError(f"{out_dir} holds a saved translator (config.json): a training writes checkpoint/, "
                           "samples/ and loss_curve.png into its own folder. Choose another one.")


def recorded_run(checkpoint: Path) -> dict[str, Any] | None:
    """``{"step": ..., "config": {...}}`` of the run a checkpoint folder holds, or None when there is none or it
    cannot be read (weights_only: no code is unpickled; mmap: the optimiser state is not read into memory)."""
    path = checkpoint / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # noqa: BLE001 - damaged: resume itself explains it
        return None
    return {"step": state.get("step"), "config": state.get("config", {})}


TORCH_SAVE_WRITE_ERRORS = ("PytorchStreamWriter", "inline_container", "iostream error", "file write failed")


def _is_write_failure(exc: Exception) -> bool:
    """An error of writing a file (a full disk, a quota, permissions), from Python, safetensors or torch.save
    (whose C++ writer reports a short write as a RuntimeError)."""
    return isinstance(exc, OSError) or type(exc).__name__ == "SafetensorError" or (
        isinstance(exc, RuntimeError) and any(text in str(exc) for text in TORCH_SAVE_WRITE_ERRORS))


class BatchSchedule:
    """Which samples each step trains on: ``(index, epoch)`` pairs, a pure function of the seed and the step.

    Each epoch is a permutation of the dataset seeded with ``mixed_seed(seed, epoch)``; the global sample position
    of step ``s``, batch slot ``j`` on ``rank`` is ``(s * world + rank) * batch_size + j``, so ranks never share a
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
                generator = torch.Generator().manual_seed(mixed_seed(self.seed, epoch))
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

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, item: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        index, epoch = item
        self.dataset.epoch = epoch
        return self.dataset[index]


def _plain(net: nn.Module) -> nn.Module:
    return net.module if isinstance(net, DistributedDataParallel) else net


def ddp(net: nn.Module) -> nn.Module:
    """The network as trained: wrapped for DistributedDataParallel under torchrun, else itself."""
    return DistributedDataParallel(net) if _world() > 1 else net


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _displayable(x: torch.Tensor, luminance: torch.Tensor | None = None) -> torch.Tensor:
    """[-1, 1] tensors with 1, 2 or 3 channels as RGB in 0..1. A colorizer's 2-channel ab is shown as the photo it
    makes with ``luminance`` (its encoded L input), as the colorize command shows it; on mid-gray L without."""
    x = x.float().cpu()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    elif x.shape[1] == 2:
        l_encoded = torch.zeros_like(x[:, :1]) if luminance is None else luminance.float().cpu()
        return lab_to_rgb(decode_lab(l_encoded, x))
    return ((x[:, :3] + 1) / 2).clamp(0, 1)
