"""The installed console script: the README's demo and the environment check."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pix2pix_core.output_manifest import MANIFEST_FILE

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_demo_writes_before_and_after(tmp_path):
    """`pix2pix demo`: the real vintagify translator on the embedded photo, then a few seconds of colorizer training."""
    command = shutil.which("pix2pix") or sys.executable
    args = [command] if command.endswith("pix2pix") else [command, "-m", "pix2pix_core"]
    out = tmp_path / "demo.png"
    grid = tmp_path / "train.png"
    # a step count, not a time budget, so that what is asserted of the result holds on any machine and under load
    done = subprocess.run([*args, "demo", "--out", str(out), "--train-seconds", "300", "--train-steps", "32",
                           "--train-out", str(grid)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "block name 'block'" in done.stdout
    image = np.asarray(Image.open(out).convert("RGB"), dtype=np.float32)
    assert image.shape == (512, 512 * 2 + 8, 3)
    before, after = image[:, :512], image[:, 520:]
    assert np.abs(before - after).mean() > 5  # a visible change
    assert np.corrcoef(before.ravel(), after.ravel())[0, 1] > 0.8  # of the same photo
    assert "trained" in done.stdout and "held-out coffee.jpg" in done.stdout
    errors = re.search(r"mean ab error ([\d.]+) against ([\d.]+) for the gray baseline", done.stdout)
    assert errors and float(errors[2]) > 10  # the held-out photo has colour to find (the figure: README)
    # what the README promises: the trained colorizer beats the gray baseline (32 steps: 34.1 vs 42.8, seeded)
    assert "trained 32 steps" in done.stdout and float(errors[1]) < 0.9 * float(errors[2])
    trained = np.asarray(Image.open(grid).convert("RGB"), dtype=np.float32)
    assert trained.shape == (267, 400 * 3 + 16, 3)
    gray, colorized = trained[:, :400], trained[:, 408:808]
    assert np.abs(gray - gray.mean(2, keepdims=True)).max() < 2  # the input has no colour
    assert np.abs(colorized - colorized.mean(2, keepdims=True)).mean() > 1  # the output has some


@pytest.mark.slow
def test_cli_reports_errors_without_a_traceback(tmp_path):
    bad = tmp_path / "latest_net_G.pth"
    bad.write_text("not a checkpoint")
    done = subprocess.run([sys.executable, "-m", "pix2pix_core", "info", str(bad)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "is not a checkpoint" in done.stderr
    assert "Traceback" not in done.stderr


def test_install_py_checks_the_environment():
    done = subprocess.run([sys.executable, str(ROOT / "install.py")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "environment OK" in done.stdout


def test_one_dependency_list_and_install_py_checks_every_line_of_it(tmp_path):
    """requirements.txt is the package's dependency list (pyproject reads it), and install.py checks each line:
    a missing package (pypng, say) is named, not "environment OK"."""
    from importlib import metadata

    spec = importlib.util.spec_from_file_location("pack_install", ROOT / "install.py")
    install = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(install)
    listed = {name.lower() for name, _ in install.requirements()}
    packaged = {re.split(r"[<>=;\s]", requirement)[0].lower() for requirement in metadata.requires("pix2pix-nodes")
                if "extra ==" not in requirement}
    assert listed == packaged and {"pypng", "tifffile", "torch"} <= listed
    shutil.copy(ROOT / "install.py", tmp_path / "install.py")
    (tmp_path / "requirements.txt").write_text("numpy\npypng-not-installed-here  # a comment\nnumpy>=999.0\n")
    done = subprocess.run([sys.executable, str(tmp_path / "install.py")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "environment OK" not in done.stdout
    assert "missing: pypng-not-installed-here: not installed" in done.stdout
    assert re.search(r"missing: numpy>=999.0: [\d.]+ is installed", done.stdout)
    assert "pip install -r" in done.stdout


@pytest.mark.slow
def test_translate_command_keeps_sizes_and_formats_and_reports_bad_files(tmp_path):
    import torch

    import pix2pix_core as p2p
    from pix2pix_core.networks import ResnetConfig, build_network, init_weights

    model = p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), tmp_path / "model")
    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    Image.new("RGB", (61, 33), (200, 30, 10)).save(inputs / "a.jpg")
    Image.new("RGBA", (20, 45), (10, 200, 30, 77)).save(inputs / "sub" / "b.png")
    Image.new("L", (9, 7), 128).save(inputs / "sub" / "c.webp")
    (inputs / "sub" / "broken.png").write_text("not an image")
    done = subprocess.run([sys.executable, "-m", "pix2pix_core", "translate", "--model", str(model), str(inputs),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1  # one file skipped
    assert "skipped" in done.stderr and "broken.png" in done.stderr and "Traceback" not in done.stderr
    expected = {"a.jpg": ((61, 33), "JPEG", "RGB"), "sub/b.png": ((20, 45), "PNG", "RGBA"),
                "sub/c.webp": ((9, 7), "WEBP", "RGB")}
    for name, (size, image_format, mode) in expected.items():
        with Image.open(tmp_path / "out" / name) as im:
            assert (im.size, im.format, im.mode) == (size, image_format, mode)
    with Image.open(tmp_path / "out" / "sub" / "b.png") as im:
        assert im.getpixel((3, 3))[3] == 77  # alpha carried over
    reference = p2p.translate(p2p.load_generator(model), torch.tensor(
        np.asarray(Image.open(inputs / "sub" / "b.png").convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)[None])
    written = np.asarray(Image.open(tmp_path / "out" / "sub" / "b.png").convert("RGB"), dtype=np.float32) / 255
    assert np.abs(written - reference[0].permute(1, 2, 0).numpy()).max() <= 1 / 255 + 1e-6


def test_translate_never_overwrites_a_file_it_did_not_write(tmp_path, capsys):
    """`translate D --out D/sub` with the user's D/sub/a.png: refused, nothing written. Reruns replace the command's
    own outputs only (known from the record in --out, not from where they sit); other files need --overwrite."""
    import pix2pix_core as p2p
    from pix2pix_core.cli import main
    from pix2pix_core.networks import ResnetConfig, build_network, init_weights

    model = str(p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), tmp_path / "m"))
    d = tmp_path / "D"
    (d / "sub").mkdir(parents=True)
    Image.new("RGB", (16, 16), (200, 30, 10)).save(d / "a.png")
    Image.new("RGB", (16, 16), (1, 2, 3)).save(d / "sub" / "a.png")
    users = (d / "sub" / "a.png").read_bytes()
    assert main(["translate", "--model", model, str(d), "--out", str(d / "sub")]) == 2
    assert "would overwrite the input" in capsys.readouterr().err
    assert (d / "sub" / "a.png").read_bytes() == users and sorted(p.name for p in (d / "sub").iterdir()) == ["a.png"]

    out = d / "out"  # inside the input folder: a rerun neither takes its outputs as inputs nor refuses them
    for _ in range(2):
        assert main(["translate", "--model", model, str(d), "--out", str(out)]) == 0
        assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == ["a.png", "sub/a.png"]
    (out / "a.png").write_bytes(users)  # the user replaces one of our outputs by hand: now it is theirs (an input)
    assert main(["translate", "--model", model, str(d), "--out", str(out)]) == 2
    assert "would overwrite the input" in capsys.readouterr().err and (out / "a.png").read_bytes() == users

    record = out / MANIFEST_FILE  # a record naming a path outside --out is not believed (the input stays an input)
    stat = (d / "a.png").stat()
    with open(record, "a") as f:
        f.write(json.dumps({"path": "../a.png", "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}) + "\n")
    (out / "a.png").unlink()
    assert main(["translate", "--model", model, str(d), "--out", str(out)]) == 0
    assert (out / "a.png").is_file()

    elsewhere = tmp_path / "elsewhere"
    assert main(["translate", "--model", model, str(d / "a.png"), "--out", str(elsewhere)]) == 0
    (elsewhere / "a.png").write_bytes(users)
    assert main(["translate", "--model", model, str(d / "a.png"), "--out", str(elsewhere)]) == 2
    assert "1 file(s) that this command would overwrite and did not write" in capsys.readouterr().err
    assert (elsewhere / "a.png").read_bytes() == users
    assert main(["translate", "--model", model, str(d / "a.png"), "--out", str(elsewhere), "--overwrite"]) == 0
    assert (elsewhere / "a.png").read_bytes() != users


@pytest.mark.slow
def test_edges_and_colorize_commands(tmp_path):
    import pix2pix_core as p2p
    from pix2pix_core.networks import ResnetConfig, UnetConfig, build_network, init_weights

    photo = tmp_path / "in" / "photo.png"
    photo.parent.mkdir()
    Image.open(ROOT / "pix2pix_core" / "assets" / "astronaut.jpg").resize((120, 90)).save(photo)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pix2pix_core", "edges", str(photo), "--out", str(tmp_path / "e")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "e" / "photo.png") as im:
        edges = np.asarray(im)
        assert im.size == (120, 90) and im.mode == "L"
    assert set(np.unique(edges)) == {0, 255} and (edges == 0).mean() < 0.3  # black lines on white
    colorizer = p2p.save_pretrained(init_weights(build_network(UnetConfig(1, 2, num_downs=5, ngf=4))),
                                    tmp_path / "colorizer")
    done = subprocess.run([sys.executable, "-m", "pix2pix_core", "colorize", "--model", str(colorizer), str(photo),
                           "--out", str(tmp_path / "c")], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "c" / "photo.png") as im:
        assert im.size == (120, 90) and im.mode == "RGB"
    rgb_model = p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), tmp_path / "rgb")
    done = subprocess.run([sys.executable, "-m", "pix2pix_core", "colorize", "--model", str(rgb_model), str(photo),
                           "--out", str(tmp_path / "c2")], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 2 and "3 -> 3 channels" in done.stderr


@pytest.mark.slow
def test_ctrl_c_during_translate_stops_cleanly(tmp_path):
    """SIGINT in the middle of a folder: exit 130, a one-line summary, finished files whole, no partial file."""
    import signal
    import time

    import pix2pix_core as p2p
    from pix2pix_core.networks import ResnetConfig, build_network, init_weights

    model = p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=16, n_blocks=6))), tmp_path / "model")
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(60):
        Image.new("RGB", (320, 240), (4 * i, 90, 200)).save(inputs / f"{i:02d}.png")
    out = tmp_path / "out"
    # as from a terminal: a runner started in the background (`cmd &`) hands its children SIGINT ignored
    process = subprocess.Popen([sys.executable, "-m", "pix2pix_core", "translate", "--model", str(model), str(inputs),
                                "--out", str(out), "--device", "cpu"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (out.is_dir() and len(list(out.glob("*.png"))) >= 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    written = sorted(path for path in out.iterdir() if path.name != MANIFEST_FILE)
    assert {json.loads(line)["path"] for line in (out / MANIFEST_FILE).read_text().splitlines()} == {
        path.name for path in written}  # each file written is recorded as ours, and only those
    assert f"interrupted: wrote {len(written)} of 60 image(s)" in stderr and 2 <= len(written) < 60
    for path in written:  # no temp file, and every file written is a whole image
        assert path.suffix == ".png" and not path.name.startswith(".")
        with Image.open(path) as im:
            im.load()
            assert im.size == (320, 240)


def test_convert_states_the_licence_and_says_what_it_wrote(tmp_path, capsys):
    from pix2pix_core.cli import main

    weights = ROOT / "tests" / "data" / "reference" / "ref_resnet9_ngf8_instance.pth"
    assert main(["convert", str(weights), "--out", str(tmp_path / "unknown")]) == 0
    out = capsys.readouterr().out
    assert "the resnet generator (" in out and "model card README.md (licence not stated" in out
    assert "{" not in out  # words, not a JSON dump
    card = (tmp_path / "unknown" / "README.md").read_text()
    assert "license: unknown" in card and "Licence: not stated" in card
    assert "repo_id" not in card and "ComfyUI/models/pix2pix/unknown/" in card
    assert main(["convert", str(weights), "--out", str(tmp_path / "unknown")]) == 2  # not asked to replace it
    assert "pass overwrite=True (--overwrite)" in capsys.readouterr().err
    assert main(["convert", str(weights), "--out", str(tmp_path / "unknown"), "--overwrite"]) == 0
    assert main(["convert", str(weights), "--out", str(tmp_path / "mit"), "--license", "apache-2.0"]) == 0
    card = (tmp_path / "mit" / "README.md").read_text()
    assert "license: apache-2.0" in card and "not stated" not in card
    assert main(["convert", str(weights), "--out", str(tmp_path / "bad"), "--license", "mit\ntags: [x]"]) == 2
    assert "not a licence identifier" in capsys.readouterr().err and not (tmp_path / "bad").exists()


def test_depth_channels_and_edge_formats_are_kept_honestly(tmp_path, capsys):
    """16-bit gray and colour PNG/TIFF come back 16-bit, a 1-channel model writes gray images, edge maps of JPEGs
    are lossless PNGs (unless --format asks otherwise), and --paper-postprocess is refused where it does nothing."""
    import png
    import tifffile
    import torch

    import pix2pix_core as p2p
    from pix2pix_core.cli import main
    from pix2pix_core.imaging.files import read_image
    from pix2pix_core.networks import ResnetConfig, build_network, init_weights
    from pix2pix_core.networks.io import IOSpec

    inputs = tmp_path / "in"
    inputs.mkdir()
    ramp = np.linspace(0, 65535, 30 * 40).reshape(30, 40).astype(np.uint16)
    Image.fromarray(ramp).save(inputs / "gray16.png")
    colour = np.stack([ramp, ramp[::-1], np.full_like(ramp, 1234)], -1)
    with open(inputs / "rgb16.png", "wb") as f:
        png.Writer(40, 30, greyscale=False, bitdepth=16).write(f, colour.reshape(30, 120))
    tifffile.imwrite(inputs / "rgb16.tif", colour, photometric="rgb")
    Image.new("RGB", (40, 30), (200, 30, 10)).save(inputs / "photo.jpg")
    assert abs(read_image(inputs / "rgb16.png").pixels[2, 0, 0].item() * 65535 - 1234) < 0.5  # all 16 bits read
    assert torch.equal(read_image(inputs / "rgb16.png").pixels, read_image(inputs / "rgb16.tif").pixels)

    gray_model = init_weights(build_network(ResnetConfig(1, 1, ngf=4, n_blocks=1)))
    gray_model.io = IOSpec("gray", "gray")
    gray_dir = p2p.save_pretrained(gray_model, tmp_path / "gray_model")
    rgb_dir = p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), tmp_path / "rgb")
    assert main(["translate", "--model", str(gray_dir), str(inputs), "--out", str(tmp_path / "g")]) == 0
    assert main(["translate", "--model", str(rgb_dir), str(inputs), "--out", str(tmp_path / "c")]) == 0
    expected = {("g", "gray16.png"): "I;16", ("g", "photo.jpg"): "L", ("c", "gray16.png"): "RGB"}
    for (folder, name), mode in expected.items():
        with Image.open(tmp_path / folder / name) as im:
            assert im.mode == mode, (folder, name, im.mode)
    for folder, name in (("c", "gray16.png"), ("c", "rgb16.png"), ("c", "rgb16.tif"), ("g", "rgb16.tif")):
        written = read_image(tmp_path / folder / name)
        assert written.bits == 16, (folder, name)
        values = written.pixels.mul(65535).round()
        assert (values % 257 != 0).any(), (folder, name)  # not 8-bit values stretched to 16 bits
    translated = p2p.translate(p2p.load_generator(rgb_dir), read_image(inputs / "rgb16.png").pixels[None])[0]
    assert (read_image(tmp_path / "c" / "rgb16.png").pixels - translated).abs().max() <= 0.5 / 65535 + 1e-6

    assert main(["edges", str(inputs / "photo.jpg"), "--out", str(tmp_path / "e")]) == 0
    with Image.open(tmp_path / "e" / "photo.png") as im:
        assert im.format == "PNG" and im.mode == "L"
    assert main(["edges", str(inputs / "photo.jpg"), "--out", str(tmp_path / "e2"), "--format", "same"]) == 0
    assert (tmp_path / "e2" / "photo.jpg").is_file()
    capsys.readouterr()
    for method in ("canny", "xdog"):
        assert main(["edges", str(inputs / "photo.jpg"), "--out", str(tmp_path / method), "--method", method,
                     "--paper-postprocess"]) == 2
        assert "--method hed" in capsys.readouterr().err and not (tmp_path / method).exists()


def test_translate_never_overwrites_an_input(tmp_path, capsys):
    """--out inside an input folder (run twice), same names from two folders, --out equal to an input folder."""
    import pix2pix_core as p2p
    from pix2pix_core.cli import main
    from pix2pix_core.networks import ResnetConfig, build_network, init_weights

    model = p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), tmp_path / "model")
    photos = tmp_path / "photos"
    for folder, colour in (("x", (200, 30, 10)), ("y", (10, 30, 200))):
        (photos / folder).mkdir(parents=True)
        Image.new("RGB", (20, 16), colour).save(photos / folder / "a.png")
    originals = {p: p.read_bytes() for p in photos.rglob("*.png")}
    for _ in range(2):  # the second run must not take the first run's outputs as inputs
        assert main(["translate", "--model", str(model), str(photos), "--out", str(photos / "out")]) == 0
        assert "wrote 2 image(s)" in capsys.readouterr().out
    assert sorted(p.relative_to(photos / "out").as_posix() for p in (photos / "out").rglob("*.png")) == ["x/a.png",
                                                                                                          "y/a.png"]
    assert main(["translate", "--model", str(model), str(photos / "x" / "a.png"), str(photos / "y" / "a.png"),
                 "--out", str(tmp_path / "flat")]) == 0  # same base name from two folders: the tree is mirrored
    assert sorted(p.relative_to(tmp_path / "flat").as_posix() for p in (tmp_path / "flat").rglob("*.png")) == [
        "x/a.png", "y/a.png"]
    assert main(["translate", "--model", str(model), str(photos / "x"), "--out", str(photos / "x")]) == 2
    assert "would overwrite the inputs" in capsys.readouterr().err
    assert all(p.read_bytes() == data for p, data in originals.items())
    Image.new("RGB", (20, 16)).save(photos / "x" / "a.jpg")
    assert main(["edges", str(photos / "x"), "--out", str(tmp_path / "edges")]) == 0  # a.jpg and a.png -> PNG
    assert sorted(p.name for p in (tmp_path / "edges").glob("*.png")) == ["a.jpg.png", "a.png"]
    (tmp_path / "file").write_text("x")
    assert main(["translate", "--model", str(model), str(photos), "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_bad_paths_devices_and_options_are_one_line_errors(tmp_path, capsys):
    """Each case: exit 2, 'error: ...' naming the problem, no traceback, and options checked once, up front."""
    import os as _os

    import pix2pix_core as p2p
    from pix2pix_core.cli import main
    from pix2pix_core.networks import ResnetConfig, build_network, init_weights

    model = p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), tmp_path / "model")
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        Image.new("RGB", (20, 16), (60 * i, 30, 10)).save(photos / f"{i}.png")
    (tmp_path / "a_file").write_text("x")
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o500)
    translate = ["translate", "--model", str(model), str(photos)]
    cases = [
        ([*translate, "--out", str(tmp_path / "o1"), "--tile-size", "0"], "tile_size must be an integer of at least 1"),
        ([*translate, "--out", str(tmp_path / "o2"), "--tile-overlap", "-5"], "tile_overlap must be an integer of"),
        ([*translate, "--out", str(tmp_path / "o3"), "--tile-size", "-64"], "tile_size must be an integer of"),
        ([*translate, "--out", str(tmp_path / "a_file")], "is a file"),
        (["convert", str(model / "model.safetensors"), "--out", str(tmp_path / "a_file")], "is a file"),
        (["eval", "--model", str(model), "--data", str(photos), "--out", str(tmp_path)], "is a folder"),
    ]
    if _os.geteuid() != 0:  # root writes anywhere: the read-only case needs an ordinary user
        cases.append(([*translate, "--out", str(readonly / "out")], "Permission denied"))
    cases.append(([*translate, "--out", "/proc/1/pix2pix-out"], "Check the path, its permissions"))  # unwritable

    for args, message in cases:
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and err.count("error: ") == 1, (args, err)
        assert "skipped" not in err
    for device, message in (("banana", "is not a device"), ("cuda:7", "not available" if not
                            torch_cuda() else "does not exist")):
        with pytest.raises(SystemExit) as exit_code:
            main([*translate, "--out", str(tmp_path / "o4"), "--device", device])
        assert exit_code.value.code == 2 and message in capsys.readouterr().err
    readonly.chmod(0o700)


def torch_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def test_odd_image_files_are_read_correctly_or_refused(tmp_path, monkeypatch):
    import tifffile
    import torch

    from pix2pix_core.errors import InputError
    from pix2pix_core.imaging.files import read_image

    ramp = np.linspace(0, 1, 12 * 10, dtype=np.float32).reshape(10, 12)
    tifffile.imwrite(tmp_path / "gray_float.tif", ramp)
    tifffile.imwrite(tmp_path / "rgb_float.tif", np.stack([ramp, 1 - ramp, ramp * 0.5], -1), photometric="rgb")
    gray, rgb = read_image(tmp_path / "gray_float.tif"), read_image(tmp_path / "rgb_float.tif")
    assert gray.pixels.shape == (1, 10, 12) and torch.allclose(gray.pixels[0], torch.from_numpy(ramp))
    assert rgb.pixels.shape == (3, 10, 12) and torch.allclose(rgb.pixels[1], torch.from_numpy(1 - ramp))
    tifffile.imwrite(tmp_path / "hdr.tif", ramp * 40)
    with pytest.raises(InputError, match="values from 0 to 40"):
        read_image(tmp_path / "hdr.tif")
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with pytest.raises(InputError, match="holds 3 frames"):
        read_image(tmp_path / "anim.gif")
    Image.new("L", (2000, 1000)).save(tmp_path / "big.png")
    monkeypatch.setenv("PIX2PIX_MAX_IMAGE_PIXELS", str(500_000))
    with pytest.raises(InputError, match="larger than the limit of 1,000,000 pixels.*PIX2PIX_MAX_IMAGE_PIXELS"):
        read_image(tmp_path / "big.png")
    monkeypatch.setenv("PIX2PIX_MAX_IMAGE_PIXELS", str(10**9))
    assert read_image(tmp_path / "big.png").pixels.shape == (1, 1000, 2000)


def test_a_large_image_shows_progress_within_it(tmp_path, capsys, monkeypatch):
    import pix2pix_core as p2p
    from pix2pix_core.cli import images, main
    from pix2pix_core.networks import ResnetConfig, build_network, init_weights

    model = p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), tmp_path / "model")
    Image.new("RGB", (96, 64), (10, 200, 30)).save(tmp_path / "photo.png")
    monkeypatch.setattr(images, "WITHIN_IMAGE_DELAY", 0)  # what an image that takes over 2 s shows
    assert main(["translate", "--model", str(model), str(tmp_path / "photo.png"), "--out",
                     str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    convolutions = 1 + 2 + 2 + 2 + 1  # head, downs, one block, ups, last
    assert re.search(rf"this image: +\d+%.* \d/{convolutions} ", err)


@pytest.mark.slow
def test_a_decompression_bomb_is_skipped_not_fatal(tmp_path):
    import pix2pix_core as p2p
    from pix2pix_core.networks import ResnetConfig, build_network, init_weights

    model = p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), tmp_path / "model")
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("L", (3000, 1000)).save(photos / "bomb.png")
    Image.new("RGB", (20, 16)).save(photos / "fine.png")
    done = subprocess.run([sys.executable, "-m", "pix2pix_core", "translate", "--model", str(model), str(photos),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "PIX2PIX_MAX_IMAGE_PIXELS": "1000000"})
    assert done.returncode == 1 and "skipped" in done.stderr and "bomb.png" in done.stderr
    assert "Traceback" not in done.stderr and (tmp_path / "out" / "fine.png").is_file()


def _tiny_model(folder: Path) -> Path:
    import pix2pix_core as p2p
    from pix2pix_core.networks import ResnetConfig, build_network, init_weights

    return p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), folder)


def test_every_check_comes_before_the_work(tmp_path, capsys, monkeypatch):
    """A missing input is named before any model is loaded; train refuses a translator folder and a missing extra
    before it reads the data (and leaves no folder behind); a file of the other role names the option it fits."""
    from pix2pix_core.cli import main

    assert main(["translate", "--model", str(tmp_path / "no-model"), str(tmp_path / "missing.png"),
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"no such file or folder: {tmp_path / 'missing.png'}" in err and "no-model" not in err

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (64, 64), (200, 30, 10)).save(photos / "a.png")
    small = ["--preset", "colorize", "--steps", "1", "--ngf", "8", "--ndf", "8", "--num-downs", "6", "--crop-size",
             "64", "--load-size", "72"]
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # as without the tensorboard extra
    assert main(["train", "--data", str(photos), "--out", str(tmp_path / "run"), "--log", "tensorboard", *small]) == 2
    err = capsys.readouterr().err
    assert "tensorboard is not installed" in err and "data:" not in err and not (tmp_path / "run").exists()
    model = _tiny_model(tmp_path / "model")
    assert main(["train", "--data", str(photos), "--out", str(model), *small]) == 2
    err = capsys.readouterr().err
    assert "holds a saved translator" in err and "data:" not in err and "training:" not in err

    import pix2pix_core as p2p
    from pix2pix_core.networks import PatchGANConfig, build_network

    critic = tmp_path / "critic.safetensors"
    p2p.save_pretrained(p2p.load_generator(model), tmp_path / "with-d",
                        build_network(PatchGANConfig(in_channels=6, ndf=4, n_layers=1)))
    (tmp_path / "with-d" / "discriminator.safetensors").rename(critic)
    assert main(["translate", "--model", str(critic), str(photos), "--out", str(tmp_path / "o")]) == 2
    assert "holds a discriminator, not a generator: pass it where a discriminator is asked for (the CLI's " \
           "--discriminator" in capsys.readouterr().err


def test_translate_resumes_with_skip_existing_and_warns_of_aligned_pairs(tmp_path, capsys):
    from pix2pix_core.cli import main

    model = str(_tiny_model(tmp_path / "model"))
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    Image.new("RGB", (24, 24), (200, 30, 10)).save(photos / "a.png")
    assert main(["translate", "--model", model, str(photos / "a.png"), "--out", str(out)]) == 0
    first = (out / "a.png").stat().st_mtime_ns
    Image.new("RGB", (48, 24), (10, 30, 200)).save(photos / "b.png")  # twice as wide as high: like an A|B pair
    capsys.readouterr()
    assert main(["translate", "--model", model, str(photos), "--out", str(out), "--skip-existing"]) == 0
    captured = capsys.readouterr()
    assert "--skip-existing: 1 of 2 output(s) are already in" in captured.err and "wrote 1 image(s)" in captured.out
    assert (out / "a.png").stat().st_mtime_ns == first and (out / "b.png").is_file()
    assert captured.err.count("like an aligned A|B training pair") == 1


def test_version_and_a_mistyped_option(capsys):
    import pix2pix_core as p2p
    from pix2pix_core.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith(f"pix2pix {p2p.__version__} ")
    with pytest.raises(SystemExit) as done:
        main(["train", "--stpes", "10", "--out", "x"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "usage: pix2pix train" in err and "did you mean --steps?" in err
