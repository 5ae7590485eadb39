"""The CycleGAN trainer: exact resume (pools included), the AtoB/BtoA checkpoint layout, learning, bad settings."""

from __future__ import annotations

import argparse

import pytest
import torch
import torch.nn.functional as F

import pix2pix_core as p2p
from pix2pix_core.training.cyclegan import CycleGANConfig, CycleGANTrainer
from pix2pix_core.training.data import Jitter
from pix2pix_core.training.pix2pix import CHECKPOINT_DIR, TrainCallbacks
from pix2pix_core.training.unpaired import UnpairedDataset

SMALL = {"ngf": 4, "n_blocks": 1, "ndf": 4, "n_layers": 1, "crop_size": 32, "load_size": 36, "pool_size": 3}


def _domains(seed: int = 0) -> UnpairedDataset:
    """A: smooth colour fields; B: the same kind of fields, colour-inverted (an unpaired, learnable mapping)."""
    torch.manual_seed(seed)
    a = F.interpolate(torch.rand(4, 3, 6, 6), size=(40, 40), mode="bilinear", align_corners=False)
    b = 1 - F.interpolate(torch.rand(5, 3, 6, 6), size=(40, 40), mode="bilinear", align_corners=False)
    return UnpairedDataset(a, b, jitter=Jitter(36, 32), seed=seed)


def _state(net: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def test_two_n_steps_equal_n_steps_resume_n_steps(tmp_path):
    """Bit for bit on the CPU: the image pools (contents and RNG), optimisers and schedules are all restored."""
    config = dict(steps=10, sample_every=100, checkpoint_every=100, **SMALL)
    straight = CycleGANTrainer(CycleGANConfig(**config), _domains(), tmp_path / "straight")
    straight.run()
    answers = iter([False] * 4 + [True])  # stop after the fifth step: the pools are full (3) by then
    first = CycleGANTrainer(CycleGANConfig(**config), _domains(), tmp_path / "resumed",
                            callbacks=TrainCallbacks(should_stop=lambda: next(answers)))
    assert first.run().steps_done == 5
    second = CycleGANTrainer(CycleGANConfig(**config), _domains(), tmp_path / "resumed")
    assert second.step == 5 and len(second.pool_a.images) == 3
    second.run()
    for name in ("g_a", "g_b", "d_a", "d_b"):
        for key, value in _state(getattr(straight, name)).items():
            assert torch.equal(_state(getattr(second, name))[key], value), (name, key)
    assert [h["loss_g"] for h in second.history] == [h["loss_g"] for h in straight.history]


def test_each_direction_is_a_complete_translator(tmp_path):
    trainer = CycleGANTrainer(CycleGANConfig(steps=2, sample_every=2, checkpoint_every=2, domain_a="photo",
                                             domain_b="inverted", **SMALL), _domains(), tmp_path)
    trainer.run()
    x = torch.rand(1, 3, 32, 32)
    for direction, generator, critic in (("AtoB", trainer.g_a, trainer.d_a), ("BtoA", trainer.g_b, trainer.d_b)):
        g, d = p2p.load_translator(tmp_path / CHECKPOINT_DIR / direction)
        assert g.io.direction == direction and d is not None
        torch.testing.assert_close(p2p.translate(g, x), p2p.translate(generator, x), atol=1e-6, rtol=1e-5)
        assert all(torch.equal(v, critic.state_dict()[k]) for k, v in d.state_dict().items())
    assert p2p.load_generator(tmp_path / CHECKPOINT_DIR / "AtoB").training_facts["translates"] == "photo -> inverted"
    card = (tmp_path / CHECKPOINT_DIR / "AtoB" / "README.md").read_text()
    assert f"\n# {tmp_path.name}/AtoB\n" in card and ".tmp" not in card  # titled by the run, not the temp folder
    assert (tmp_path / "samples" / "step_0000002.png").is_file() and (tmp_path / "loss_curve.png").is_file()


@pytest.mark.slow
def test_the_cycle_loss_falls(tmp_path):
    result = CycleGANTrainer(CycleGANConfig(steps=80, decay_steps=0, batch_size=2, sample_every=100,
                                            checkpoint_every=100, **{**SMALL, "ngf": 8}), _domains(), tmp_path).run()
    cycle = [h["cycle_a"] + h["cycle_b"] for h in result.history]
    assert all(torch.isfinite(torch.tensor([h["loss_g"], h["loss_d_a"], h["loss_d_b"]])).all() for h in result.history)
    assert sum(cycle[-10:]) / 10 < 0.85 * sum(cycle[:10]) / 10  # measured: 7.37 -> 5.54


@pytest.mark.parametrize(("change", "message"), [
    ({"pool_size": -1}, "pool_size must be 0 or more"), ({"lambda_a": -1}, "lambda_a"),
    ({"crop_size": 30, "load_size": 36}, "multiple of 4"), ({"norm": "layer"}, "norm must be one of"),
    ({"n_blocks": 0}, "n_blocks must be at least 1"),
])
def test_bad_cyclegan_settings_are_refused(tmp_path, change, message):
    with pytest.raises(p2p.ConfigError, match=message):
        CycleGANTrainer(CycleGANConfig(**{**SMALL, **change}), _domains(), tmp_path)


def test_resuming_with_other_networks_is_refused(tmp_path):
    CycleGANTrainer(CycleGANConfig(steps=1, **SMALL), _domains(), tmp_path).run()
    with pytest.raises(p2p.Pix2PixError, match="trained with other networks \\(n_blocks 1 -> 2\\)"):
        CycleGANTrainer(CycleGANConfig(steps=2, **{**SMALL, "n_blocks": 2}), _domains(), tmp_path)


def _photos(folder, n, colour):
    from PIL import Image

    folder.mkdir(parents=True)
    for i in range(n):
        Image.new("RGB", (40, 36), (colour[0], colour[1], 20 * i)).save(folder / f"{i}.png")


CLI_SMALL = ["--ngf", "4", "--ndf", "4", "--n-blocks", "1", "--n-layers", "1", "--crop-size", "32", "--load-size", "36",
             "--pool-size", "2"]


def test_train_command_trains_cyclegan_and_refuses_options_of_the_other_method(tmp_path, capsys):
    from pix2pix_core.cli import main

    _photos(tmp_path / "data" / "trainA", 3, (200, 30))
    _photos(tmp_path / "data" / "trainB", 2, (30, 200))
    assert main(["train", "--method", "cyclegan", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "run"),
                 "--steps", "2", *CLI_SMALL]) == 0
    captured = capsys.readouterr()
    assert "3 image(s) in A, 2 in B" in captured.err and "/AtoB IMAGES" in captured.out
    assert p2p.load_generator(tmp_path / "run" / CHECKPOINT_DIR / "BtoA").io.direction == "BtoA"
    assert main(["train", "--model", "cyclegan", "--data-a", str(tmp_path / "data" / "trainA"), "--data-b",
                 str(tmp_path / "data" / "trainB"), "--out", str(tmp_path / "run2"), "--steps", "1", *CLI_SMALL]) == 0
    assert "--model is the old spelling of --method" in capsys.readouterr().err
    for args, message in (
        (["--method", "cyclegan", "--data", str(tmp_path / "data"), "--lambda-l1", "5"],
         "--lambda-l1: not an option of --method cyclegan; its own options are --lambda-a"),
        (["--data", str(tmp_path / "data" / "trainA"), "--pool-size", "5"], "--pool-size: not an option of --method "
                                                                             "pix2pix"),
        (["--method", "cyclegan"], "needs --data DIR"),
        (["--method", "pix2pix", "--preset", "cyclegan", "--data", str(tmp_path / "data")],
         "--preset cyclegan is a cyclegan recipe, not one for --method pix2pix: use one of colorize, edges2photo, "
         "facades, or --method cyclegan"),
        (["--method", "cyclegan", "--data", str(tmp_path / "data" / "trainA")], "no trainA or trainB folder"),
    ):
        assert main(["train", "--out", str(tmp_path / "bad"), "--steps", "1", *args]) == 2, args
        assert message in capsys.readouterr().err, args


