"""The HTML report in Debian's chromium: the charts' labels stand whole inside the charts at
any window width (a phone, a laptop, a wide screen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import sync_playwright

import spatz

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HALLE = "15002000"
WIDTHS = (360, 800, 1600)

pytestmark = pytest.mark.browser

#: Per chart, the labels whose box sticks out of the chart's box (empty: all fit).
CUT_LABELS = """
() => [...document.querySelectorAll("figure svg")].map(svg => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll("text")].filter(t => {
    const r = t.getBoundingClientRect();
    return r.left < box.left - 0.5 || r.right > box.right + 0.5
      || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5;
  }).map(t => t.textContent);
})
"""


def test_chart_labels_are_never_cut(demo_url: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    store = spatz.open(demo_url)
    report = tmp_path / "bericht.html"
    report.write_text(store.report(HALLE, "2024-12-31"), encoding="utf-8")
    names = [d.name for d in store.catalog().dimensions]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(report.as_uri())
                assert page.evaluate("document.documentElement.lang") == "de"
                assert page.evaluate(CUT_LABELS) == [[], []], f"width {width}"
                chart = page.locator("figure svg").first
                labels = chart.locator("text").all_text_contents()
                assert all(name in labels for name in names)
                chart.screenshot(path=str(ARTIFACTS / f"bericht-ist-soll-{width}.png"))
                page.close()
        finally:
            browser.close()
