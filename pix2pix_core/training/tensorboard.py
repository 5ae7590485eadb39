"""TensorBoard logging of a training run (the optional ``tensorboard`` extra), into ``OUT/tb/``.

Scalars ``loss/<name>`` for every loss the trainer reports and ``lr/<optimizer>`` each step, the sample grid as
image ``samples`` every ``sample_every`` steps, and the run's settings as hyper-parameters (the HPARAMS tab) and
as text. A resumed run continues the same event stream: events a killed run wrote past its last checkpoint are
purged, so the curves have no doubled steps.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch

from ..extras import require

LOG_DIR = "tb"


class TensorBoardLog:
    def __init__(self, out_dir: Path, config, resumed_at: int) -> None:
        writers = require("torch.utils.tensorboard", "tensorboard")
        hparams = require("torch.utils.tensorboard.summary", "tensorboard").hparams
        self.folder = out_dir / LOG_DIR
        self.writer = writers.SummaryWriter(str(self.folder), purge_step=resumed_at + 1 if resumed_at else None)
        settings = {k: v if isinstance(v, (int, float, str, bool)) else str(v)
                    for k, v in dataclasses.asdict(config).items()}
        for summary in hparams(settings, {"loss/loss_g": 0.0}):  # the HPARAMS tab, in this run's own folder
            self.writer.file_writer.add_summary(summary)
        self.writer.add_text("config", f"```json\n{json.dumps(settings, indent=2)}\n```", resumed_at)

    def step(self, step: int, losses: dict[str, float], optimizers: dict[str, torch.optim.Optimizer]) -> None:
        for name, value in losses.items():
            self.writer.add_scalar(f"loss/{name}", value, step)
        for name, optimizer in optimizers.items():
            self.writer.add_scalar(f"lr/{name}", optimizer.param_groups[0]["lr"], step)

    def sample(self, step: int, grid: torch.Tensor) -> None:
        """``grid``: ``[3, H, W]`` in 0..1."""
        self.writer.add_image("samples", grid.clamp(0, 1), step)

    def close(self) -> None:
        self.writer.close()