def test_cyclegan_presets_imply_the_method_and_give_way_to_explicit_options():
    from pix2pix_core.cli.train import _config, add_train_arguments
    from pix2pix_core.training.presets import PRESETS

    parser = argparse.ArgumentParser()
    add_train_arguments(parser)
    kind, config, _ = _config(parser.parse_args(["--out", "x", "--preset", "cyclegan-128"]))
    assert kind == "unpaired" and isinstance(config, CycleGANConfig)
    assert (config.n_blocks, config.crop_size, config.load_size, config.lambda_identity) == (6, 128, 143, 0.5)
    assert _config(parser.parse_args(["--out", "x", "--preset", "cyclegan", "--n-blocks", "3"]))[1].n_blocks == 3
    assert CycleGANConfig(**PRESETS["cyclegan"].settings) == CycleGANConfig()  # our defaults are the paper's


def test_one_precedence_rule_for_fields_that_always_hold_a_value():
    """A node's widgets always carry a value: one left at its default is filled by the preset, a changed one wins
    over it (the CLI's rule, where an option left out is None)."""
    from pix2pix_core.training.presets import PRESETS
    from pix2pix_core.training.sources import merged_settings

    defaults = {"ngf": 64, "n_blocks": 9, "crop_size": 256, "load_size": 288, "seed": 0}
    widgets = {**defaults, "ngf": 8, "seed": 0}
    settings = merged_settings(PRESETS["cyclegan-128"], widgets, defaults)
    assert (settings["ngf"], settings["n_blocks"], settings["crop_size"], settings["load_size"]) == (8, 6, 128, 143)
    assert settings["seed"] == 0 and merged_settings(PRESETS["cyclegan-128"], {"ngf": None})["ngf"] == 64


