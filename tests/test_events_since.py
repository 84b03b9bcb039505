"""On SQLite a read of all events builds on the frame the engine read last and reads only
the events recorded since; the result equals a read from scratch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from dbutil import demo_copy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spatz
from spatz.db import make_engine, migrate
from spatz.model import MeasureEventCreate
from spatz.queries import events as events_module
from spatz.services.backup import restore_backup, write_backup
from spatz.services.common import Actor
from spatz.services.demo import load_demo

OPERATOR = Actor.operator("tester")
HALLE = "15002000"


class Reads:
    """Counts the reads of all events from scratch (the packed fast path)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        read_fast = events_module._read_fast

        def counted(*args: object, **kwargs: object) -> object:
            self.count += 1
            return read_fast(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(events_module, "_read_fast", counted)


def from_scratch(url: str) -> pd.DataFrame:
    """The events as a process that has read nothing before reads them."""
    with events_module._kept_lock:
        events_module._kept.pop(make_engine(url), None)
    return spatz.open(url, actor=OPERATOR).events()


def record(store: spatz.Store, measure: str, status: str, day: str) -> None:
    event = MeasureEventCreate(
        org=HALLE, measure_id=measure, status=status, date=dt.date.fromisoformat(day)
    )
    store.record_event(event)


@pytest.fixture
def url(demo_url: str, tmp_path: Path) -> str:
    return demo_copy(demo_url, tmp_path)


def test_new_events_are_read_alone_and_the_frame_equals_a_fresh_read(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = Reads(monkeypatch)
    store = spatz.open(url, actor=OPERATOR)
    first = store.events()
    assert reads.count == 1
    assert store.events().equals(first)  # nothing new: the kept frame
    assert reads.count == 1
    record(store, "STR-4-01", "completed", "2024-11-30")
    record(store, "STR-4-02", "in_progress", "2024-12-01")
    second = store.events()
    assert reads.count == 1  # only the two new events were read
    assert len(second) == len(first) + 2
    assert second.tail(2)["measure_id"].tolist() == ["STR-4-01", "STR-4-02"]
    pd.testing.assert_frame_equal(second, from_scratch(url))
    assert reads.count == 2
    # The scores follow the new events without a read from scratch.
    before = spatz.score(store.catalog(), first, as_of="2024-12-31")
    after = store.score("2024-12-31")
    assert not before.equals(after)
    pd.testing.assert_frame_equal(after, spatz.score(store.catalog(), second, as_of="2024-12-31"))


def test_events_recorded_at_an_earlier_time_make_it_read_afresh(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = spatz.open(url, actor=OPERATOR)
    store.events()
    reads = Reads(monkeypatch)
    record(store, "STR-4-01", "completed", "2024-11-30")
    with make_engine(url).begin() as conn:  # as a clock set back would write it
        conn.execute(
            sa.text(
                "UPDATE measure_event SET recorded_at = '2000-01-01 00:00:00.000000'"
                " WHERE id = (SELECT max(id) FROM measure_event)"
            )
        )
    read = store.events()
    assert reads.count == 1
    assert read.iloc[0]["measure_id"] == "STR-4-01"  # recorded first of all
    pd.testing.assert_frame_equal(read, from_scratch(url))


def test_a_restore_makes_it_read_afresh(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = spatz.open(url, actor=OPERATOR)
    backup = tmp_path / "before.zip"
    write_backup(engine=store.engine, actor=OPERATOR, path=backup)
    saved = store.events()
    for day in ("2024-11-28", "2024-11-29", "2024-11-30"):
        record(store, "STR-4-01", "completed", day)
    grown = store.events()
    assert len(grown) == len(saved) + 3
    restore_backup(engine=store.engine, actor=OPERATOR, path=backup, force=True)
    # The restored database gets three other events with the same ids as before.
    for day in ("2024-10-01", "2024-10-02", "2024-10-03"):
        record(store, "ISM-4-01", "planned", day)
    reads = Reads(monkeypatch)
    read = store.events()
    assert reads.count == 1
    assert read.tail(3)["measure_id"].tolist() == ["ISM-4-01"] * 3
    pd.testing.assert_frame_equal(read, from_scratch(url))


def test_a_read_outside_a_transaction_keeps_nothing(url: str) -> None:
    with make_engine(url).connect() as conn:
        events_module.events_frame(conn, catalog_key="spatz-kommunal")
    assert ("spatz-kommunal", True) not in events_module._kept.get(make_engine(url), {})
    spatz.open(url, actor=OPERATOR).events()
    assert ("spatz-kommunal", True) in events_module._kept[make_engine(url)]


def test_postgresql_keeps_nothing(postgres_url: str) -> None:
    """Ids of PostgreSQL do not grow in the order of commits: each read is from scratch."""
    migrate(postgres_url)
    load_demo(engine=make_engine(postgres_url), actor=OPERATOR)
    assert len(spatz.open(postgres_url, actor=OPERATOR).events()) > 1000
    assert make_engine(postgres_url) not in events_module._kept


MEASURES = ["STR-1-01", "STR-2-01", "ISM-1-01", "ISM-2-01", "PM-1-01"]
STATUSES = ["planned", "in_progress", "completed", "not_applicable"]

batches = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(MEASURES),
            st.sampled_from(STATUSES),
            st.dates(dt.date(2020, 1, 1), dt.date(2024, 12, 31)),
        ),
        max_size=4,
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=batches)
def test_reads_between_batches_equal_reads_from_scratch(
    url: str, batches: list[list[tuple[str, str, dt.date]]]
) -> None:
    store = spatz.open(url, actor=OPERATOR)
    for batch in batches:
        for measure, status, day in batch:
            record(store, measure, status, day.isoformat())
        kept = store.events()
        pd.testing.assert_frame_equal(kept, from_scratch(url))
        pd.testing.assert_frame_equal(
            store.score("2024-12-31"),
            spatz.score(store.catalog(), kept, as_of="2024-12-31"),
        )
