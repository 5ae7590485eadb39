"""ONNX export: the exported graph does what translate(fit="native") does, at any size and batch, in ONNX Runtime;
its contract travels in the file; bad models, paths and files get clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch
from conftest import random_images
from PIL import Image

import pix2pix_core as p2p
from pix2pix_core.cli import main as cli_main
from pix2pix_core.errors import ExportError
from pix2pix_core.examples import default_photo, vintagify_weights
from pix2pix_core.export.onnx_file import CONFIG_KEY, STATISTICS_KEY, file_statistics
from pix2pix_core.export.runtime import OnnxTranslator
from pix2pix_core.networks import CommunityUnetConfig, PatchGANConfig, ResnetConfig, UnetConfig, build_network
from pix2pix_core.networks import init_weights as initialised
from pix2pix_core.weights.directory import model_config_of

SIZES = [(1, 1), (37, 301), (256, 256), (300, 517)]
KINDS = {  # every generator kind we load, small: the export's symbolic-shape tracing grows with the depth
    "unet": UnetConfig(ngf=8, num_downs=6),
    "resnet": ResnetConfig(ngf=8, n_blocks=1),
    "community_unet": CommunityUnetConfig(ngf=8),
    "affine_instance_resnet": ResnetConfig(ngf=8, n_blocks=1, norm_affine=True),  # vintagify's kind
    "colorizer": UnetConfig(in_channels=1, out_channels=2, ngf=8, num_downs=6),
}


def _generator(config, seed: int = 0):
    torch.manual_seed(seed)
    net = initialised(build_network(config)).eval()
    with torch.no_grad():  # norms with scales, shifts and running statistics that are not the defaults
        for module in net.modules():
            if getattr(module, "weight", None) is not None and module.weight.dim() == 1:
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
            if getattr(module, "running_mean", None) is not None:
                module.running_mean.uniform_(-0.3, 0.3)
                module.running_var.uniform_(0.5, 2.0)
    return net


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Each kind exported once: (generator, ONNX Runtime translator)."""
    folder = tmp_path_factory.mktemp("onnx")
    cache = {}

    def get(kind: str, statistics: str = "per_image"):
        if (kind, statistics) not in cache:
            generator = _generator(KINDS[kind])
            path = p2p.export_onnx(generator, folder / f"{kind}-{statistics}.onnx", statistics=statistics)
            cache[kind, statistics] = generator, OnnxTranslator(path)
        return cache[kind, statistics]

    return get


def _reflect_padded_instance_norm(generator) -> bool:
    return isinstance(generator.config, ResnetConfig)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_generator_kind_matches_translate_at_any_size_and_batch(exported, kind):
    generator, runtime = exported(kind)
    channels = generator.config.in_channels
    for height, width in SIZES:
        for batch in (1, 3):
            x = random_images(batch, channels, height, width, seed=height + batch)
            got, expected = runtime.translate(x), p2p.translate(generator, x, fit="native")
            assert got.shape == expected.shape == (batch, generator.config.out_channels, height, width)
            if (height, width) == (1, 1) and _reflect_padded_instance_norm(generator):
                # A 1x1 image is a constant map, and reflection-padded convolutions keep it constant: instance
                # norm then divides rounding noise by sqrt(eps) at every block, so no two float32 runtimes agree
                # (nor either with float64). Every non-constant input agrees, as below.
                assert torch.isfinite(got).all() and 0 <= got.min() and got.max() <= 1
                continue
            difference = (got - expected).abs().max().item()
            assert difference <= 1e-4, (kind, height, width, batch, difference)  # measured: <= 4e-6
        alone = torch.cat([runtime.translate(x[i:i + 1]) for i in range(batch)])
        assert (runtime.translate(x) - alone).abs().max() <= 1e-6  # batch-invariant in the exported graph


@pytest.mark.slow
def test_eval_statistics_are_the_running_statistics(exported):
    generator, per_image = exported("unet")
    _, running = exported("unet", "eval")
    x = random_images(2, 3, 64, 96)
    assert (running.translate(x) - p2p.translate(generator, x, fit="native", statistics="eval")).abs().max() <= 1e-4
    assert (running.translate(x) - per_image.translate(x)).abs().max() > 0.01  # the two modes differ here
    assert (running.statistics, per_image.statistics) == ("eval", "per_image")


