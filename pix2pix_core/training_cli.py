"""``pix2pix train``: presets, dataset layout detection, torchrun/DDP set-up, a progress bar with the losses."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

import torch.distributed as dist
from tqdm import tqdm

from .data import AlignedDataset, DerivedPairDataset, FolderPairDataset, Jitter, PairDataset
from .train import CHECKPOINT_DIR, TrainCallbacks, TrainConfig, Trainer

# preset -> (dataset kind, TrainConfig overrides)
PRESETS = {
    "facades": ("aligned", {"direction": "BtoA", "dataset": "facades"}),
    "edges2photo": ("edges", {"input_space": "edges", "dataset": "edges2photo"}),
    "colorize": ("colorize", {"input_space": "lab_l", "output_space": "lab_ab", "dataset": "colorize"}),
}


def build_dataset(folder: Path, kind: str, config: TrainConfig, jitter: bool = True) -> PairDataset:
    """The dataset for ``folder``: derived pairs for those presets, A/ + B/ folders when present, else aligned."""
    jitter = Jitter(config.load_size, config.crop_size, config.flip) if jitter else None
    if kind in ("edges", "colorize", "sketch"):
        return DerivedPairDataset(folder, kind, jitter=jitter, seed=config.seed)
    if (folder / "A").is_dir() and (folder / "B").is_dir():
        return FolderPairDataset(folder, config.direction, jitter=jitter, seed=config.seed)
    return AlignedDataset(folder, config.direction, jitter=jitter, seed=config.seed)


def _config(args: argparse.Namespace) -> tuple[str, TrainConfig]:
    kind, overrides = PRESETS.get(args.preset, ("aligned", {}))
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    chosen = {k: v for k, v in vars(args).items() if k in fields and v not in (None, False)}
    config = TrainConfig(**{**overrides, **chosen})
    return kind, config


def run_training(args: argparse.Namespace) -> int:
    kind, config = _config(args)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    device = args.device
    if distributed:
        backend = "nccl" if device.startswith("cuda") else "gloo"
        dist.init_process_group(backend)
        if device.startswith("cuda"):
            device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    try:
        dataset = build_dataset(args.data, kind, config)
        if args.epochs is not None:
            per_step = config.batch_size * (dist.get_world_size() if distributed else 1)
            config.steps = max(1, round(args.epochs * len(dataset) / per_step))
        rank0 = not distributed or dist.get_rank() == 0
        bar = tqdm(total=config.steps, desc="training", unit="step", file=sys.stderr, disable=not rank0)

        def progress(step: int, total: int, losses: dict[str, float]) -> None:
            bar.n = step
            bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()}, refresh=False)
            bar.refresh()

        trainer = Trainer(config, dataset, args.out, device, TrainCallbacks(progress=progress),
                          resume=not args.no_resume)
        bar.n = trainer.step
        result = trainer.run()
        bar.close()
        if rank0:
            where = Path(args.out) / CHECKPOINT_DIR
            if result.stopped_early:
                print(f"stopped at step {result.steps_done}; checkpoint saved in {where} (run again to resume)")
            else:
                print(f"trained {result.steps_done} steps; the translator is {where} (load it with load_generator)")
        return 130 if result.stopped_early else 0
    finally:
        if distributed:
            dist.destroy_process_group()
