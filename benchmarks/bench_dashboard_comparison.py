"""Dashboard speed: the Landesvergleich over thousands of organisations.

Run: ``python benchmarks/bench_dashboard_comparison.py [--orgs 2000 11000] [--folder DIR]``.
Builds for each size the database of ``benchmarks/bench_one_org.py`` (the ORM's tables with
bulk inserts, 455 events per organisation; an existing one of the same size in ``--folder``
is used again), then renders the Landesvergleich headless with Streamlit's AppTest and prints
the times of a cold run (empty caches), a warm run, the next page of the table and a search.
Above 40 organisations the page shows a table of 50 rows a page instead of the heatmap, so
the warm runs do the work of one page. Target: 2 s. Writes its section of
``benchmarks/results.md``
(between ``<!-- dashboard-comparison:start -->`` and ``<!-- dashboard-comparison:end -->``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_one_org import AS_OF, EVENTS_PER_ORG, ORG, database
from results_file import write_section
from streamlit.testing.v1 import AppTest

from spatz.services.common import Actor

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
PAGE = "views/comparison.py"
TARGET_SECONDS = 2.0
NOTES = """Where the cold run goes (11,000 organisations, SQLite): the sidebar's
`store.activity` reads the 5 million events (7.0 s timed alone); the page's
`store.land_view` builds on the events read before (`bench_events_since.py`) and scores
every organisation once for the table, the distributions and the own position (before:
`land_comparison` 2.3 s, `land_summary` 2.3 s and `position` 2.2 s, each scoring everyone
again; before the events were kept between reads, each also read all events)."""


def _timed(step: Callable[[], object], app: AppTest) -> float:
    begin = time.perf_counter()
    step()
    seconds = time.perf_counter() - begin
    if app.exception:
        raise RuntimeError(app.exception[0].message)
    return seconds


def render(url: str) -> list[tuple[str, float]]:
    """Seconds of each step on one AppTest session."""
    os.environ["SPATZ_DATABASE_URL"] = url
    app = AppTest.from_file(str(APP), default_timeout=900)
    app.session_state["org"] = ORG
    app.session_state["as_of"] = dt.date.fromisoformat(AS_OF)
    app.session_state["actor"] = Actor.operator("benchmark")
    app.session_state["login_since"] = app.session_state["login_seen"] = time.time()
    app.switch_page(PAGE)
    return [
        ("Landesvergleich, cold (empty caches)", _timed(app.run, app)),
        ("Landesvergleich, warm", _timed(app.run, app)),
        (
            "next page of the table",
            _timed(lambda: app.selectbox(key="comparison_page").select(2).run(), app),
        ),
        (
            "search by part of a name",
            _timed(lambda: app.text_input(key="comparison_search").input("gemeinde 17").run(), app),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--orgs", type=int, nargs="+", default=[2_000], help="organisations to compare"
    )
    parser.add_argument("--folder", type=Path, default=None, help="where the databases are kept")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="spatz-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    sizes: list[int] = args.orgs
    walls = {n_orgs: render(database(folder, n_orgs)) for n_orgs in sizes}
    lines = [
        "| step | " + " | ".join(f"{n:,} organisations" for n in sizes) + " | target |",
        "| --- | " + " | ".join("---" for _ in sizes) + " | --- |",
    ]
    for i, (step, _) in enumerate(walls[sizes[0]]):
        seconds = [walls[n][i][1] for n in sizes]
        verdict = "met" if max(seconds) <= TARGET_SECONDS else "NOT met"
        cells = " | ".join(f"{s:.2f} s" for s in seconds)
        print(f"{step:40s} {cells}  target {TARGET_SECONDS:.0f} s: {verdict}", flush=True)
        lines.append(f"| {step} | {cells} | ≤ {TARGET_SECONDS:.0f} s ({verdict}) |")
    counts = " and ".join(f"{n:,} ({n * EVENTS_PER_ORG:,} events)" for n in sizes)
    heights = " and ".join(f"{120 + 24 * n:,} px" for n in sizes)
    intro = (
        f"{dt.date.today():%Y-%m-%d}, {os.cpu_count()} CPU cores, SQLite: {counts} "
        f"organisations with {EVENTS_PER_ORG} events each, Stichtag {AS_OF}, as an operator. "
        "Rendered with Streamlit's AppTest (no browser), one session per database: cold = "
        "the first run with empty caches, then the same page again, page 2 of the table, a "
        f"search. The table shows 50 rows a page where the heatmap was {heights} tall. Load "
        f"average at the end: {os.getloadavg()[0]:.1f}. "
        "Run: `python benchmarks/bench_dashboard_comparison.py --orgs 2000 11000`."
    )
    write_section(
        "dashboard-comparison",
        f"## Landesvergleich with many organisations\n\n{intro}\n\n"
        + "\n".join(lines)
        + f"\n\n{NOTES}",
    )


if __name__ == "__main__":
    main()
