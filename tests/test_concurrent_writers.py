"""Several writers recording measure events for one organisation at the same time.

Every writer has its own store (its own sessions and connections) and runs in its own
thread; a barrier releases them together so that their writes really overlap. Whatever the
interleaving: no event is lost or stored twice, each carries its writer's name, the audit
log has one ``record`` entry per event, and the levels are those of replaying the stored
events one after the other. Writers that pass the id of the newest event they saw
(``expected_last_id``) never overtake each other: a refused write is re-read and retried,
and in the end each intended event is stored once, directly after the one its writer saw.
Two writers held just before their insert, after both checked against the same event,
show the check itself: one saves, the other is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal
from sqlmodel import col

import spatz
from spatz.catalog import Catalog, default_catalog, load_catalog
from spatz.db import make_engine, migrate, session_scope
from spatz.errors import ConcurrentChangeError
from spatz.io.reader import read_table_bytes
from spatz.model import MeasureEvent, MeasureEventCreate, MeasureEventPublic, Organisation, Status
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor
from spatz.services.demo import HALLE, load_demo
from spatz.services.organisations import import_organisations

DATA = Path(__file__).parent / "data"
WRITERS = ("anna", "bernd", "clara")
EVENTS_PER_WRITER = 24
SHARED_MEASURES = ("STR-3-02", "PER-3-02", "INF-3-03")
"""Written by every writer: the one measure Halle lacks for level 3 of these dimensions."""
OWN_MEASURE = {"anna": "KOM-3-02", "bernd": "GOV-3-01", "clara": "ISM-3-02"}
"""Written by one writer only."""
STATUSES = (
    Status.in_progress,
    Status.completed,
    Status.planned,
    Status.completed,
    Status.not_applicable,
    Status.completed,
)
FIRST_DAY = dt.date(2025, 1, 6)
"""After every demo event, so that the new events decide the state of their measures."""
STICHTAGE = (
    dt.date(2024, 12, 31),
    FIRST_DAY + dt.timedelta(days=len(WRITERS) * EVENTS_PER_WRITER // 2),
    dt.date(2026, 12, 31),
)
MAX_ATTEMPTS = 200
"""A checked write is retried at most this often (refused only when another one landed)."""


# -- the writers' plans ---------------------------------------------------------------------


def plan(writer: str) -> list[MeasureEventCreate]:
    """What ``writer`` records, in this order; every note is unique, every date too (so
    that no two new events of one measure tie on a date)."""
    k = WRITERS.index(writer)
    events = []
    for i in range(EVENTS_PER_WRITER):
        measure = SHARED_MEASURES[(i // 2) % len(SHARED_MEASURES)] if i % 2 == 0 else None
        events.append(
            MeasureEventCreate(
                org=HALLE,
                measure_id=measure or OWN_MEASURE[writer],
                status=STATUSES[(i + k) % len(STATUSES)],
                date=FIRST_DAY + dt.timedelta(days=k + len(WRITERS) * i),
                note=f"{writer} #{i:03d}",
                evidence=f"Vermerk {writer}/{i}",
            )
        )
    return events


def intended() -> Counter[tuple[str, str]]:
    return Counter((e.measure_id, e.note) for w in WRITERS for e in plan(w))


# -- fixtures and helpers ----------------------------------------------------------------


@pytest.fixture
def demo_db(database_url: str, request: pytest.FixtureRequest) -> str:
    """A database of either backend with the default catalog and the sample data (on
    SQLite a copy of the shared demo database)."""
    if database_url.startswith("sqlite"):
        demo_url: str = request.getfixturevalue("demo_url")
        shutil.copy(demo_url.removeprefix("sqlite:///"), database_url.removeprefix("sqlite:///"))
        return database_url
    migrate(database_url)
    load_demo(engine=make_engine(database_url), actor=Actor.operator("demo"))
    return database_url


@pytest.fixture
def demo_pg(postgres_url: str) -> str:
    """A PostgreSQL database with the default catalog and the sample data."""
    migrate(postgres_url)
    load_demo(engine=make_engine(postgres_url), actor=Actor.operator("demo"))
    return postgres_url


@dataclass(frozen=True)
class Landed:
    """One event a writer stored, with the id of the newest event it had seen before."""

    seen: int | None
    event: MeasureEventPublic
    attempts: int


@dataclass(frozen=True)
class Run:
    """What the writer threads did: their events and when each was busy."""

    landed: dict[str, list[Landed]]
    spans: dict[str, tuple[float, float]]

    def events(self) -> list[MeasureEventPublic]:
        return [item.event for items in self.landed.values() for item in items]


def run_writers(url: str, write: Callable[[spatz.Store, MeasureEventCreate], Landed]) -> Run:
    """Each writer in its own thread with its own store, all released at once."""
    barrier = threading.Barrier(len(WRITERS))

    def work(writer: str) -> tuple[list[Landed], tuple[float, float]]:
        store = spatz.open(url, actor=Actor.operator(writer))
        store.catalog()  # connect and read the catalog before the race starts
        barrier.wait(timeout=30)
        start = time.perf_counter()
        landed = [write(store, event) for event in plan(writer)]
        return landed, (start, time.perf_counter())

    with ThreadPoolExecutor(max_workers=len(WRITERS)) as pool:
        futures = {writer: pool.submit(work, writer) for writer in WRITERS}
        results = {writer: future.result(timeout=120) for writer, future in futures.items()}
    return Run(
        landed={writer: landed for writer, (landed, _) in results.items()},
        spans={writer: span for writer, (_, span) in results.items()},
    )


def unchecked(store: spatz.Store, event: MeasureEventCreate) -> Landed:
    return Landed(None, store.record_event(event, expected_last_id="any"), 1)


def latest_id(store: spatz.Store, measure_id: str) -> int | None:
    """The id of the newest event of the measure, as a user's screen would show it."""
    ids = store.history(HALLE, measure_id)["id"]
    return int(ids.max()) if len(ids) else None


