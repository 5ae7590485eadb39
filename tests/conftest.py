"""Shared test fixtures: paths to the reference fixtures and helpers to build small networks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

# the project's own copy of the reference implementation's fixtures (provenance: tests/data/reference/README.md)
REFERENCE_DIR = Path(os.environ.get("PIX2PIX_REFERENCE_FIXTURES", Path(__file__).parent / "data" / "reference"))

# (weights file, io file, role) for the four reference fixtures
REFERENCE_FIXTURES = {
    "unet256_batch": ("ref_unet256_ngf8_batch.pth", "ref_unet256_ngf8_io.pt", "generator"),
    "unet256_color": ("ref_unet256_color_ngf8_batch.pth", "ref_unet256_color_ngf8_io.pt", "generator"),
    "resnet9_instance": ("ref_resnet9_ngf8_instance.pth", "ref_resnet9_ngf8_instance_io.pt", "generator"),
    "patchgan": ("ref_patchgan_ndf8.pth", "ref_patchgan_ndf8_io.pt", "discriminator"),
}


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not (REFERENCE_DIR / "README.md").is_file():
        pytest.fail(f"reference fixtures not found at {REFERENCE_DIR}: they ship in tests/data/reference/ "
                    "(PIX2PIX_REFERENCE_FIXTURES may point elsewhere)")
    return REFERENCE_DIR


def pytest_sessionfinish(session, exitstatus):
    """A skipped test is a test that did not run: the suite fails rather than reporting green."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"{skipped} test(s) skipped: every test must run (see the skip reasons above)", red=True)
        session.exitstatus = 1


@pytest.fixture
def hub(monkeypatch, tmp_path):
    """A Hub-compatible server on 127.0.0.1 that huggingface_hub talks to (HF_ENDPOINT), with a clean HF_HOME."""
    from hub_server import HubServer

    with HubServer() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
        monkeypatch.delenv("HF_TOKEN", raising=False)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        yield server


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)
    yield


def random_images(batch: int, channels: int, height: int, width: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(batch, channels, height, width, generator=torch.Generator().manual_seed(seed))


def hed_checkpoint() -> dict:
    """A ControlNetHED state dict with random weights and the real layout (the real file is 29 MB on the Hub)."""
    from pix2pix_core.networks.hed import HedNetwork

    torch.manual_seed(7)
    state = {k: torch.randn_like(v) * (0.05 if v.dim() == 4 else 0.1) for k, v in HedNetwork().state_dict().items()}
    state["norm"] = torch.tensor([104.0, 117.0, 123.0]).view(1, 3, 1, 1)
    return state
