"""Training: learning happens, exact resume, atomic checkpoints under a kill, signals, divergence, datasets."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import pix2pix_core as p2p
from pix2pix_core.cli import main as cli_main
from pix2pix_core.imaging.edges import canny
from pix2pix_core.training import pix2pix as train_module
from pix2pix_core.training.cyclegan import CycleGANConfig, CycleGANTrainer
from pix2pix_core.training.data import (
    AlignedDataset,
    DerivedPairDataset,
    FolderPairDataset,
    Jitter,
    TensorPairDataset,
    derive_pair,
)
from pix2pix_core.training.loop import recorded_run
from pix2pix_core.training.pix2pix import (
    CHECKPOINT_DIR,
    BatchSchedule,
    Pix2PixConfig,
    Pix2PixTrainer,
    TrainCallbacks,
    TrainingDiverged,
)
from pix2pix_core.training.unpaired import UnpairedDataset

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"ngf": 8, "ndf": 8, "num_downs": 6, "crop_size": 64, "load_size": 72}


def _toy_pairs(n: int = 8) -> TensorPairDataset:
    """A learnable task: smooth colour fields -> their negatives."""
    torch.manual_seed(0)
    x = F.interpolate(torch.rand(n, 3, 8, 8), size=(64, 64), mode="bilinear", align_corners=False)
    return TensorPairDataset(x, 1 - x, jitter=Jitter(72, 64))


def _state(net: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def test_losses_are_finite_and_l1_falls(tmp_path):
    result = Pix2PixTrainer(Pix2PixConfig(steps=60, decay_steps=0, batch_size=4, sample_every=30, checkpoint_every=60,
                                 **SMALL), _toy_pairs(), tmp_path).run()
    l1 = [h["l1"] for h in result.history]
    assert all(torch.isfinite(torch.tensor([h["loss_d"], h["loss_g"]])).all() for h in result.history)
    assert sum(l1[-10:]) / 10 < 0.8 * sum(l1[:10]) / 10
    assert (tmp_path / "loss_curve.png").is_file() and len(list((tmp_path / "samples").glob("*.png"))) == 2
    loaded = p2p.load_generator(tmp_path / CHECKPOINT_DIR)  # the checkpoint is a loadable translator
    assert loaded.training_facts["steps"] == 60 and loaded.io.train_size == 64
    card = (tmp_path / CHECKPOINT_DIR / "README.md").read_text()  # titled by the run, not the temporary folder
    assert f"\n# {tmp_path.name}\n" in card and f"models/pix2pix/{tmp_path.name}/" in card and ".tmp" not in card


def test_resume_is_exact(tmp_path):
    config = dict(steps=12, batch_size=2, sample_every=100, checkpoint_every=100, **SMALL)
    straight = Pix2PixTrainer(Pix2PixConfig(**config), _toy_pairs(), tmp_path / "straight").run()
    answers = iter([False] * 5 + [True])  # should_stop is asked after every step: stop after the sixth
    first = Pix2PixTrainer(Pix2PixConfig(**config), _toy_pairs(), tmp_path / "resumed",
                    callbacks=TrainCallbacks(should_stop=lambda: next(answers)))
    assert first.run().steps_done == 6
    second = Pix2PixTrainer(Pix2PixConfig(**config), _toy_pairs(), tmp_path / "resumed")
    assert second.step == 6
    resumed = second.run()
    assert resumed.steps_done == 12
    for key, value in _state(straight.generator).items():
        torch.testing.assert_close(_state(resumed.generator)[key], value, atol=1e-6, rtol=1e-5)
    assert [h["l1"] for h in resumed.history] == pytest.approx([h["l1"] for h in straight.history], rel=1e-5)


def test_batch_schedule_is_a_pure_function_of_the_step():
    schedule = BatchSchedule(7, 3, seed=2)
    run = list(schedule.steps(0, 10))
    assert [BatchSchedule(7, 3, seed=2)[step] for step in reversed(range(10))] == run[::-1]  # any order, same batches
    assert list(schedule.steps(4, 10)) == run[4:] and len(schedule.steps(4, 10)) == 6
    positions = [item for batch in run for item in batch]
    assert sorted(index for index, epoch in positions if epoch == 1) == list(range(7))  # each epoch: all, once
    assert len(schedule[10**12]) == 3  # computed directly: nothing is built for the steps before it
    one, two = BatchSchedule(50, 1, seed=1), BatchSchedule(50, 1, seed=2)  # adjacent seeds are independent runs
    later = [one[step][0][0] for step in range(50, 150)]
    assert all([two[step][0][0] for step in range(start, start + 100)] != later for start in range(0, 51, 50))
    ranks = [BatchSchedule(7, 1, seed=2, world=2, rank=r) for r in (0, 1)]
    assert [ranks[step % 2][step // 2] for step in range(6)] == [BatchSchedule(7, 1, seed=2)[s] for s in range(6)]


def test_time_budget_stops_with_a_checkpoint_then_resumes(tmp_path):
    """A schedule of 10**12 steps starts at once (batches are produced lazily) and the budget ends the run."""
    config = Pix2PixConfig(steps=10**12, batch_size=2, sample_every=10**6, checkpoint_every=10**6, **SMALL)
    result = Pix2PixTrainer(config, _toy_pairs(), tmp_path).run(time_budget=1.0)
    assert result.stop_reason == "time budget" and not result.stopped_early and result.steps_done >= 1
    resumed = Pix2PixTrainer(Pix2PixConfig(**{**config.__dict__}), _toy_pairs(), tmp_path)
    assert resumed.step == result.steps_done
    with pytest.raises(p2p.Pix2PixError, match="positive"):
        resumed.run(time_budget=0)


def test_divergence_stops_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    calls = {"n": 0}
    real_loss = train_module.generator_loss

    def poisoned(*args, **kwargs):
        calls["n"] += 1
        total, gan, l1 = real_loss(*args, **kwargs)
        return (total * float("nan"), gan, l1) if calls["n"] == 5 else (total, gan, l1)

    monkeypatch.setattr(train_module, "generator_loss", poisoned)
    config = Pix2PixConfig(steps=10, checkpoint_every=2, sample_every=100, **SMALL)
    trainer = Pix2PixTrainer(config, _toy_pairs(), tmp_path)
    with pytest.raises(TrainingDiverged, match="step 5: the G loss is not finite.*last good checkpoint"):
        trainer.run()
    assert Pix2PixTrainer(Pix2PixConfig(steps=10, **SMALL), _toy_pairs(), tmp_path).step == 4


TRAIN_SCRIPT = """
import sys, time
from pathlib import Path
import torch, torch.nn.functional as F
sys.path.insert(0, {root!r})
from pix2pix_core.training import cyclegan, pix2pix as train_module
from pix2pix_core.training.data import TensorPairDataset, Jitter
from pix2pix_core.training.pix2pix import Pix2PixTrainer, Pix2PixConfig, TrainCallbacks
from pix2pix_core.training.unpaired import UnpairedDataset
out, mode, model = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
torch.manual_seed(0)
x = F.interpolate(torch.rand(4, 3, 8, 8), size=(64, 64), mode="bilinear")
module = train_module if model == "pix2pix" else cyclegan
if mode == "kill":  # the second checkpoint hangs after its first network: the parent kills the process there
    real = module.write_pretrained
    def slow(*args, **kwargs):
        real(*args, **kwargs)
        if (out / "checkpoint").exists():
            (out / "writing").touch()
            time.sleep(60)
    module.write_pretrained = slow
