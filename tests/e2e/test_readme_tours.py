"""The README's first hour, followed literally in a fresh clone.

`make demo PORT=…` from the section "Einrichten", then each tour of "In 60 Sekunden": the
accounts and passwords it names log in through the real login form in Debian's chromium, the
clicks it describes are made on the real widgets, and its code blocks run as written. The
screenshots the tours show are taken on the way (tests/artifacts/tour-*.png; docs/ holds the
copies the README links). The Überblick's numbers are the ones `spatz score` prints without
any option.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS
from dashboard_server import free_port, stop_group, wait_until_healthy
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
VIEWPORT = {"width": 1280, "height": 860}
HALLE = "15002000"
START_TIMEOUT = 600
"""Seconds `make demo` may take in a fresh clone: a new environment, install, demo data."""

pytestmark = pytest.mark.browser


def _section(text: str, title: str) -> str:
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def _password(text: str, name: str) -> str:
    found = re.search(rf"`{re.escape(name)}`[^`]*?Passwort `([^`]+)`", text)
    assert found, f"the README names no password for {name}"
    return found.group(1)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("git and make are needed to follow the README")
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: there is nothing to clone")
    target = tmp_path / "spatz"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


@pytest.fixture
def environment() -> dict[str, str]:
    """The environment of a new terminal: no database chosen, no virtual environment active."""
    drop = {"SPATZ_DATABASE_URL", "VIRTUAL_ENV", "PYTHONPATH", "SPATZ_USER"}
    return {k: v for k, v in os.environ.items() if k not in drop}


@pytest.fixture
def demo(clone: Path, environment: dict[str, str]) -> Iterator[str]:
    """`make demo PORT=N` as the README says, running until the test is done."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    setup = _section((clone / "README.md").read_text(encoding="utf-8"), "Einrichten")
    assert "make demo PORT=8502" in setup, "the README documents the PORT variable"
    port = free_port()
    log_path = clone / "make-demo.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "demo", f"PORT={port}"],
            cwd=clone,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://localhost:{port}"
    try:
        wait_until_healthy(url, process, log_path, timeout=START_TIMEOUT)
        yield url
    finally:
        stop_group(process)


@pytest.fixture
def tours(clone: Path) -> str:
    return _section((clone / "README.md").read_text(encoding="utf-8"), "In 60 Sekunden")


@pytest.fixture
def browser(demo: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _new_page(browser: Browser, url: str) -> Page:
    page = browser.new_context(viewport=VIEWPORT).new_page()  # type: ignore[arg-type]
    page.set_default_timeout(60_000)
    page.goto(url, wait_until="domcontentloaded")
    return page


def _log_in(page: Page, name: str, password: str) -> None:
    expect(page.get_by_text("SPATZ – Anmeldung")).to_be_visible()
    page.get_by_role("textbox", name="Anmeldename").fill(name)
    page.get_by_role("textbox", name="Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_text(f"Angemeldet: {name}")).to_be_visible()


def _settle(page: Page) -> None:
    page.wait_for_timeout(1500)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")


def _shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"tour-{name}.png"), full_page=full_page)


