"""Benchmark of reading the measure events into a frame (:func:`events_frame`).

Creates a fresh SQLite file database and a throwaway PostgreSQL cluster, migrates both,
and loads them through the project's own paths: 11,000 organisations with the
organisation import (:func:`import_organisations`), N measure events (default 5 million,
fixed seed) with the bulk insert of the progress import (``sa.insert(MeasureEvent)``, the
table of the ORM model, so a new column without a default fails the load loudly). Then
it times ``events_frame`` on each backend (best of 3, whole call including building the
frame). The frames of both backends must be equal (asserted).
``tests/test_bench_events.py`` runs it at 20,000 events, so that it keeps working.

The events look like real imports: 150 measures, dates 2019–2024, a due date on a third
of them, a note or evidence on a tenth (some with commas, semicolons, quotes and line
breaks), recorded in import batches. A few batches were recorded out of id order, as
happens when two writers commit concurrently, so the recording order has to be restored.

Prints the figures and writes its section of ``benchmarks/results.md`` (between the
markers ``<!-- events:start -->`` and ``<!-- events:end -->``; the rest of the file is
kept; ``--results FILE`` writes elsewhere). Run:
``python benchmarks/bench_events.py [--rows N] [--orgs N] [--results FILE]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import sqlalchemy as sa
from results_file import RESULTS, write_section

from spatz.db import make_engine, migrate, session_scope
from spatz.io.reader import Row, Table
from spatz.model import MeasureEvent, Status
from spatz.queries.events import events_frame
from spatz.services.common import Actor
from spatz.services.lookups import org_ids_by_key
from spatz.services.organisations import import_organisations

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
postgres = importlib.import_module("postgres")
"""tests/postgres.py, the throwaway PostgreSQL cluster of the test suite."""

N_ORGS = 11_000
N_ROWS = 5_000_000
N_MEASURES = 150
CATALOG_KEY = "bench"
BATCH = 5_000
"""Events per import batch (one ``recorded_at`` per batch, as :func:`import_progress` does)."""
SHUFFLED_BATCHES = 0.01
"""Share of batches whose recording time is out of id order (concurrent writers)."""
SEED = 20240630
TARGET = 1_000_000
"""Rows per second to reach."""
RUNS = 3
CHUNK = 100_000
STATUSES = ("planned", "in_progress", "completed", "not_applicable")
NOTES = (
    "Stadtratsbeschluss",
    "Beschluss vom 12.03.2023; Anlage 2, Seite 4",
    'Leitlinie "Informationssicherheit" beschlossen',
    "Schulung für alle Ämter\nzweiter Termin im Herbst",
    "Umsetzung läuft – Ämter: Bürgerbüro, Kämmerei",
)
EVIDENCE = ("VI/2023/05123", "https://ratsinfo.example.de/vorlage/4711", "Protokoll 7/2024")


ACTOR = Actor.operator("bench")
LAND = "Sachsen-Anhalt"


@dataclass(frozen=True)
class Events:
    """Generated measure events as columns, in id order; ``org`` indexes :func:`org_keys`."""

    org: npt.NDArray[np.int64]
    measure_id: npt.NDArray[np.str_]
    status: npt.NDArray[np.str_]
    date: npt.NDArray[np.datetime64]
    due_date: npt.NDArray[np.datetime64]
    """``NaT`` where an event has no due date."""
    note: npt.NDArray[np.str_]
    evidence: npt.NDArray[np.str_]
    recorded_at: npt.NDArray[np.datetime64]
    """UTC, microseconds."""

    def __len__(self) -> int:
        return len(self.org)

    def records(
        self, start: int, stop: int, org_ids: npt.NDArray[np.int64]
    ) -> list[dict[str, Any]]:
        """Rows ``start:stop`` as the progress import inserts them (``org_ids``: the
        database id of each organisation of :func:`org_keys`)."""
        statuses = {s.value: s for s in Status}
        due = self.due_date[start:stop]
        columns = {
            "org_id": org_ids[self.org[start:stop]].tolist(),
            "measure_id": self.measure_id[start:stop].tolist(),
            "status": [statuses[s] for s in self.status[start:stop].tolist()],
            "date": self.date[start:stop].tolist(),
            "due_date": [None if np.isnat(d) else d.item() for d in due],
            "note": self.note[start:stop].tolist(),
            "evidence": self.evidence[start:stop].tolist(),
            "catalog_key": [CATALOG_KEY] * (stop - start),
            "recorded_by": [ACTOR.name] * (stop - start),
            "recorded_at": [
                t.replace(tzinfo=dt.UTC) for t in self.recorded_at[start:stop].tolist()
            ],
        }
        names = list(columns)
        rows = zip(*columns.values(), strict=True)
        return [dict(zip(names, values, strict=True)) for values in rows]


def org_keys(n_orgs: int) -> list[str]:
    """Organisation keys: Gemeinden by AGS, some with an Amt as a unit."""
    return [f"{15000000 + i:08d}" if i % 10 else f"{15000000 + i:08d}-GA" for i in range(n_orgs)]


def build_events(n: int, n_orgs: int) -> Events:
    rng = np.random.default_rng(SEED)
    measures = np.array([f"D{m // 25}-L{m // 5 % 5 + 1}-M{m % 5}" for m in range(N_MEASURES)])
    start = np.datetime64("2019-01-01", "D").astype(np.int64)
    end = np.datetime64("2024-12-31", "D").astype(np.int64)
    days = rng.integers(start, end + 1, n)
    due = (days + rng.integers(30, 720, n)).astype("datetime64[D]")
    due[rng.random(n) >= 1 / 3] = np.datetime64("NaT")
    note = np.where(rng.random(n) < 0.1, np.array(NOTES)[rng.integers(0, len(NOTES), n)], "")
    evidence = np.where(
        rng.random(n) < 0.1, np.array(EVIDENCE)[rng.integers(0, len(EVIDENCE), n)], ""
    )
    # One recording time per import batch, a minute apart; some batches swap times.
    n_batches = -(-n // BATCH)
    batch_time = np.datetime64("2025-01-06T08:00:00", "us") + np.arange(n_batches) * np.timedelta64(
        60_000_123, "us"
    )
    swap = np.flatnonzero(rng.random(n_batches - 1) < SHUFFLED_BATCHES)
    batch_time[swap], batch_time[swap + 1] = batch_time[swap + 1], batch_time[swap].copy()
    return Events(
        org=rng.integers(0, n_orgs, n),
        measure_id=measures[rng.integers(0, N_MEASURES, n)],
        status=np.array(STATUSES)[rng.integers(0, len(STATUSES), n)],
        date=days.astype("datetime64[D]"),
        due_date=due,
        note=note,
        evidence=evidence,
        recorded_at=batch_time[np.arange(n) // BATCH],
    )


def org_table(n_orgs: int) -> Table:
    """The organisations as an import file would give them."""
    rows = [
        Row(line, {"org": key, "name": f"Gemeinde {line - 2}", "kind": "Gemeinde", "land": LAND})
        for line, key in enumerate(org_keys(n_orgs), start=2)
    ]
    return Table("organisationen.csv", ["org", "name", "kind", "land"], rows)


def load(url: str, events: Events, n_orgs: int) -> None:
    """The organisations through their import, the events through the progress import's
    bulk insert, in chunks of :data:`CHUNK` in one transaction."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            import_organisations(session=session, actor=ACTOR, table=org_table(n_orgs))
            ids = org_ids_by_key(session)
        org_ids = np.array([ids[key] for key in org_keys(n_orgs)], dtype=np.int64)
        insert = sa.insert(MeasureEvent)
        with engine.begin() as conn:
            for start in range(0, len(events), CHUNK):
                conn.execute(
                    insert, events.records(start, min(start + CHUNK, len(events)), org_ids)
                )
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                conn.exec_driver_sql("VACUUM ANALYZE measure_event")
                conn.exec_driver_sql("VACUUM ANALYZE organisation")
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Run:
    """One call of ``events_frame``: wall time and CPU time of this process and of the
    PostgreSQL backend that served it (0 for SQLite; its parallel workers not counted)."""

    seconds: float
    client_cpu: float
    server_cpu: float


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_backend(url: str) -> tuple[Run, pd.DataFrame]:
    """The fastest of ``RUNS`` calls (after one to warm caches), and its frame."""
    engine = make_engine(url)
    best: Run | None = None
    frame = pd.DataFrame()
    for attempt in range(RUNS + 1):
        with engine.connect() as conn:
            backend = None
            if conn.dialect.name == "postgresql":
                backend = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            server = process_cpu(backend) if backend else 0.0
            client = time.process_time()
            start = time.perf_counter()
            frame = events_frame(conn, catalog_key=CATALOG_KEY)
            run = Run(
                seconds=time.perf_counter() - start,
                client_cpu=time.process_time() - client,
                server_cpu=process_cpu(backend) - server if backend else 0.0,
            )
        if attempt and (best is None or run.seconds < best.seconds):
            best = run
    assert best is not None
    return best, frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=N_ROWS, help="number of events")
    parser.add_argument("--orgs", type=int, default=N_ORGS, help="number of organisations")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the results file")
    args = parser.parse_args()
    n: int = args.rows
    n_orgs: int = args.orgs
    results: Path = args.results

    start = time.perf_counter()
    events = build_events(n, n_orgs)
    print(f"events: {n:,} rows generated in {time.perf_counter() - start:.1f} s")

    bin_dir = postgres.find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL server binaries not found (apt-get install postgresql)")
    figures: dict[str, Run] = {}
    frames: dict[str, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory() as tmp, postgres.PostgresCluster.start(bin_dir) as cluster:
        urls = {
            "SQLite": f"sqlite:///{tmp}/bench.db",
            "PostgreSQL": postgres.create_database(cluster.url, prefix="bench"),
        }
        for name, url in urls.items():
            start = time.perf_counter()
            migrate(url)
            load(url, events, n_orgs)
            print(f"{name}: loaded in {time.perf_counter() - start:.1f} s")
        load_before = os.getloadavg()[0]
        for name, url in urls.items():
            figures[name], frames[name] = time_backend(url)
            make_engine(url).dispose()
        load_after = os.getloadavg()[0]
    pd.testing.assert_frame_equal(frames["SQLite"], frames["PostgreSQL"])
    assert len(frames["SQLite"]) == n

    lines = []
    for name, run in figures.items():
        rate = n / run.seconds
        verdict = "yes" if rate >= TARGET else "no"
        cpu = f"{run.client_cpu:.2f} s" + (f" + {run.server_cpu:.2f} s" if run.server_cpu else "")
        lines.append(f"| {name} | {n:,} | {run.seconds:.3f} s | {rate:,.0f} | {verdict} | {cpu} |")
        print(
            f"{name:<10} {n:,} rows  {run.seconds:.3f} s  {rate:,.0f} rows/s  "
            f"≥ 1M rows/s: {verdict}  CPU: {cpu}"
        )
    print(f"load average (1 min) before/after timing: {load_before:.1f} / {load_after:.1f}")
    write_section(
        "events",
        "## Reading events (`events_frame`)\n\n"
        f"{dt.date.today().isoformat()}, {os.cpu_count()} CPU cores, Python "
        f"{sys.version.split()[0]}, pandas {pd.__version__}, numpy {np.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, PostgreSQL {bin_dir.parent.name} (local, "
        f"throwaway cluster).\n"
        f"`events_frame` on {n:,} events of {n_orgs:,} organisations, whole call including "
        f"the frame, best of {RUNS} after one warm-up call; {SHUFFLED_BATCHES:.0%} of the "
        f"import batches recorded out of id order, so the order is restored on the client. "
        f"CPU: of this process + of the PostgreSQL backend serving it (without parallel "
        f"workers). Load average (1 min) of the "
        f"machine before/after the timing: {load_before:.1f} / {load_after:.1f}. "
        f"Run: `python benchmarks/bench_events.py`.\n\n"
        "| backend | rows | time | rows/s | ≥ 1M rows/s | CPU |\n"
        "| --- | --- | --- | --- | --- | --- |\n" + "\n".join(lines) + "\n",
        results,
    )
    print(f"wrote {results}")


if __name__ == "__main__":
    main()