@pytest.mark.slow
def test_the_contract_travels_in_the_file_and_the_card_lists_the_export(tmp_path):
    generator = _generator(ResnetConfig(in_channels=1, out_channels=2, ngf=4, n_blocks=1, norm="batch"))
    generator.io = generator.io.__class__("lab_l", "lab_ab", 128, "BtoA")
    folder = p2p.save_pretrained(generator, tmp_path / "colorizer")
    path = p2p.export_onnx(generator, folder / "model.onnx")
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(props[CONFIG_KEY]) == json.loads(json.dumps(model_config_of(generator).to_dict()))
    assert props[STATISTICS_KEY] == "per_image"
    assert OnnxTranslator(path).notes == []  # its own contract: nothing assumed
    card = (folder / "README.md").read_text()
    assert "## ONNX" in card and "`model.onnx`: per_image BatchNorm statistics" in card
    p2p.export_onnx(generator, folder / "model-eval.onnx", statistics="eval")
    card = (folder / "README.md").read_text()
    assert card.count("## ONNX") == 1 and "`model-eval.onnx`: eval BatchNorm statistics" in card
    assert p2p.load_generator(folder).io.input_space == "lab_l"  # the folder still loads


@pytest.mark.slow
def test_an_exported_colorizer_colorizes_from_the_command_line(tmp_path, capsys):
    generator = _generator(ResnetConfig(in_channels=1, out_channels=2, ngf=4, n_blocks=1))
    generator.io = generator.io.__class__("lab_l", "lab_ab", 64)
    folder = p2p.save_pretrained(generator, tmp_path / "colorizer")
    p2p.export_onnx(generator, folder / "model.onnx")
    photo = tmp_path / "photo.png"
    Image.open(default_photo()).convert("RGB").resize((90, 61)).save(photo)
    for model, out in ((folder, "torch"), (folder / "model.onnx", "onnx")):  # fit resize: at the training size
        assert cli_main(["colorize", str(photo), "--model", str(model), "--out", str(tmp_path / out)]) == 0
    via_onnx, via_torch = (np.asarray(Image.open(tmp_path / out / "photo.png"), dtype=np.int16)
                           for out in ("onnx", "torch"))
    assert via_onnx.shape == (61, 90, 3) and np.abs(via_onnx - via_torch).max() <= 1
    capsys.readouterr()
    assert cli_main(["translate", str(photo), "--model", str(folder / "model.onnx"), "--out", str(tmp_path / "x")]) == 2
    assert "is a colorization model (Lab L -> ab)" in capsys.readouterr().err


@pytest.mark.slow
def test_export_command_then_translate_with_onnx_runtime(tmp_path, capsys):
    """The real demo translator (vintagify, affine-InstanceNorm ResNet) exported and run from the CLI."""
    out = tmp_path / "vintagify.onnx"
    assert cli_main(["export", str(vintagify_weights()), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "wrote" in printed and "checked in ONNX Runtime against PyTorch" in printed
    difference = float(printed.rsplit("max |diff| ", 1)[1])
    assert difference <= 1e-4
    photo = tmp_path / "photo.png"
    Image.open(default_photo()).convert("RGB").resize((123, 77)).save(photo)
    assert cli_main(["translate", str(photo), "--model", str(out), "--out", str(tmp_path / "onnx")]) == 0
    assert cli_main(["translate", str(photo), "--model", str(vintagify_weights()), "--fit", "native", "--out",
                     str(tmp_path / "torch")]) == 0
    via_onnx = np.asarray(Image.open(tmp_path / "onnx" / "photo.png"), dtype=np.int16)
    via_torch = np.asarray(Image.open(tmp_path / "torch" / "photo.png"), dtype=np.int16)
    assert via_onnx.shape == (77, 123, 3) and np.abs(via_onnx - via_torch).max() <= 1  # 8-bit rounding only
    capsys.readouterr()
    assert cli_main(["export", str(vintagify_weights()), "--out", str(out)]) == 2
    assert "exists: choose another path, or pass overwrite (--overwrite)" in capsys.readouterr().err
    assert cli_main(["translate", str(photo), "--model", str(out), "--out", str(tmp_path / "x"), "--fit",
                     "tiled"]) == 2
    assert "--fit tiled: not available with an ONNX model" in capsys.readouterr().err
    # an InstanceNorm ResNet has no statistics modes: the file says so, and either --statistics changes nothing
    assert file_statistics(out) == "none" and "no BatchNorm" in printed
    assert cli_main(["translate", str(photo), "--model", str(out), "--out", str(tmp_path / "y"), "--statistics",
                     "eval"]) == 0
    batch_norm = p2p.save_pretrained(initialised(build_network(UnetConfig(num_downs=5, ngf=4))), tmp_path / "bn")
    assert cli_main(["export", str(batch_norm), "--out", str(tmp_path / "bn.onnx")]) == 0
    assert "per_image BatchNorm statistics" in capsys.readouterr().out
    assert cli_main(["translate", str(photo), "--model", str(tmp_path / "bn.onnx"), "--out", str(tmp_path / "z"),
                     "--statistics", "eval"]) == 2
    assert "was exported with per_image statistics" in capsys.readouterr().err


def _foreign_model(path, inputs: int = 1, shape=("N", 3, "H", "W")) -> None:
    """An ONNX file made elsewhere: y = 1 - x (the sum of its inputs), no contract metadata."""
    helper = onnx.helper
    names = [f"x{i}" for i in range(inputs)]
    nodes = [helper.make_node("Sum", names, ["s"]), helper.make_node("Sub", ["one", "s"], ["y"])]
    graph = helper.make_graph(
        nodes, "foreign", [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, list(shape)) for n in names],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, list(shape))],
        initializer=[helper.make_tensor("one", onnx.TensorProto.FLOAT, [], [1.0])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9), str(path))


