"""The installed console script: the README's demo and the environment check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def test_demo_writes_before_and_after(tmp_path):
    """`pix2pix demo`: the real vintagify translator on the embedded photo; the after half is a changed photo."""
    command = shutil.which("pix2pix") or sys.executable
    args = [command] if command.endswith("pix2pix") else [command, "-m", "pix2pix_core"]
    out = tmp_path / "demo.png"
    done = subprocess.run([*args, "demo", "--out", str(out)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "block name 'block'" in done.stdout
    image = np.asarray(Image.open(out).convert("RGB"), dtype=np.float32)
    assert image.shape == (512, 512 * 2 + 8, 3)
    before, after = image[:, :512], image[:, 520:]
    assert np.abs(before - after).mean() > 5  # a visible change
    assert np.corrcoef(before.ravel(), after.ravel())[0, 1] > 0.8  # of the same photo


def test_cli_reports_errors_without_a_traceback(tmp_path):
    bad = tmp_path / "latest_net_G.pth"
    bad.write_text("not a checkpoint")
    done = subprocess.run([sys.executable, "-m", "pix2pix_core", "info", str(bad)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "is not a checkpoint" in done.stderr
    assert "Traceback" not in done.stderr


def test_install_py_checks_the_environment():
    done = subprocess.run([sys.executable, str(ROOT / "install.py")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "environment OK" in done.stdout