def checked(store: spatz.Store, event: MeasureEventCreate) -> Landed:
    """Record against the newest event seen; on a refusal read again and retry."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        seen = latest_id(store, event.measure_id)
        try:
            stored = store.record_event(event, expected_last_id=seen)
        except ConcurrentChangeError:
            continue
        return Landed(seen, stored, attempt)
    raise AssertionError(f"{event.note}: refused {MAX_ATTEMPTS} times in a row")


def stored_events(url: str) -> pd.DataFrame:
    """Every stored event of the default catalog straight from the table, in id order."""
    columns = [
        col(MeasureEvent.id),
        col(Organisation.key).label("org"),
        col(MeasureEvent.measure_id),
        col(MeasureEvent.status),
        col(MeasureEvent.date),
        col(MeasureEvent.due_date),
        col(MeasureEvent.note),
        col(MeasureEvent.recorded_by),
    ]
    with make_engine(url).connect() as conn:
        rows = conn.execute(
            sa.select(*columns)
            .join(Organisation, col(Organisation.id) == col(MeasureEvent.org_id))
            .where(col(MeasureEvent.catalog_key) == default_catalog().id)
            .order_by(col(MeasureEvent.id))
        ).all()
    names = ["id", "org", "measure_id", "status", "date", "due_date", "note", "recorded_by"]
    frame = pd.DataFrame([tuple(row) for row in rows], columns=names)
    frame["status"] = frame["status"].map(lambda s: Status(s).value)
    return frame


def replayed_scores(catalog: Catalog, stored: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The levels from feeding the stored events to the scoring engine one after the other,
    in the order they were written (id order)."""
    events = pd.DataFrame(
        {
            "org": stored["org"].astype("str"),
            "measure_id": stored["measure_id"].astype("str"),
            "status": stored["status"].astype("str"),
            "date": pd.to_datetime(stored["date"]).astype("datetime64[s]"),
            "due_date": pd.to_datetime(stored["due_date"]).astype("datetime64[s]"),
        }
    )
    return spatz.score(catalog, events, as_of)


