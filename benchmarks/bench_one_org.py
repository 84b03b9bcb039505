"""Benchmark of everything about one organisation, on a small and on a large database.

Builds two SQLite databases through the ORM's tables with bulk inserts (every NOT NULL
column filled): 100 and 11,000 organisations with the same events per organisation
(about 455 each, 5 million in the large one, in random organisation order as imports
from many Kommunen interleave), targets for half of the dimensions, and a project and a
milestone for the organisation asked about. Then it runs each per-organisation path in a
fresh process (best of 3: wall time of the call, peak memory of the whole process) and
prints a table: path, wall and peak memory at 100 and at 11,000 organisations, and the
ratio of the large to the small one (target: below 2, and at most 1 s and 300 MB).

Writes its section of ``benchmarks/results.md`` (``<!-- one-org:start -->`` …).
Run: ``python benchmarks/bench_one_org.py [--orgs 11000] [--folder DIR]``; an existing
database of the same size in ``--folder`` is used again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from results_file import write_section
from sqlmodel import col

from spatz.catalog import default_catalog
from spatz.db import make_engine, migrate, session_scope
from spatz.model import MeasureEvent, Milestone, MilestoneMeasure, Organisation, Project, Target
from spatz.model import ProjectMeasure as ProjectLink
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor

EVENTS_PER_ORG = 455
"""5 million events at 11,000 organisations."""
SEED = 20241231
CHUNK = 50_000
ORG = "15000042"
"""The organisation asked about (in both databases)."""
AS_OF = "2024-12-31"
RUNS = 3
STATUSES = ("planned", "in_progress", "completed", "not_applicable")
TARGET_WALL = 1.0
TARGET_MB = 300.0
TARGET_RATIO = 2.0
NOTES = """Before the per-organisation reads (same 11,000-organisation database, one run each on
a loaded machine): `workbook_bytes(orgs=[ONE])` 567 s and 4.96 GB, `report` 61 s and 1.40 GB,
`state_details` 152 s and 4.34 GB, `trend` 31.6 s, `target_status` 9.8 s, `roadmap` 8.9 s,
`score` 6.9 s and `explain` 5.6 s (1.1–1.3 GB each): every one read all 5 million events
(py-spy: `services/states.py:state_details` without an organisation filter, 77 % of the
workbook). Filtering by organisation alone brought the workbook to 81 s: SQLite answered
`org = ? AND catalog_key = ? AND date <= ?` from the index on (catalog_key, date), walking
the events of everybody (`EXPLAIN QUERY PLAN`); the index on (org_id, catalog_key, date) of
migration 0007 makes it an index range of one organisation. Now the fixed costs dominate and
do not grow with the others: importing pandas, SQLAlchemy and spatz (about 250 MB of the
peak and 2–3 s before the timed call), loading the catalog (about 0.07 s), scoring and
writing the sheets. The dashboard pages still grow with the number of organisations through
the frame: the sidebar reads all organisations and lists them in one select box, and the
Überblick places the organisation in the Land (`store.position`, all organisations)."""


def org_key(i: int) -> str:
    return f"{15000000 + i:08d}"


def build(url: str, n_orgs: int) -> int:
    """A database of ``n_orgs`` organisations; returns the number of events."""
    migrate(url)
    engine = make_engine(url)
    catalog = default_catalog()
    actor = Actor.operator("benchmark")
    with session_scope(engine) as session:
        store_catalog(session=session, actor=actor, catalog=catalog)
    now = dt.datetime(2025, 1, 15, 8, tzinfo=dt.UTC)
    rng = np.random.default_rng(SEED)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Organisation),
            [
                {
                    "id": i + 1,
                    "key": org_key(i),
                    "name": f"Gemeinde {i}",
                    "kind": "Gemeinde",
                    "land": "Sachsen-Anhalt",
                    "ags": org_key(i),
                    "parent_id": None,
                    "created_at": now,
                    "updated_by": "benchmark",
                    "updated_at": now,
                    "version": 1,
                }
                for i in range(n_orgs)
            ],
        )
        dims = [d.id for d in catalog.dimensions]
        conn.execute(
            sa.insert(Target),
            [
                {
                    "org_id": i + 1,
                    "catalog_key": catalog.id,
                    "dimension_id": dim,
                    "target_level": 1 + (i + k) % catalog.n_levels,
                    "target_date": dt.date(2025 + k % 3, 12, 31),
                    "recorded_by": "benchmark",
                    "recorded_at": now,
                }
                for i in range(n_orgs)
                for k, dim in enumerate(dims[::2])
            ],
        )
        org_id = int(ORG) - 15000000 + 1
        project = conn.execute(
            sa.insert(Project).returning(col(Project.id)),
            {
                "org_id": org_id,
                "business_unit": "Hauptamt",
                "responsible": "Frau Beispiel",
                "name": "E-Akte",
                "description": "Einführung der E-Akte",
                "start": dt.date(2024, 1, 1),
                "end": dt.date(2025, 6, 30),
                "recorded_by": "benchmark",
                "recorded_at": now,
            },
        ).scalar_one()
        milestone = conn.execute(
            sa.insert(Milestone).returning(col(Milestone.id)),
            {
                "org_id": org_id,
                "title": "Konzept beschlossen",
                "due": dt.date(2025, 3, 31),
                "due_label": "Q1 2025",
                "done_date": None,
                "recorded_by": "benchmark",
                "recorded_at": now,
            },
        ).scalar_one()
        measures = [m.id for _, m in catalog.measures()]
        conn.execute(sa.insert(ProjectLink), [{"project_id": project, "measure_id": measures[3]}])
        conn.execute(
            sa.insert(MilestoneMeasure), [{"milestone_id": milestone, "measure_id": measures[9]}]
        )
        n = n_orgs * EVENTS_PER_ORG
        orgs = rng.permutation(np.repeat(np.arange(1, n_orgs + 1), EVENTS_PER_ORG))
        start = dt.date(2019, 1, 1)
        days = rng.integers(0, 6 * 365, n)
        measure = rng.integers(0, len(measures), n)
        status = rng.choice(len(STATUSES), n, p=[0.3, 0.2, 0.45, 0.05])
        has_due = rng.random(n) < 0.3
        for begin in range(0, n, CHUNK):
            batch = range(begin, min(n, begin + CHUNK))
            recorded = now - dt.timedelta(days=(n - begin) // CHUNK)
            conn.execute(
                sa.insert(MeasureEvent),
                [
                    {
                        "org_id": int(orgs[i]),
                        "measure_id": measures[measure[i]],
                        "status": STATUSES[status[i]],
                        "date": start + dt.timedelta(days=int(days[i])),
                        "due_date": start + dt.timedelta(days=int(days[i]) + 200)
                        if has_due[i]
                        else None,
                        "note": "Stadtratsbeschluss" if i % 11 == 0 else "",
                        "evidence": "VI/2023/05123" if i % 13 == 0 else "",
                        "catalog_key": catalog.id,
                        "recorded_by": "benchmark",
                        "recorded_at": recorded,
                    }
                    for i in batch
                ],
            )
    engine.dispose()
    return n


SETUP = f"""
import time, spatz
from spatz.scoring import month_ends
store = spatz.open({{url!r}})
org, as_of = {ORG!r}, {AS_OF!r}
"""
CLI_SETUP = f"""
import os, tempfile, time
os.environ["SPATZ_DATABASE_URL"] = {{url!r}}
from spatz.cli.main import app
file = os.path.join(tempfile.mkdtemp(), "mappe.xlsx")
args = ["export", "xlsx", file, "--org", {ORG!r}, "--as-of", "31.12.2024"]
"""
APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
PAGE_SETUP = f"""
import datetime as dt, os, time
os.environ["SPATZ_DATABASE_URL"] = {{url!r}}
os.environ["STREAMLIT_LOGGER_LEVEL"] = "error"
from streamlit.testing.v1 import AppTest
from spatz.services.common import Actor
app = AppTest.from_file({str(APP)!r}, default_timeout=600)
app.session_state["org"] = {ORG!r}
app.session_state["as_of"] = dt.date.fromisoformat({AS_OF!r})
app.session_state["actor"] = Actor.operator("benchmark")
app.session_state["login_since"] = app.session_state["login_seen"] = time.time()
"""
PAGE_CALL = """{switch}app.run()
assert not app.exception, app.exception[0].message"""
PATHS: dict[str, tuple[str, str]] = {
    "`spatz export xlsx --org` (library call)": (
        SETUP,
        "store.workbook_bytes(as_of, orgs=[org])",
    ),
    "`spatz export xlsx FILE --org` (the command, after its imports)": (
        CLI_SETUP,
        "app(args, standalone_mode=False)",
    ),
    "report (HTML)": (SETUP, "store.report(org, as_of)"),
    "`store.score` for one org": (SETUP, "store.score(as_of, org=org)"),
    "`store.explain` for one org": (SETUP, "store.explain(as_of, org=org)"),
    "`store.roadmap`": (SETUP, "store.roadmap(org, 'informationssicherheit', as_of)"),
    "`store.history`": (SETUP, "store.history(org)"),
    "`store.target_status` for one org": (SETUP, "store.target_status(as_of, org=org)"),
    "`store.state_details` for one org": (SETUP, "store.state_details(as_of, org=org)"),
    "`store.trend` of one org (month-ends)": (
        SETUP,
        "store.trend(month_ends('2019-01-01', as_of), org=org)",
    ),
    "dashboard Überblick (cold)": (PAGE_SETUP, PAGE_CALL.format(switch="")),
    "dashboard Dimension (cold)": (
        PAGE_SETUP,
        PAGE_CALL.format(switch="app.switch_page('views/dimension.py')\n"),
    ),
    "dashboard Maßnahmen erfassen (cold)": (
        PAGE_SETUP,
        PAGE_CALL.format(switch="app.switch_page('views/record.py')\n"),
    ),
}


@dataclass(frozen=True)
class Measured:
    wall: float
    """Seconds of the call (best of the runs)."""
    peak_mb: float
    """Peak resident memory of the whole process, MB (least of the runs)."""


def measure(url: str, setup: str, call: str) -> Measured:
    """``call`` after ``setup`` in fresh processes, :data:`RUNS` times."""
    code = setup.format(url=url) + (
        f"begin = time.perf_counter()\n{call}\nprint(time.perf_counter() - begin)\n"
    )
    walls, peaks = [], []
    for _ in range(RUNS):
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise RuntimeError(f"{call} failed ({child.returncode})")
        walls.append(float(out.split()[-1]))
        peaks.append(usage.ru_maxrss / 1024)
    return Measured(min(walls), min(peaks))


def database(folder: Path, n_orgs: int) -> str:
    path = folder / f"one-org-{n_orgs}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        begin = time.perf_counter()
        n = build(url, n_orgs)
        print(
            f"built {path}: {n_orgs:,} organisations, {n:,} events, "
            f"{time.perf_counter() - begin:.0f} s",
            flush=True,
        )
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=11_000, help="organisations of the large one")
    parser.add_argument("--small", type=int, default=100, help="organisations of the small one")
    parser.add_argument("--folder", type=Path, default=None, help="where the databases are kept")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="spatz-one-org-"))
    folder.mkdir(parents=True, exist_ok=True)
    small, large = database(folder, args.small), database(folder, args.orgs)
    header = (
        f"| path | wall, {args.small:,} orgs | peak, {args.small:,} | wall, {args.orgs:,} orgs "
        f"| peak, {args.orgs:,} | ratio | ≤ {TARGET_WALL:.0f} s, ≤ {TARGET_MB:.0f} MB, < 2× |"
    )
    lines = [header, "| --- | --- | --- | --- | --- | --- | --- |"]
    print(header, flush=True)
    for name, (setup, call) in PATHS.items():
        a, b = measure(small, setup, call), measure(large, setup, call)
        ratio = b.wall / max(a.wall, 1e-3)
        met = b.wall <= TARGET_WALL and b.peak_mb <= TARGET_MB and ratio < TARGET_RATIO
        line = (
            f"| {name} | {a.wall:.3f} s | {a.peak_mb:.0f} MB | {b.wall:.3f} s "
            f"| {b.peak_mb:.0f} MB | {ratio:.2f}× | {'met' if met else 'NOT met'} |"
        )
        lines.append(line)
        print(line, flush=True)
    load = os.getloadavg()[0]
    intro = (
        f"{dt.date.today():%Y-%m-%d}, {os.cpu_count()} CPU cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}. "
        f"{args.small:,} and {args.orgs:,} organisations with {EVENTS_PER_ORG} events each "
        f"({args.orgs * EVENTS_PER_ORG:,} in the large one), Stichtag {AS_OF}. Each call in "
        f"a fresh process, best of {RUNS}: wall time of the call, peak resident memory of "
        f"the whole process (imports included). Load average before the end: {load:.1f}. "
        "Run: `python benchmarks/bench_one_org.py`."
    )
    table = "\n".join(lines)
    write_section("one-org", f"## One organisation\n\n{intro}\n\n{table}\n\n{NOTES}")


if __name__ == "__main__":
    main()
