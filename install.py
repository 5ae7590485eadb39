"""Run by ComfyUI-Manager after `pip install -r requirements.txt`: checks the environment, installs nothing.

The requirements are read from requirements.txt, the package's one dependency list (pyproject.toml reads it too).
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:>=\s*([0-9][0-9.]*))?\s*$")


def requirements() -> list[tuple[str, str | None]]:
    """(distribution name, minimum version or None) for each line of requirements.txt."""
    found = []
    for line in REQUIREMENTS.read_text().splitlines():
        text = line.split("#")[0].strip()
        if text:
            match = REQUIREMENT.match(text)
            if match is None:
                raise ValueError(f"requirements.txt: cannot read {text!r} (name, or name>=version)")
            found.append((match[1], match[2]))
    return found


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def problems() -> list[str]:
    """What is missing or too old, one line each ("name>=version: why")."""
    found = []
    for name, minimum in requirements():
        spec = f"{name}>={minimum}" if minimum else name
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            found.append(f"{spec}: not installed")
            continue
        if minimum and _release(installed) < _release(minimum):
            found.append(f"{spec}: {installed} is installed")
    return found


def main() -> int:
    if sys.version_info < (3, 10):
        print(f"[comfyui-pix2pix] Python {sys.version.split()[0]} is too old: 3.10 or newer is needed.")
        return 1
    found = problems()
    if found:
        for line in found:
            print(f"[comfyui-pix2pix] missing: {line}")
        torch_only = all(line.startswith("torch") for line in found)
        print("[comfyui-pix2pix] " + ("update ComfyUI's PyTorch." if torch_only else
                                      f"install them with: pip install -r {REQUIREMENTS}"))
        return 1
    print("[comfyui-pix2pix] environment OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