def check_outcome(url: str, run: Run, events_before: int) -> pd.DataFrame:
    """The checks every run has to pass; returns the new events (id order)."""
    store = spatz.open(url, actor=Actor.operator("pruefer"))
    # The writers overlapped: each started before any other had finished.
    assert max(start for start, _ in run.spans.values()) < min(end for _, end in run.spans.values())

    # What the writers were told.
    landed = run.events()
    ids = [event.id for event in landed]
    assert len(set(ids)) == len(ids)
    assert Counter((e.measure_id, e.note) for e in landed) == intended()
    for writer, items in run.landed.items():
        assert {item.event.recorded_by for item in items} == {writer}

    # What the database holds: exactly the intended events, each once.
    stored = stored_events(url)
    assert stored["id"].is_unique
    assert len(stored) == events_before + sum(intended().values())
    new = stored.iloc[events_before:].reset_index(drop=True)
    assert set(new["id"]) == set(ids)
    assert Counter(zip(new["measure_id"], new["note"], strict=True)) == intended()
    assert (new["org"] == HALLE).all()
    writer_of_note = {e.note: w for w in WRITERS for e in plan(w)}
    assert list(new["recorded_by"]) == [writer_of_note[note] for note in new["note"]]
    history = store.history(HALLE)
    assert history["id"].is_unique
    assert set(ids) <= set(history["id"])

    # One audit entry per event, by its writer, naming it.
    audit = store.audit(limit=1_000_000)
    records = audit[audit["action"] == "record"]
    after = [json.loads(text) for text in records["after"]]
    assert Counter(int(values["id"]) for values in after) == Counter(ids)
    by_id = new.set_index("id")
    for actor, key, values in zip(records["actor"], records["entity_key"], after, strict=True):
        event = by_id.loc[int(values["id"])]
        assert actor == event["recorded_by"]
        assert key == f"{HALLE}/{event['measure_id']}"
        assert values["note"] == event["note"]

    # The levels: the store, the scoring engine on the store's events, and a replay of the
    # stored events in id order agree.
    catalog = store.catalog()
    frame = store.events()
    for as_of in STICHTAGE:
        levels = store.score(as_of)
        assert_frame_equal(levels, spatz.score(catalog, frame, as_of))
        assert_frame_equal(levels, replayed_scores(catalog, stored, as_of))
    # The new events matter: Halle's scores moved between the Stichtage.
    halle = [store.score(as_of).query("org == @HALLE")["score"].tolist() for as_of in STICHTAGE]
    assert halle[0] != halle[1] or halle[1] != halle[2]
    return new


# -- tests --------------------------------------------------------------------------------


def test_unchecked_writers_lose_and_duplicate_nothing(demo_db: str) -> None:
    before = len(stored_events(demo_db))
    run = run_writers(demo_db, unchecked)
    check_outcome(demo_db, run, before)


def test_checked_writers_retry_until_each_write_lands_once(demo_pg: str) -> None:
    before_run = stored_events(demo_pg)
    run = run_writers(demo_pg, checked)
    new = check_outcome(demo_pg, run, len(before_run))

    # No write overtook another: each event directly follows, among the events of its
    # measure, the one its writer had seen (and the audit entry names that one as before).
    stored = stored_events(demo_pg)
    predecessor: dict[int, int | None] = {}
    for _, ids in stored.groupby(["org", "measure_id"], sort=False)["id"]:
        ordered = sorted(int(i) for i in ids)
        predecessor.update(zip(ordered, [None, *ordered[:-1]], strict=True))
    landed = [item for items in run.landed.values() for item in items]
    assert {item.event.id: item.seen for item in landed} == {
        item.event.id: predecessor[item.event.id] for item in landed
    }
    audit = spatz.open(demo_pg).audit(limit=1_000_000)
    records = audit[audit["action"] == "record"]
    before_ids = {
        int(json.loads(after)["id"]): (
            json.loads(before)["id"] if isinstance(before, str) else None
        )
        for before, after in zip(records["before"], records["after"], strict=True)
    }
    assert before_ids == {item.event.id: item.seen for item in landed}
    assert len(new) == len(landed)


