"""End to end in chromium: with several catalogs the sidebar's Katalog choice holds every
change."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser import chromium, log_in, new_page, settle
from dashboard_server import running_dashboard
from ozg_data import OZG_ID, demo_with_ozg
from playwright.sync_api import Page, expect

import spatz

HALLE = "15002000"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def database(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo database with the OZG catalog of 300 dimensions loaded as well."""
    return demo_with_ozg(demo_url, tmp_path_factory.mktemp("catalog-choice"))


@pytest.fixture(scope="module")
def dashboard(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("catalog-choice-log") / "dashboard.log"
    with running_dashboard(database, log) as (_, url):
        yield url


def _pick_catalog(page: Page, label: str) -> None:
    """Open the sidebar's Katalog box, narrow it by typing, click the option."""
    box = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Katalog")
    box.click()
    box.press_sequentially(label.split(" (")[0][:8])
    page.get_by_role("option", name=label, exact=True).click()
    settle(page)


def test_the_catalog_choice_holds_each_change(dashboard: str, database: str) -> None:
    store = spatz.open(database)
    catalogs = {c.id: c for c in store.catalogs()}
    default = store.catalog().id
    others = [c for c in catalogs if c != default]
    with chromium() as browser:
        page = new_page(browser)
        page.goto(f"{dashboard}/?org={HALLE}", wait_until="domcontentloaded")
        log_in(page, "admin")
        expect(page.locator("h1").first).to_have_text("Digitale Reife – Stadt Halle (Saale)")
        settle(page)
        assert OZG_ID in others
        for chosen in (*others, default):
            catalog = catalogs[chosen]
            _pick_catalog(page, f"{catalog.name} ({catalog.id})")
            shown = page.get_by_text(re.compile(rf"· Katalog {re.escape(catalog.name)} "))
            cards = "Gruppen" if store.catalog(chosen).groups else "Dimensionen"
            for _ in range(2):  # a snap back would come with the next run
                expect(shown).to_be_visible()
                expect(page.get_by_role("heading", name=cards, exact=True)).to_be_visible()
                expect(page).to_have_url(re.compile(rf"[?&]catalog={re.escape(chosen)}\b"))
                page.wait_for_timeout(1500)
        expect(page.get_by_text("Traceback")).to_have_count(0)
