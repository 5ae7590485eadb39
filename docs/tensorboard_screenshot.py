"""Take docs/tensorboard.png: TensorBoard, in headless Chromium, showing a real training run's events.

    pip install "pix2pix-nodes[tensorboard]" playwright   # and Debian's chromium
    python docs/tensorboard_screenshot.py [/usr/bin/chromium]

The run: `pix2pix train --preset colorize --log tensorboard` on the embedded photos (a narrow U-Net, 64 px crops,
400 steps, a few minutes on a CPU); then `tensorboard --logdir RUN/tb` on 127.0.0.1 and its Scalars page.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "pix2pix_core" / "assets"
TRAIN = ["--preset", "colorize", "--ngf", "16", "--ndf", "16", "--num-downs", "6", "--crop-size", "64",
         "--load-size", "72", "--batch-size", "4", "--steps", "400", "--sample-every", "50", "--log", "tensorboard"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds:g} s")


def main() -> None:
    chromium = sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "colorize"
        subprocess.run([sys.executable, "-m", "pix2pix_core", "train", "--data", str(PHOTOS), "--out", str(run),
                        *TRAIN], check=True, stderr=subprocess.DEVNULL)
        port = _free_port()
        board = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(run / "tb"), "--host",
                                  "127.0.0.1", "--port", str(port)], stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_for(url)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"{url}/#timeseries")
                page.wait_for_selector("canvas, svg.line-chart, .line-chart", timeout=60_000)
                settings = page.get_by_text("Horizontal Axis")
                if settings.is_visible():  # the settings pane is open on a first visit: its toolbar button closes it
                    page.locator("button:has-text('Settings')").first.click()
                    settings.wait_for(state="hidden", timeout=10_000)
                time.sleep(6)  # the charts draw after their data arrives
                page.screenshot(path=str(ROOT / "docs" / "tensorboard.png"))
                browser.close()
        finally:
            board.terminate()
            board.wait(timeout=30)
    print("wrote docs/tensorboard.png")


if __name__ == "__main__":
    main()