progress = lambda step, total, losses: (out / "progress").write_text(str(step))
callbacks = TrainCallbacks(progress=progress)
if model == "pix2pix":
    config = Pix2PixConfig(steps=400, checkpoint_every=3, sample_every=1000, ngf=8, ndf=8, num_downs=6, crop_size=64,
                         load_size=72)
    trainer = Pix2PixTrainer(config, TensorPairDataset(x, 1 - x, jitter=Jitter(72, 64)), out, callbacks=callbacks)
else:
    config = cyclegan.CycleGANConfig(steps=400, checkpoint_every=3, sample_every=1000, **{small!r})
    trainer = cyclegan.CycleGANTrainer(config, UnpairedDataset(x, 1 - x[:3], jitter=Jitter(36, 32)), out,
                                       callbacks=callbacks)
result = trainer.run()
print("stopped", result.stopped_early, result.steps_done)
"""
CYCLEGAN_SMALL = {"ngf": 4, "n_blocks": 1, "ndf": 4, "n_layers": 1, "crop_size": 32, "load_size": 36, "pool_size": 3}


def _start(tmp_path: Path, mode: str, model: str = "pix2pix") -> subprocess.Popen:
    script = tmp_path / "train_script.py"
    script.write_text(TRAIN_SCRIPT.format(root=str(ROOT), small=CYCLEGAN_SMALL))
    (tmp_path / "run").mkdir()
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "run"), mode, model], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(condition, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def _killed_mid_save(tmp_path: Path, model: str = "pix2pix") -> Path:
    """A training killed (-9) while its second checkpoint is half-written; returns its checkpoint folder."""
    proc = _start(tmp_path, "kill", model)
    try:
        _wait_for(lambda: (tmp_path / "run" / "writing").exists())
        proc.kill()
    finally:
        proc.wait(30)
    return tmp_path / "run" / CHECKPOINT_DIR


@pytest.mark.slow
def test_killed_mid_save_keeps_the_previous_checkpoint(tmp_path):
    checkpoint = _killed_mid_save(tmp_path)
    assert p2p.load_generator(checkpoint).training_facts["steps"] == 3
    resumed = Pix2PixTrainer(Pix2PixConfig(steps=6, checkpoint_every=3, sample_every=100, **SMALL), _toy_pairs(4),
                      tmp_path / "run")
    assert resumed.step == 3  # and the half-written one is ignored and cleaned up on the next save
    resumed.run()
    assert p2p.load_generator(checkpoint).training_facts["steps"] == 6
    assert not (tmp_path / "run" / f".{CHECKPOINT_DIR}.tmp").exists()


@pytest.mark.slow
def test_a_cyclegan_killed_between_its_two_directions_keeps_the_previous_checkpoint(tmp_path):
    """The kill lands after AtoB of the second checkpoint is written and before BtoA: both sides stay at step 3."""
    checkpoint = _killed_mid_save(tmp_path, "cyclegan")
    assert [p2p.load_generator(checkpoint, direction=d).training_facts["steps"] for d in ("AtoB", "BtoA")] == [3, 3]
    x = F.interpolate(torch.rand(4, 3, 8, 8), size=(64, 64), mode="bilinear")
    resumed = CycleGANTrainer(CycleGANConfig(steps=6, checkpoint_every=3, sample_every=100, **CYCLEGAN_SMALL),
                              UnpairedDataset(x, 1 - x[:3], jitter=Jitter(36, 32)), tmp_path / "run")
    assert resumed.step == 3 and resumed.run().steps_done == 6
    assert [p2p.load_generator(checkpoint, direction=d).training_facts["steps"] for d in ("AtoB", "BtoA")] == [6, 6]


@pytest.mark.slow
def test_a_second_training_into_the_same_folder_is_refused_and_a_dead_ones_lock_taken_over(tmp_path):
    proc = _start(tmp_path, "kill")
    try:
        _wait_for(lambda: (tmp_path / "run" / "writing").exists())
        with pytest.raises(p2p.Pix2PixError, match=f"being written by another training \\(process {proc.pid} on"):
            Pix2PixTrainer(Pix2PixConfig(steps=6, **SMALL), _toy_pairs(4), tmp_path / "run")
        proc.kill()
    finally:
        proc.wait(30)
    trainer = Pix2PixTrainer(Pix2PixConfig(steps=6, checkpoint_every=3, sample_every=100, **SMALL), _toy_pairs(4),
                      tmp_path / "run")  # the killed process's lock is taken over
    assert trainer.step == 3 and trainer.run().steps_done == 6
    with Pix2PixTrainer(Pix2PixConfig(steps=6, **SMALL), _toy_pairs(4), tmp_path / "run2")._lock:  # in one process too
        with pytest.raises(p2p.Pix2PixError, match="being written by another training"):
            Pix2PixTrainer(Pix2PixConfig(steps=6, **SMALL), _toy_pairs(4), tmp_path / "run2")


def test_training_refuses_a_saved_model_folder(tmp_path):
    p2p.save_pretrained(_toy_trainer_net(), tmp_path / "model")
    with pytest.raises(p2p.Pix2PixError, match="holds a saved translator"):
        Pix2PixTrainer(Pix2PixConfig(steps=2, **SMALL), _toy_pairs(4), tmp_path / "model")


def _toy_trainer_net():
    from pix2pix_core.networks import UnetConfig, build_network, init_weights

    return init_weights(build_network(UnetConfig(num_downs=5, ngf=4)))


def test_resuming_with_other_networks_or_a_damaged_state_is_explained(tmp_path):
    Pix2PixTrainer(Pix2PixConfig(steps=2, checkpoint_every=2, sample_every=100, **SMALL), _toy_pairs(4), tmp_path).run()
    with pytest.raises(p2p.Pix2PixError, match="trained with other networks \\(ngf 8 -> 16\\)"):
        Pix2PixTrainer(Pix2PixConfig(steps=4, **{**SMALL, "ngf": 16}), _toy_pairs(4), tmp_path)
    state = tmp_path / CHECKPOINT_DIR / "trainer_state.pt"
    state.write_bytes(state.read_bytes()[:1000])
    with pytest.raises(p2p.Pix2PixError, match="cannot be read.*damaged.*--no-resume"):
        Pix2PixTrainer(Pix2PixConfig(steps=4, **SMALL), _toy_pairs(4), tmp_path)
    assert Pix2PixTrainer(Pix2PixConfig(steps=4, **SMALL), _toy_pairs(4), tmp_path, resume=False).step == 0


def test_a_crash_between_the_renames_recovers_the_previous_checkpoint(tmp_path):
    config = Pix2PixConfig(steps=2, checkpoint_every=2, sample_every=100, **SMALL)
    trainer = Pix2PixTrainer(config, _toy_pairs(4), tmp_path)
    trainer.run()
    (tmp_path / CHECKPOINT_DIR).rename(tmp_path / f".{CHECKPOINT_DIR}.old")  # as if killed after the first rename
    assert p2p.load_generator(tmp_path / CHECKPOINT_DIR).training_facts["steps"] == 2  # loaders find it too
    assert Pix2PixTrainer(Pix2PixConfig(steps=4, **SMALL), _toy_pairs(4), tmp_path).step == 2
    assert (tmp_path / CHECKPOINT_DIR).is_dir() and not (tmp_path / f".{CHECKPOINT_DIR}.old").exists()


@pytest.mark.slow
def test_sigint_saves_a_checkpoint_and_stops(tmp_path):
    proc = _start(tmp_path, "signal")
    try:
        _wait_for(lambda: (tmp_path / "run" / "progress").exists()
                  and int((tmp_path / "run" / "progress").read_text() or 0) >= 4)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    stopped_at = int(out.split()[-1])
    assert "stopped True" in out and 4 <= stopped_at < 400
    assert p2p.load_generator(tmp_path / "run" / CHECKPOINT_DIR).training_facts["steps"] == stopped_at


# ------------------------------------------------------------------------------------------------- datasets
def _photo(path: Path, size=(80, 60), colour=(200, 120, 40)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def test_photos_given_as_a_tensor_become_derived_pairs(tmp_path):
    """A node's IMAGE batch of photos with the colorize preset: each pair derived from a photo, as from a folder."""
    from pix2pix_core.training.presets import PRESETS
    from pix2pix_core.training.sources import DataSource, open_training_data

    photos = torch.rand(3, 3, 40, 48)
    config = Pix2PixConfig(**{**SMALL, **PRESETS["colorize"].settings})
    dataset = open_training_data(DataSource(a=photos), "colorize", config, tmp_path)
    assert isinstance(dataset, DerivedPairDataset) and len(dataset) == 3 and "3 photo(s)" in dataset.describe()
    expected = derive_pair(photos[1], "colorize")
    assert all(torch.equal(got, want) for got, want in zip(dataset.pair(1), expected))
    assert config.jitter() == Jitter(72, 64, True) and dataset.jitter == config.jitter()


