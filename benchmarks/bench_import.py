"""Benchmark of ``spatz import progress`` with a million rows: wall time and peak memory.

Sets up the demo database (``spatz demo``, SQLite), generates a CSV file of N valid rows
(default 1,000,000, fixed seed) for the demo's organisations and the measures of the
default catalog, and runs, each once in a fresh process through the command line:

- ``spatz import progress --dry-run FILE`` (read and check everything, write nothing),
- the same file with one bad date in its last row: exit 2, the message names line and
  column, and nothing is written (the number of events is unchanged, asserted),
- ``spatz import progress FILE``: every row stored (asserted).

The file limits are raised for it (``SPATZ_MAX_FILE_MB``, ``SPATZ_MAX_ROWS``,
``SPATZ_MAX_CELLS``); peak memory is the maximum resident set size of the process. Target:
the import ≤ 20 s. Writes its section of ``benchmarks/results.md`` (between
``<!-- import:start -->`` and ``<!-- import:end -->``; ``--results FILE`` writes
elsewhere). Run: ``python benchmarks/bench_import.py [--rows N] [--results FILE]``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from measured import Outcome, measured
from results_file import RESULTS, write_section

from spatz.catalog import default_catalog
from spatz.db import make_engine, session_scope
from spatz.services.lookups import org_ids_by_key

SPATZ = Path(sys.executable).with_name("spatz")
N_ROWS = 1_000_000
SEED = 20241231
TARGET_SECONDS = 20
STATUSES = ("planned", "in_progress", "completed", "not_applicable", "umgesetzt", "in Umsetzung")
NOTES = ("", "", "", "Stadtratsbeschluss", "Beschluss vom 12.03.2023; Anlage 2", 'Leitlinie "IT"')
HEADER = ("org", "measure_id", "status", "date", "due_date", "note", "evidence")
PROFILE = """\
Before the import checked rows without a model per row (2026-12-03, commit b853d16, load
average 12–15 on the 2 cores): dry run 290.7 s / 2,440 MB, refused file 264.5 s / 2,172 MB,
import 461.1 s / 2,703 MB. Where the time went (py-spy, 200,000 rows, dry run): building a
`MeasureEventCreate` per row 26 % (SQLModel's `__init__` and pydantic's validation of what
the row reader had checked already), reading the CSV 13 % (the blank-row check alone 7 %,
one `strip` per cell), `model_dump` of every new event 7 %, a `RowReader` per row 5 %,
imports 13 %. After (py-spy, 200,000 rows, import): SQLite's `executemany` with the three
indexes of `measure_event` 26 %, SQLAlchemy's per-row bind processing (enum, date,
timestamp) 14 %, the row checks of `parse_progress` 21 %, reading the CSV 13 %, the
duplicate check and the rows to insert 12 %.\
"""


def spatz(url: str, *arguments: str, cwd: Path, env: dict[str, str] | None = None) -> Outcome:
    """One command in a fresh process in ``cwd``: exit code, wall time, peak memory, what it
    printed."""
    return measured([str(SPATZ), "--db", url, *arguments], cwd=cwd, env=env)


def write_progress(path: Path, n: int, orgs: list[str], measures: list[str]) -> None:
    """N valid rows: random organisation, measure, status and date; a due date on a third
    and a note on half of them."""
    rng = np.random.default_rng(SEED)
    start = np.datetime64("2019-01-01", "D")
    days = start + rng.integers(0, 6 * 365, n)
    due = days + rng.integers(30, 720, n)
    has_due = rng.random(n) < 1 / 3
    columns = (
        np.array(orgs)[rng.integers(0, len(orgs), n)].tolist(),
        np.array(measures)[rng.integers(0, len(measures), n)].tolist(),
        np.array(STATUSES)[rng.integers(0, len(STATUSES), n)].tolist(),
        np.datetime_as_string(days).tolist(),
        np.where(has_due, np.datetime_as_string(due), "").tolist(),
        np.array(NOTES)[rng.integers(0, len(NOTES), n)].tolist(),
        np.where(rng.random(n) < 0.1, "VI/2023/05123", "").tolist(),
    )
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(zip(*columns, strict=True))


def with_bad_last_row(source: Path, target: Path) -> int:
    """A copy of ``source`` whose last row has an impossible date; returns its line."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[-1].split(",")
    cells[3] = "2024-02-30"
    lines[-1] = ",".join(cells)
    target.write_text("".join(lines), encoding="utf-8")
    return len(lines)


