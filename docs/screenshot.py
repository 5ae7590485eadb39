"""Take docs/comfyui.png (a pix2pix workflow after running in the real ComfyUI frontend, in headless Chromium),
docs/comfyui_templates.png (the pack's workflows in ComfyUI's templates browser) and docs/comfyui_blueprint.png
(the Colorize a Photo blueprint, one subgraph node, after running).

    pip install comfyui-frontend-package==1.32.9 playwright   # and Debian's chromium
    python docs/screenshot.py [/usr/bin/chromium]

The workflow: LoadImage -> Pix2Pix Load Model (the vintagify translator) -> Pix2Pix Translate -> Save Image. The
blueprint: LoadImage (a gray photo) -> Colorize a Photo (pix2pix), its model widget set to a colorizer trained
for this picture (`pix2pix train --preset colorize`, 300 steps on the embedded photos) -> Save Image; the
frontend itself flattens the subgraph into the prompt it queues.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "workflows"))

from browser import chromium, close_overlays, open_frontend  # noqa: E402
from build_ui import to_ui  # noqa: E402
from comfyui_harness import ComfyServer  # noqa: E402
from PIL import Image  # noqa: E402

from pix2pix_core.examples import vintagify_weights  # noqa: E402

BLUEPRINT = ROOT / "subgraphs" / "Colorize a Photo (pix2pix).json"
COLORIZER = ["--preset", "colorize", "--ngf", "16", "--ndf", "16", "--num-downs", "6", "--crop-size", "64",
             "--load-size", "72", "--batch-size", "4", "--steps", "300", "--sample-every", "300"]
WIRE_BLUEPRINT = """([model]) => {
    const graph = window.app.graph, blueprint = graph.nodes[0];
    blueprint.pos = [420, 120];
    blueprint.widgets.find(w => w.name.endsWith(": model")).value = model;
    const load = LiteGraph.createNode("LoadImage"), save = LiteGraph.createNode("SaveImage");
    graph.add(load); graph.add(save);
    load.pos = [40, 80]; load.size = [340, 420]; save.pos = [820, 80]; save.size = [380, 420];
    load.widgets.find(w => w.name === "image").value = "gray_cat.jpg";
    load.connect(0, blueprint, 0); blueprint.connect(0, save, 0);
    window.app.canvas.ds.scale = 0.85; window.app.canvas.ds.offset = [60, 140];
    graph.setDirtyCanvas(true, true);
}"""

GRAPH = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "astronaut.jpg"}},
    "2": {"class_type": "Pix2PixLoadModel", "inputs": {"model": "vintagify/G_A2B_epoch33.pth", "catalogue": "(none)",
                                                       "repo_id": "", "revision": ""}},
    "3": {"class_type": "Pix2PixTranslate", "inputs": {"model": ["2", 0], "image": ["1", 0], "fit": "native",
                                                       "tile_size": 512, "statistics": "per_image", "dropout": False,
                                                       "seed": 0, "precision": "auto"}},
    "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "pix2pix/vintage"}},
}


def _train_colorizer(models: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pix2pix_core", "train", "--data", str(ROOT / "pix2pix_core" / "assets"),
                        "--out", tmp, *COLORIZER], check=True, stderr=subprocess.DEVNULL)
        shutil.copytree(Path(tmp) / "checkpoint", models / "colorizer", ignore=shutil.ignore_patterns("*.pt"))


def _wait_for_output(folder: Path, pattern: str, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while not (folder.exists() and list(folder.glob(pattern))):
        if time.time() > deadline:
            raise TimeoutError(f"no {pattern} in {folder}: the workflow did not finish")
        time.sleep(0.5)


def _blueprint_picture(browser, server) -> None:
    page = open_frontend(browser, server.url)
    page.keyboard.press("Escape")
    page.evaluate("wf => window.app.loadGraphData(wf)", json.loads(BLUEPRINT.read_text()))
    time.sleep(1)
    page.evaluate(WIRE_BLUEPRINT, ["colorizer/model.safetensors"])
    time.sleep(1)
    page.evaluate("() => window.app.queuePrompt(0)")
    _wait_for_output(server.base / "output", "ComfyUI_*.png")
    time.sleep(3)
    close_overlays(page)
    page.mouse.move(640, 700)  # no tooltip over the picture
    time.sleep(0.5)
    page.screenshot(path=str(ROOT / "docs" / "comfyui_blueprint.png"))


def main() -> None:
    executable = sys.argv[1] if len(sys.argv) > 1 else None
    with ComfyServer({"HF_HUB_OFFLINE": "1"}, frontend=True) as server:
        _train_colorizer(server.base / "models" / "pix2pix")
        Image.open(ROOT / "pix2pix_core" / "assets" / "chelsea.jpg").convert("L").save(server.base / "input" /
                                                                                      "gray_cat.jpg")
        (server.base / "models" / "pix2pix" / "vintagify").mkdir()
        shutil.copy(vintagify_weights(), server.base / "models" / "pix2pix" / "vintagify")
        shutil.copy(ROOT / "pix2pix_core" / "assets" / "astronaut.jpg", server.base / "input")
        workflow = to_ui(GRAPH, server.get("/object_info"))
        for node, position in zip(workflow["nodes"], ([40, 60], [40, 520], [420, 200], [820, 60])):
            node["pos"] = position
            node["size"] = [340, 380] if node["type"] in ("LoadImage", "SaveImage") else [340, 260]
        with chromium(executable) as browser:
            page = open_frontend(browser, server.url)
            page.screenshot(path=str(ROOT / "docs" / "comfyui_templates.png"))  # the templates browser opens first
            page.keyboard.press("Escape")
            time.sleep(0.5)
            page.evaluate("wf => window.app.loadGraphData(wf)", workflow)
            time.sleep(1)
            page.evaluate("() => window.app.queuePrompt(0)")
            _wait_for_output(server.base / "output" / "pix2pix", "*.png")
            time.sleep(3)
            close_overlays(page)
            page.screenshot(path=str(ROOT / "docs" / "comfyui.png"))
            _blueprint_picture(browser, server)
    print("wrote docs/comfyui.png, docs/comfyui_templates.png and docs/comfyui_blueprint.png")


if __name__ == "__main__":
    main()
