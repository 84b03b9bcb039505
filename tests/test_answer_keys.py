"""Answers of a catalog's scale (partial credit) as event statuses: recorded, imported,
refused when unknown, stored and read back on SQLite and PostgreSQL, and scored alike from
the database and from the frame in memory.

The catalog is tests/data/model2.yaml: every measure accepts ``teilweise`` (teilweise
umgesetzt, 50 %), ISMS.1.A9 the scale ``samm`` (einige 25 %, mindestens_haelfte 50 %,
meiste 100 %) instead.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.util import CommandError
from sqlmodel import Session

import spatz
from spatz.catalog import Catalog, load_catalog
from spatz.db import alembic_config, make_engine, migrate, session_scope
from spatz.errors import ArgumentError, DataImportError
from spatz.io.reader import read_table_bytes
from spatz.model import MeasureEventCreate
from spatz.queries import events
from spatz.queries.events import events_frame
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor
from spatz.services.organisations import import_organisations
from spatz.services.progress import import_progress, list_events, record_event

MODEL2 = Path(__file__).parent / "data" / "model2.yaml"
ACTOR = Actor.operator("test")
AS_OF = dt.date(2025, 1, 1)

MEASURES = ["ISMS.1.A1", "ISMS.1.A2", "ISMS.1.A9", "ISMS.1.A9", "ISMS.1.A1", "NET.1.1.A1"]
"""The measures of the rows of PROGRESS."""
PROGRESS = """org,measure_id,status,date
S,ISMS.1.A1,teilweise,2024-03-01
S,ISMS.1.A2,Teilweise Umgesetzt,01.03.2024
S,ISMS.1.A9,mindestens_haelfte,2024-03-01
T,ISMS.1.A9,"ja, für die meisten",2024-03-01
T,ISMS.1.A1,umgesetzt,2024-03-01
T,NET.1.1.A1,completed,2024-03-01
"""


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog(MODEL2)


@pytest.fixture
def url(database_url: str, catalog: Catalog) -> str:
    """The catalog model2 and two Städte S and T, on SQLite and PostgreSQL."""
    migrate(database_url)
    with session_scope(make_engine(database_url)) as session:
        store_catalog(session=session, actor=ACTOR, catalog=catalog)
        table = read_table_bytes(b"org,name,kind\nS,Stadt S,Stadt\nT,Stadt T,Stadt\n", "o.csv")
        import_organisations(session=session, actor=ACTOR, table=table)
    return database_url


def _import(url: str, text: str, name: str = "p.csv") -> None:
    with session_scope(make_engine(url)) as session:
        import_progress(session=session, actor=ACTOR, table=read_table_bytes(text.encode(), name))


def _record(url: str, measure_id: str, status: str) -> str:
    event = MeasureEventCreate(org="S", measure_id=measure_id, status=status, date=AS_OF)
    with session_scope(make_engine(url)) as session:
        return record_event(session=session, actor=ACTOR, event_in=event).status


def _statuses(url: str) -> list[tuple[str, str, str]]:
    with make_engine(url).connect() as conn:
        frame = events_frame(conn, catalog_key="model2", details=False)
    return list(zip(frame["org"], frame["measure_id"], frame["status"], strict=True))


def test_recording_stores_the_answer_key_of_a_key_or_a_label(url: str) -> None:
    assert _record(url, "ISMS.1.A1", "teilweise") == "teilweise"
    assert _record(url, "ISMS.1.A2", "  teilweise   UMGESETZT ") == "teilweise"
    assert _record(url, "ISMS.1.A9", "ja, für einige") == "einige"
    assert _record(url, "NET.1.1.A1", "umgesetzt") == "completed"
    with Session(make_engine(url)) as session:
        history = list_events(session=session, actor=ACTOR, org="S")
    assert sorted(e.status for e in history) == ["completed", "einige", "teilweise", "teilweise"]


def test_recording_an_answer_of_another_scale_is_refused_naming_the_allowed_ones(
    url: str,
) -> None:
    # ISMS.1.A9 has the scale samm, which has no "teilweise".
    with pytest.raises(ArgumentError) as info:
        _record(url, "ISMS.1.A9", "teilweise")
    assert str(info.value) == (
        "Status: unbekannte Antwort 'teilweise' für ISMS.1.A9 (erlaubt: planned, in_progress, "
        "completed, not_applicable, einige, mindestens_haelfte, meiste, geplant, in Umsetzung, "
        "umgesetzt, nicht relevant, ja, für einige, ja, für mindestens die Hälfte, "
        "ja, für die meisten)"
    )
    assert _statuses(url) == []


def test_importing_answer_keys_and_labels_stores_the_keys(url: str) -> None:
    _import(url, PROGRESS)
    assert _statuses(url) == [
        ("S", "ISMS.1.A1", "teilweise"),
        ("S", "ISMS.1.A2", "teilweise"),
        ("S", "ISMS.1.A9", "mindestens_haelfte"),
        ("T", "ISMS.1.A9", "meiste"),
        ("T", "ISMS.1.A1", "completed"),
        ("T", "NET.1.1.A1", "completed"),
    ]
    _import(url, PROGRESS.replace("Teilweise Umgesetzt", "teilweise"))
    assert len(_statuses(url)) == 6, "the same events again are skipped"


def test_an_unknown_answer_is_refused_with_row_column_and_the_allowed_ones(url: str) -> None:
    text = (
        "org,measure_id,status,date\n"
        "S,ISMS.1.A1,teilweise,2024-03-01\n"
        "S,ISMS.1.A1,halb,2024-03-01\n"
        "S,ISMS.1.A9,teilweise,2024-03-01\n"
        "S,XYZ,teilweise,2024-03-01\n"
    )
    with pytest.raises(DataImportError) as info:
        _import(url, text)
    allowed_a1 = (
        "planned, in_progress, completed, not_applicable, teilweise, geplant, in Umsetzung, "
        "umgesetzt, nicht relevant, teilweise umgesetzt"
    )
    problems = [str(p) for p in info.value.problems]
    assert problems[0] == (
        f"p.csv:3: Spalte status: unbekannte Antwort 'halb' für ISMS.1.A1 (erlaubt: {allowed_a1})"
    )
    assert problems[1].startswith(
        "p.csv:4: Spalte status: unbekannte Antwort 'teilweise' für ISMS.1.A9 (erlaubt: planned,"
    )
    # For a measure the catalog lacks, only the four statuses are known.
    assert problems[2:] == [
        "p.csv:5: Spalte measure_id: unbekannte Maßnahme 'XYZ' (Katalog model2@1)",
        "p.csv:5: Spalte status: unbekannter Status 'teilweise' (erlaubt: planned, in_progress, "
        "completed, not_applicable, geplant, in Umsetzung, umgesetzt, nicht relevant)",
    ]
    assert _statuses(url) == []


def test_a_hostile_answer_is_refused_shortened_and_nothing_is_written(url: str) -> None:
    hostile = "teilweise" + "\u202e" * 3 + "x" * 5_000
    text = f'org,measure_id,status,date\nS,ISMS.1.A1,"{hostile}",2024-03-01\n'
    with pytest.raises(DataImportError) as info:
        _import(url, text)
    (problem,) = [str(p) for p in info.value.problems]
    assert problem.startswith("p.csv:2: Spalte status: unbekannte Antwort 'teilweise\\u202e")
    assert len(problem) < 600
    assert _statuses(url) == []


@pytest.mark.parametrize("range_ids", [1, 2, 1 << 17])
def test_the_fast_read_gives_the_answer_keys_as_the_general_read(
    url: str, range_ids: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(url, PROGRESS)
    _record(url, "ISMS.1.A15", "not_applicable")
    with make_engine(url).connect() as conn:
        general = events._read_rows(conn, "model2", True)

    def general_path_not_expected(*args: object) -> pd.DataFrame:
        raise AssertionError("the fast path gave up")

    monkeypatch.setattr(events, "_RANGE_IDS", range_ids)
    monkeypatch.setattr(events, "_read_rows", general_path_not_expected)
    with make_engine(url).connect() as conn:
        fast = events_frame(conn, catalog_key="model2")
    pd.testing.assert_frame_equal(fast, general)
    assert list(fast["status"].unique()) == [
        "teilweise",
        "mindestens_haelfte",
        "meiste",
        "completed",
        "not_applicable",
    ]


def test_scoring_from_the_database_equals_scoring_the_frame_in_memory(
    url: str, catalog: Catalog
) -> None:
    _import(url, PROGRESS)
    keys = ["teilweise", "teilweise", "mindestens_haelfte", "meiste", "completed", "completed"]
    frame = pd.DataFrame(
        {
            "org": ["S", "S", "S", "T", "T", "T"],
            "measure_id": MEASURES,
            "status": keys,
            "date": [dt.date(2024, 3, 1)] * 6,
        }
    )
    in_memory = spatz.score(catalog, frame, AS_OF)
    from_database = spatz.open(url, actor=ACTOR).score(AS_OF)
    columns = list(in_memory.columns)
    pd.testing.assert_frame_equal(
        from_database[columns].sort_values(["org", "dimension_id"]).reset_index(drop=True),
        in_memory.sort_values(["org", "dimension_id"]).reset_index(drop=True),
        check_dtype=False,
    )
    isms = in_memory.set_index(["org", "dimension_id"])["score"]
    # S: ISMS.1.A1 and A2 (level 1) half done each, so level 1 of isms is half fulfilled.
    assert isms[("S", "isms")] == pytest.approx(0.5)


def test_downgrading_is_refused_while_events_hold_answer_keys(url: str) -> None:
    _record(url, "ISMS.1.A1", "teilweise")
    command.downgrade(alembic_config(url), "0009")
    with pytest.raises(
        (RuntimeError, CommandError), match=r"Zurückstufen nicht möglich.*teilweise"
    ):
        command.downgrade(alembic_config(url), "0008")
    with make_engine(url).connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "0009"


def test_downgrading_without_answer_keys_restores_the_four_statuses(url: str) -> None:
    _record(url, "ISMS.1.A1", "completed")
    command.downgrade(alembic_config(url), "0008")
    with pytest.raises(sa.exc.IntegrityError), make_engine(url).begin() as conn:
        conn.execute(sa.text("UPDATE measure_event SET status = 'teilweise'"))
    migrate(url)
