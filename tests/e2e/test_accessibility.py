"""Barrierefreiheit (BITV 2.0, i.e. WCAG 2.1 AA): axe-core on every page for every role.

Each demo account logs in through the login form and opens every page its navigation offers;
axe-core (vendored: tests/e2e/vendor/axe.min.js, MPL-2.0) checks the rendered page against
the WCAG 2.0 and 2.1 rules of levels A and AA and the order of headings, and the page must
declare itself German (``<html lang="de">``). A violation fails the test unless it is one
of the violations inside Streamlit itself that the dashboard cannot change, listed with the
reason in tests/e2e/axe_streamlit.json; an entry there that no page shows any more fails
too, so that the list stays as short as the truth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, settle
from playwright.sync_api import Page, expect, sync_playwright

from spatz.services.demo import DEMO_ACCOUNTS

HERE = Path(__file__).resolve().parent
AXE = (HERE / "vendor" / "axe.min.js").read_text(encoding="utf-8")
KNOWN = json.loads((HERE / "axe_streamlit.json").read_text(encoding="utf-8"))
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
    const result = await axe.run(document, {
        runOnly: {type: 'tag', values: tags}, rules: {'heading-order': {enabled: true}}
    });
    return result.violations.flatMap(v => v.nodes.map(n => ({
        rule: v.id, target: n.target.join(' '), html: n.html, summary: n.failureSummary
    })));
}"""

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Violation:
    page: str
    rule: str
    target: str
    html: str
    summary: str

    def known(self) -> dict[str, str] | None:
        for entry in KNOWN:
            if entry["rule"] == self.rule and entry["html"] in self.html:
                return dict(entry)
        return None

    def __str__(self) -> str:
        return f"{self.page}: {self.rule} at {self.html[:160]!r}: {self.summary[:200]}"


def _check(page: Page, title: str) -> list[Violation]:
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.add_script_tag(content=AXE)
    found = page.evaluate(RUN_AXE, WCAG_AA)
    return [Violation(page=title, **v) for v in found]


def _visit_every_page(page: Page, name: str, password: str) -> list[Violation]:
    violations = _check(page, "Anmeldung")
    page.get_by_role("textbox", name="Anmeldename").fill(name)
    page.get_by_role("textbox", name="Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_text(f"Angemeldet: {name}")).to_be_visible()
    navigation = page.get_by_role("navigation").get_by_role("link")
    expect(navigation.first).to_be_visible()  # the navigation follows the login's rerun
    settle(page)
    titles = [navigation.nth(i).inner_text().split("\n")[-1] for i in range(navigation.count())]
    assert titles, f"{name} sees no page"
    for title in titles:
        page.get_by_role("navigation").get_by_role("link", name=title, exact=True).click()
        expect(page.locator("h1").first).to_be_visible()
        settle(page)
        violations += _check(page, f"{name} · {title}")
    return violations


def test_no_page_violates_wcag_2_1_aa_for_any_role(dashboard: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    expect.set_options(timeout=30_000)
    violations: list[Violation] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(dashboard, wait_until="domcontentloaded")
            page.get_by_role("link", name="Erklärung zur Barrierefreiheit").click()
            expect(page.locator("h1")).to_have_text("Erklärung zur Barrierefreiheit")
            settle(page)
            violations += _check(page, "Erklärung vor der Anmeldung")
            context.close()
            for account in DEMO_ACCOUNTS:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.set_default_timeout(60_000)
                page.goto(dashboard, wait_until="domcontentloaded")
                violations += _visit_every_page(page, account.name, account.password)
                context.close()
        finally:
            browser.close()
    ours = [str(v) for v in violations if v.known() is None]
    assert ours == []
    seen = {json.dumps(v.known(), sort_keys=True) for v in violations} - {"null"}
    stale = [e for e in KNOWN if json.dumps(e, sort_keys=True) not in seen]
    assert stale == [], "entries of axe_streamlit.json that no page shows any more"
