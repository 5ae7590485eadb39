"""Take docs/sketch.png (drawing in the Pix2Pix Sketch node, live mode on, in the real ComfyUI frontend) and the
thumbnails of the newer templates (workflows/sketch_to_cat.jpg, facades_painter.jpg, video_edges_to_photo.jpg,
labels_to_city.jpg).

    pip install comfyui-frontend-package==1.32.9 playwright   # and Debian's chromium
    python docs/sketch_screenshot.py [/usr/bin/chromium]

The live translator is the vintagify translator (the demo's real pretrained weights, dropped into
models/pix2pix/vintagify/): this script runs offline, where the demo's edges2cats file cannot be downloaded. The
strokes are drawn with the mouse, as a user draws them.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser import chromium, close_overlays, open_frontend  # noqa: E402
from comfyui_harness import ComfyServer  # noqa: E402
from PIL import Image  # noqa: E402

from pix2pix_core.examples import vintagify_weights  # noqa: E402

THUMBNAIL = (512, 288)
SKETCH = "() => window.app.graph.nodes.find(n => n.type === 'Pix2PixSketch')"
LIVE_MODEL = "vintagify/G_A2B_epoch33.pth"
NEWER_TEMPLATES = ("sketch_to_cat", "facades_painter", "video_edges_to_photo", "labels_to_city")


def _open(page, workflow: Path, offset: list[int], scale: float = 1) -> None:
    page.evaluate("wf => window.app.loadGraphData(wf)", json.loads(workflow.read_text()))
    time.sleep(1)
    page.evaluate(f"() => ({SKETCH})()?.pix2pixSketch.ready")  # a drawing shown before the picture is taken
    page.evaluate("([offset, scale]) => { window.app.canvas.ds.scale = scale; window.app.canvas.ds.offset = offset; "
                  "window.app.graph.setDirtyCanvas(true, true); }", [offset, scale])
    time.sleep(1)


def _fresh_page(browser, server):
    page = open_frontend(browser, server.url)
    close_overlays(page)
    return page


def _thumbnail(page, name: str) -> None:
    """The whole graph fitted into a 16:9 clip, without the frontend's floating panels."""
    page.set_viewport_size({"width": 2400, "height": 1400})  # room for the widest graph at a readable scale
    _open(page, ROOT / "workflows" / f"{name}.json", [0, 0])
    page.keyboard.press("Escape")
    page.add_style_tag(content=".subgraph-breadcrumb, .actionbar-container, .minimap-main-container "
                               "{ visibility: hidden !important; }")
    clip = {"x": 80, "y": 140, "width": 2240, "height": 1260}
    page.evaluate("""clip => {
        const nodes = window.app.graph.nodes, title = LiteGraph.NODE_TITLE_HEIGHT, margin = 30;
        const left = Math.min(...nodes.map(n => n.pos[0])) - margin;
        const top = Math.min(...nodes.map(n => n.pos[1] - title)) - margin;
        const right = Math.max(...nodes.map(n => n.pos[0] + n.size[0])) + margin;
        const bottom = Math.max(...nodes.map(n => n.pos[1] + n.size[1])) + margin;
        const scale = Math.min(clip.width / (right - left), clip.height / (bottom - top), 1.2);
        const page = window.app.canvas.canvas.getBoundingClientRect(), ds = window.app.canvas.ds;
        ds.scale = scale;
        ds.offset = [(clip.x - page.left) / scale - left, (clip.y - page.top) / scale - top];
        window.app.graph.setDirtyCanvas(true, true); }""", clip)
    time.sleep(1)
    page.screenshot(path="/tmp/thumbnail.png", clip=clip)
    Image.open("/tmp/thumbnail.png").convert("RGB").resize(THUMBNAIL, Image.LANCZOS).save(
        ROOT / "workflows" / f"{name}.jpg", quality=88)


def _stroke(page, points: list[tuple[int, int]]) -> None:
    at = page.evaluate(f"""() => {{
        const pad = ({SKETCH})().pix2pixSketch.pad, box = pad.canvas.getBoundingClientRect();
        const scale = Math.min(box.width / pad.width, box.height / pad.height);
        return {{scale, left: box.left + (box.width - pad.width * scale) / 2,
                 top: box.top + (box.height - pad.height * scale) / 2}}; }}""")
    page.mouse.move(at["left"] + points[0][0] * at["scale"], at["top"] + points[0][1] * at["scale"])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(at["left"] + x * at["scale"], at["top"] + y * at["scale"], steps=12)
    page.mouse.up()


def _drawing_picture(page) -> None:
    _open(page, ROOT / "workflows" / "facades_painter.json", [40, 20])
    close_overlays(page)
    page.evaluate(f"""() => {{
        const node = ({SKETCH})();
        for (const other of window.app.graph.nodes) if (other !== node) other.pos = [other.pos[0] + 1200, other.pos[1]];
        node.pos = [60, 150]; node.setSize([760, 540]);
        window.app.graph.setDirtyCanvas(true, true); }}""")
    page.check("input.pix2pix-sketch-live")
    page.select_option("select.pix2pix-sketch-live-model", LIVE_MODEL)
    for tool, colour, points in (("box", "balcony", [(30, 150), (226, 162)]), ("pen", "trim", [(20, 40), (236, 40)]),
                                 ("rect", "column", [(12, 60), (40, 220)])):
        page.click(f"button[data-tool={tool}]")
        page.click(f"button[data-colour='{colour}']")
        _stroke(page, points)
    page.wait_for_function(f"() => {{ const pad = ({SKETCH})().pix2pixSketch.pad; "
                           "return pad.result.src && !pad.status.textContent.endsWith('…'); }")
    time.sleep(2)
    page.mouse.move(1000, 750)
    box = page.evaluate(f"""() => {{  // the node on the page, its title bar included
        const node = ({SKETCH})(), ds = window.app.canvas.ds;
        const page = window.app.canvas.canvas.getBoundingClientRect(), title = LiteGraph.NODE_TITLE_HEIGHT;
        return {{x: page.left + (node.pos[0] + ds.offset[0]) * ds.scale - 12,
                 y: page.top + (node.pos[1] - title + ds.offset[1]) * ds.scale - 12,
                 width: node.size[0] * ds.scale + 24, height: (node.size[1] + title) * ds.scale + 24}}; }}""")
    page.screenshot(path=str(ROOT / "docs" / "sketch.png"), clip=box)


def main() -> None:
    executable = sys.argv[1] if len(sys.argv) > 1 else None
    with ComfyServer({"HF_HUB_OFFLINE": "1"}, frontend=True) as server:
        (server.base / "models" / "pix2pix" / "vintagify").mkdir()
        shutil.copy(vintagify_weights(), server.base / "models" / "pix2pix" / "vintagify")
        with chromium(executable) as browser:
            for name in NEWER_TEMPLATES:
                _thumbnail(_fresh_page(browser, server), name)
            _drawing_picture(_fresh_page(browser, server))
    print(f"wrote docs/sketch.png and workflows/{{{','.join(NEWER_TEMPLATES)}}}.jpg")


if __name__ == "__main__":
    main()
