"""The Land imports Kommune exports in the dashboard, as `spatz land import` does: files
uploaded on Import & Export are checked first (a summary per file, or a table of every
problem), and stored only on request, all files or none."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from browser import chromium, log_in, new_page, settle
from playwright.sync_api import Page, expect

import spatz
from spatz.io.land import land_csv

HALLE = "15002000"
OTHER = "15088888"

pytestmark = pytest.mark.browser


def _other_kommune(database: str, tmp_path: Path) -> Path:
    """Halle's export at 31.12.2024, as if another Kommune had written it."""
    text = land_csv(spatz.open(database).land_export("2024-12-31", [HALLE])).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        row.update(org=OTHER, ags=OTHER, organisation="Stadt Musterstadt")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "musterstadt.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _upload(page: Page, *paths: Path) -> None:
    section = page.get_by_role("heading", name="Vergleichsdaten anderer Kommunen")
    expect(section).to_be_visible()
    page.locator("input[type=file]").last.set_input_files([str(p) for p in paths])
    settle(page)


def test_the_land_uploads_kommune_exports(dashboard: str, database: str, tmp_path: Path) -> None:
    good = _other_kommune(database, tmp_path)
    bad = tmp_path / "kaputt.csv"
    bad.write_text("org,score\nX,viel\n", encoding="utf-8")
    with chromium() as browser:
        page = new_page(browser)
        page.goto(dashboard, wait_until="domcontentloaded")
        log_in(page, "land.lsa")
        page.get_by_role("link", name="Import & Export").first.click()
        settle(page)

        _upload(page, bad, good)
        expect(page.get_by_text("Die Dateien wurden nicht importiert: ")).to_be_visible()
        expect(page.get_by_text("kaputt.csv").first).to_be_visible()
        assert spatz.open(database).imported_land().empty

        page.get_by_role("button", name="Remove kaputt.csv").click()
        settle(page)
        expect(page.get_by_text("musterstadt.csv").first).to_be_visible()
        page.get_by_role("button", name="Vergleichsdaten importieren").click()
        settle(page)
        expect(page.get_by_text("Traceback")).to_have_count(0)
    imported = spatz.open(database).imported_land()
    assert set(imported["org"]) == {OTHER}
    assert len(imported) == len(spatz.open(database).catalog().dimensions) + 1
