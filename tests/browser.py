"""Headless Chromium (Debian's package, driven by Playwright) on the real ComfyUI frontend: shared by the frontend
tests and docs/screenshot.py. Chromium starts with its background networking off, as a closed network needs."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("the frontend tests need Debian's chromium (`apt-get install chromium`, which .ci/run does) and the "
                "test extra (playwright, comfyui-frontend-package)")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def chromium(executable: str | None = None) -> Iterator[object]:
    """A headless Chromium browser (Playwright's), closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = executable or chromium_path()
    if executable is None:
        raise RuntimeError(f"no chromium on this machine: {INSTALL_HINT}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def open_frontend(browser, url: str):
    """A page on the ComfyUI frontend at ``url``, once its app and graph exist."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url)
    page.wait_for_function("window.app && window.app.graph", timeout=120_000)
    time.sleep(2)
    return page


def close_overlays(page) -> None:
    """The first-run templates browser, the news banner and dialogs cover the graph."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(2):
        page.keyboard.press("Escape")
        time.sleep(0.5)
    for selector in ("[aria-label='Close']", ".p-dialog-close-button", "button:has(.pi-times)"):
        for element in page.locator(selector).all():
            if element.is_visible():
                try:
                    element.click(timeout=2000)
                except PlaywrightTimeout:  # covered by another overlay: the next selector closes that
                    continue
                time.sleep(0.3)


def install_chromium() -> int:
    """Debian's chromium for the frontend tests, when missing (README command 2 and .ci/run call this)."""
    import os
    import subprocess

    if chromium_path() is not None:
        return 0
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(f"chromium is missing and cannot be installed here (apt-get as root): {INSTALL_HINT}")
        return 1
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(command, env=environment).returncode != 0:  # a fresh machine may lack the package lists
        subprocess.run(["apt-get", "update", "-q"], env=environment, check=True)
        subprocess.run(command, env=environment, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(install_chromium())
