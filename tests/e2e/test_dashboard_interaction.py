"""End to end in chromium: the sidebar, the forms and the pages follow what the user does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import chromium, log_in, new_page, settle
from dashboard_server import running_dashboard
from dbutil import demo_copy
from developer_text import developer_sentences, normalised
from playwright.sync_api import Locator, Page, expect

import spatz

HALLE = "15002000"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def database(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the demo database: the tests of this module write to it."""
    return demo_copy(demo_url, tmp_path_factory.mktemp("interaction"))


@pytest.fixture(scope="module")
def dashboard(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("interaction-log") / "dashboard.log"
    with running_dashboard(database, log) as (_, url):
        yield url


def test_a_link_as_the_first_request_meets_the_login(database: str, tmp_path: Path) -> None:
    # The first run of a fresh server goes through the frame (login, sidebar) too.
    with running_dashboard(database, tmp_path / "dashboard.log") as (_, url), chromium() as browser:
        page = new_page(browser)
        page.goto(f"{url}/record?org={HALLE}", wait_until="domcontentloaded")
        log_in(page, "bearbeitung.halle")
        expect(page.locator("h1").first).to_have_text("Maßnahmen erfassen – Stadt Halle (Saale)")
        expect(page.get_by_text("Traceback")).to_have_count(0)


def _pick(page: Page, box: Locator, label: str) -> None:
    """Open a selectbox, narrow it by typing, click the option."""
    box.click()
    box.press_sequentially(label.split(" (")[0][:12])
    page.get_by_role("option", name=label, exact=True).click()
    settle(page)


def _pick_organisation(page: Page, label: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    _pick(page, sidebar.get_by_role("combobox", name="Organisation"), label)


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


def test_the_record_form_starts_empty_for_the_next_measure(dashboard: str, database: str) -> None:
    titles = {
        m.id: f"{m.id} (Stufe {m.level}) {m.title}"
        for _, m in spatz.open(database).catalog().measures()
    }
    with chromium() as browser:
        page = new_page(browser)
        page.goto(f"{dashboard}/record?org={HALLE}&measure=STR-1-02", wait_until="domcontentloaded")
        log_in(page, "bearbeitung.halle")
        measure = page.get_by_role("combobox", name="Maßnahme")
        expect(measure).to_have_value(titles["STR-1-02"])
        settle(page)
        page.get_by_text("in Umsetzung", exact=True).first.click()
        page.get_by_role("textbox", name="Notiz").fill("Workshop mit den Ämtern")
        page.get_by_role("textbox", name="Nachweis").fill("Protokoll 3/2024")
        page.get_by_role("button", name="Speichern").click()
        expect(page.get_by_text("Gespeichert.")).to_be_visible()
        settle(page)
        _pick(page, measure, titles["STR-1-03"])
        expect(measure).to_have_value(titles["STR-1-03"])
        expect(page.get_by_role("textbox", name="Notiz")).to_have_value("")
        expect(page.get_by_role("textbox", name="Nachweis")).to_have_value("")
        expect(page.get_by_text("Gespeichert.")).to_have_count(0)
    history = spatz.open(database).history(HALLE, "STR-1-02")
    assert (history["note"].iloc[0], history["evidence"].iloc[0]) == (
        "Workshop mit den Ämtern",
        "Protokoll 3/2024",
    )
