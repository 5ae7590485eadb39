"""The interactive demo's .pict translators: written here in that format from a known network, read, and run.

No real .pict file is reachable offline (they are too large for the mirror), so the format and the graph are
checked against an independent re-implementation of the demo page's model function in NHWC with TensorFlow's
own kernel layouts and "same" padding, written from its definitions (no conv2d or conv_transpose2d call).
"""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch

import pix2pix_core as p2p
from pix2pix_core.cli import main as cli_main
from pix2pix_core.errors import CheckpointError

NGF, LEVELS = 2, 8


def tf_variables(seed: int = 0, in_channels: int = 3, out_channels: int = 3) -> tuple[dict, np.ndarray]:
    """Random generator variables in TensorFlow's names and layouts, every value one of a 256-entry table (so the
    8-bit encoding is exact), and that table."""
    rng = np.random.default_rng(seed)
    table = np.sort(rng.normal(0, 0.3, 256)).astype(np.float32)
    widths = [NGF * min(2**level, 8) for level in range(LEVELS)]
    shapes = {}
    for level, (i, o) in enumerate(zip([in_channels, *widths[:-1]], widths), start=1):
        shapes[f"generator/encoder_{level}/conv2d/kernel"] = (4, 4, i, o)
        shapes[f"generator/encoder_{level}/conv2d/bias"] = (o,)
        if level > 1:
            shapes[f"generator/encoder_{level}/batch_normalization/gamma"] = (o,)
            shapes[f"generator/encoder_{level}/batch_normalization/beta"] = (o,)
    for level in range(LEVELS, 0, -1):
        i = widths[-1] if level == LEVELS else 2 * widths[level - 1]
        o = out_channels if level == 1 else widths[level - 2]
        shapes[f"generator/decoder_{level}/conv2d_transpose/kernel"] = (4, 4, o, i)  # [kh, kw, out, in]
        shapes[f"generator/decoder_{level}/conv2d_transpose/bias"] = (o,)
        if level > 1:
            shapes[f"generator/decoder_{level}/batch_normalization/gamma"] = (o,)
            shapes[f"generator/decoder_{level}/batch_normalization/beta"] = (o,)
    variables = {name: table[rng.integers(0, 256, size=shape)] for name, shape in shapes.items()}
    return variables, table


def write_pict(path, variables: dict, table: np.ndarray) -> None:
    """The export-checkpoint.py format: shapes JSON, the table, one uint8 per value, each length-prefixed."""
    names = sorted(variables)
    flat = np.concatenate([variables[name].reshape(-1) for name in names])
    encoded = np.searchsorted(table, flat).astype(np.uint8)
    assert np.array_equal(table[encoded], flat)
    shapes = json.dumps([{"name": name, "shape": list(variables[name].shape)} for name in names]).encode()
    with open(path, "wb") as f:
        for part in (shapes, table.astype("<f4").tobytes(), encoded.tobytes()):
            f.write(struct.pack(">I", len(part)) + part)


def _same_conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """TensorFlow conv2d, stride 2, "same" (pad 1 before and after on even sizes): x [H, W, C], kernel
    [4, 4, C, O], as out[y, x] = sum over ky, kx of in[2y + ky - 1, 2x + kx - 1] @ kernel[ky, kx]."""
    padded = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    h, w = x.shape[0] // 2, x.shape[1] // 2
    out = np.zeros((h, w, kernel.shape[3]))
    for ky in range(4):
        for kx in range(4):
            out += padded[ky:ky + 2 * h:2, kx:kx + 2 * w:2] @ kernel[ky, kx]
    return out + bias


def _same_deconv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """TensorFlow conv2d_transpose, stride 2, "same": each input pixel (y, x) adds in[y, x] @ kernel[ky, kx]^T to
    out[2y + ky - 1, 2x + kx - 1] (kernel [4, 4, O, C]), cropped to twice the size."""
    h, w = x.shape[:2]
    out = np.zeros((2 * h + 2, 2 * w + 2, kernel.shape[2]))  # one extra row/column each side, cropped after
    for ky in range(4):
        for kx in range(4):
            out[ky:ky + 2 * h:2, kx:kx + 2 * w:2] += x @ kernel[ky, kx].T
    return out[1:2 * h + 1, 1:2 * w + 1] + bias


