"""Does CycleGAN learn an unpaired mapping? A measurable one on real photos, in under a minute on 2 cores.

    python benchmarks/cyclegan_quality.py

Domain A: the four embedded photos. Domain B: the same photos with their colour channels rotated (R, G, B ->
B, R, G), in another order, so no image has its partner. Prints, before and after training, the distance between
the colour histograms of G_A(A) and of domain B, and the cycle L1 of G_B(G_A(A)) against A.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pix2pix_core as p2p  # noqa: E402
from pix2pix_core.imaging.files import load_image  # noqa: E402
from pix2pix_core.training.cyclegan import CycleGANConfig, CycleGANTrainer  # noqa: E402
from pix2pix_core.training.data import Jitter  # noqa: E402
from pix2pix_core.training.unpaired import UnpairedDataset  # noqa: E402

ASSETS = Path(__file__).resolve().parents[1] / "pix2pix_core" / "assets"
PHOTOS = ("astronaut.jpg", "chelsea.jpg", "coffee.jpg", "rocket.jpg")


def histogram(images: torch.Tensor) -> torch.Tensor:
    """Per-channel 16-bin colour histograms of a batch, normalised."""
    return torch.stack([torch.histc(images[:, c], 16, 0, 1) / images[:, c].numel() for c in range(3)])


def main() -> None:
    photos = [F.interpolate(load_image(ASSETS / name)[None], size=(96, 96), mode="area")[0] for name in PHOTOS]
    domain_a = torch.stack(photos)
    domain_b = torch.stack([photo[[2, 0, 1]] for photo in reversed(photos)])
    config = CycleGANConfig(steps=300, decay_steps=0, ngf=16, n_blocks=3, ndf=16, n_layers=2, crop_size=64,
                            load_size=72, pool_size=20, batch_size=2, sample_every=10**6, checkpoint_every=10**6)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = CycleGANTrainer(config, UnpairedDataset(domain_a, domain_b, jitter=Jitter(72, 64)), Path(tmp))

        def measure() -> tuple[float, float]:
            there = p2p.translate(trainer.g_a, domain_a, fit="native")
            back = p2p.translate(trainer.g_b, there, fit="native")
            return (histogram(there) - histogram(domain_b)).abs().sum().item(), F.l1_loss(back, domain_a).item()

        before = measure()
        started = time.perf_counter()
        trainer.run()
        seconds = time.perf_counter() - started
        after = measure()
    baseline = (histogram(domain_a) - histogram(domain_b)).abs().sum().item()
    print("| measurement | untrained | trained |\n| --- | --- | --- |")
    print(f"| colour-histogram distance of G_A(A) to B (A itself: {baseline:.2f}) | {before[0]:.2f} | {after[0]:.2f} |")
    print(f"| cycle L1 of G_B(G_A(A)) against A (0..1) | {before[1]:.3f} | {after[1]:.3f} |")
    print(f"{config.steps} steps in {seconds:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