def count_events(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM measure_event").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=N_ROWS, help="rows of the file")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the results file")
    args = parser.parse_args()
    n: int = args.rows
    results: Path = args.results
    env = {
        "SPATZ_MAX_FILE_MB": "1000",
        "SPATZ_MAX_ROWS": str(n),
        "SPATZ_MAX_CELLS": str(n * len(HEADER)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.db"
        url = f"sqlite:///{database}"
        demo = spatz(url, "demo", cwd=Path(tmp))
        assert demo.exit_code == 0, demo.output
        engine = make_engine(url)
        with session_scope(engine) as session:
            orgs = sorted(org_ids_by_key(session))
        engine.dispose()
        measures = [measure.id for _, measure in default_catalog().measures()]
        good, bad = Path(tmp) / "fortschritt.csv", Path(tmp) / "fortschritt-fehler.csv"
        start = time.perf_counter()
        write_progress(good, n, orgs, measures)
        bad_line = with_bad_last_row(good, bad)
        size_mb = good.stat().st_size / 1024 / 1024
        print(f"{good.name}: {n:,} rows, {size_mb:.1f} MB in {time.perf_counter() - start:.1f} s")

        before = count_events(database)
        dry = spatz(url, "import", "progress", "--dry-run", good.name, cwd=Path(tmp), env=env)
        assert dry.exit_code == 0, dry.output[:2000]
        refused = spatz(url, "import", "progress", bad.name, cwd=Path(tmp), env=env)
        assert refused.exit_code == 2, refused.output
        assert f"{bad.name}:{bad_line}: Spalte date:" in refused.output, refused.output
        assert count_events(database) == before, "an import with an error wrote events"
        stored = spatz(url, "import", "progress", good.name, cwd=Path(tmp), env=env)
        assert stored.exit_code == 0, stored.output
        added = count_events(database) - before

    runs = (
        ("`spatz import progress --dry-run`", dry),
        ("`spatz import progress`, one bad date in the last row", refused),
        ("`spatz import progress`", stored),
    )
    rows = []
    for label, outcome in runs:
        message = outcome.output.splitlines()[-1]
        shown = message if len(message) <= 120 else message[:119] + "…"
        rows.append(
            f"| {label} | {outcome.exit_code} | {outcome.seconds:.1f} s | "
            f"{outcome.peak_mb:.0f} MB | {shown} |"
        )
        print(f"{label:<55} exit {outcome.exit_code}  {outcome.seconds:6.1f} s  "
              f"{outcome.peak_mb:5.0f} MB  {shown}")  # fmt: skip
    verdict = "met" if stored.seconds <= TARGET_SECONDS else "NOT met"
    print(f"import of {n:,} rows: {stored.seconds:.1f} s (≤ {TARGET_SECONDS} s: {verdict}), "
          f"{added:,} events stored")  # fmt: skip
    load = os.getloadavg()[0]
    write_section(
        "import",
        "## Importing progress (`spatz import progress`)\n\n"
        f"{dt.date.today().isoformat()}, {os.cpu_count()} CPU cores, Python "
        f"{sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, load average (1 min) "
        f"{load:.1f}. The demo database (`spatz demo`); a CSV file of {n:,} valid rows "
        f"({size_mb:.0f} MB) for its organisations and the measures of the default catalog; "
        "each command once in a fresh process, with the file limits raised for it; peak "
        "memory: maximum resident set size of the process. The refused file wrote nothing "
        f"(asserted); the import stored {added:,} events. Target: the import ≤ "
        f"{TARGET_SECONDS} s ({verdict}). Run: `python benchmarks/bench_import.py`.\n\n"
        "| command | exit | wall | peak memory | message |\n"
        "| --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n\n" + PROFILE + "\n",
        results,
    )
    print(f"wrote {results}")


if __name__ == "__main__":
    main()
