"""Reads after new events: a process that read all events reads only those recorded since.

Run: ``python benchmarks/bench_events_since.py [--orgs 11000] [--folder DIR]``. Builds the
database of ``benchmarks/bench_one_org.py`` (455 events per organisation; an existing one
of the same size in ``--folder`` is used again) and copies it, then times in one process
on SQLite: ``store.score()`` of all organisations cold (every event read), again with
nothing new, after one new event, and after an import of 1,000; then the same after one new
event in a fresh process (every event read again), for comparison. Prints a table and
writes its section of ``benchmarks/results.md`` (``<!-- events-since:start -->`` …). Not a
timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_one_org import AS_OF, EVENTS_PER_ORG, ORG, database
from results_file import write_section

import spatz
from spatz.io.reader import read_table_bytes
from spatz.model import MeasureEventCreate
from spatz.queries import events as events_module
from spatz.services.common import Actor

ACTOR = Actor.operator("benchmark")
IMPORTED = 1_000


def timed(step: Callable[[], object]) -> float:
    begin = time.perf_counter()
    step()
    return time.perf_counter() - begin


def import_table(n: int) -> bytes:
    """``n`` progress rows for the organisations after ORG, one measure each."""
    first = int(ORG) + 1
    rows = [f"{first + i:08d},STR-4-01,in_progress,2024-12-0{1 + i % 9}" for i in range(n)]
    return ("org,measure_id,status,date\n" + "\n".join(rows) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=11_000)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="spatz-since-"))
    folder.mkdir(parents=True, exist_ok=True)
    source = database(folder, args.orgs).removeprefix("sqlite:///")
    copy = Path(source).with_name("events-since.db")
    shutil.copyfile(source, copy)
    url = f"sqlite:///{copy}"
    store = spatz.open(url, actor=ACTOR)

    def one_event() -> None:
        store.record_event(
            MeasureEventCreate(
                org=ORG, measure_id="STR-4-02", status="completed", date=dt.date(2024, 12, 2)
            )
        )

    def score() -> None:
        store.score(AS_OF)

    figures = [("cold: every event read", timed(score))]
    figures.append(("again, nothing new", timed(score)))
    one_event()
    figures.append(("after one new event", timed(score)))
    table = read_table_bytes(import_table(IMPORTED), "import.csv")
    store.import_table("progress", table)
    figures.append((f"after an import of {IMPORTED:,} events", timed(score)))
    one_event()
    with events_module._kept_lock:
        events_module._kept.clear()  # as a fresh process would start
    figures.append(("after one new event, read from scratch", timed(score)))
    events = len(store.events())
    cold = figures[0][1]

    lines = [
        "## Reads after new events",
        "",
        f"{dt.date.today().isoformat()}, {os.cpu_count()} CPU cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}. {args.orgs:,} "
        f"organisations with {EVENTS_PER_ORG} events each ({events:,} events), one process, "
        f"`store.score('{AS_OF}')` of all organisations; load average before the end: "
        f"{os.getloadavg()[0]:.1f}. Run: `python benchmarks/bench_events_since.py`.",
        "",
        "| step | wall | ratio to cold |",
        "| --- | --- | --- |",
        *(f"| {label} | {seconds:.2f} s | {seconds / cold:.2f} |" for label, seconds in figures),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    write_section("events-since", text)


if __name__ == "__main__":
    main()