def _cli_score(clone: Path, environment: dict[str, str]) -> list[dict[str, object]]:
    """`spatz score --org HALLE` without any other option, as JSON."""
    done = subprocess.run(
        [".venv/bin/spatz", "score", "--org", HALLE, "--format", "json"],
        cwd=clone,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def _german(number: object) -> str:
    return f"{float(str(number)):.2f}".replace(".", ",")


def _mayor(page: Page, tours: str, clone: Path, environment: dict[str, str]) -> None:
    _log_in(page, "leitung.halle", _password(tours, "leitung.halle"))
    expect(page.get_by_text("Digitale Reife – Stadt Halle (Saale)")).to_be_visible()
    _settle(page)
    _shoot(page, "leitung")
    rows = {str(r["dimension_id"]): r for r in _cli_score(clone, environment)}
    overall = rows["overall"]
    stichtag = ".".join(reversed(str(overall["as_of"]).split("-")))
    expect(page.get_by_text(f"Stichtag {stichtag}", exact=False).first).to_be_visible()
    expect(page.get_by_text(f"Stufe {overall['level']}", exact=True).first).to_be_visible()
    expect(page.get_by_text(f"Punktwert {_german(overall['score'])}").first).to_be_visible()
    for dimension_id, row in rows.items():
        if dimension_id == "overall":
            continue
        metric = page.get_by_test_id("stMetric").filter(has_text=str(row["dimension"]))
        expect(metric.first).to_contain_text(f"Stufe {row['level']}")
        counts = f"{row['measures_completed']}/{row['measures_total']} Maßnahmen"
        caption = page.get_by_text(f"Punktwert {_german(row['score'])} · {counts}")
        expect(caption.first).to_be_visible()


def _clerk(page: Page, tours: str) -> None:
    _log_in(page, "bearbeitung.halle", _password(tours, "bearbeitung.halle"))
    page.get_by_role("link", name="Maßnahmen erfassen").first.click()
    expect(page.get_by_role("heading", name=re.compile("^Maßnahmen erfassen"))).to_be_visible()
    _settle(page)
    page.get_by_role("combobox", name="Dimension").click()
    page.get_by_role("option", name="IT-Governance").click()
    _settle(page)
    page.get_by_role("combobox", name="Maßnahme").click()
    page.get_by_role("option").nth(1).click()
    _settle(page)
    chosen = page.get_by_role("combobox", name="Maßnahme").input_value()
    page.get_by_text("umgesetzt", exact=True).first.click()
    page.get_by_role("textbox", name="Nachweis").fill("Beschluss des Verwaltungsvorstands")
    page.get_by_role("button", name="Speichern").click()
    message = page.get_by_text(re.compile(r"^Gespeichert\. IT-Governance am .*: Stufe "))
    expect(message).to_be_visible()
    _settle(page)
    message.scroll_into_view_if_needed()
    _shoot(page, "bearbeitung")
    history = page.locator('[data-testid="stDataFrame"]').last
    expect(history).to_be_visible()
    assert chosen.startswith("GOV-"), chosen


def _analyst(browser: Browser, tours: str, clone: Path, environment: dict[str, str]) -> None:
    (code,) = _blocks(tours, "python")
    assert len([line for line in code.splitlines() if line.strip()]) == 3
    done = subprocess.run(
        [".venv/bin/python", "-c", code],
        cwd=clone,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    printed = [line.split() for line in done.stdout.splitlines()]
    assert printed[0][:4] == ["org", "dimension_id", "level", "score"]
    cli = {str(r["dimension_id"]): r for r in _cli_score(clone, environment)}
    assert {line[1]: int(line[2]) for line in printed[1:]} == {
        d: int(str(r["level"])) for d, r in cli.items()
    }
    for line in printed[1:]:
        assert float(line[3]) == pytest.approx(float(str(cli[line[1]]["score"])), abs=1e-6)
    context = browser.new_context(viewport={"width": 760, "height": 100})
    try:
        page = context.new_page()
        page.set_content(
            "<html lang='de'><body style='font-family: DejaVu Sans Mono, monospace;"
            " font-size: 14px; margin: 16px'>"
            f"<pre style='background:#f4f4f4;padding:10px'>{html.escape(code)}</pre>"
            f"<pre style='padding:10px'>{html.escape(done.stdout)}</pre></body></html>"
        )
        _shoot(page, "analyse", full_page=True)
    finally:
        context.close()


def _land(page: Page, tours: str, clone: Path, environment: dict[str, str]) -> None:
    (commands,) = _blocks(tours, "sh")
    printed = []
    for command in commands.strip().splitlines():
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=clone,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        printed.append(done.stdout)
    export = (clone / "landesexport.csv").read_text(encoding="utf-8").splitlines()
    assert export[0].startswith("org,ags,organisation,kind,land,catalog_id,catalog_version")
    assert any(line.startswith(f"{HALLE},") for line in export[1:])
    assert "Landesvergleich am" in printed[-1]
    assert "Gesamt" in printed[-1]

    _log_in(page, "land.lsa", _password(tours, "land.lsa"))
    page.get_by_role("link", name="Landesvergleich").first.click()
    expect(page.get_by_role("heading", name=re.compile("^Landesvergleich"))).to_be_visible()
    _settle(page)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    _shoot(page, "land")


def test_the_readme_follows_its_tours_in_a_fresh_clone(
    browser: Browser, demo: str, tours: str, clone: Path, environment: dict[str, str]
) -> None:
    expect.set_options(timeout=60_000)
    _mayor(_new_page(browser, demo), tours, clone, environment)
    _clerk(_new_page(browser, demo), tours)
    _analyst(browser, tours, clone, environment)
    _land(_new_page(browser, demo), tours, clone, environment)


def test_the_readme_shows_the_screenshots_it_names() -> None:
    tours = _section((ROOT / "README.md").read_text(encoding="utf-8"), "In 60 Sekunden")
    images = re.findall(r"!\[[^\]]+\]\((docs/[^)]+)\)", tours)
    assert len(images) == 4
    assert [name for name in images if not (ROOT / name).is_file()] == []
