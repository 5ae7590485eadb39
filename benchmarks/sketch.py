"""Latency of one live sketch update through ``POST /pix2pix/live`` in a real ComfyUI server, end to end (PNG in,
PNG out), against the bare eager forward of the same weights.

    python benchmarks/sketch.py        # COMFYUI_DIR=... to use an existing ComfyUI checkout

unet_256 (ngf 64, batch norm), a 256x256 drawing that gains a stroke per update, float32, 50 updates one after
another: p50 and p95. The bare forward is ``generator(x)`` under per-image statistics and dropout seed 0 (what the
route runs), timed here while the server idles, on the same cores. Then a fast pen: 20 updates sent 20 ms apart
without waiting, from one client: how many were translated, and that the last drawing was.
"""

from __future__ import annotations

import io
import statistics
import sys
import threading
import time
from pathlib import Path

import torch
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from comfyui_harness import ComfyServer  # noqa: E402
from machine import cpu_row  # noqa: E402
from test_comfyui import _live  # noqa: E402

import pix2pix_core as p2p  # noqa: E402
from pix2pix_core.imaging.files import load_image  # noqa: E402
from pix2pix_core.inference.live import LIVE_DROPOUT_SEED, LIVE_STATISTICS  # noqa: E402
from pix2pix_core.networks import UnetConfig, build_network, init_weights  # noqa: E402

UPDATES, PEN_UPDATES, PEN_INTERVAL = 50, 20, 0.02


def drawings(count: int) -> list[bytes]:
    """A drawing that gains one stroke per update, as PNG bytes."""
    canvas, result = Image.new("RGB", (256, 256), "white"), []
    pen = ImageDraw.Draw(canvas)
    for i in range(count):
        pen.line([(10 + 4 * i % 230, 20), (240 - 3 * i % 200, 230)], fill="black", width=1)
        buffer = io.BytesIO()
        canvas.save(buffer, format="PNG")
        result.append(buffer.getvalue())
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bare_forward(generator, drawing: bytes) -> list[float]:
    x = load_image(drawing)[None] * 2 - 1
    times = []
    with torch.inference_mode(), p2p.inference_statistics(generator, LIVE_STATISTICS, LIVE_DROPOUT_SEED):
        generator(x)
        for _ in range(UPDATES):
            start = time.perf_counter()
            generator(x)
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    torch.manual_seed(0)
    generator = init_weights(build_network(UnetConfig())).eval()
    strokes = drawings(UPDATES)
    with ComfyServer({"HF_HUB_OFFLINE": "1"}) as server:
        p2p.save_pretrained(generator, server.base / "models" / "pix2pix" / "unet256")
        fields = {"model": "unet256/model.safetensors", "client": "bench"}
        for drawing in strokes[:3]:  # load the model, warm up
            assert _live(server, {**fields, "image": drawing})[0] == 200
        route = []
        for drawing in strokes:
            start = time.perf_counter()
            status = _live(server, {**fields, "image": drawing})[0]
            route.append(time.perf_counter() - start)
            assert status == 200, status
        answers: dict[int, int] = {}

        def send(i: int) -> None:
            answers[i] = _live(server, {**fields, "client": "pen", "image": strokes[i]})[0]

        threads = []
        for i in range(PEN_UPDATES):
            threads.append(threading.Thread(target=send, args=(i,)))
            threads[-1].start()
            time.sleep(PEN_INTERVAL)
        for thread in threads:
            thread.join()
        bare = bare_forward(generator, strokes[-1])
    p50, p95, forward = percentile(route, 0.5), percentile(route, 0.95), statistics.median(bare)
    translated = sum(status == 200 for status in answers.values())
    label, features = cpu_row()
    print(f"| {label} | {features} |\n| --- | --- |")
    print(f"| bare forward, unet_256 at 256x256 (median of {UPDATES}) | {forward * 1000:.0f} ms |")
    print(f"| live update through the route, p50 / p95 of {UPDATES} | {p50 * 1000:.0f} / {p95 * 1000:.0f} ms |")
    print(f"| p50 / bare forward | **{p50 / forward:.2f}** |")
    last = "was" if answers[PEN_UPDATES - 1] == 200 else "was NOT"
    print(f"| fast pen: {PEN_UPDATES} updates {PEN_INTERVAL * 1000:.0f} ms apart | {translated} translated, "
          f"{PEN_UPDATES - translated} dropped as overtaken; the last drawing {last} translated |")


if __name__ == "__main__":
    main()