def test_aligned_dataset_splits_and_directs(tmp_path):
    image = Image.new("RGB", (128, 64), (255, 0, 0))
    image.paste((0, 0, 255), (64, 0, 128, 64))
    image.save(tmp_path / "1.png")
    a, b = AlignedDataset(tmp_path)[0]
    assert a.shape == (3, 64, 64) and a[0].mean() == 1 and b[2].mean() == 1  # red | blue, in [-1, 1]
    a, b = AlignedDataset(tmp_path, "BtoA")[0]
    assert a[2].mean() == 1 and b[0].mean() == 1


def test_folder_pairs_by_stem_and_reports_unpaired(tmp_path):
    _photo(tmp_path / "A" / "001.png")
    _photo(tmp_path / "B" / "001.jpg", size=(40, 30))
    _photo(tmp_path / "A" / "002.png")
    messages = []
    dataset = FolderPairDataset(tmp_path, report=messages.append, jitter=Jitter(72, 64))
    assert len(dataset) == 1 and "002" in messages[0]
    a, b = dataset[0]
    assert a.shape == b.shape == (3, 64, 64)


def test_jitter_is_identical_for_a_and_b_and_deterministic():
    x = torch.rand(1, 3, 50, 70)
    dataset = TensorPairDataset(x, x.clone(), jitter=Jitter(72, 64), seed=3)
    a, b = dataset[0]
    assert torch.equal(a, b)
    assert torch.equal(dataset[0][0], a)
    dataset.epoch = 1
    assert not torch.equal(dataset[0][0], a)


