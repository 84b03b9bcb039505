"""Parallel logins: do the lockout and the bound on password checks hold, and at what cost?

Two attacks, each with all attempts released at the same moment (threads, as the
dashboard's sessions are):

* 30 attempts on one account, 29 with a wrong password and 1 with the right one: the
  account must end up locked, every attempt must be in the audit log, none may fail with
  an exception.
* 60 attempts for an unknown name: the password checks must stay bounded (at most
  ``VERIFICATION_SLOTS`` at once), so time and memory stay bounded; attempts that find no
  free slot in time are refused with "Zu viele Anmeldeversuche, bitte kurz warten".

Runs on SQLite and on a throwaway PostgreSQL cluster (the test suite's). Writes its section
of ``benchmarks/results.md``. Run: ``python benchmarks/bench_logins.py``.
"""

from __future__ import annotations

import importlib
import os
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from results_file import RESULTS, write_section
from sqlmodel import Session, select

from spatz.db import make_engine, migrate, session_scope
from spatz.io.reader import read_table_bytes
from spatz.model import AuditEntry, Role, UserAccount
from spatz.services.common import Actor
from spatz.services.organisations import import_organisations
from spatz.services.users import VERIFICATION_SLOTS, add_user, login

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
postgres = importlib.import_module("postgres")
"""tests/postgres.py, the throwaway PostgreSQL cluster of the test suite."""

OPERATOR = Actor.operator("benchmark")
PASSWORD = "richtig-richtig"
ORGS = b"org,name,kind,land,ags,parent\nA,Stadt A,Stadt,Sachsen-Anhalt,,\n"


def prepare(url: str) -> None:
    migrate(url)
    with session_scope(make_engine(url)) as session:
        import_organisations(session=session, actor=OPERATOR, table=read_table_bytes(ORGS, "o.csv"))
        add_user(
            session=session, actor=OPERATOR, name="anna", role=Role.gast, org="A", password=PASSWORD
        )


def attempt(url: str, name: str, password: str) -> str:
    with session_scope(make_engine(url)) as session:
        outcome = login(session=session, name=name, password=password)
    return "angemeldet" if outcome.actor else outcome.message


def at_once(calls: list[Callable[[], str]]) -> tuple[float, Counter[str]]:
    barrier = threading.Barrier(len(calls))
    results: list[str] = [""] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # reported, not hidden: no attempt may raise
            results[i] = f"Ausnahme {type(exc).__name__}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, Counter(results)


def audit_counts(url: str) -> Counter[str]:
    with Session(make_engine(url)) as session:
        return Counter(session.exec(select(AuditEntry.action)).all())


def locked(url: str) -> bool:
    with Session(make_engine(url)) as session:
        user = session.exec(select(UserAccount).where(UserAccount.name == "anna")).one()
    return user.locked_until is not None


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def describe(outcomes: Counter[str]) -> str:
    short = {"Anmeldung fehlgeschlagen": "abgewiesen", "Zu viele Anmeldeversuche": "zu viele"}
    parts = []
    for message, count in sorted(outcomes.items()):
        label = next((v for k, v in short.items() if message.startswith(k)), message)
        parts.append(f"{count} {label}")
    return ", ".join(parts)


def run(backend: str, url: str) -> list[str]:
    prepare(url)
    wrong: list[Callable[[], Any]] = [lambda: attempt(url, "anna", "falsch-falsch")] * 29
    seconds, outcomes = at_once([*wrong, lambda: attempt(url, "anna", PASSWORD)])
    log = audit_counts(url)
    logged = log["login_failed"] + log["login_refused"] + log["login"]
    rows = [
        f"| {backend} | 30 auf ein Konto (29 falsch, 1 richtig) | {seconds:.2f} s | "
        f"{describe(outcomes)} | {logged} von 30 protokolliert, {log['lock']} Sperre, "
        f"gesperrt: {'ja' if locked(url) else 'nein'} | {peak_mb():.0f} MB |"
    ]
    before = audit_counts(url)
    seconds, outcomes = at_once([lambda: attempt(url, "niemand", PASSWORD)] * 60)
    log = audit_counts(url) - before
    logged = log["login_failed"] + log["login_refused"]
    rows.append(
        f"| {backend} | 60 für einen unbekannten Namen | {seconds:.2f} s | "
        f"{describe(outcomes)} | {logged} von 60 protokolliert | {peak_mb():.0f} MB |"
    )
    return rows


def main() -> None:
    bin_dir = postgres.find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL server binaries not found (apt-get install postgresql)")
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, postgres.PostgresCluster.start(bin_dir) as cluster:
        rows += run("SQLite", f"sqlite:///{Path(tmp) / 'logins.db'}")
        rows += run("PostgreSQL", postgres.create_database(cluster.url, prefix="bench"))
    text = "\n".join(
        [
            "## Parallel logins",
            "",
            f"`python benchmarks/bench_logins.py`, {os.cpu_count()} cores; all attempts of a "
            f"row released at once (threads, as dashboard sessions are); at most "
            f"{VERIFICATION_SLOTS} password checks run at a time. Peak memory is the whole "
            "process's so far.",
            "",
            "| database | attempts | wall | outcome | audit log | peak memory |",
            "| --- | --- | ---: | --- | --- | ---: |",
            *rows,
        ]
    )
    print(text)
    write_section("logins", text)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
