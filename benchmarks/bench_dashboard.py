"""Dashboard speed: one organisation's pages and the Landesvergleich over 220 organisations.

Run: ``python benchmarks/bench_dashboard.py``. Builds a SQLite database with the default
catalog and 220 generated organisations with measure histories (through the import
services), then renders pages headless with Streamlit's AppTest and prints the times of a
cold run (empty caches) and a warm run. Targets: a page for one organisation within 1 s,
the Landesvergleich within 2 s.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from spatz.catalog import default_catalog
from spatz.db import make_engine, migrate, session_scope
from spatz.io.reader import read_table_bytes
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor
from spatz.services.organisations import import_organisations
from spatz.services.progress import import_progress

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
RESULTS = Path(__file__).with_name("results.md")
KINDS = ["Gemeinde"] * 6 + ["Stadt"] * 3 + ["Verbandsgemeinde", "Landkreis"]
N_ORGS = 220


def build(url: str) -> str:
    rng = random.Random(2024)
    migrate(url)
    catalog = default_catalog()
    actor = Actor.operator("benchmark")
    orgs = ["org,name,kind,land"] + [
        f"15{i:06d},Kommune {i},{rng.choice(KINDS)},Sachsen-Anhalt" for i in range(N_ORGS)
    ]
    events = ["org,measure_id,status,date"]
    start = dt.date(2021, 1, 1)
    for i in range(N_ORGS):
        reach = rng.random()
        for _, measure in catalog.measures():
            if rng.random() > reach * (1.2 - measure.level / 5):
                continue
            day = start + dt.timedelta(days=rng.randrange(4 * 365))
            events.append(f"15{i:06d},{measure.id},planned,{day}")
            done = day + dt.timedelta(days=rng.randrange(30, 400))
            if rng.random() < 0.7:
                events.append(f"15{i:06d},{measure.id},completed,{done}")
    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=actor, catalog=catalog)
        import_organisations(
            session=session, actor=actor, table=read_table_bytes("\n".join(orgs).encode(), "o")
        )
        import_progress(
            session=session, actor=actor, table=read_table_bytes("\n".join(events).encode(), "p")
        )
    return f"{len(events) - 1:,} events"


def render(page: str | None, org: str) -> tuple[float, float]:
    """Seconds for a cold and a warm run of one page."""
    timings = []
    app = AppTest.from_file(str(APP), default_timeout=120)
    app.session_state["org"] = org
    app.session_state["as_of"] = dt.date(2024, 12, 31)
    app.session_state["actor"] = Actor.operator("benchmark")
    app.session_state["login_since"] = app.session_state["login_seen"] = time.time()
    for _ in range(2):
        begin = time.perf_counter()
        if page:
            app.switch_page(page)
        app.run()
        timings.append(time.perf_counter() - begin)
        if app.exception:
            raise RuntimeError(app.exception[0].message)
    return timings[0], timings[1]


def main() -> None:
    folder = tempfile.mkdtemp(prefix="spatz-bench-")
    url = f"sqlite:///{folder}/bench.db"
    os.environ["SPATZ_DATABASE_URL"] = url
    size = build(url)
    lines = [
        f"{dt.date.today():%Y-%m-%d}, {os.cpu_count()} CPU cores: {N_ORGS} organisations, "
        f"{size}, SQLite. Rendered with Streamlit's AppTest (no browser); cold = first run "
        "with empty caches, warm = the same page again.",
        "",
        "| page | cold | warm | target |",
        "| --- | --- | --- | --- |",
    ]
    for title, page, target in [
        ("Überblick (one organisation)", None, 1.0),
        ("Dimension", "views/dimension.py", 1.0),
        ("Landesvergleich (220 organisations)", "views/comparison.py", 2.0),
    ]:
        cold, warm = render(page, "15000001")
        verdict = "met" if warm <= target else "NOT met"
        print(f"{title:40s} cold {cold:5.2f} s  warm {warm:5.2f} s  target {target} s: {verdict}")
        lines.append(f"| {title} | {cold:.2f} s | {warm:.2f} s | ≤ {target:.0f} s ({verdict}) |")
    section = (
        "<!-- dashboard:start -->\n## Dashboard\n\n" + "\n".join(lines) + "\n<!-- dashboard:end -->"
    )
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    pattern = re.compile(r"<!-- dashboard:start -->.*<!-- dashboard:end -->", re.DOTALL)
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.strip() + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