def test_foreign_corrupt_and_unfit_onnx_files(tmp_path):
    _foreign_model(tmp_path / "invert.onnx")
    runtime = OnnxTranslator(tmp_path / "invert.onnx")
    x = random_images(1, 3, 5, 7)
    assert torch.allclose(runtime.translate(x), 1 - x)
    assert "has no comfyui-pix2pix contract metadata" in runtime.notes[0]
    _foreign_model(tmp_path / "fixed.onnx", shape=(1, 3, 16, 16))
    fixed = OnnxTranslator(tmp_path / "fixed.onnx")
    assert fixed.translate(random_images(2, 3, 9, 30)).shape == (2, 3, 9, 30) and "resized to 16x16" in fixed.notes[0]
    _foreign_model(tmp_path / "two.onnx", inputs=2)
    with pytest.raises(ExportError, match="has 2 input\\(s\\) and 1 output\\(s\\); a translator has one image input"):
        OnnxTranslator(tmp_path / "two.onnx")
    whole = (tmp_path / "invert.onnx").read_bytes()
    (tmp_path / "truncated.onnx").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "noise.onnx").write_bytes(b"secret text that must not be echoed " * 20)
    for name in ("truncated.onnx", "noise.onnx"):
        with pytest.raises(ExportError, match="is not a loadable ONNX model \\(not an ONNX protobuf: truncated, "
                                              "corrupt or another kind of file\\)") as err:
            OnnxTranslator(tmp_path / name)
        assert "secret" not in str(err.value)
    with pytest.raises(ExportError, match="is not a file"):
        OnnxTranslator(tmp_path / "missing.onnx")


class _Branchy(type(build_network(ResnetConfig(ngf=4, n_blocks=1)))):
    """A generator whose forward depends on the data (no static graph exists for it)."""

    def forward(self, x):
        return super().forward(x) if x.mean() > 0 else -super().forward(x)


def test_what_cannot_be_exported_is_refused_by_name(tmp_path):
    with pytest.raises(ExportError, match="the resnet generator could not be exported to ONNX \\(opset 18\\): "):
        p2p.export_onnx(initialised(_Branchy(ResnetConfig(ngf=4, n_blocks=1))), tmp_path / "branchy.onnx")
    assert not list(tmp_path.iterdir())  # nothing half-written
    with pytest.raises(ExportError, match="only generators export to ONNX; this is a discriminator"):
        p2p.export_onnx(build_network(PatchGANConfig(ndf=4, n_layers=1)), tmp_path / "d.onnx")
    with pytest.raises(ExportError, match="opset must be an integer of at least 18"):
        p2p.export_onnx(_generator(KINDS["resnet"]), tmp_path / "old.onnx", opset=11)
    (tmp_path / "folder.onnx").mkdir()
    with pytest.raises(ExportError, match="is a folder"):
        p2p.export_onnx(_generator(KINDS["resnet"]), tmp_path / "folder.onnx")
    if os.geteuid() != 0:  # root writes anywhere
        (tmp_path / "locked").mkdir(mode=0o500)
        with pytest.raises(ExportError, match="is not a writable folder"):
            p2p.export_onnx(_generator(KINDS["resnet"]), tmp_path / "locked" / "x.onnx")
    (tmp_path / "a_file").write_text("")
    with pytest.raises(ExportError, match="a_file is not a writable folder"):
        p2p.export_onnx(_generator(KINDS["resnet"]), tmp_path / "a_file" / "x.onnx")


def test_a_missing_extra_is_named_with_its_install_command(tmp_path):
    script = ("import sys; sys.modules['onnxruntime'] = None\n"
              "from pix2pix_core.export.runtime import OnnxTranslator\n"
              f"OnnxTranslator({str(tmp_path / 'x.onnx')!r})\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "onnxruntime is not installed" in done.stderr and 'pip install "pix2pix-nodes[onnx]"' in done.stderr
