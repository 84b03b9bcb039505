"""Benchmark of reading the measure events into a frame (:func:`events_frame`).

Creates a fresh SQLite file database and a throwaway PostgreSQL cluster, migrates both,
loads 11,000 organisations and N measure events (default 5 million, fixed seed) with
fast bulk inserts, and times ``events_frame`` on each backend (best of 3, whole call
including building the frame). The frames of both backends must be equal (asserted).

The events look like real imports: 150 measures, dates 2019–2024, a due date on a third
of them, a note or evidence on a tenth (some with commas, semicolons, quotes and line
breaks), recorded in import batches. A few batches were recorded out of id order, as
happens when two writers commit concurrently, so the recording order has to be restored.

Prints the figures and writes its section of ``benchmarks/results.md`` (between the
markers ``<!-- events:start -->`` and ``<!-- events:end -->``; the rest of the file is
kept). Run: ``python benchmarks/bench_events.py [--rows N]``.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
import sqlalchemy as sa
from results_file import RESULTS, write_section

from spatz.db import make_engine, migrate
from spatz.queries.events import events_frame

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


@dataclass(frozen=True)
class Events:
    """Generated measure events as columns, in id order (SQLite text formats)."""

    org_id: npt.NDArray[np.int64]
    measure_id: npt.NDArray[np.str_]
    status: npt.NDArray[np.str_]
    date: npt.NDArray[np.str_]
    due_date: list[str | None]
    note: npt.NDArray[np.str_]
    evidence: npt.NDArray[np.str_]
    recorded_at: npt.NDArray[np.str_]

    def __len__(self) -> int:
        return len(self.org_id)

    def rows(self, start: int, stop: int) -> Iterator[tuple[Any, ...]]:
        """Rows ``start:stop`` as (org_id, measure_id, status, date, due_date, note,
        evidence, catalog_key, recorded_by, recorded_at)."""
        return zip(
            self.org_id[start:stop].tolist(),
            self.measure_id[start:stop].tolist(),
            self.status[start:stop].tolist(),
            self.date[start:stop].tolist(),
            self.due_date[start:stop],
            self.note[start:stop].tolist(),
            self.evidence[start:stop].tolist(),
            [CATALOG_KEY] * (stop - start),
            ["bench"] * (stop - start),
            self.recorded_at[start:stop].tolist(),
            strict=True,
        )


def org_keys() -> list[str]:
    """Organisation keys: Gemeinden by AGS, some with an Amt as a unit."""
    return [f"{15000000 + i:08d}" if i % 10 else f"{15000000 + i:08d}-GA" for i in range(N_ORGS)]


def day_strings(days: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D")


def build_events(n: int) -> Events:
    rng = np.random.default_rng(SEED)
    measures = np.array([f"D{m // 25}-L{m // 5 % 5 + 1}-M{m % 5}" for m in range(N_MEASURES)])
    start = np.datetime64("2019-01-01", "D").astype(np.int64)
    end = np.datetime64("2024-12-31", "D").astype(np.int64)
    days = rng.integers(start, end + 1, n)
    due = days + rng.integers(30, 720, n)
    has_due = rng.random(n) < 1 / 3
    due_text = day_strings(due).tolist()
    due_date: list[str | None] = [d if h else None for d, h in zip(due_text, has_due, strict=True)]
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
    stamps = np.char.replace(np.datetime_as_string(batch_time, unit="us"), "T", " ")
    return Events(
        org_id=rng.integers(1, N_ORGS + 1, n),
        measure_id=measures[rng.integers(0, N_MEASURES, n)],
        status=np.array(STATUSES)[rng.integers(0, len(STATUSES), n)],
        date=day_strings(days),
        due_date=due_date,
        note=note,
        evidence=evidence,
        recorded_at=stamps[np.arange(n) // BATCH],
    )


ORG_COLUMNS = "id, key, name, kind, land, ags, parent_id, created_at, updated_by, updated_at"
EVENT_COLUMNS = (
    "org_id, measure_id, status, date, due_date, note, evidence, catalog_key, recorded_by, "
    "recorded_at"
)


def org_rows() -> list[tuple[Any, ...]]:
    created = "2025-01-06 07:00:00.000000"
    return [
        (i + 1, key, f"Gemeinde {i}", "Gemeinde", "Sachsen-Anhalt", None, None, created, "bench",
         created)
        for i, key in enumerate(org_keys())
    ]  # fmt: skip


def load_sqlite(path: Path, events: Events) -> None:
    conn = sqlite3.connect(path)
    try:
        # Bulk load: no journal, no syncing, the indexes kept in a large page cache.
        conn.executescript(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -2000000;"
        )
        conn.executemany(f"INSERT INTO organisation ({ORG_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         org_rows())  # fmt: skip
        insert = f"INSERT INTO measure_event ({EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"
        for start in range(0, len(events), CHUNK):
            conn.executemany(insert, events.rows(start, start + CHUNK))
        conn.commit()
    finally:
        conn.close()


def copy_text(value: object) -> str:
    """A value in the text format of COPY."""
    if value is None:
        return "\\N"
    text = str(value)
    for char, escaped in (("\\", "\\\\"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        text = text.replace(char, escaped)
    return text


def load_postgres(url: str, events: Events) -> None:
    params = sa.make_url(url)
    connection = psycopg.connect(
        host=params.host, port=params.port, user=params.username, dbname=params.database,
        autocommit=True,
    )  # fmt: skip
    with connection as conn, conn.cursor() as cur:
        with cur.copy(f"COPY organisation ({ORG_COLUMNS}) FROM STDIN") as copy:
            for row in org_rows():
                copy.write_row(row)
        cur.execute("SELECT setval('organisation_id_seq', %s)", (N_ORGS,))
        escaped = {v: copy_text(v) for v in (*NOTES, *EVIDENCE, "")}
        with cur.copy(f"COPY measure_event ({EVENT_COLUMNS}) FROM STDIN") as copy:
            for start in range(0, len(events), CHUNK):
                stop = min(start + CHUNK, len(events))
                columns = (
                    map(str, events.org_id[start:stop].tolist()),
                    events.measure_id[start:stop].tolist(),
                    events.status[start:stop].tolist(),
                    events.date[start:stop].tolist(),
                    ["\\N" if d is None else d for d in events.due_date[start:stop]],
                    [escaped[v] for v in events.note[start:stop].tolist()],
                    [escaped[v] for v in events.evidence[start:stop].tolist()],
                    [CATALOG_KEY] * (stop - start),
                    ["bench"] * (stop - start),
                    [f"{r}+00" for r in events.recorded_at[start:stop].tolist()],
                )
                copy.write(
                    "".join(f"{line}\n" for line in map("\t".join, zip(*columns, strict=True)))
                )
        cur.execute("VACUUM ANALYZE measure_event")
        cur.execute("VACUUM ANALYZE organisation")


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
    args = parser.parse_args()
    n: int = args.rows

    start = time.perf_counter()
    events = build_events(n)
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
            if name == "SQLite":
                load_sqlite(Path(tmp) / "bench.db", events)
            else:
                load_postgres(url, events)
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
        f"`events_frame` on {n:,} events of {N_ORGS:,} organisations, whole call including "
        f"the frame, best of {RUNS} after one warm-up call; {SHUFFLED_BATCHES:.0%} of the "
        f"import batches recorded out of id order, so the order is restored on the client. "
        f"CPU: of this process + of the PostgreSQL backend serving it (without parallel "
        f"workers). Load average (1 min) of the "
        f"machine before/after the timing: {load_before:.1f} / {load_after:.1f}. "
        f"Run: `python benchmarks/bench_events.py`.\n\n"
        "| backend | rows | time | rows/s | ≥ 1M rows/s | CPU |\n"
        "| --- | --- | --- | --- | --- | --- |\n" + "\n".join(lines) + "\n",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