def test_derived_pairs_use_the_inference_functions(tmp_path):
    photo_path = tmp_path / "photos" / "a.png"
    photo_path.parent.mkdir()
    Image.open(ROOT / "pix2pix_core" / "assets" / "astronaut.jpg").resize((96, 96)).save(photo_path)
    photo = p2p.imaging.files.load_image(photo_path)
    l_in, ab = DerivedPairDataset(tmp_path / "photos", "colorize")[0]
    expected_l, expected_ab = derive_pair(photo, "colorize")
    assert l_in.shape == (1, 96, 96) and ab.shape == (2, 96, 96)
    torch.testing.assert_close(l_in, expected_l)
    edges, target = DerivedPairDataset(tmp_path / "photos", "edges")[0]
    torch.testing.assert_close(edges, canny(photo[None], black_on_white=True)[0].expand(3, -1, -1) * 2 - 1)
    torch.testing.assert_close(target, photo * 2 - 1)


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: (d / "x.png").write_text("broken"), "cannot read"),
    (lambda d: _photo(d / "tiny.png", size=(6, 3)), "at least 8 pixels"),
])
def test_bad_training_files(tmp_path, make, message):
    make(tmp_path)
    with pytest.raises(p2p.InputError, match=message):
        AlignedDataset(tmp_path)[0]


def test_bad_dataset_folders(tmp_path):
    with pytest.raises(p2p.InputError, match="holds no images"):
        AlignedDataset(tmp_path)
    _photo(tmp_path / "A" / "1.png")
    _photo(tmp_path / "B" / "2.png")
    with pytest.raises(p2p.InputError, match="share no file names"):
        FolderPairDataset(tmp_path, report=lambda m: None)
    with pytest.raises(p2p.InputError, match="same length"):
        TensorPairDataset(torch.rand(2, 3, 8, 8), torch.rand(3, 3, 8, 8))
    with pytest.raises(p2p.Pix2PixError, match="multiple of 64"):
        Pix2PixTrainer(Pix2PixConfig(**{**SMALL, "crop_size": 40, "load_size": 48}), _toy_pairs(), tmp_path / "run")


def _rates_used(trainer: Pix2PixTrainer) -> list[float]:
    """The generator's learning rate at each step, as the optimiser applied it."""
    used, real_step = [], trainer._step

    def recording(a, b):
        used.append(trainer.optimizers["g"].param_groups[0]["lr"] / trainer.config.lr)
        return real_step(a, b)

    trainer._step = recording
    trainer.run()
    return used


@pytest.mark.parametrize(("lr_decay", "expected"), [
    # the reference (4 epochs of 2 pairs, 2 constant + 2 decaying): lambda = 1 - max(0, epoch + 1 - 2) / 3, once
    # per epoch, ending at 1 / (n_epochs_decay + 1)
    ("epoch", [1, 1, 1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3]),
    ("step", [1, 1, 1, 1, 4 / 5, 3 / 5, 2 / 5, 1 / 5]),  # the same rule per step, ending at 1 / (decay_steps + 1)
])
def test_learning_rate_schedule_per_epoch_as_the_reference_or_per_step(tmp_path, lr_decay, expected):
    config = Pix2PixConfig(**{**SMALL, "steps": 8, "decay_steps": 4, "lr_decay": lr_decay, "sample_every": 100})
    used = _rates_used(Pix2PixTrainer(config, _toy_pairs(2), tmp_path / "run"))
    assert used == pytest.approx(expected)


def test_epochs_run_the_references_per_epoch_schedule_unless_asked(tmp_path):
    _aligned_folder(tmp_path / "pairs")
    for out, extra, decay in (("epochs", [], "epoch"), ("per-step", ["--lr-decay", "step"], "step")):
        assert cli_main(["train", "--data", str(tmp_path / "pairs"), "--out", str(tmp_path / out), "--epochs", "2",
                         *extra, *TRAIN_SMALL]) == 0
        recorded = recorded_run(tmp_path / out / "checkpoint")
        assert recorded["step"] == 4 and recorded["config"]["lr_decay"] == decay
    assert cli_main(["train", "--data", str(tmp_path / "pairs"), "--out", str(tmp_path / "steps"), "--steps", "2",
                     *TRAIN_SMALL]) == 0
    assert recorded_run(tmp_path / "steps" / "checkpoint")["config"]["lr_decay"] == "step"
    with pytest.raises(p2p.ConfigError, match="lr_decay must be one of step, epoch"):
        Pix2PixConfig(lr_decay="batch").validate()


def _aligned_folder(folder: Path, n: int = 2) -> Path:
    for i in range(n):
        _photo(folder / f"{i}.png", size=(128, 64), colour=(40 * i, 90, 200))
    return folder


TRAIN_SMALL = ["--ngf", "8", "--ndf", "8", "--num-downs", "6", "--crop-size", "64", "--load-size", "72"]


def test_a_minority_of_non_square_halves_is_split_at_the_middle_and_counted(tmp_path, capsys):
    """The side-by-side run's dataset: some A|B files are 512x157..254 (non-square halves). The reference splits
    every file at w/2; so do we, and the run says how many were off the usual 2:1 shape."""
    _aligned_folder(tmp_path / "pairs", n=3)
    wide = Image.new("RGB", (128, 40), (255, 0, 0))
    wide.paste((0, 0, 255), (64, 0, 128, 40))
    wide.save(tmp_path / "pairs" / "wide.png")
    dataset = AlignedDataset(tmp_path / "pairs")
    a, b = dataset[3]
    assert a.shape == b.shape == (3, 40, 64) and a[0].mean() == 1 and b[2].mean() == 1
    assert cli_main(["train", "--data", str(tmp_path / "pairs"), "--out", str(tmp_path / "run"), "--steps", "1",
                     *TRAIN_SMALL]) == 0
    err = capsys.readouterr().err
    assert "1 of 4 image(s) are not about twice as wide as high (wide.png (128x40))" in err
    assert err.count("wide.png") == 1 and "split at the middle" in err


