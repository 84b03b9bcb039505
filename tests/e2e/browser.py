"""Driving the dashboard in Debian's chromium: launch, log in, wait for the script."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from spatz.services.demo import DEMO_ACCOUNTS

CHROMIUM = Path("/usr/bin/chromium")
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
PASSWORDS = {a.name: a.password for a in DEMO_ACCOUNTS}


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless (the test is skipped without it); closed afterwards."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    return page


def settle(page: Page) -> None:
    """Wait until the app has finished running its script (and the reruns that follow)."""
    page.wait_for_timeout(2000)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")


def log_in(page: Page, name: str) -> None:
    """Every new browser session (also a reload) starts at the login form."""
    expect(page.get_by_text("SPATZ – Anmeldung")).to_be_visible()
    page.get_by_role("textbox", name="Anmeldename").fill(name)
    page.get_by_role("textbox", name="Passwort").fill(PASSWORDS[name])
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_text(f"Angemeldet: {name}")).to_be_visible()
