"""Clips: real files made with PyAV, translated by the CLI and by the core with its temporal semantics."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from video_clips import as_tensor, clip_facts, pan_frames, write_clip

import pix2pix_core as p2p
from pix2pix_core.cli import main as cli_main
from pix2pix_core.inference.clip import clip_statistics, translate_clip
from pix2pix_core.networks import UnetConfig, build_network, init_weights
from pix2pix_core.video.files import ClipWriter, probe, read_chunks
from pix2pix_core.video.sequence import probe_sequence

ROOT = Path(__file__).resolve().parents[1]


def _unet(tmp_path: Path | None = None):
    """A small U-Net with BatchNorm and dropout (two dropout layers), saved when ``tmp_path`` is given."""
    torch.manual_seed(0)
    net = init_weights(build_network(UnetConfig(num_downs=7, ngf=8)))
    assert sum(isinstance(m, torch.nn.Dropout) for m in net.modules()) == 2
    return p2p.save_pretrained(net, tmp_path / "unet") if tmp_path else net


def _decoded(path: Path) -> torch.Tensor:
    return torch.cat(list(read_chunks(path, 64)))


def test_a_clip_keeps_its_frames_rate_size_and_audio(tmp_path, capsys):
    """A 334x518 pan (not a multiple of 16) with a sound track: the translation has as many frames, the same rate,
    size and audio duration, and its frames are what encoding translate_clip of the decoded input gives."""
    source = write_clip(tmp_path / "pan.mp4", pan_frames(30, 334, 518))
    model = _unet(tmp_path)
    out = tmp_path / "out" / "translated.mp4"
    assert cli_main(["translate", str(source), "--out", str(out), "--model", str(model), "--chunk", "7"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert clip_facts(out) == clip_facts(source) == {"frames": 30, "rate": Fraction(25), "size": (334, 518),
                                                     "audio_seconds": pytest.approx(1.2, abs=0.03)}
    frames = _decoded(source)
    expected = torch.cat(list(translate_clip(p2p.load_generator(model), [frames], temporal="clip")))
    reference = ClipWriter(probe(source), tmp_path / "reference.mp4")
    with reference.open():
        reference.write(expected)
    assert torch.equal(_decoded(out), _decoded(reference.target))
    assert not [p for p in out.parent.iterdir() if p.name != out.name]  # no temporary file left


@pytest.mark.parametrize("temporal, statistics", [("clip", "per_image"), ("clip", "eval"), ("clip", "clip"),
                                                  ("frame", "per_image")])
def test_the_frames_do_not_depend_on_the_chunking(temporal, statistics):
    net = _unet()
    frames = as_tensor(pan_frames(20, 96, 80, step=4))
    fixed = clip_statistics(net, frames[::5], dropout_seed=3, fit="native") if statistics == "clip" else None

    def run(chunk: int) -> torch.Tensor:
        chunks = [frames[i:i + chunk] for i in range(0, len(frames), chunk)]
        return torch.cat(list(translate_clip(net, chunks, temporal=temporal, statistics=statistics, fixed=fixed,
                                             dropout_seed=3, fit="native")))

    one = run(1)
    assert torch.equal(one, run(7)) and torch.equal(one, run(64))


def test_a_static_clip_stays_still_under_clip_and_flickers_under_frame():
    net = _unet()
    still = (torch.from_numpy(pan_frames(1, 96, 80)[0]).permute(2, 0, 1).float() / 255).repeat(6, 1, 1, 1)
    clip = torch.cat(list(translate_clip(net, [still], temporal="clip", dropout_seed=0, fit="native")))
    frame = torch.cat(list(translate_clip(net, [still], temporal="frame", dropout_seed=0, fit="native")))
    assert all(torch.equal(clip[0], f) for f in clip)  # one mask for the clip: six identical frames
    assert (frame[1:] - frame[:-1]).abs().amax(dim=(1, 2, 3)).min() > 1e-3  # fresh dropout: every frame differs
    off = torch.cat(list(translate_clip(net, [still], temporal="clip", dropout_seed=None, fit="native")))
    assert not torch.equal(off[0], clip[0])  # the clip's mask is really applied


@pytest.mark.slow
def test_tiled_frames_keep_one_tile_grid_and_one_mask_for_the_clip():
    """fit tiled (128 px tiles on 200x136 frames: edge tiles of their own shape) under temporal clip with dropout:
    a still clip stays still, and chunks of 1 and 7 give the same frames; the tiles really run (the result is not
    the native one)."""
    torch.manual_seed(0)
    net = init_weights(build_network(UnetConfig(num_downs=6, ngf=8)))  # multiple 64, one dropout layer
    still = as_tensor(pan_frames(1, 200, 136)).repeat(7, 1, 1, 1)

    def run(chunk: int) -> torch.Tensor:
        chunks = [still[i:i + chunk] for i in range(0, len(still), chunk)]
        return torch.cat(list(translate_clip(net, chunks, temporal="clip", dropout_seed=2, fit="tiled",
                                             tile_size=128, tile_overlap=64)))

    tiled = run(1)
    assert all(torch.equal(tiled[0], frame) for frame in tiled) and torch.equal(tiled, run(7))
    native = torch.cat(list(translate_clip(net, [still[:1]], temporal="clip", dropout_seed=2, fit="native")))
    assert not torch.allclose(tiled[0], native[0], atol=1e-3)


def _audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        sound = container.add_stream("aac", rate=48000)
        sound.layout = "mono"
        block = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="flt", layout="mono")
        block.sample_rate, block.pts = 48000, 0
        container.mux(sound.encode(block))
        container.mux(sound.encode(None))
    return path


def _variable_rate(path: Path) -> Path:
    frames = pan_frames(12, 64, 64)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        video.codec_context.time_base = Fraction(1, 1000)
        pts = 0
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            pts += 40 if i % 2 else 90
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    return path


def test_bad_clips_and_outputs_are_refused_by_name_and_nothing_is_written(tmp_path, capsys):
    model = _unet(tmp_path)
    good = write_clip(tmp_path / "good.mp4", pan_frames(12, 64, 64), audio=False)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    (tmp_path / "a-file").write_text("x")
    mine = tmp_path / "mine.mp4"
    mine.write_bytes(b"my own file")
    out = tmp_path / "out.mp4"
    cases = [(truncated, out, [], "is not a readable video"),
             (text, out, [], "is not a readable video"),
             (_audio_only(tmp_path / "sound.m4a.mp4"), out, [], "has no video stream"),
             (_variable_rate(tmp_path / "vfr.mp4"), out, [], "variable frame rate"),
             (good, good, [], "is the input clip itself"),
             (good, mine, [], "exists: give another --out, or --overwrite"),
             (good, out, ["--codec", "nonesuch264"], "no such encoder"),
             (good, tmp_path / "out.gif", [], "a clip is written as"),
             (good, tmp_path / "a-file" / "out.mp4", [], "Check the path")]
    for source, target, extra, message in cases:
        code = cli_main(["translate", str(source), "--out", str(target), "--model", str(model), *extra])
        err = capsys.readouterr().err
        assert code == 2 and message in err and "Traceback" not in err, (source.name, target.name, err)
    assert not out.exists() and mine.read_bytes() == b"my own file"
    assert not list(tmp_path.glob(".*.tmp")) and not list(tmp_path.glob("*.partial.*"))


def test_the_flicker_measure_reads_motion_and_flicker(tmp_path, capsys):
    """A translation equal to its input flickers as much as the input moves (ratio 1); independent noise per frame
    adds about its own mean size on top; a pan whose motion the flow follows has a small warping error."""
    import json

    from pix2pix_core.video.flicker import warping_errors

    pan = as_tensor(pan_frames(12, 128, 96, step=2))
    same, own = warping_errors([pan], [pan.clone()])
    assert same == own and own < 0.02
    torch.manual_seed(0)
    noisy = (pan + 0.1 * (torch.rand_like(pan) - 0.5)).clamp(0, 1)  # mean |difference of two draws| is 1/30
    flicker, _ = warping_errors([pan], [noisy])
    assert 0.025 < flicker - own < 0.045, (flicker, own)

    source = write_clip(tmp_path / "pan.mp4", pan_frames(12, 128, 96, step=2), audio=False)
    assert cli_main(["eval", "--flicker", str(source), str(source), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["frames"] == 12 and record["ratio_to_input"] == 1.0
    short = write_clip(tmp_path / "short.mp4", pan_frames(5, 128, 96), audio=False)
    assert cli_main(["eval", "--flicker", str(source), str(short)]) == 2
    assert "has 5 frames" in capsys.readouterr().err


def test_ctrl_c_leaves_a_playable_partial_clip_and_nothing_at_out(tmp_path, monkeypatch, capsys):
    from pix2pix_core.video import files

    source = write_clip(tmp_path / "pan.mp4", pan_frames(24, 64, 64), audio=True)
    model = _unet(tmp_path)
    write = files.ClipWriter.write

    def interrupted(self, frames):
        if self.written >= 8:
            raise KeyboardInterrupt
        write(self, frames)

    monkeypatch.setattr(files.ClipWriter, "write", interrupted)
    out = tmp_path / "out.mp4"
    assert cli_main(["translate", str(source), "--out", str(out), "--model", str(model), "--chunk", "4"]) == 130
    assert "8 of 24 frames are in" in capsys.readouterr().err
    partial = tmp_path / "out.partial.mp4"
    assert not out.exists() and clip_facts(partial)["frames"] == 8  # closed properly: it decodes
    assert not list(tmp_path.glob(".*.tmp"))


def test_stabilize_blends_along_the_flow_and_starts_afresh_after_a_cut():
    """On a still clip the smoothing is the running average O'_t = O_t + S (O'_{t-1} - O_t); a noisy translation
    of a pan flickers less (warping error); the first frame after a cut is left as it was."""
    from pix2pix_core.video.flicker import warping_errors
    from pix2pix_core.video.stabilize import Stabilizer

    torch.manual_seed(0)
    still = as_tensor(pan_frames(1, 96, 64)).repeat(5, 1, 1, 1)
    noisy = (still + 0.2 * (torch.rand_like(still) - 0.5)).clamp(0, 1)
    smoothed = Stabilizer(0.5)(still, noisy)
    expected = [noisy[0]]
    for frame in noisy[1:]:
        expected.append(frame + 0.5 * (expected[-1] - frame))
    expected = torch.stack(expected)
    inner = (slice(None), slice(None), slice(2, -2), slice(2, -2))  # Farneback's flow points out at the border
    # the flow of a still frame is not exactly 0 (up to 0.14 px here): bilinear sampling mixes in neighbours a bit
    assert (smoothed - expected)[inner].abs().mean() < 0.1 * (noisy - expected)[inner].abs().mean()

    pan = as_tensor(pan_frames(12, 128, 96, step=2))
    noisy = (pan + 0.2 * (torch.rand_like(pan) - 0.5)).clamp(0, 1)
    before, own = warping_errors([pan], [noisy])
    after, _ = warping_errors([pan], [Stabilizer(0.6)(pan, noisy)])
    assert after < own + 0.6 * (before - own), (before, after, own)

    cut = torch.cat([pan[:4], as_tensor(pan_frames(4, 128, 96, photo="rocket.jpg"))])
    noisy = (cut + 0.2 * (torch.rand_like(cut) - 0.5)).clamp(0, 1)
    smoothed = Stabilizer(0.6)(cut, noisy)
    assert torch.equal(smoothed[4], noisy[4]) and not torch.equal(smoothed[5], noisy[5])


def test_stabilized_translation_does_not_depend_on_the_chunking(tmp_path, capsys):
    """--stabilize through the CLI: chunks of 1 and 7 give the same clip, which flickers less than without."""
    import json

    source = write_clip(tmp_path / "pan.mp4", pan_frames(14, 96, 64, step=3), audio=False)
    model = _unet(tmp_path)

    def translated(name: str, *options: str) -> Path:
        out = tmp_path / name
        assert cli_main(["translate", str(source), "--out", str(out), "--model", str(model), "--fit", "native",
                         "--codec", "ffv1", *options]) == 0
        return out

    one = translated("one.mkv", "--stabilize", "0.5", "--chunk", "1", "--temporal", "frame", "--dropout-seed", "1")
    seven = translated("seven.mkv", "--stabilize", "0.5", "--chunk", "7", "--temporal", "frame", "--dropout-seed", "1")
    plain = translated("plain.mkv", "--temporal", "frame", "--dropout-seed", "1")
    assert "stabilize 0.5" in capsys.readouterr().out
    assert torch.equal(_decoded(one), _decoded(seven))
    errors = {}
    for out in (one, plain):
        assert cli_main(["eval", "--flicker", str(source), str(out), "--json"]) == 0
        errors[out.stem] = json.loads(capsys.readouterr().out)["warping_error"]
    assert errors["one"] < 0.9 * errors["plain"], errors
    assert cli_main(["translate", str(source), "--out", str(tmp_path / "x.mkv"), "--model", str(model),
                     "--stabilize", "1.5"]) == 2
    assert "from 0 (off) to 0.95" in capsys.readouterr().err


def _frames_folder(folder: Path, frames: list[np.ndarray], names: list[str]) -> Path:
    from PIL import Image

    folder.mkdir()
    for image, name in zip(frames, names, strict=True):
        Image.fromarray(image).save(folder / name)
    return folder


def _read_frames(paths: list[Path]) -> torch.Tensor:
    from pix2pix_core.imaging.files import load_image

    return torch.stack([load_image(path) for path in paths])


def test_a_folder_of_frames_is_one_clip_in_natural_order(tmp_path, capsys):
    """frame_1.png .. frame_12.png (frame_2 before frame_10) given --temporal clip: one clip, translated as
    translate_clip translates the frames in that order, written back under the same names, or encoded at --rate
    (333x517: odd sides, which 4:2:0 H.264 cannot hold, so 4:4:4)."""
    pan = pan_frames(12, 333, 517, step=4)
    names = [f"frame_{i + 1}.png" for i in range(12)]
    order = [3, 0, 11, 7, 1, 9, 4, 10, 2, 6, 5, 8]  # written out of order: the names, not the disk, give the order
    folder = _frames_folder(tmp_path / "frames", [pan[i] for i in order], [names[i] for i in order])
    model = _unet(tmp_path)
    out = tmp_path / "translated"
    assert cli_main(["translate", str(folder), "--out", str(out), "--model", str(model), "--temporal", "clip",
                     "--dropout-seed", "4", "--chunk", "5"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    frames = _read_frames([folder / name for name in names])
    expected = torch.cat(list(translate_clip(p2p.load_generator(model), [frames], temporal="clip", dropout_seed=4)))
    written = _read_frames([out / name for name in names])
    assert (written - expected).abs().max() <= 0.5 / 255 + 1e-6  # 8-bit PNG rounding only

    video = tmp_path / "translated.mp4"
    assert cli_main(["translate", str(folder), "--out", str(video), "--model", str(model), "--temporal", "clip",
                     "--dropout-seed", "4", "--rate", "30"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert clip_facts(video) == {"frames": 12, "rate": Fraction(30), "size": (333, 517), "audio_seconds": None}
    reference = ClipWriter(probe_sequence(folder, 30), tmp_path / "reference.mp4")
    with reference.open():
        reference.write(expected)
    assert torch.equal(_decoded(video), _decoded(reference.target))  # each frame in its place, encoded alike

    (folder / "frame_13.png").write_bytes((folder / "frame_1.png").read_bytes())
    from PIL import Image
    Image.fromarray(pan_frames(1, 64, 64)[0]).save(folder / "frame_14.png")
    assert cli_main(["translate", str(folder), "--out", str(tmp_path / "x.mp4"), "--model", str(model)]) == 2
    assert "frame_14.png is 64x64 but the sequence's first frame frame_1.png is 333x517" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists() and not list(tmp_path.glob(".*.tmp"))
    assert cli_main(["translate", str(folder), "--out", str(out), "--model", str(model), "--temporal", "clip"]) == 2
    assert "exists: give another --out folder, or --overwrite" in capsys.readouterr().err
    for rate in ("0", "inf", "nan", "1e12"):
        assert cli_main(["translate", str(folder), "--out", str(tmp_path / "r.mp4"), "--model", str(model),
                         f"--rate={rate}"]) == 2
        assert "give the frames per second of the sequence, above 0 and at most 1000" in capsys.readouterr().err


def test_edges_and_colorize_take_clips(tmp_path, capsys):
    """`pix2pix edges CLIP` and `pix2pix colorize CLIP`: frame for frame what the image commands compute of the
    decoded frames, as many frames, the rate and the sound kept."""
    from pix2pix_core.imaging.edges import canny
    from pix2pix_core.inference.colorize import colorize

    source = write_clip(tmp_path / "pan.mp4", pan_frames(10, 96, 64, step=3))
    frames = _decoded(source)
    edges = tmp_path / "edges"
    assert cli_main(["edges", str(source), "--out", str(edges), "--chunk", "3"]) == 0
    maps = _read_frames(sorted(edges.iterdir()))
    assert len(maps) == 10 and torch.equal(maps, canny(frames, black_on_white=True).expand(-1, 3, -1, -1))

    torch.manual_seed(0)
    colorizer = p2p.save_pretrained(init_weights(build_network(UnetConfig(in_channels=1, out_channels=2,
                                                                          num_downs=6, ngf=8))), tmp_path / "col")
    coloured = tmp_path / "coloured.mp4"
    assert cli_main(["colorize", str(source), "--out", str(coloured), "--model", str(colorizer), "--codec",
                     "libx264", "--crf", "0"]) == 0
    assert clip_facts(coloured) == clip_facts(source)
    expected = colorize(p2p.load_generator(colorizer), frames)
    assert (_decoded(coloured) - expected).abs().mean() < 2 / 255  # crf 0 is lossless in YUV; RGB<->YUV rounding
    assert "wrote" in capsys.readouterr().out


def test_a_zero_frame_clip_is_refused(tmp_path, capsys):
    """A Matroska file that declares a video track and holds only sound (an mp4 muxer drops such a track: that is
    the 'no video stream' case)."""
    empty = tmp_path / "empty.mkv"
    with av.open(str(empty), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        sound = container.add_stream("aac", rate=48000)
        sound.layout = "mono"
        container.start_encoding()
        block = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="flt", layout="mono")
        block.sample_rate, block.pts = 48000, 0
        container.mux(sound.encode(block))
        container.mux(sound.encode(None))
        container.mux(stream.encode(None))
    out = tmp_path / "out.mp4"
    assert cli_main(["translate", str(empty), "--out", str(out), "--model", str(_unet(tmp_path))]) == 2
    assert "holds no video frames" in capsys.readouterr().err and not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("out", ["out.mp4", "frames"])
def test_a_full_disk_stops_the_clip_with_the_space_needed_and_leaves_nothing_that_looks_whole(tmp_path, out):
    """A real full disk (a 150k tmpfs in a private mount namespace) under the clip writers: a lossless clip that
    cannot fit, written as a video file or as a folder of frames. Exit 2, no traceback, the message says the disk
    is full and how much the clip needs; no file at --out (a video) or only whole frames (a folder)."""
    source = write_clip(tmp_path / "pan.mp4", pan_frames(40, 128, 128, step=2), audio=True)
    model = _unet(tmp_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    command = [sys.executable, "-m", "pix2pix_core", "translate", str(source), "--out", str(disk / out), "--model",
               str(model), "--codec", "libx264", "--crf", "0", "--chunk", "4"]
    script = f'mount -t tmpfs -o size=150k tmpfs "{disk}" && "$@"; echo "exit $?"; cd "{disk}" && find . -type f'
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", *command], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "exit 2" in done.stdout and "Traceback" not in done.stderr, (done.stdout, done.stderr[-3000:])
    message = done.stderr.strip().splitlines()[-1]
    assert re.search(r"the disk is full after \d+ of 40 frames: the clip needs at least [\d.]+ MiB there and [\d.]+ "
                     r"MiB are free", message), message
    left = done.stdout.split()[2:]
    if out == "out.mp4":
        assert left == [] and "nothing was kept" in message, left
    else:
        assert left and all(re.fullmatch(r"\./frames/frame_\d{5}\.png", name) for name in left), left
        assert f"{len(left)} of 40 frames are in" in message and "each one whole" in message