def test_a_trained_translator_records_its_scale_and_translate_works_at_it(tmp_path, capsys):
    _aligned_folder(tmp_path / "pairs")
    assert cli_main(["train", "--data", str(tmp_path / "pairs"), "--out", str(tmp_path / "run"), "--steps", "1",
                     *TRAIN_SMALL]) == 0
    model = tmp_path / "run" / "checkpoint"
    assert json.loads((model / "config.json").read_text())["io"]["train_scale"] == 72  # --load-size
    assert p2p.load_generator(model).io.train_scale == 72
    for name in ("a", "b"):
        _photo(tmp_path / "photos" / f"{name}.png", size=(288, 144))
    capsys.readouterr()
    assert cli_main(["translate", "--model", str(model), str(tmp_path / "photos"), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert err.count("learned from images resized to 72 px") == 1 and "288x144 image is translated at 102x51" in err
    assert Image.open(tmp_path / "out" / "a.png").size == (288, 144)
    assert cli_main(["translate", "--model", str(model), str(tmp_path / "photos"), "--out", str(tmp_path / "n"),
                     "--fit", "native"]) == 0
    assert "learned from" not in capsys.readouterr().err


def test_train_says_which_layout_it_found_and_refuses_photos_without_a_preset(tmp_path, capsys):
    _aligned_folder(tmp_path / "pairs")
    assert cli_main(["train", "--data", str(tmp_path / "pairs"), "--out", str(tmp_path / "run"), "--steps", "1",
                     *TRAIN_SMALL]) == 0
    assert "aligned pairs, 2 image(s) split into A | B" in capsys.readouterr().err
    for name in ("a", "b"):
        _photo(tmp_path / "photos" / f"{name}.jpg", size=(120, 90))
    assert cli_main(["train", "--data", str(tmp_path / "photos"), "--out", str(tmp_path / "run2"), "--steps", "1",
                     *TRAIN_SMALL]) == 2
    err = capsys.readouterr().err
    assert "does not look like aligned pairs" in err and "a.jpg (120x90)" in err and "--preset colorize" in err
    assert not (tmp_path / "run2").exists()


def test_train_help_gives_every_option_a_meaning_and_a_default(capsys):
    with pytest.raises(SystemExit):
        cli_main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Pix2PixConfig" not in text and "examples:" in text and "--minutes 10" in text
    for option in ("--generator", "--n-blocks", "--norm", "--no-dropout", "--discriminator", "--n-layers", "--beta1",
                   "--decay-steps", "--minutes", "--lambda-l1", "--crop-size", "--batch-size", "--lr"):
        assert f"{option} " in text, option
    for default in ("(default unet)", "(default 9)", "(default batch)", "(default patchgan)", "(default 3)",
                    "(default 0.5)", "(default 100)", "(default 0.0002)", "(default 256)", "(default 286)"):
        assert default in text, default


# every numeric option at 0: either a meaningful value that reaches the config, or a refusal naming the field
ZERO_IS_A_VALUE = {"--lambda-l1": "lambda_l1", "--seed": "seed", "--num-workers": "num_workers",
                   "--decay-steps": "decay_steps", "--beta1": "beta1"}
ZERO_IS_REFUSED = {"--steps": "steps", "--batch-size": "batch_size", "--lr": "lr", "--ngf": "ngf", "--ndf": "ndf",
                   "--num-downs": "num_downs", "--n-blocks": "n_blocks", "--n-layers": "n_layers",
                   "--load-size": "load_size", "--crop-size": "crop_size", "--checkpoint-every": "checkpoint_every",
                   "--sample-every": "sample_every", "--minutes": "minutes", "--epochs": "epochs"}


@pytest.mark.parametrize("option", sorted(ZERO_IS_A_VALUE))
def test_numeric_options_at_zero_are_kept(tmp_path, option):
    _aligned_folder(tmp_path / "pairs")
    args = ["train", "--data", str(tmp_path / "pairs"), "--out", str(tmp_path / "run"), "--steps", "2",
            "--checkpoint-every", "1", *TRAIN_SMALL, option, "0"]
    assert cli_main(args) == 0
    state = torch.load(tmp_path / "run" / CHECKPOINT_DIR / "trainer_state.pt", weights_only=True)
    assert state["config"][ZERO_IS_A_VALUE[option]] == 0


@pytest.mark.parametrize("option", sorted(ZERO_IS_REFUSED))
def test_numeric_options_at_zero_are_refused_by_name(tmp_path, option, capsys):
    _aligned_folder(tmp_path / "pairs")
    small = [a for i, a in enumerate(TRAIN_SMALL) if option not in (a, TRAIN_SMALL[i - 1])]
    length = [] if option in ("--steps", "--epochs") else ["--steps", "2"]
    args = ["train", "--data", str(tmp_path / "pairs"), "--out", str(tmp_path / "run"), *length, *small, option, "0"]
    assert cli_main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and ZERO_IS_REFUSED[option].replace("_", "-") in err.replace("_", "-"), err
    assert "Traceback" not in err


@pytest.mark.slow
def test_train_command_with_a_preset(tmp_path):
    for name, colour in (("a", (200, 30, 30)), ("b", (30, 200, 30))):
        _photo(tmp_path / "photos" / f"{name}.png", colour=colour)
    done = subprocess.run([sys.executable, "-m", "pix2pix_core", "train", "--data", str(tmp_path / "photos"),
                           "--preset", "colorize", "--out", str(tmp_path / "run"), "--steps", "4", "--ngf", "8",
                           "--ndf", "8", "--num-downs", "6", "--crop-size", "64", "--load-size", "72"],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    model = p2p.load_generator(tmp_path / "run" / CHECKPOINT_DIR)
    assert (model.config.in_channels, model.config.out_channels) == (1, 2)
    assert model.io.input_space == "lab_l" and model.training_facts["dataset"] == "photos"  # the data, not the preset
    # a run shorter than --sample-every still leaves its last sample and the loss curve, and says where they are
    sample = tmp_path / "run" / "samples" / "step_0000004.png"
    assert sample.is_file() and (tmp_path / "run" / "loss_curve.png").is_file()
    assert f"samples in {tmp_path / 'run' / 'samples'}" in done.stdout and "loss_curve.png" in done.stdout
    assert f"translate with: pix2pix translate --model {tmp_path / 'run' / CHECKPOINT_DIR}" in done.stdout
    # a colorizer's sample shows photos (ab on the input's own L), not ab maps on mid-gray: the target is the photo
    target = np.asarray(Image.open(sample).convert("RGB"))[:, -64:].reshape(-1, 3).mean(0)
    assert min(np.abs(target - colour).max() for colour in ((200, 30, 30), (30, 200, 30))) < 6, target


DDP_SCRIPT = """
import hashlib, os, sys
from pathlib import Path
import torch, torch.distributed as dist, torch.nn.functional as F
sys.path.insert(0, {root!r})
from pix2pix_core.training.data import TensorPairDataset, Jitter
from datetime import timedelta
from pix2pix_core.training.pix2pix import TrainCallbacks, Pix2PixTrainer, Pix2PixConfig
dist.init_process_group("gloo", timeout=timedelta(seconds=60))  # a rank left waiting fails in a minute
rank = dist.get_rank()
base = Path(sys.argv[1])
torch.manual_seed(0)
x = F.interpolate(torch.rand(6, 3, 8, 8), size=(64, 64), mode="bilinear")
config = Pix2PixConfig(steps=4, batch_size=1, checkpoint_every=2, sample_every=2, ngf=8, ndf=8, num_downs=6,
                     crop_size=64, load_size=72)
result = Pix2PixTrainer(config, TensorPairDataset(x, 1 - x, jitter=Jitter(72, 64)), base / f"rank{{rank}}").run()
# parameters: BatchNorm running statistics are per rank (rank 0's are the ones saved)
digest = hashlib.sha256(b"".join(p.detach().contiguous().numpy().tobytes()
                                 for p in result.generator.parameters())).hexdigest()
(base / f"weights{{rank}}.txt").write_text(digest)
# a stop only rank 1 sees (its time budget, a signal, a Cancel) stops both at the same step, none left waiting
stop_on_rank_1 = TrainCallbacks(should_stop=lambda: rank == 1 and stopping.step >= 3)
stopping = Pix2PixTrainer(Pix2PixConfig(**{{**vars(config), "steps": 6}}),
                          TensorPairDataset(x, 1 - x, jitter=Jitter(72, 64)), base / f"stop{{rank}}",
                          callbacks=stop_on_rank_1)
outcome = stopping.run()
(base / f"stopped{{rank}}.txt").write_text(f"{{outcome.steps_done}} {{outcome.stop_reason}}")
dist.barrier()  # both ranks done before the group is torn down (gloo aborted a rank once, under a loaded machine)
dist.destroy_process_group()
"""


@pytest.mark.slow
def test_two_process_ddp_with_gloo(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT.format(root=str(ROOT)))
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr",
                           "127.0.0.1", "--master_port", str(port), str(script), str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "weights0.txt").read_text() == (tmp_path / "weights1.txt").read_text()  # ranks agree
    assert p2p.load_generator(tmp_path / "rank0" / CHECKPOINT_DIR).training_facts["steps"] == 4
    assert len(list((tmp_path / "rank0" / "samples").glob("*.png"))) == 2
    assert not (tmp_path / "rank1").exists() or not any((tmp_path / "rank1").iterdir())  # only rank 0 writes
    assert [(tmp_path / f"stopped{rank}.txt").read_text() for rank in (0, 1)] == ["3 stop request"] * 2


def test_ssim_and_psnr_match_skimage():
    import numpy as np
    from skimage import data
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    from pix2pix_core.training.evaluate import psnr, ssim

    a = data.astronaut()[:96, :128] / 255.0
    b = np.clip(a + np.random.default_rng(0).normal(0, 0.05, a.shape), 0, 1)
    ta, tb = (torch.from_numpy(v).float().permute(2, 0, 1)[None] for v in (a, b))
    expected = structural_similarity(a, b, channel_axis=2, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False)
    assert abs(ssim(ta, tb) - expected) < 1e-4
    assert abs(psnr(ta, tb) - peak_signal_noise_ratio(a, b, data_range=1.0)) < 1e-3


@pytest.mark.slow
def test_eval_command_writes_metrics(tmp_path):
    import json

    from pix2pix_core.networks import ResnetConfig, build_network, init_weights

    g = init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1)))
    model = p2p.save_pretrained(g, tmp_path / "model")
    pairs = tmp_path / "pairs"
    (pairs / "A").mkdir(parents=True)
    (pairs / "B").mkdir()

    def save(t: torch.Tensor, path: Path) -> None:
        Image.fromarray((t[0].permute(1, 2, 0).numpy() * 255).round().astype("uint8")).save(path)

    for i in range(3):  # targets made by the model itself: a perfect score, up to 8-bit rounding
        a = torch.rand(1, 3, 40, 40)
        save(a, pairs / "A" / f"{i}.png")
        save(p2p.translate(g, p2p.imaging.files.load_image(pairs / "A" / f"{i}.png")[None]), pairs / "B" / f"{i}.png")
    done = subprocess.run([sys.executable, "-m", "pix2pix_core", "eval", "--model", str(model), "--data", str(pairs),
                           "--out", str(tmp_path / "eval.json")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "eval.json").read_text())
    assert metrics["images"] == 3 and metrics["l1"] < 0.01 and metrics["ssim"] > 0.99 and metrics["psnr"] > 35
    assert "| psnr |" in done.stdout


