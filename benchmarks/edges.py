"""Edge detection and colour conversion throughput on this machine.

    pip install -e ".[bench]" && python benchmarks/edges.py

Canny images/s at 512x512 (batched torch vs OpenCV's single-image C++ Canny and scikit-image), HED images/s
(random weights in the real layout: the speed does not depend on the values), RGB <-> Lab megapixels/s.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pix2pix_core.imaging.edges import canny, hed
from pix2pix_core.imaging.lab import lab_to_rgb, rgb_to_lab
from pix2pix_core.networks.hed import HedNetwork


def per_second(fn, items: int, repeats: int = 5) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return items / statistics.median(samples)


def main() -> None:
    import cv2
    from skimage import data, feature, transform

    photo = transform.resize(data.astronaut(), (512, 512)).astype(np.float32)
    gray = (photo @ np.array([0.2125, 0.7154, 0.0721], dtype=np.float32))
    gray8 = (gray * 255).round().astype(np.uint8)
    batch = torch.from_numpy(photo).permute(2, 0, 1)[None].repeat(8, 1, 1, 1).contiguous()
    rows = []
    torch_canny = per_second(lambda: canny(batch, 0.1, 0.2, 1.0), 8)
    opencv = per_second(lambda: cv2.Canny(cv2.GaussianBlur(gray8, (0, 0), 1.0), 25, 51, L2gradient=True), 1, 20)
    skimage_canny = per_second(lambda: feature.canny(gray, 1.0, 0.1, 0.2), 1)
    rows += [("Canny 512x512, torch batch 8", f"{torch_canny:.1f} img/s"),
             ("Canny 512x512, OpenCV (uint8, one image)",
              f"{opencv:.1f} img/s (torch/OpenCV = {torch_canny / opencv:.2f})"),
             ("Canny 512x512, scikit-image", f"{skimage_canny:.1f} img/s (torch/skimage = "
                                             f"{torch_canny / skimage_canny:.2f})")]
    net = HedNetwork().eval()
    rows.append(("HED 512x512, batch 4", f"{per_second(lambda: hed(net, batch[:4]), 4, 3):.2f} img/s"))
    big = torch.rand(8, 3, 512, 512)
    rows.append(("rgb_to_lab, float32", f"{per_second(lambda: rgb_to_lab(big), 8 * 512 * 512 / 1e6):.1f} MP/s"))
    lab = rgb_to_lab(big)
    rows.append(("lab_to_rgb, float32", f"{per_second(lambda: lab_to_rgb(lab), 8 * 512 * 512 / 1e6):.1f} MP/s"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, OpenCV {cv2.__version__}", file=sys.stderr)
    print("| measurement | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
