"""Dashboard speed with a catalog of 300 dimensions in 15 groups (the OZG case).

Run: ``python benchmarks/bench_dashboard_groups.py``. Builds a SQLite database with the
demo (its organisations and the default catalog) and the OZG-like catalog of the tests
(``tests/ozg_data.py``: one dimension per service, 15 Themenfelder as groups, levels 0–4)
with generated events of every demo organisation, then renders the Überblick of Halle in
that catalog headless with Streamlit's AppTest and prints the times of a cold run (empty
caches) and a warm run, best of three. Target: the cold run within 1 s. Writes its section of
``benchmarks/results.md`` (between ``<!-- dashboard-groups:start -->`` and
``<!-- dashboard-groups:end -->``).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

import spatz
from spatz.db import make_engine, migrate
from spatz.services.common import Actor
from spatz.services.demo import load_demo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from ozg_data import OZG_ID, add_ozg_catalog  # noqa: E402  (tests/ozg_data.py)
from results_file import write_section  # noqa: E402

APP = ROOT / "dashboard" / "app.py"
HALLE = "15002000"
DEFAULT = "spatz-kommunal"
TARGET_SECONDS = 1.0
RUNS = 3


def build(url: str) -> str:
    """The demo plus the OZG catalog; what the database holds, for the results."""
    migrate(url)
    load_demo(engine=make_engine(url), actor=Actor.operator("benchmark"))
    orgs = list(spatz.open(url).organisations()["org"])
    add_ozg_catalog(url, orgs)
    events = len(spatz.open(url, catalog_id=OZG_ID).events())
    return f"{len(orgs)} organisations, {events:,} events in the OZG catalog"


def _overview(catalog_id: str) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=120)
    app.session_state["org"] = HALLE
    app.session_state["catalog"] = catalog_id
    app.session_state["as_of"] = dt.date(2024, 12, 31)
    app.session_state["actor"] = Actor.operator("benchmark")
    app.session_state["login_since"] = app.session_state["login_seen"] = time.time()
    return app


def render() -> tuple[float, float, int]:
    """Seconds for a cold and a warm run of the Überblick (best of :data:`RUNS`), and the
    cards it showed.

    Streamlit's start (it scans the installed packages for components once) and the
    imports are a server's, not a page's: one run of the default catalog's Überblick comes
    first; before each cold run every cached read is forgotten."""
    _overview(DEFAULT).run()
    colds: list[float] = []
    warms: list[float] = []
    for _ in range(RUNS):
        st.cache_data.clear()
        app = _overview(OZG_ID)
        for timings in (colds, warms):
            begin = time.perf_counter()
            app.run()
            timings.append(time.perf_counter() - begin)
            if app.exception:
                raise RuntimeError(app.exception[0].message)
    return min(colds), min(warms), len(app.metric)


def main() -> None:
    folder = tempfile.mkdtemp(prefix="spatz-bench-")
    url = f"sqlite:///{folder}/bench.db"
    os.environ["SPATZ_DATABASE_URL"] = url
    size = build(url)
    cold, warm, cards = render()
    verdict = "met" if cold <= TARGET_SECONDS else "NOT met"
    print(
        f"Überblick, 300 dimensions in 15 groups: cold {cold:5.2f} s  warm {warm:5.2f} s  "
        f"({cards} cards)  target {TARGET_SECONDS} s: {verdict}"
    )
    text = "\n".join(
        [
            "## Dashboard with a catalog of 300 dimensions",
            "",
            f"{dt.date.today():%Y-%m-%d}, {os.cpu_count()} CPU cores: the demo and a generated "
            f"OZG-like catalog (300 dimensions in 15 groups, 1,200 measures), {size}, SQLite. "
            "The Überblick of Halle in that catalog, rendered with Streamlit's AppTest (no "
            "browser); cold = a run with empty caches (after one run of another page, which "
            f"starts Streamlit), warm = the same page again; best of {RUNS}. Run: "
            "`python benchmarks/bench_dashboard_groups.py`.",
            "",
            "| page | cards | cold | warm | target |",
            "| --- | --- | --- | --- | --- |",
            f"| Überblick (300 dimensions, 15 groups) | {cards} | {cold:.2f} s | {warm:.2f} s "
            f"| ≤ {TARGET_SECONDS:.0f} s ({verdict}) |",
        ]
    )
    write_section("dashboard-groups", text)


if __name__ == "__main__":
    main()