def test_eval_prepares_pairs_from_the_models_contract(tmp_path, capsys):
    """A colorizer is evaluated on Lab pairs derived from photos without --preset; a contradicting preset is refused."""
    from pix2pix_core.networks import UnetConfig, build_network, init_weights
    from pix2pix_core.networks.io import IOSpec

    g = init_weights(build_network(UnetConfig(1, 2, num_downs=5, ngf=4)))
    g.io = IOSpec("lab_l", "lab_ab", 64)
    model = p2p.save_pretrained(g, tmp_path / "colorizer")
    for name in ("a", "b"):
        _photo(tmp_path / "photos" / f"{name}.png", size=(70, 50))
    assert cli_main(["eval", "--model", str(model), "--data", str(tmp_path / "photos")]) == 0
    assert "| images | 2 |" in capsys.readouterr().out
    assert cli_main(["eval", "--model", str(model), "--data", str(tmp_path / "photos"), "--preset", "facades"]) == 2
    err = capsys.readouterr().err
    assert "maps lab_l -> lab_ab" in err and "--preset colorize" in err and "Traceback" not in err


def test_sixteen_bit_and_palette_images_load_without_clipping(tmp_path):
    import numpy as np

    from pix2pix_core.imaging.files import load_image

    ramp = (np.linspace(0, 65535, 32 * 32).reshape(32, 32)).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    rgb = load_image(tmp_path / "deep.png", "RGB")
    assert rgb.shape == (3, 32, 32) and abs(rgb.max().item() - 1) < 1e-6 and abs(rgb[0, 16, 0].item() - 0.5) < 0.01
    Image.new("P", (16, 16), 3).save(tmp_path / "palette.png")
    assert load_image(tmp_path / "palette.png").shape == (3, 16, 16)


