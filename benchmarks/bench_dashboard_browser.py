"""Dashboard speed as a person sees it: Debian's chromium, from the click on "Anmelden" to
the first figure on the page.

Run: ``python benchmarks/bench_dashboard_browser.py``. Loads the demo data into a fresh
SQLite database, starts ``spatz dashboard`` on a loopback port and measures, for the
Überblick (as ``leitung.halle``) and the Landesvergleich (as ``land.lsa``):

- cold: the first login after the server started (empty caches on both sides),
- warm: the same account again in a new tab (the browser's cache and the server's filled).

Targets: ≤ 2 s cold and ≤ 0.5 s warm. The figures go to ``benchmarks/results.md``.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import BrowserContext, sync_playwright
from results_file import write_section

from spatz.db import make_engine, migrate
from spatz.services.common import Actor
from spatz.services.demo import DEMO_ACCOUNTS, load_demo

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORDS = {a.name: a.password for a in DEMO_ACCOUNTS}
CASES = [("Überblick", "leitung.halle", None), ("Landesvergleich", "land.lsa", "Landesvergleich")]
COLD_TARGET, WARM_TARGET = 2.0, 0.5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SPATZ_DATABASE_URL": url}
    command = [sys.executable, "-m", "spatz.cli", "dashboard", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*command, "--address", "127.0.0.1"],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    os.killpg(server.pid, signal.SIGKILL)
    raise SystemExit(f"the dashboard did not start: {log.read_text(errors='replace')}")


def to_first_figure(context: BrowserContext, base: str, account: str, link: str | None) -> float:
    """Seconds from the click on "Anmelden" (or on the page's link) to the first figure."""
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(base, wait_until="domcontentloaded")
    page.get_by_role("textbox", name="Anmeldename").fill(account)
    page.get_by_role("textbox", name="Passwort").fill(PASSWORDS[account])
    begin = time.perf_counter()
    page.get_by_role("button", name="Anmelden").click()
    if link is not None:
        page.get_by_text(f"Angemeldet: {account}").wait_for()
        begin = time.perf_counter()
        page.get_by_role("link", name=link).first.click()
    page.locator(".js-plotly-plot").first.wait_for(state="visible")
    elapsed = time.perf_counter() - begin
    page.close()
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/demo.db"
        migrate(url)
        load_demo(engine=make_engine(url), actor=Actor.operator("bench"))
        port = free_port()
        server = start(url, port, Path(folder) / "dashboard.log")
        rows = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for title, account, link in CASES:
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    base = f"http://127.0.0.1:{port}"
                    cold = to_first_figure(context, base, account, link)
                    warm = min(to_first_figure(context, base, account, link) for _ in range(3))
                    context.close()
                    rows.append((title, account, cold, warm))
                browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
    lines = [
        f"{dt.date.today():%Y-%m-%d}, {os.cpu_count()} CPU cores: the demo data, SQLite, "
        "Debian's chromium headless; from the click on „Anmelden“ (Landesvergleich: on its "
        "link) to the first figure. Cold = first login after the server started, warm = best "
        "of three more in new tabs.",
        "",
        "| page | account | cold | warm | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for title, account, cold, warm in rows:
        met = "met" if cold <= COLD_TARGET and warm <= WARM_TARGET else "NOT met"
        print(f"{title:16s} {account:14s} cold {cold:5.2f} s  warm {warm:5.2f} s  {met}")
        lines.append(
            f"| {title} | {account} | {cold:.2f} s | {warm:.2f} s | "
            f"≤ {COLD_TARGET:.0f} s / ≤ {WARM_TARGET} s ({met}) |"
        )
    write_section("dashboard-browser", "## Dashboard in the browser\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
