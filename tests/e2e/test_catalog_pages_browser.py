"""The Katalog and Dimension pages of a catalog with groups, levels without measures, answer
scales, prerequisites and references meet WCAG 2.1 AA as the demo's pages do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import chromium, log_in, new_page, settle
from dashboard_server import running_dashboard
from model2_data import fill_model2_database
from playwright.sync_api import Page, expect
from test_accessibility import Violation, _check

pytestmark = pytest.mark.browser


@pytest.fixture
def model2_dashboard(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path}/model2.db"
    fill_model2_database(url)
    with running_dashboard(url, tmp_path / "dashboard.log") as (_, address):
        yield address


def _open(page: Page, title: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=title, exact=True).click()
    expect(page.locator("h1").first).to_be_visible()
    settle(page)


def test_the_pages_of_the_catalog_elements_are_accessible(model2_dashboard: str) -> None:
    violations: list[Violation] = []
    with chromium() as browser:
        page = new_page(browser)
        page.goto(model2_dashboard, wait_until="domcontentloaded")
        log_in(page, "admin")
        _open(page, "Katalog")
        page.get_by_text("Gruppe Technik").click()
        expect(page.get_by_text("Netzarchitektur (2 Maßnahmen)")).to_be_visible()
        violations += _check(page, "Katalog")
        _open(page, "Dimension")
        page.get_by_role("combobox", name="Dimension").click()
        page.get_by_role("option", name="Betrieb").click()
        settle(page)
        empty = page.get_by_text("Stufe 3 – Erhöht: keine Maßnahmen auf dieser Stufe")
        expect(empty).to_be_visible()
        violations += _check(page, "Dimension")
    ours = [str(v) for v in violations if v.known() is None]
    assert ours == []
