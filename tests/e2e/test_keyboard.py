"""Everything a clerk does, with the keyboard alone (BITV 2.0 / WCAG 2.1.1).

In Debian's chromium, without a single click: log in, change the organisation and the
Stichtag in the sidebar, open "Maßnahmen erfassen", record a measure, log out. Every control
is reached with Tab (so it is in the focus order) and used with the keys a keyboard user has.
"""

from __future__ import annotations

import re

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, PASSWORDS, settle
from playwright.sync_api import Page, expect, sync_playwright

import spatz

CLERK = "bearbeitung.halle"
MAX_TABS = 80
"""More Tab presses than any page needs to reach a control."""

pytestmark = pytest.mark.browser

FOCUSED = """() => {
    const e = document.activeElement;
    if (!e) return "";
    const label = e.getAttribute("aria-label") || "";
    const labelled = e.labels && e.labels.length ? e.labels[0].innerText : "";
    return [e.tagName, e.getAttribute("role") || "", label, labelled, e.innerText || ""]
        .join("|");
}"""


def _tab_to(page: Page, pattern: str) -> None:
    """Press Tab until the focused element matches ``pattern`` (tag|role|label|text)."""
    wanted = re.compile(pattern, re.DOTALL)
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = str(page.evaluate(FOCUSED))
        if wanted.search(focused):
            return
        seen.append(focused)
    pytest.fail(f"{pattern!r} is not reachable with Tab; the focus went through {seen}")


def test_a_clerk_works_with_the_keyboard_alone(dashboard: str, database: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    url = dashboard
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            page.goto(url, wait_until="domcontentloaded")
            expect(page.get_by_text("SPATZ – Anmeldung")).to_be_visible()

            _tab_to(page, r"^INPUT\|[^|]*\|[^|]*\|Anmeldename")
            page.keyboard.type(CLERK)
            _tab_to(page, r"^INPUT\|[^|]*\|[^|]*\|Passwort")
            page.keyboard.type(PASSWORDS[CLERK])
            page.keyboard.press("Enter")
            expect(page.get_by_text(f"Angemeldet: {CLERK}")).to_be_visible()
            expect(page.locator("h1")).to_have_text("Digitale Reife – Stadt Halle (Saale)")
            settle(page)

            _tab_to(page, r"combobox.*Organisation|Organisation.*combobox")
            page.keyboard.type("Gesundheitsamt")
            page.keyboard.press("Enter")
            expect(page.locator("h1")).to_have_text(re.compile("^Digitale Reife – Gesundheitsamt"))
            settle(page)

            # The date field has a spin button per part: day, month, year.
            _tab_to(page, r"spinbutton\|day, Stichtag")
            page.keyboard.type("31122023")
            page.keyboard.press("Escape")  # closes the calendar; leaving the field takes it
            page.keyboard.press("Tab")
            expect(page.get_by_text(re.compile(r"^Stichtag 31\.12\.2023"))).to_be_visible()
            settle(page)

            _tab_to(page, r"^A\|.*Maßnahmen erfassen")
            page.keyboard.press("Enter")
            expect(page.locator("h1")).to_have_text(
                re.compile("^Maßnahmen erfassen – Gesundheitsamt")
            )
            settle(page)
            measure = page.get_by_role("combobox", name="Maßnahme").input_value().split(" ")[0]

            _tab_to(page, r"radio.*geplant|geplant.*radio|^INPUT\|[^|]*\|[^|]*\|geplant")
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            expect(page.get_by_role("radio", name="umgesetzt")).to_be_checked()
            _tab_to(page, r"^INPUT\|[^|]*\|[^|]*\|Nachweis")
            page.keyboard.type("Dienstanweisung vom 02.01.2024")
            _tab_to(page, r"^BUTTON\|.*Speichern")
            page.keyboard.press("Enter")
            expect(page.get_by_text(re.compile(r"^Gespeichert\."))).to_be_visible()
            settle(page)

            _tab_to(page, r"^BUTTON\|.*Abmelden")
            page.keyboard.press("Enter")
            expect(page.get_by_text("SPATZ – Anmeldung")).to_be_visible()
        finally:
            browser.close()
    store = spatz.open(database)
    unit = store.organisations()
    key = unit[unit["name"].str.startswith("Gesundheitsamt")]["org"].iloc[0]
    history = store.history(key, measure)
    assert history["evidence"].iloc[0] == "Dienstanweisung vom 02.01.2024"
    assert (history["status"].iloc[0], history["recorded_by"].iloc[0]) == ("completed", CLERK)
