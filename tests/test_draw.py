"""``pix2pix draw``: the sketch pad's own page, served by the real command, drawn on in headless Chromium."""

from __future__ import annotations

import base64
import io
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import pytest
from PIL import Image
from test_pict import tf_variables, write_pict

import pix2pix_core as p2p
from pix2pix_core.cli import main as cli_main
from pix2pix_core.imaging.files import load_image
from pix2pix_core.networks import ResnetConfig, build_network, init_weights


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, fields: dict | None = None, raw: bytes | None = None, content_type: str = "") -> tuple:
    if fields is not None:
        boundary = uuid.uuid4().hex
        raw = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                       + (value if isinstance(value, bytes) else value.encode()) + b"\r\n"
                       for name, value in fields.items()) + f"--{boundary}--\r\n".encode()
        content_type = f"multipart/form-data; boundary={boundary}"
    request = urllib.request.Request(url + "pix2pix/live", data=raw, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def draw_page(tmp_path_factory):
    """`pix2pix draw --model edges2cats` over a folder holding a demo-format .pict and one of our translators,
    with the demo's download address pointing at a closed port (no network)."""
    folder = tmp_path_factory.mktemp("models")
    write_pict(folder / "edges2cats_AtoB.pict", *tf_variables(seed=3))
    p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), folder / "mine")
    env = {**os.environ, "PIX2PIX_DEMO_MODELS_URL": f"http://127.0.0.1:{_dead_port()}", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "pix2pix_core", "draw", "--model", "edges2cats", "--models",
                                str(folder), "--port", "0", "--device", "cpu"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env)
    try:
        line = process.stdout.readline()
        match = re.search(r"open (http://127\.0\.0\.1:\d+/)", line)
        assert match, line + process.stdout.read(2000)
        yield match[1], folder
    finally:
        process.terminate()
        process.wait(timeout=30)


def _canvas_png() -> bytes:
    from PIL import ImageDraw

    canvas = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(canvas).line([(20, 20), (200, 120), (40, 220)], fill="black", width=1)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_draw_route_refuses_bad_requests_and_keeps_serving(draw_page):
    url, folder = draw_page
    before = sorted(folder.rglob("*"))
    drawing = _canvas_png()
    cases = [({"model": "../mine", "image": drawing}, 400, "contains '/'"),
             ({"model": "..", "image": drawing}, 400, "'..'"),
             ({"model": "nope.pict", "image": drawing}, 404, "no translator 'nope.pict'"),
             ({"model": "mine", "image": b"GIF89a" + bytes(40)}, 415, "not a PNG"),
             ({"model": "mine", "image": b"x" * (9 * 2**20)}, 413, "over 8 MiB"),
             ({"model": "mine"}, 400, "'image'")]
    for fields, status, message in cases:
        got, body = _post(url, fields)
        assert got == status and message in body.decode(), (fields.get("model"), got, body[:200])
    assert _post(url, raw=b'{"model": "mine"}', content_type="application/json")[0] == 400
    status, body = _post(url, {"model": "mine", "image": drawing, "client": "t"})
    assert status == 200 and body.startswith(b"\x89PNG")  # still serving
    assert sorted(folder.rglob("*")) == before  # nothing written


def test_draw_explains_bad_arguments(tmp_path, capsys):
    assert cli_main(["draw", "--model", str(tmp_path / "missing.pth")]) == 2
    assert "no such file or folder, and not a demo translator's name" in capsys.readouterr().err
    (tmp_path / "a").mkdir()
    p2p.save_pretrained(init_weights(build_network(ResnetConfig(ngf=4, n_blocks=1))), tmp_path / "a" / "mine")
    assert cli_main(["draw", "--model", str(tmp_path / "a" / "mine"), "--models", str(tmp_path)]) == 2
    assert "is not in --models" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli_main(["draw", "--model", str(tmp_path / "a" / "mine"), "--port", str(port)]) == 2
    assert f"port {port} on 127.0.0.1 is taken" in capsys.readouterr().err


@pytest.mark.slow
def test_the_draw_page_translates_each_stroke_as_translate_does(draw_page):
    """Mouse strokes on the page: the picture shown beside the drawing is p2p.translate of the canvas (per-image
    statistics, dropout seed 0) by the demo-format translator; the picker offers the folder and the catalogue,
    and a catalogue entry that cannot be downloaded says where to put the file."""
    from browser import chromium

    url, folder = draw_page
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 700})
        page.goto(url)
        page.wait_for_function("window.pix2pixDraw && window.pix2pixDraw.pad.result.src")
        options = page.eval_on_selector_all("#model option", "options => options.map(o => o.textContent)")
        assert options[:2] == ["edges2cats_AtoB.pict", "mine"] and "facades_BtoA.pict (download)" in options
        box = page.locator("canvas.pix2pix-sketch").bounding_box()
        scale = min(box["width"], box["height"]) / 256
        left = box["x"] + (box["width"] - 256 * scale) / 2
        top = box["y"] + (box["height"] - 256 * scale) / 2
        for stroke in ([(30, 30), (220, 100), (60, 230)], [(128, 10), (128, 246)]):
            page.mouse.move(left + stroke[0][0] * scale, top + stroke[0][1] * scale)
            page.mouse.down()
            for x, y in stroke[1:]:
                page.mouse.move(left + x * scale, top + y * scale, steps=10)
            page.mouse.up()
        drawing = page.evaluate("() => window.pix2pixDraw.pad.toDataURL()")
        page.wait_for_timeout(1500)  # the newest stroke's answer lands
        page.wait_for_function("() => window.pix2pixDraw.pad.result.complete && !window.pix2pixDraw.live.busy")
        shown = page.evaluate("""() => {
            const image = window.pix2pixDraw.pad.result;
            const canvas = Object.assign(document.createElement("canvas"),
                                         {width: image.naturalWidth, height: image.naturalHeight});
            canvas.getContext("2d").drawImage(image, 0, 0);
            return canvas.toDataURL("image/png"); }""")
        assert page.locator(".pix2pix-sketch-status").inner_text().startswith("edges2cats_AtoB.pict:")
        page.screenshot(path=str(folder.parent / "draw_page.png"))

        page.select_option("#model", "facades_BtoA.pict")
        page.wait_for_function("() => document.querySelector('.pix2pix-sketch-status').textContent"
                               ".includes('by hand')", timeout=60_000)
        status = page.locator(".pix2pix-sketch-status").inner_text()
        assert f"put it at {folder / 'facades_BtoA.pict'}" in status, status
        assert not (folder / "facades_BtoA.pict").exists()

    canvas = load_image(base64.b64decode(drawing.split(",", 1)[1]))
    assert (canvas < 0.5).any(0).sum() > 300  # the strokes are in it
    generator = p2p.load_generator(folder / "edges2cats_AtoB.pict")
    expected = p2p.translate(generator, canvas[None], statistics="per_image", dropout_seed=0)[0]
    assert (load_image(base64.b64decode(shown.split(",", 1)[1])) - expected).abs().max() <= 1 / 255 + 1e-6

