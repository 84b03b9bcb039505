"""Recording one status change: append-only, and no silent overtaking of another user."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from spatz.catalog import load_catalog
from spatz.db import make_engine, migrate, session_scope
from spatz.errors import ConcurrentChangeError, NotFoundError
from spatz.io.reader import read_table_bytes
from spatz.model import MeasureEventCreate, Status
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor
from spatz.services.organisations import import_organisations
from spatz.services.progress import list_events, record_event

DATA = Path(__file__).parent / "data"


@pytest.fixture
def url(database_url: str) -> str:
    migrate(database_url)
    with session_scope(make_engine(database_url)) as session:
        store_catalog(
            session=session, actor=Actor.operator("t"), catalog=load_catalog(DATA / "mini.yaml")
        )
        table = read_table_bytes(b"org,name,kind\nA,Stadt A,Stadt\n", "o.csv")
        import_organisations(session=session, actor=Actor.operator("t"), table=table)
    return database_url


def _event(status: Status, note: str = "") -> MeasureEventCreate:
    return MeasureEventCreate(
        org="A", measure_id="STR-1-01", status=status, date=dt.date(2024, 5, 1), note=note
    )


def _record(url: str, who: str, event: MeasureEventCreate, seen: int | None) -> int:
    with session_scope(make_engine(url)) as session:
        return record_event(
            session=session, actor=Actor.operator(who), event_in=event, expected_last_id=seen
        ).id


def test_second_writer_who_saw_an_older_state_is_refused(url: str) -> None:
    first = _record(url, "anna", _event(Status.in_progress), None)
    # Both saw `first`; Bernd saves first, Clara's save must not silently follow his.
    _record(url, "bernd", _event(Status.completed, "Beschluss"), first)
    with pytest.raises(ConcurrentChangeError, match=r"bernd hat am .* inzwischen „umgesetzt“"):
        _record(url, "clara", _event(Status.planned), first)
    with Session(make_engine(url)) as session:
        history = list_events(session=session, actor=Actor.operator("t"), org="A")
    assert [(e.recorded_by, e.status) for e in history] == [
        ("bernd", Status.completed),
        ("anna", Status.in_progress),
    ]


def test_first_event_expects_none(url: str) -> None:
    _record(url, "anna", _event(Status.planned), None)
    with pytest.raises(ConcurrentChangeError):
        _record(url, "bernd", _event(Status.completed), None)


def test_unknown_measure_or_organisation(url: str) -> None:
    with pytest.raises(NotFoundError, match="Maßnahme 'X' gibt es im Katalog mini@1 nicht"):
        _record(url, "a", _event(Status.planned).model_copy(update={"measure_id": "X"}), None)
    with pytest.raises(NotFoundError, match="Organisation 'B' gibt es nicht"):
        _record(url, "a", _event(Status.planned).model_copy(update={"org": "B"}), None)


def test_a_nul_character_is_refused_on_every_database() -> None:
    # PostgreSQL cannot store it; SQLite could, but the same input gets the same answer.
    # (Import files with NUL bytes are refused as binary files by the reader.)
    with pytest.raises(ValidationError, match="darf kein NUL-Zeichen enthalten"):
        MeasureEventCreate(
            org="A",
            measure_id="STR-1-01",
            status=Status.completed,
            date=dt.date(2024, 1, 1),
            note="a\x00b",
        )
