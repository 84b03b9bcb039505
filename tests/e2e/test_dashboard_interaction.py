"""End to end in chromium: the sidebar, the forms and the pages follow what the user does."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import pytest
from browser import chromium, log_in, new_page, settle
from dashboard_server import running_dashboard
from developer_text import developer_sentences, normalised
from playwright.sync_api import Page, expect

import spatz

HALLE = "15002000"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def database(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the demo database: the tests of this module write to it."""
    copy = tmp_path_factory.mktemp("interaction") / "demo.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


@pytest.fixture(scope="module")
def dashboard(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("interaction-log") / "dashboard.log"
    with running_dashboard(database, log) as (_, url):
        yield url


def _pick_organisation(page: Page, label: str) -> None:
    """Open the sidebar's selectbox, narrow it by typing, click the option."""
    box = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Organisation")
    box.click()
    box.press_sequentially(label.split(" (")[0][:12])
    page.get_by_role("option", name=label, exact=True).click()
    settle(page)


def _type_stichtag(page: Page, day: dt.date) -> None:
    """Type a date into the sidebar's date field (day, month, year), as a user does; the
    field takes it when the focus leaves it."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("spinbutton", name="day, Stichtag").click()
    page.keyboard.type(f"{day:%d%m%Y}")
    page.keyboard.press("Escape")  # closes the calendar
    page.keyboard.press("Tab")
    settle(page)


def test_the_sidebar_follows_every_change(dashboard: str, database: str) -> None:
    orgs = spatz.open(database).organisations()
    labels = {row.org: f"{row.name} ({row.org})" for row in orgs.itertuples()}
    names = dict(zip(orgs["org"], orgs["name"], strict=True))
    cities = [o for o in orgs[orgs["kind"] != "Organisationseinheit"]["org"] if o != HALLE][:2]
    with chromium() as browser:
        page = new_page(browser)
        page.goto(f"{dashboard}/?org={HALLE}", wait_until="domcontentloaded")
        log_in(page, "admin")
        title = page.locator("h1").first
        expect(title).to_have_text(f"Digitale Reife – {names[HALLE]}")
        settle(page)
        for org in cities:
            _pick_organisation(page, labels[org])
            expect(title).to_have_text(f"Digitale Reife – {names[org]}")
            page.wait_for_timeout(1500)  # a snap back would come with the next run
            expect(title).to_have_text(f"Digitale Reife – {names[org]}")
        for day in (dt.date(2023, 6, 30), dt.date(2022, 3, 31)):
            _type_stichtag(page, day)
            expect(page.get_by_text(f"Stichtag {day:%d.%m.%Y}")).to_be_visible()
            page.wait_for_timeout(1500)
            expect(page.get_by_text(f"Stichtag {day:%d.%m.%Y}")).to_be_visible()
            expect(title).to_have_text(f"Digitale Reife – {names[cities[-1]]}")


PAGES = [
    "Überblick",
    "Dimension",
    "Maßnahmen erfassen",
    "Projekte & Meilensteine",
    "Landesvergleich",
    "Katalog",
    "Import & Export",
    "Protokoll",
]


def test_no_page_shows_english_developer_text(dashboard: str) -> None:
    sentences = developer_sentences()
    with chromium() as browser:
        page = new_page(browser)
        page.goto(dashboard, wait_until="domcontentloaded")
        expect(page.get_by_text("SPATZ – Anmeldung")).to_be_visible()
        settle(page)
        shown = {"Anmeldung": normalised(page.locator("body").inner_text())}
        log_in(page, "admin")
        for title in PAGES:
            page.get_by_role("link", name=title).first.click()
            expect(page.locator("h1").first).to_be_visible()
            settle(page)
            shown[title] = normalised(page.locator("body").inner_text())
    found = {title: [s for s in sentences if s in text] for title, text in shown.items()}
    assert {title: hits for title, hits in found.items() if hits} == {}
