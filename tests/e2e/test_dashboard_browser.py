"""End to end: `spatz dashboard` over a fresh demo database, driven in Debian's chromium.

Logs in with the demo accounts, opens every page (screenshots under tests/artifacts/),
records a measure and sees the level change, downloads the Land CSV, logs out.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, log_in, settle
from dashboard_server import running_dashboard
from playwright.sync_api import expect, sync_playwright

import spatz
from spatz.io.reader import read_table

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PAGES = {
    "Überblick": "ueberblick",
    "Dimension": "dimension",
    "Maßnahmen erfassen": "erfassen",
    "Projekte & Meilensteine": "projekte",
    "Landesvergleich": "landesvergleich",
    "Katalog": "katalog",
    "Import & Export": "import-export",
    "Protokoll": "protokoll",
}
HALLE = "15002000"

pytestmark = pytest.mark.browser


def _expected_change(database: str, measure: str, day: dt.date) -> str:
    store = spatz.open(database)
    events = store.events()
    before = spatz.score(store.catalog(), events, day)
    added = pd.concat(
        [
            events,
            pd.DataFrame(
                [{"org": HALLE, "measure_id": measure, "status": "completed", "date": day}]
            ),
        ],
        ignore_index=True,
    )
    after = spatz.score(store.catalog(), added, day)

    def level(frame: pd.DataFrame) -> int:
        row = frame[(frame["org"] == HALLE) & (frame["dimension_id"] == "strategie")]
        return int(row["level"].iloc[0])

    a, b = level(before), level(after)
    return f"Stufe {a} → {b}" if a != b else f"Stufe bleibt {b}"


def test_pages_record_a_measure_and_download_the_land_csv(
    dashboard: str, database: str, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    expect.set_options(timeout=30_000)

    ARTIFACTS.mkdir(exist_ok=True)
    today = dt.date.today()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.set_default_timeout(60_000)
            page.goto(dashboard, wait_until="domcontentloaded")
            log_in(page, "admin")
            expect(page.get_by_text("Gesamtreifegrad").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "start.png"), full_page=True)

            # A link names Halle; the selection then holds on every page.
            page.goto(f"{dashboard}/?org={HALLE}", wait_until="domcontentloaded")
            log_in(page, "admin")
            expect(page.get_by_text("Digitale Reife – Stadt Halle (Saale)")).to_be_visible()

            for title, name in PAGES.items():
                page.get_by_role("link", name=title).first.click()
                expect(page.locator("h1").first).to_be_visible()
                settle(page)
                expect(page.get_by_text("Traceback")).to_have_count(0)
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

            # Record STR-3-02 as completed today and see the effect on the level.
            expected = _expected_change(database, "STR-3-02", today)
            page.goto(f"{dashboard}/record?org={HALLE}&measure=STR-3-02")
            log_in(page, "bearbeitung.halle")
            expect(page.get_by_role("combobox", name="Maßnahme")).to_have_value(
                re.compile("^STR-3-02 ")
            )
            settle(page)
            page.get_by_text("umgesetzt", exact=True).first.click()
            page.get_by_role("textbox", name="Notiz").fill("Beschluss des Verwaltungsvorstands")
            page.get_by_role("button", name="Speichern").click()
            message = f"Gespeichert. Digitalisierungsstrategie am {today:%d.%m.%Y}: {expected}."
            expect(page.get_by_text(message)).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "erfasst.png"), full_page=True)
            history = spatz.open(database).history(HALLE, "STR-3-02")
            assert history["recorded_by"].iloc[0] == "bearbeitung.halle"

            # Download the Land CSV.
            page.get_by_role("link", name="Import & Export").first.click()
            settle(page)
            with page.expect_download() as download:
                page.get_by_role("button", name="Landesexport (CSV)").click()
            target = tmp_path / "land.csv"
            download.value.save_as(target)

            page.get_by_role("button", name="Abmelden").click()
            expect(page.get_by_text("SPATZ – Anmeldung")).to_be_visible()
            log = spatz.open(database).audit()
            assert (log["action"].iloc[0], log["actor"].iloc[0]) == ("logout", "bearbeitung.halle")
        finally:
            browser.close()
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("org,ags,organisation,kind,land,catalog_id,catalog_version")
    assert any(line.startswith(f"{HALLE},") for line in lines[1:])


HOSTILE = (
    "**fett** [link](http://127.0.0.1:9/x) https://example.org :red[rot] $x^2$ "
    "![](http://127.0.0.1:9/i.png)"
)


@pytest.fixture
def hostile_database(database: str, tmp_path: Path) -> str:
    """The demo copy with one organisation unit of Halle named in Markdown."""
    store = spatz.open(database)
    orgs = store.organisations()
    unit = orgs[orgs["parent"] == HALLE].iloc[0]
    file = tmp_path / "orgs.csv"
    with file.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["org", "name", "kind", "land", "ags", "parent"])
        writer.writerow(
            [
                unit["org"],
                HOSTILE,
                unit["kind"],
                unit["land"],
                "" if pd.isna(unit["ags"]) else unit["ags"],
                HALLE,
            ]
        )
    store.import_table("organisations", read_table(file))
    assert HOSTILE in set(spatz.open(database).organisations()["name"])
    return database


def test_organisation_names_show_literally_on_the_projects_page(
    hostile_database: str, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    expect.set_options(timeout=30_000)
    with (
        running_dashboard(hostile_database, tmp_path / "dashboard.log") as (_, url),
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.set_default_timeout(60_000)
            page.goto(url, wait_until="domcontentloaded")
            log_in(page, "admin")
            page.goto(f"{url}/projects?org={HALLE}", wait_until="domcontentloaded")
            log_in(page, "admin")
            caption = page.get_by_text("Eigene Projekte und die der Organisationseinheiten")
            expect(caption).to_be_visible()
            settle(page)
            text = caption.inner_text().replace("\u2060", "")
            assert HOSTILE in text
            main = page.locator('[data-testid="stMain"]')
            assert main.locator("a[href*='127.0.0.1:9'], a[href*='example.org']").count() == 0
            assert main.locator("img[src*='127.0.0.1:9'], .katex, strong").count() == 0
            assert not [r for r in requested if "127.0.0.1:9/" in r]
        finally:
            browser.close()