def test_a_direction_is_picked_from_our_checkpoint_and_from_reference_files(tmp_path, capsys):
    trainer = CycleGANTrainer(CycleGANConfig(steps=1, **SMALL), _domains(), tmp_path / "run")
    trainer.run()
    x = torch.rand(1, 3, 32, 32)
    folder = tmp_path / "run" / CHECKPOINT_DIR
    for direction, net in (("AtoB", trainer.g_a), ("BtoA", trainer.g_b), (None, trainer.g_a)):
        torch.testing.assert_close(p2p.translate(p2p.load_generator(folder, direction=direction), x),
                                   p2p.translate(net, x), atol=1e-6, rtol=1e-5)
    assert p2p.load_translator(folder, direction="BtoA")[1] is not None
    official = tmp_path / "official"
    official.mkdir()
    for name, net in (("G_A", trainer.g_a), ("G_B", trainer.g_b), ("D_A", trainer.d_a), ("D_B", trainer.d_b)):
        torch.save(net.state_dict(), official / f"latest_net_{name}.pth")
    from_official = p2p.load_generator(official, direction="BtoA")
    assert from_official.io.direction == "BtoA"  # the file has no contract: its side says which way it goes
    torch.testing.assert_close(p2p.translate(from_official, x),
                               p2p.translate(trainer.g_b, x), atol=1e-6, rtol=1e-5)
    d_b = p2p.load_discriminator(official, direction="BtoA")
    assert all(torch.equal(v, trainer.d_b.state_dict()[k]) for k, v in d_b.state_dict().items())
    with pytest.raises(p2p.CheckpointError, match="direction must be 'AtoB' or 'BtoA'"):
        p2p.load_generator(folder, direction="up")
    (tmp_path / "empty").mkdir()
    with pytest.raises(p2p.CheckpointError, match="holds no BtoA generator"):
        p2p.load_generator(tmp_path / "empty", direction="BtoA")

    from PIL import Image

    from pix2pix_core.cli import main
    from pix2pix_core.imaging.files import load_image

    Image.new("RGB", (32, 32), (200, 40, 90)).save(tmp_path / "photo.png")  # the CLI picks a side too
    assert main(["translate", "--model", str(folder), str(tmp_path / "photo.png"), "--out", str(tmp_path / "back"),
                 "--direction", "BtoA"]) == 0
    expected = p2p.translate(trainer.g_b, load_image(tmp_path / "photo.png")[None])[0]
    assert (load_image(tmp_path / "back" / "photo.png") - expected).abs().max() <= 1 / 255 + 1e-6
    for source in (folder, official):
        assert main(["info", str(source)]) == 0
        assert "a CycleGAN: two generators, AtoB and BtoA; `--direction BtoA`" in capsys.readouterr().out


def test_eval_on_unpaired_data_measures_the_cycle_reconstruction(tmp_path, capsys):
    from pix2pix_core.cli import main

    trainer = CycleGANTrainer(CycleGANConfig(steps=1, **SMALL), _domains(), tmp_path / "run")
    trainer.run()
    _photos(tmp_path / "test" / "testA", 2, (200, 30))
    _photos(tmp_path / "test" / "testB", 3, (30, 200))
    evaluation = ["eval", "--model", str(tmp_path / "run" / CHECKPOINT_DIR), "--data", str(tmp_path / "test")]
    assert main([*evaluation, "--json", str(tmp_path / "m.json")]) == 0  # the old spelling of --out FILE
    assert "--json FILE is the old spelling of --out FILE" in capsys.readouterr().err
    import json

    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["images_a"] == 2 and metrics["images_b"] == 3 and 0 < metrics["cycle_l1_a"] < 1
    assert main([*evaluation, "--json"]) == 0  # --json alone: the metrics as JSON on stdout, as `info --json` does
    assert json.loads(capsys.readouterr().out) == metrics
    assert main(["eval", "--model", str(tmp_path / "run" / CHECKPOINT_DIR), "--data", str(tmp_path / "test"),
                 "--preset", "facades"]) == 2
    assert "no paired metric exists" in capsys.readouterr().err


def test_a_cyclegan_checkpoint_converts_to_the_reference_files(tmp_path, capsys):
    from pix2pix_core.cli import main

    trainer = CycleGANTrainer(CycleGANConfig(steps=1, **SMALL), _domains(), tmp_path / "run")
    trainer.run()
    assert main(["convert", str(tmp_path / "run" / CHECKPOINT_DIR), "--out", str(tmp_path / "ref"), "--to",
                 "reference"]) == 0
    assert sorted(p.name for p in (tmp_path / "ref").iterdir()) == [
        "latest_net_D_A.pth", "latest_net_D_B.pth", "latest_net_G_A.pth", "latest_net_G_B.pth"]
    for name, net in (("G_A", trainer.g_a), ("G_B", trainer.g_b), ("D_A", trainer.d_a), ("D_B", trainer.d_b)):
        written = torch.load(tmp_path / "ref" / f"latest_net_{name}.pth", weights_only=True)
        assert all(torch.equal(written[k], v) for k, v in net.state_dict().items()), name
    x = torch.rand(1, 3, 32, 32)  # and the reference files load back through the same loader
    torch.testing.assert_close(p2p.translate(p2p.load_generator(tmp_path / "ref", direction="BtoA"), x),
                               p2p.translate(trainer.g_b, x), atol=1e-6, rtol=1e-5)
