"""The Translate node inside a real ComfyUI server against calling the core directly on the same batch.

    python benchmarks/comfyui.py        # COMFYUI_DIR=... to use an existing ComfyUI checkout

unet_256 ngf 64, one 512x512 image, float32. The node's time is the prompt's execution time (ComfyUI's own
timestamps) minus that of the same graph without the Translate node (LoadImage -> PreviewImage), medians of 7.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from comfyui_harness import ComfyServer  # noqa: E402

import pix2pix_core as p2p  # noqa: E402
from pix2pix_core.imaging.files import load_image  # noqa: E402
from pix2pix_core.networks import UnetConfig, build_network, init_weights  # noqa: E402

REPEATS = 7


def execution_seconds(history: dict) -> float:
    stamps = {kind: data["timestamp"] for kind, data in history["status"]["messages"]}
    return (stamps["execution_success"] - stamps["execution_start"]) / 1000


def main() -> None:
    torch.manual_seed(0)
    generator = init_weights(build_network(UnetConfig())).eval()
    photo = ROOT / "pix2pix_core" / "assets" / "astronaut.jpg"
    with ComfyServer({"HF_HUB_OFFLINE": "1"}) as server:
        p2p.save_pretrained(generator, server.base / "models" / "pix2pix" / "unet256")
        (server.base / "input" / "astronaut.jpg").write_bytes(photo.read_bytes())
        image = {"class_type": "LoadImage", "inputs": {"image": "astronaut.jpg"}}
        model = {"class_type": "Pix2PixLoadModel", "inputs": {"model": "unet256/model.safetensors",
                                                              "catalogue": "(none)", "repo_id": "", "revision": ""}}

        def graph(seed: int, with_translate: bool) -> dict:
            nodes = {"1": image, "2": model}
            source = ["1", 0]
            if with_translate:
                nodes["3"] = {"class_type": "Pix2PixTranslate", "inputs": {
                    "model": ["2", 0], "image": ["1", 0], "fit": "native", "tile_size": 512, "statistics": "per_image",
                    "dropout": False, "seed": seed, "precision": "float32"}}
                source = ["3", 0]
            nodes["4"] = {"class_type": "PreviewImage", "inputs": {"images": source}}
            return nodes

        server.run(graph(0, True))  # load the model, warm up
        node, baseline = [], []
        for seed in range(1, REPEATS + 1):
            node.append(execution_seconds(server.run(graph(seed, True))))
            baseline.append(execution_seconds(server.run(graph(seed, False))))
    x = load_image(photo)[None]
    p2p.translate(generator, x, fit="native")
    direct = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        p2p.translate(generator, x, fit="native")
        direct.append(time.perf_counter() - start)
    node_time = statistics.median(node) - statistics.median(baseline)
    core_time = statistics.median(direct)
    print("| measurement | result |\n| --- | --- |")
    print(f"| core translate, 512x512 | {core_time * 1000:.0f} ms |")
    print(f"| Translate node in ComfyUI (graph minus LoadImage -> PreviewImage) | {node_time * 1000:.0f} ms |")
    print(f"| node / core | **{node_time / core_time:.2f}** |")


if __name__ == "__main__":
    main()