def _norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean, variance = x.mean((0, 1)), x.var((0, 1))
    return (x - mean) / np.sqrt(variance + 1e-5) * gamma + beta


def demo_model(image: np.ndarray, v: dict) -> np.ndarray:
    """The demo page's model(): [H, W, 3] in 0..1 -> [H, W, 3] in 0..1, in float64."""
    g = "generator"
    layers = [_same_conv(image * 2 - 1, v[f"{g}/encoder_1/conv2d/kernel"], v[f"{g}/encoder_1/conv2d/bias"])]
    for i in range(2, LEVELS + 1):
        s = f"{g}/encoder_{i}"
        rectified = np.where(layers[-1] > 0, layers[-1], 0.2 * layers[-1])
        convolved = _same_conv(rectified, v[f"{s}/conv2d/kernel"], v[f"{s}/conv2d/bias"])
        layers.append(_norm(convolved, v[f"{s}/batch_normalization/gamma"], v[f"{s}/batch_normalization/beta"]))
    for i in range(LEVELS, 1, -1):
        layer_input = layers[-1] if i == LEVELS else np.concatenate([layers[-1], layers[i - 1]], axis=2)
        s = f"{g}/decoder_{i}"
        convolved = _same_deconv(np.maximum(layer_input, 0), v[f"{s}/conv2d_transpose/kernel"],
                                 v[f"{s}/conv2d_transpose/bias"])
        layers.append(_norm(convolved, v[f"{s}/batch_normalization/gamma"], v[f"{s}/batch_normalization/beta"]))
    layer_input = np.maximum(np.concatenate([layers[-1], layers[0]], axis=2), 0)
    s = f"{g}/decoder_1"
    output = np.tanh(_same_deconv(layer_input, v[f"{s}/conv2d_transpose/kernel"], v[f"{s}/conv2d_transpose/bias"]))
    return (output + 1) / 2


def test_a_pict_translator_does_what_the_demo_page_computes(tmp_path):
    variables, table = tf_variables()
    path = tmp_path / "edges2cats_AtoB.pict"
    write_pict(path, variables, table)
    generator = p2p.load_generator(path)
    assert generator.config.architecture == "tensorflow_unet" and generator.config.ngf == NGF
    assert (generator.io.input_space, generator.io.direction, generator.io.train_size) == ("edges", "AtoB", 256)
    image = np.random.default_rng(1).random((256, 256, 3))
    expected = demo_model(image, {k: v.astype(np.float64) for k, v in variables.items()})
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float()
    for statistics in ("per_image", "eval"):  # the demo keeps no running statistics: both are the image's own
        got = p2p.translate(generator, x, fit="native", statistics=statistics)[0].permute(1, 2, 0).double().numpy()
        # float32 against a float64 forward, outputs of std 0.26: measured 4.2e-7 (swapped skips give 1.0)
        assert np.abs(got - expected).max() < 2e-5, statistics
    facades = tmp_path / "facades_BtoA.pict"
    write_pict(facades, variables, table)
    assert p2p.load_generator(facades).io.direction == "BtoA" and p2p.load_generator(facades).io.input_space == "rgb"


def test_a_pict_converts_to_our_format(tmp_path, capsys):
    variables, table = tf_variables(seed=2)
    write_pict(tmp_path / "edges2shoes_AtoB.pict", variables, table)
    assert cli_main(["convert", str(tmp_path / "edges2shoes_AtoB.pict"), "--out", str(tmp_path / "ours")]) == 0
    assert "tensorflow_unet" in capsys.readouterr().out
    x = torch.rand(1, 3, 256, 256)
    torch.testing.assert_close(p2p.translate(p2p.load_generator(tmp_path / "ours"), x),
                               p2p.translate(p2p.load_generator(tmp_path / "edges2shoes_AtoB.pict"), x))


