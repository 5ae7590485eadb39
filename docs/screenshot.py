"""Take docs/comfyui.png (a pix2pix workflow after running in the real ComfyUI frontend, in headless Chromium)
and docs/comfyui_templates.png (the pack's workflows in ComfyUI's templates browser).

    pip install comfyui-frontend-package==1.32.9 playwright   # and Debian's chromium
    python docs/screenshot.py [/usr/bin/chromium]

The workflow: LoadImage -> Pix2Pix Load Model (the vintagify translator) -> Pix2Pix Translate -> Save Image.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "workflows"))

from build_ui import to_ui  # noqa: E402
from comfyui_harness import ComfyServer  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from pix2pix_core.demo import vintagify_weights  # noqa: E402

GRAPH = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "astronaut.jpg"}},
    "2": {"class_type": "Pix2PixLoadModel", "inputs": {"model": "vintagify/G_A2B_epoch33.pth", "catalogue": "(none)",
                                                       "repo_id": "", "revision": ""}},
    "3": {"class_type": "Pix2PixTranslate", "inputs": {"model": ["2", 0], "image": ["1", 0], "fit": "native",
                                                       "tile_size": 512, "statistics": "per_image", "dropout": False,
                                                       "seed": 0, "precision": "auto"}},
    "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "pix2pix/vintage"}},
}


def main() -> None:
    chromium = sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/chromium"
    with ComfyServer({"HF_HUB_OFFLINE": "1"}, frontend=True) as server:
        (server.base / "models" / "pix2pix" / "vintagify").mkdir()
        shutil.copy(vintagify_weights(), server.base / "models" / "pix2pix" / "vintagify")
        shutil.copy(ROOT / "pix2pix_core" / "assets" / "astronaut.jpg", server.base / "input")
        workflow = to_ui(GRAPH, server.get("/object_info"))
        for node, position in zip(workflow["nodes"], ([40, 60], [40, 520], [420, 200], [820, 60])):
            node["pos"] = position
            node["size"] = [340, 380] if node["type"] in ("LoadImage", "SaveImage") else [340, 260]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(server.url)
            page.wait_for_function("window.app && window.app.graph", timeout=120_000)
            time.sleep(2)
            page.screenshot(path=str(ROOT / "docs" / "comfyui_templates.png"))  # the templates browser opens first
            page.keyboard.press("Escape")
            time.sleep(0.5)
            page.evaluate("wf => window.app.loadGraphData(wf)", workflow)
            time.sleep(1)
            page.evaluate("() => window.app.queuePrompt(0)")
            deadline = time.time() + 120
            while not list((server.base / "output" / "pix2pix").glob("*.png")) if (
                    server.base / "output" / "pix2pix").exists() else True:
                if time.time() > deadline:
                    raise TimeoutError("the workflow did not finish")
                time.sleep(0.5)
            time.sleep(3)
            for _ in range(2):  # the first-run templates browser and the news banner cover the graph
                page.keyboard.press("Escape")
                time.sleep(0.5)
            for selector in ("[aria-label='Close']", ".p-dialog-close-button", "button:has(.pi-times)"):
                for element in page.locator(selector).all():
                    if element.is_visible():
                        try:
                            element.click(timeout=2000)
                        except PlaywrightTimeout:  # covered by another overlay: the next selector closes that
                            continue
                        time.sleep(0.3)
            page.screenshot(path=str(ROOT / "docs" / "comfyui.png"))
            browser.close()
    print("wrote docs/comfyui.png")


if __name__ == "__main__":
    main()