FULL_DISK_SCRIPT = """
import contextlib, io, json, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from pix2pix_core.cli import main
import pix2pix_core as p2p
out = Path(sys.argv[1]) / "run"
command = ["train", "--data", {photos!r}, "--preset", "colorize", "--out", str(out), "--ngf", "4", "--ndf", "4",
           "--num-downs", "5", "--crop-size", "64", "--load-size", "72", "--sample-every", "1000",
           "--checkpoint-every", "2", "--steps", "4"]
report = []
for attempt in range(2):  # the first run, then the same command again (a resume when a checkpoint exists)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(command)
    checkpoint = out / "checkpoint"
    step = p2p.load_generator(checkpoint).training_facts["steps"] if checkpoint.is_dir() else None
    leftovers = sorted(p.name for p in out.iterdir() if p.name.startswith(".checkpoint")) if out.is_dir() else []
    report.append({{"code": code, "err": err.getvalue(), "step": step, "leftovers": leftovers}})
print(json.dumps(report))
"""


@pytest.mark.slow
@pytest.mark.parametrize(("disk", "saved"), [("400k", None), ("1500k", 2)])
def test_a_full_disk_keeps_every_checkpoint_and_says_how_much_space_is_needed(tmp_path, disk, saved):
    """A real full disk (a tmpfs of that size, in a private mount namespace) under the real writers (safetensors,
    torch.save): on the first checkpoint (400k: none fits) or on the second (1500k: one fits, not two during the
    swap), and again when the same command resumes. No traceback; the message gives the space needed and free and
    the folder; the checkpoint that was whole stays whole and loads, nothing partial is left."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("astronaut.jpg", "coffee.jpg"):
        shutil.copy(ROOT / "pix2pix_core" / "assets" / name, photos / name)
    disk_dir = tmp_path / "disk"
    disk_dir.mkdir()
    script = tmp_path / "full_disk.py"
    script.write_text(FULL_DISK_SCRIPT.format(root=str(ROOT), photos=str(photos)))
    done = subprocess.run(["unshare", "-rm", "sh", "-c", f'mount -t tmpfs -o size={disk} tmpfs "$1" && exec "$2" "$3" '
                           '"$1"', "sh", str(disk_dir), sys.executable, str(script)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for attempt in json.loads(done.stdout.strip().splitlines()[-1]):
        assert attempt["code"] == 2 and "Traceback" not in attempt["err"]
        assert re.search(r"could not write the checkpoint of step \d into \S+/run/checkpoint: the disk is full\. A "
                         r"checkpoint needs about [\d.]+ MiB there .* and [\d.]+ MiB are free", attempt["err"])
        kept = f"the checkpoint of step {saved} in" if saved else "no earlier checkpoint exists"
        assert kept in attempt["err"] and "run the same command again to resume" in attempt["err"]
        assert attempt["step"] == saved and attempt["leftovers"] == []


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--num-workers", "-1", "num_workers must be 0 or more"), ("--lr", "nan", "lr must be positive"),
    ("--beta1", "1", "beta1 and beta2 must lie in"), ("--decay-steps", "5", "decay_steps must lie between 0 and"),
])
def test_invalid_numbers_are_refused(tmp_path, capsys, option, value, message):
    _aligned_folder(tmp_path / "pairs")
    assert cli_main(["train", "--data", str(tmp_path / "pairs"), "--out", str(tmp_path / "run"), "--steps", "2",
                     *TRAIN_SMALL, option, value]) == 2
    assert message in capsys.readouterr().err


def test_images_too_small_to_train_on_are_refused():
    with pytest.raises(p2p.InputError, match="1x1 pixels; training images need at least 8 pixels"):
        TensorPairDataset(torch.rand(4, 3, 1, 1), torch.rand(4, 3, 1, 1))


def test_the_loss_plot_has_a_panel_per_loss_with_axes_and_a_smoothed_trend():
    from pix2pix_core.training.plot import COLOURS, MARGIN_TOP, PANEL_H, PANEL_W, loss_plot, nice_ticks, smoothed

    assert nice_ticks(0.25, 2.8, 6) == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.5])
    assert nice_ticks(1, 30000, 6) == [5000, 10000, 15000, 20000, 25000, 30000]
    assert smoothed(torch.full((50,), 3.0).numpy()).tolist() == [3.0] * 50  # debiased from the first step
    assert torch.isfinite(torch.from_numpy(smoothed(torch.tensor([float("nan"), 1.0, 2.0]).numpy())[1:])).all()
    for steps in (300, 30000):  # sparse (a line per step) and dense (a band per pixel column) histories
        t = torch.arange(1, steps + 1, dtype=torch.float64)
        noise = torch.rand(steps, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        falling = 2 * torch.exp(-t / (steps / 4)) + 0.3 * noise
        falling[steps // 2] = 1000.0  # one spike must not flatten the rest
        history = [{"step": int(s), "loss_g": float(f), "loss_d": float(n), "l1": float(f) * 10}
                   for s, f, n in zip(t, falling, noise)]
        image = loss_plot(history)
        assert image.size == (2 * PANEL_W, 2 * PANEL_H)  # three losses: a 2 x 2 grid
        pixels = torch.from_numpy(np.asarray(image).copy()).int()
        trend = (pixels[:PANEL_H] - torch.tensor(COLOURS[0])).abs().sum(-1) < 30  # loss_g's smoothed line
        rows, columns = trend[MARGIN_TOP:].nonzero().T
        left = rows[columns < columns.min() + 40].float().mean()
        right = rows[columns > columns.max() - 40].float().mean()
        assert right - left > 0.5 * (PANEL_H - MARGIN_TOP - 40), (steps, left, right)  # falls over most of the panel


def test_tensorboard_logs_read_back_with_tensorboards_own_reader(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    config = Pix2PixConfig(steps=6, checkpoint_every=4, sample_every=2, **SMALL)
    crashing = Pix2PixTrainer(config, _toy_pairs(), tmp_path, log="tensorboard")
    real_step = crashing._step

    def crash_at_six(a, b):
        if crashing.step == 5:
            raise RuntimeError("killed")
        return real_step(a, b)

    crashing._step = crash_at_six
    with pytest.raises(RuntimeError, match="killed"):
        crashing.run()  # step 5 is logged, the checkpoint is at 4
    resumed = Pix2PixTrainer(config, _toy_pairs(), tmp_path, log="tensorboard")
    assert resumed.step == 4
    history = resumed.run().history  # the checkpoint's history and the resumed steps
    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    events.Reload()
    scalars = events.Tags()["scalars"]
    assert {"loss/loss_g", "loss/loss_d", "loss/l1", "lr/g", "lr/d"} <= set(scalars)
    logged = events.Scalars("loss/l1")
    assert [e.step for e in logged] == [1, 2, 3, 4, 5, 6]  # the resumed run continues the stream
    assert [e.value for e in logged] == pytest.approx([h["l1"] for h in history], rel=1e-6)
    assert events.Scalars("lr/g")[0].value == pytest.approx(2e-4)
    assert [e.step for e in events.Images("samples")] == [2, 4, 6]
    assert set(events.PluginTagToContent("hparams")) >= {"_hparams_/experiment", "_hparams_/session_start_info"}
    assert "num_downs" in events.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    with pytest.raises(p2p.ConfigError, match="log must be one of None, tensorboard"):
        Pix2PixTrainer(config, _toy_pairs(), tmp_path / "other", log="wandb")


def _small_cli_run(tmp_path: Path) -> list[str]:
    photos = tmp_path / "photos"
    photos.mkdir(exist_ok=True)
    for name in ("astronaut.jpg", "coffee.jpg"):
        shutil.copy(ROOT / "pix2pix_core" / "assets" / name, photos / name)
    return ["train", "--data", str(photos), "--preset", "colorize", "--out", str(tmp_path / "run"), "--ngf", "8",
            "--ndf", "8", "--num-downs", "5", "--crop-size", "64", "--load-size", "72", "--sample-every", "1000"]


@pytest.mark.slow
def test_ctrl_c_with_the_output_piped_to_a_reader_that_died_saves_first(tmp_path):
    """`pix2pix train ... 2>&1 | tee log` and Ctrl-C: the reader dies with the same signal, so every later write
    hits a dead pipe. The run saves the step it stopped at first, then says so where it still can (exit 130)."""
    command = [sys.executable, "-m", "pix2pix_core", *_small_cli_run(tmp_path), "--steps", "100000",
               "--checkpoint-every", "100000"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = b""
    while b"training:" not in seen or seen.count(b"step/s") < 3:  # a few steps shown: the run is under way
        seen += process.stdout.read1(4096) or b""
        assert process.poll() is None, seen.decode(errors="replace")[-2000:]
    process.stdout.close()  # the reader (tee) is gone ...
    process.send_signal(signal.SIGINT)  # ... and the same Ctrl-C reaches the run
    assert process.wait(timeout=120) == 130
    state = torch.load(tmp_path / "run" / CHECKPOINT_DIR / "trainer_state.pt", weights_only=True)
    assert state["step"] >= 1  # no periodic checkpoint exists: this one was written by the signal
    assert p2p.load_generator(tmp_path / "run" / CHECKPOINT_DIR).training_facts["steps"] == state["step"]


def test_a_resume_keeps_the_runs_recorded_options(tmp_path, capsys):
    """Resumed without its options, a run goes on as recorded (crop, load size, batch, widths); an explicit
    different value is refused with the differences; steps may change; a finished run says it is complete."""
    command = _small_cli_run(tmp_path)
    assert cli_main([*command, "--batch-size", "2", "--steps", "2"]) == 0
    run = tmp_path / "run"
    config_before = (run / CHECKPOINT_DIR / "config.json").read_text()
    bare = ["train", "--data", command[2], "--out", str(run), "--preset", "colorize"]
    assert cli_main(bare) == 0
    assert "already complete: " in capsys.readouterr().out
    assert (run / CHECKPOINT_DIR / "config.json").read_text() == config_before  # nothing rewritten
    assert cli_main([*bare, "--steps", "4"]) == 0
    err = capsys.readouterr().err
    assert f"resuming from step 2 of 4 ({run / CHECKPOINT_DIR})" in err
    state = torch.load(run / CHECKPOINT_DIR / "trainer_state.pt", weights_only=True)
    assert state["step"] == 4 and {k: state["config"][k] for k in ("crop_size", "load_size", "batch_size", "ngf")} == {
        "crop_size": 64, "load_size": 72, "batch_size": 2, "ngf": 8}
    assert cli_main([*bare, "--steps", "6", "--crop-size", "128", "--batch-size", "1"]) == 2
    assert re.search(r"other settings: --crop-size 64 \(recorded\) -> 128; --batch-size 2 \(recorded\) -> 1\. Leave",
                     capsys.readouterr().err)