@pytest.mark.parametrize("damage", ["truncated", "table", "not_unet"])
def test_a_damaged_pict_is_refused_by_name(tmp_path, damage):
    variables, table = tf_variables()
    if damage == "not_unet":
        variables = {"generator/other/kernel": variables["generator/encoder_1/conv2d/kernel"]}
    path = tmp_path / "x_AtoB.pict"
    write_pict(path, variables, table)
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[:-100])
    if damage == "table":
        length = struct.unpack(">I", data[:4])[0]
        path.write_bytes(data[:4 + length] + struct.pack(">I", 8) + b"\x00" * 8 + data[4 + length + 4 + 1024:])
    with pytest.raises(CheckpointError, match="pict|not a pix2pix-tensorflow U-Net"):
        p2p.load_generator(path)


@pytest.fixture
def demo_mirror(tmp_path, monkeypatch):
    """A local HTTP mirror of the demo models' folder, serving what ``files`` holds (requests counted)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    files, hits = {}, []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            body = files.get(self.path.lstrip("/"))
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PIX2PIX_DEMO_MODELS_URL", f"http://127.0.0.1:{server.server_port}")
    yield files, hits
    server.shutdown()


def _pin(monkeypatch, path) -> None:
    """Make the catalogue's edges2cats entry the file at ``path`` (its blob id), as the real one is pinned."""
    import dataclasses

    from pix2pix_core.weights import demo_models

    entries = tuple(dataclasses.replace(e, blob=demo_models.git_blob_id(path)) if e.name == "edges2cats" else e
                    for e in demo_models.DEMO_TRANSLATORS)
    monkeypatch.setattr(demo_models, "DEMO_TRANSLATORS", entries)


def test_models_get_downloads_a_pinned_demo_translator_and_checks_it(tmp_path, demo_mirror, monkeypatch, capsys):
    files, hits = demo_mirror
    variables, table = tf_variables(seed=3)
    write_pict(tmp_path / "edges2cats_AtoB.pict", variables, table)
    files["edges2cats_AtoB.pict"] = (tmp_path / "edges2cats_AtoB.pict").read_bytes()
    _pin(monkeypatch, tmp_path / "edges2cats_AtoB.pict")
    out = tmp_path / "models"
    assert cli_main(["models", "get", "edges2cats", "--out", str(out)]) == 0
    assert f"translate with: pix2pix translate --model {out / 'edges2cats_AtoB.pict'}" in capsys.readouterr().out
    assert p2p.load_generator(out / "edges2cats_AtoB.pict").io.input_space == "edges"
    assert cli_main(["models", "get", "edges2cats", "--out", str(out)]) == 0 and len(hits) == 1  # kept, not fetched

    files["edges2cats_AtoB.pict"] = b"\x00" * 100  # a mirror serving other bytes: refused, nothing kept
    assert cli_main(["models", "get", "edges2cats", "--out", str(tmp_path / "elsewhere")]) == 2
    assert "did not give the file pinned at commit 68fd4e2" in capsys.readouterr().err
    assert not any((tmp_path / "elsewhere").iterdir())
    (out / "edges2cats_AtoB.pict").write_bytes(b"mine")  # a file of the user's by that name is left alone
    assert cli_main(["models", "get", "edges2cats", "--out", str(out)]) == 2
    assert "is not the pinned edges2cats_AtoB.pict" in capsys.readouterr().err
    assert (out / "edges2cats_AtoB.pict").read_bytes() == b"mine"


def test_models_get_without_the_network_says_where_to_put_the_file(tmp_path, monkeypatch, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    monkeypatch.setenv("PIX2PIX_DEMO_MODELS_URL", f"http://127.0.0.1:{dead}")
    assert cli_main(["models", "get", "facades", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    target = tmp_path / "facades_BtoA.pict"
    by_hand = f"Download http://127.0.0.1:{dead}/facades_BtoA.pict by hand and put it at {target}"
    assert by_hand in err and "Nothing partial was kept" in err and "Traceback" not in err
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert cli_main(["models", "get", "facades", "--out", str(tmp_path)]) == 2
    assert "offline (HF_HUB_OFFLINE)" in capsys.readouterr().err and not any(tmp_path.iterdir())


def test_a_missing_pict_is_named(tmp_path):
    with pytest.raises(CheckpointError, match="edges2cats_AtoB.pict is neither a file nor a directory: no such file"):
        p2p.load_generator(tmp_path / "edges2cats_AtoB.pict")