# -- two writers who saw the same state, held at the point of writing --------------------


class MeetBeforeInsert:
    """Holds each writer just before it inserts its event, until the other writer reached
    that point too or waits for a lock (then only one of them can get there), so that both
    checked against the same state before either wrote."""

    def __init__(self, url: str, parties: int) -> None:
        self.url = url
        self.parties = parties
        self.arrived = 0
        self.locking = 0
        self.condition = threading.Condition()

    def __call__(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        text = statement.lstrip().upper()
        if text.startswith("UPDATE ORGANISATION SET ID = ID"):
            # About to take SQLite's write lock (see spatz.services.lookups).
            with self.condition:
                self.locking += 1
                self.condition.notify_all()
            return
        if not text.startswith("INSERT INTO MEASURE_EVENT"):
            return
        deadline = time.monotonic() + 10
        with self.condition:
            self.arrived += 1
            self.condition.notify_all()
            while self.arrived < self.parties and not self._someone_waits_for_a_lock():
                assert time.monotonic() < deadline, "the other writer never came"
                self.condition.wait(0.01)

    def _someone_waits_for_a_lock(self) -> bool:
        if not self.url.startswith("postgresql"):
            # The other writer went for the database's write lock, which this one holds.
            return self.locking >= self.parties
        query = sa.text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        with make_engine(self.url).connect() as conn:
            return bool(conn.execute(query).scalar_one())


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def mini_db(request: pytest.FixtureRequest) -> str:
    """A database of either backend with the mini catalog and one organisation."""
    url: str = request.getfixturevalue(
        "postgres_url" if request.param == "postgresql" else "sqlite_url"
    )
    migrate(url)
    actor = Actor.operator("t")
    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=actor, catalog=load_catalog(DATA / "mini.yaml"))
        table = read_table_bytes(f"org,name,kind\n{HALLE},Halle,Stadt\n".encode(), "o.csv")
        import_organisations(session=session, actor=actor, table=table)
    return url


def test_of_two_writers_who_saw_the_same_state_only_one_saves(mini_db: str) -> None:
    first = spatz.open(mini_db, actor=Actor.operator("anna")).record_event(
        MeasureEventCreate(
            org=HALLE, measure_id="STR-1-01", status=Status.planned, date=dt.date(2024, 1, 1)
        )
    )
    meet = MeetBeforeInsert(mini_db, parties=2)
    engine = make_engine(mini_db)
    sa.event.listen(engine, "before_cursor_execute", meet)
    barrier = threading.Barrier(2)

    def save(writer: str, status: Status) -> MeasureEventPublic | ConcurrentChangeError:
        store = spatz.open(mini_db, actor=Actor.operator(writer))
        event = MeasureEventCreate(
            org=HALLE, measure_id="STR-1-01", status=status, date=dt.date(2024, 2, 1)
        )
        barrier.wait(timeout=30)
        try:
            return store.record_event(event, expected_last_id=first.id)
        except ConcurrentChangeError as error:
            return error

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = list(
                pool.map(save, ("bernd", "clara"), (Status.completed, Status.in_progress))
            )
    finally:
        sa.event.remove(engine, "before_cursor_execute", meet)

    saved = [o for o in outcomes if isinstance(o, MeasureEventPublic)]
    refused = [o for o in outcomes if isinstance(o, ConcurrentChangeError)]
    assert (len(saved), len(refused)) == (1, 1)
    assert f"{saved[0].recorded_by} hat am" in str(refused[0])
    history = spatz.open(mini_db).history(HALLE, "STR-1-01")
    assert list(history["id"]) == [saved[0].id, first.id]
