"""ONNX export: ONNX Runtime (CPU provider) against our PyTorch engine and the plain eager forward the reference
runs, on the same weights in one process; plus the export time and the file size.

    python benchmarks/export.py               # unet_256 and resnet_9blocks (ngf 64), 256 and 1024 px, batch 1
    python benchmarks/export.py --repeats 3

Each ONNX run goes through the exported graph, which includes the scaling, padding, crop and clamp; the eager
forward gets an image already a multiple of the network's size, so it does strictly less work. Calls are
interleaved so that drift in the machine hits all three alike.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import cpu_row  # noqa: E402
from translate import reference_forward, timed  # noqa: E402

import pix2pix_core as p2p  # noqa: E402
from pix2pix_core.export.onnx_file import export_onnx  # noqa: E402
from pix2pix_core.export.runtime import OnnxTranslator  # noqa: E402
from pix2pix_core.networks import ResnetConfig, UnetConfig, build_network, init_weights  # noqa: E402

MODELS = {"unet_256": UnetConfig(), "resnet_9blocks": ResnetConfig()}


def model_rows(name: str, sides: list[int], repeats: int, folder: Path) -> list[tuple[str, str]]:
    torch.manual_seed(0)
    net = init_weights(build_network(MODELS[name])).eval()
    start = time.perf_counter()
    path = export_onnx(net, folder / f"{name}.onnx")
    rows = [(f"{name}: export", f"{time.perf_counter() - start:.1f} s, {path.stat().st_size / 2**20:.1f} MiB")]
    runtime = OnnxTranslator(path)
    fns = {"eager": reference_forward(net), "engine": lambda x: p2p.translate(net, x, fit="native"),
           "onnx": runtime.translate}
    for side in sides:
        x = torch.rand(1, 3, side, side)
        t = timed(fns, x, repeats)
        difference = (runtime.translate(x) - p2p.translate(net, x, fit="native")).abs().max().item()
        rows.append((f"{name} {side}x{side}: eager / our engine / ONNX Runtime",
                     f"{t['eager'] * 1000:.0f} / {t['engine'] * 1000:.0f} / {t['onnx'] * 1000:.0f} ms; ONNX vs "
                     f"engine **{t['engine'] / t['onnx']:.2f}x**, vs eager {t['eager'] / t['onnx']:.2f}x; "
                     f"max |diff| {difference:.1e}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sides", type=int, nargs="+", default=[256, 1024])
    args = parser.parse_args()
    import onnxruntime

    rows = [cpu_row(), ("ONNX Runtime", f"{onnxruntime.__version__}, {onnxruntime.get_device()} provider, float32")]
    with tempfile.TemporaryDirectory() as tmp:
        for name in MODELS:
            rows += model_rows(name, args.sides, args.repeats, Path(tmp))
    print("batch 1, float32, per_image statistics; eager = the reference's test.py forward (NCHW, train-mode "
          "BatchNorm)", file=sys.stderr)
    print("| measurement | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
