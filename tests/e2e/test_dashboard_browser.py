"""End to end: `spatz dashboard` over a demo database, opened in Debian's chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def dashboard(demo_url: str) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "SPATZ_DATABASE_URL": demo_url}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spatz.cli",
            "dashboard",
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    _, err = process.communicate(timeout=5)
                    pytest.fail(f"dashboard did not start: {err.decode(errors='replace')}")
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_entry_page_shows_the_overview(dashboard: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(dashboard, wait_until="domcontentloaded")
            page.get_by_text("Digitale Reife –").first.wait_for(timeout=60_000)
            page.get_by_text("Gesamtreifegrad").first.wait_for(timeout=60_000)
            page.get_by_text("Ist und Soll").first.wait_for(timeout=60_000)
            assert page.get_by_text("Digitalisierungsstrategie").count() > 0
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "ueberblick.png"), full_page=True)
        finally:
            browser.close()
