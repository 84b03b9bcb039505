"""events_frame: the measure events of a catalog as the frame the scoring engine reads.

Run on SQLite and PostgreSQL; the column-wise fast path is checked against the general
path (one ordered query through SQLAlchemy), with ranges small enough to split the data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from spatz.catalog import Catalog, load_catalog
from spatz.db import make_engine, migrate, session_scope
from spatz.io.reader import read_table_bytes
from spatz.model import MeasureEvent, MeasureEventCreate, Organisation, OrgKind, Status
from spatz.queries import events
from spatz.queries.events import events_frame
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor
from spatz.services.lookups import org_ids_by_key
from spatz.services.organisations import import_organisations
from spatz.services.progress import import_progress, record_event

DATA = Path(__file__).parent / "data"
ACTOR = Actor.operator("test")
READ_ROWS = events._read_rows
"""The general path, kept before tests replace it."""
COLUMNS = ["org", "measure_id", "status", "date", "due_date", "note", "evidence"]

ORGS = """org,name,kind,land,ags,parent
15002000,Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,15002000,
15002000-GA,Gesundheitsamt,Organisationseinheit,Sachsen-Anhalt,,15002000
15003000,Magdeburg,kreisfreie Stadt,Sachsen-Anhalt,15003000,
"""

PROGRESS = """org;measure_id;status;date;due_date;note;evidence
15002000;STR-1-01;umgesetzt;15.06.2023;;Stadtratsbeschluss;VI/2023/05123
15002000;STR-1-02;in Umsetzung;2023-07-01;2024-03-31;;
15003000;ISM-1-01;completed;2022-01-10;;;
15002000-GA;ISM-2-01;geplant;2024-02-29;2025-12-31;;Protokoll 7/2024
"""

EXPECTED: dict[str, list[str | None]] = {
    "org": ["15002000", "15002000", "15003000", "15002000-GA"],
    "measure_id": ["STR-1-01", "STR-1-02", "ISM-1-01", "ISM-2-01"],
    "status": ["completed", "in_progress", "completed", "planned"],
    "date": ["2023-06-15", "2023-07-01", "2022-01-10", "2024-02-29"],
    "due_date": [None, "2024-03-31", None, "2025-12-31"],
    "note": ["Stadtratsbeschluss", "", "", ""],
    "evidence": ["VI/2023/05123", "", "", "Protokoll 7/2024"],
}

AWKWARD_TEXTS = [
    "Beschluss; Anlage 2, Seite 4 – \"Leitlinie\" 'ISMS'",
    "zwei\nZeilen\r\nund Windows-Zeilenende\rund altes Mac-Ende",
    "Tab\there, Einheit\x1ftrenner, Backslash \\ und \\. allein:",
    "\\.",
    "  Leerzeichen vorn und hinten  ",
    "NA",
    "NULL",
    "Ümläute ß € 😀 中文",
    '"ganz in Anführungszeichen"',
    ",;",
]


def frame_of(columns: Mapping[str, Sequence[str | None]]) -> pd.DataFrame:
    """The expected frame: strings as ``str``, dates as ``datetime64[s]``."""
    frame = {name: pd.Series(list(values), dtype=object) for name, values in columns.items()}
    return pd.DataFrame(
        {
            name: pd.to_datetime(values).astype("datetime64[s]")
            if name in ("date", "due_date")
            else values.astype("str")
            for name, values in frame.items()
        }
    )


def read(url: str, catalog_key: str = "mini", *, details: bool = True) -> pd.DataFrame:
    with make_engine(url).connect() as conn:
        return events_frame(conn, catalog_key=catalog_key, details=details)


def read_general(url: str, catalog_key: str = "mini", *, details: bool = True) -> pd.DataFrame:
    """The frame from the general path, without the column-wise fast path."""
    with make_engine(url).connect() as conn:
        return READ_ROWS(conn, catalog_key, details)


def import_text(url: str, importer: object, text: str, name: str) -> None:
    assert callable(importer)
    with session_scope(make_engine(url)) as session:
        importer(session=session, actor=ACTOR, table=read_table_bytes(text.encode(), name))


def record(
    url: str,
    org: str,
    measure_id: str,
    status: Status,
    date: str,
    *,
    due_date: str | None = None,
    note: str = "",
    evidence: str = "",
) -> None:
    event = MeasureEventCreate(
        org=org,
        measure_id=measure_id,
        status=status,
        date=dt.date.fromisoformat(date),
        due_date=dt.date.fromisoformat(due_date) if due_date else None,
        note=note,
        evidence=evidence,
    )
    with session_scope(make_engine(url)) as session:
        record_event(session=session, actor=ACTOR, event_in=event)


def prepare(url: str) -> str:
    """Migrate, store the mini catalog, import three organisations."""
    migrate(url)
    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=ACTOR, catalog=load_catalog(DATA / "mini.yaml"))
    import_text(url, import_organisations, ORGS, "orgs.csv")
    return url


@pytest.fixture
def url(database_url: str) -> str:
    """A prepared database, SQLite and PostgreSQL."""
    return prepare(database_url)


@pytest.fixture(params=[1, 2, 3, 1 << 18], ids=lambda n: f"range{n}")
def range_ids(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Ids per range of the fast path (small ranges split even a few events); the fast
    path must not give up and take the general one."""

    def general_path_not_expected(*args: object) -> pd.DataFrame:
        raise AssertionError("the fast path gave up")

    monkeypatch.setattr(events, "_RANGE_IDS", request.param)
    monkeypatch.setattr(events, "_read_rows", general_path_not_expected)
    yield request.param


def test_frame_has_the_events_and_the_documented_dtypes(url: str, range_ids: int) -> None:
    import_text(url, import_progress, PROGRESS, "p.csv")
    frame = read(url)
    pd.testing.assert_frame_equal(frame, frame_of(EXPECTED))
    assert list(frame.columns) == COLUMNS
    assert [str(t) for t in frame.dtypes] == ["str"] * 3 + ["datetime64[s]"] * 2 + ["str"] * 2
    assert isinstance(frame.index, pd.RangeIndex)
    pd.testing.assert_frame_equal(frame, read_general(url))
    pd.testing.assert_frame_equal(read(url, "other"), frame_of({name: [] for name in COLUMNS}))


def test_session_and_connection_give_the_same_frame(url: str) -> None:
    import_text(url, import_progress, PROGRESS, "p.csv")
    with Session(make_engine(url)) as session:
        from_session = events_frame(session, catalog_key="mini")
    pd.testing.assert_frame_equal(from_session, read(url))


def test_without_details_note_and_evidence_are_left_out(url: str, range_ids: int) -> None:
    import_text(url, import_progress, PROGRESS, "p.csv")
    frame = read(url, details=False)
    pd.testing.assert_frame_equal(frame, frame_of(EXPECTED).drop(columns=["note", "evidence"]))
    pd.testing.assert_frame_equal(frame, read_general(url, details=False))


def test_the_later_recorded_event_of_a_day_comes_later(url: str, range_ids: int) -> None:
    record(url, "15002000", "STR-1-01", Status.in_progress, "2023-05-02", note="erst")
    record(url, "15003000", "ISM-1-01", Status.planned, "2023-05-01", note="anderswo")
    record(url, "15002000", "STR-1-01", Status.completed, "2023-05-02", note="dann")
    frame = read(url)
    assert list(frame["note"]) == ["erst", "anderswo", "dann"]
    assert list(frame["status"]) == ["in_progress", "planned", "completed"]
    pd.testing.assert_frame_equal(frame, read_general(url))


def test_rows_follow_the_recording_time_not_the_id(url: str, range_ids: int) -> None:
    """Writers that commit in another order than they stamped: ids and times disagree."""
    with Session(make_engine(url)) as session:
        org_id = org_ids_by_key(session)["15002000"]
    t0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
    stamps = [t0 + dt.timedelta(seconds=s) for s in (30, 0, 20, 0, 10, 30, 0.000001)]
    rows = [
        {
            "org_id": org_id,
            "measure_id": "STR-1-01",
            "status": Status.planned,
            "date": dt.date(2024, 1, 1),
            "note": f"id order {i}",
            "evidence": "",
            "catalog_key": "mini",
            "recorded_by": "test",
            "recorded_at": stamp,
        }
        for i, stamp in enumerate(stamps)
    ]
    with session_scope(make_engine(url)) as session:
        for row in rows:  # one by one: ids in list order
            session.execute(sa.insert(MeasureEvent), [row])
    frame = read(url)
    assert list(frame["note"]) == [f"id order {i}" for i in (1, 3, 6, 4, 2, 0, 5)]
    pd.testing.assert_frame_equal(frame, read_general(url))


def test_batches_recorded_out_of_turn_are_moved_into_recording_order(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two imports whose ids and recording times disagree: the later ids came first."""
    with Session(make_engine(url)) as session:
        org_ids = list(org_ids_by_key(session).values())
    t0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
    batches = [(t0 + dt.timedelta(minutes=2), 1500), (t0, 900), (t0 + dt.timedelta(minutes=1), 600)]
    rows = [
        {
            "org_id": org_ids[i % len(org_ids)],
            "measure_id": "STR-1-01",
            "status": Status.completed,
            "date": dt.date(2024, 1, 1) + dt.timedelta(days=i % 400),
            "note": f"{batch}/{i}",
            "evidence": "",
            "catalog_key": "mini",
            "recorded_by": "test",
            "recorded_at": stamp,
        }
        for batch, (stamp, size) in enumerate(batches)
        for i in range(size)
    ]
    with session_scope(make_engine(url)) as session:
        session.execute(sa.insert(MeasureEvent), rows)
    expected = read_general(url)
    in_recording_order = ["1"] * 900 + ["2"] * 600 + ["0"] * 1500
    assert [note.split("/")[0] for note in expected["note"]] == in_recording_order
    monkeypatch.setattr(events, "_RANGE_IDS", 700)
    monkeypatch.setattr(events, "_read_rows", None)
    pd.testing.assert_frame_equal(read(url), expected)


def test_organisations_with_far_apart_ids(url: str) -> None:
    """Organisation ids need not be dense (nor small)."""
    big = 1_500_000_000
    with session_scope(make_engine(url)) as session:
        session.execute(
            sa.insert(Organisation),
            [{"id": big, "key": "Fern", "name": "Fern", "kind": OrgKind.stadt, "updated_by": "t"}],
        )
    record(url, "Fern", "STR-1-01", Status.planned, "2023-01-01")
    record(url, "15002000", "STR-1-02", Status.completed, "2023-01-02")
    frame = read(url)
    assert list(frame["org"]) == ["Fern", "15002000"]
    pd.testing.assert_frame_equal(frame, read_general(url))


def test_empty_table_gives_the_columns_and_dtypes(url: str, range_ids: int) -> None:
    for details, columns in ((True, COLUMNS), (False, COLUMNS[:5])):
        frame = read(url, details=details)
        assert frame.empty
        assert list(frame.columns) == columns
        expected = frame_of({name: [] for name in columns})
        pd.testing.assert_frame_equal(frame, expected)
        pd.testing.assert_frame_equal(read_general(url, details=details), expected)


def test_only_the_events_of_the_catalog_are_read(url: str, range_ids: int) -> None:
    mini = load_catalog(DATA / "mini.yaml")
    other = Catalog.model_validate({**mini.model_dump(), "id": "other", "name": "Anderer"})
    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=ACTOR, catalog=other)
    table = read_table_bytes(PROGRESS.encode(), "p.csv")
    event = MeasureEventCreate(
        org="15003000", measure_id="STR-1-01", status=Status.planned, date=dt.date(2024, 5, 6)
    )
    with session_scope(make_engine(url)) as session:
        import_progress(session=session, actor=ACTOR, table=table, catalog=mini)
        record_event(session=session, actor=ACTOR, event_in=event, catalog=other)
        import_progress(session=session, actor=ACTOR, table=table, catalog=mini)
    pd.testing.assert_frame_equal(read(url, "mini"), frame_of(EXPECTED))
    expected: dict[str, list[str | None]] = {"org": ["15003000"], "measure_id": ["STR-1-01"]}
    expected |= {"status": ["planned"], "date": ["2024-05-06"], "due_date": [None]}
    expected |= {"note": [""], "evidence": [""]}
    pd.testing.assert_frame_equal(read(url, "other"), frame_of(expected))
    assert read(url, "nothing").empty


def test_awkward_notes_survive_unchanged(url: str, range_ids: int) -> None:
    for i, text in enumerate(AWKWARD_TEXTS):
        record(url, "15002000", "STR-1-01", Status.planned, "2023-01-01", note=text)
        record(url, "15003000", "ISM-1-01", Status.planned, "2023-01-01", evidence=text + f"{i}")
    frame = read(url)
    assert list(frame["note"]) == [v for text in AWKWARD_TEXTS for v in (text, "")]
    assert list(frame["evidence"]) == [
        v for i, text in enumerate(AWKWARD_TEXTS) for v in ("", f"{text}{i}")
    ]
    pd.testing.assert_frame_equal(frame, read_general(url))


def test_a_nul_character_in_a_sqlite_note_survives(sqlite_url: str, range_ids: int) -> None:
    """SQLite text may contain NUL (PostgreSQL text cannot). SPATZ refuses it on input now,
    but a database written before, or by other tools, is still read exactly."""
    url = prepare(sqlite_url)
    record(url, "15002000", "STR-1-01", Status.planned, "2023-01-01", note="a-b")
    record(url, "15002000", "STR-1-02", Status.planned, "2023-01-01", evidence="-")
    with make_engine(url).begin() as conn:
        conn.execute(
            sa.text("UPDATE measure_event SET note = 'a' || char(0) || 'b' WHERE note = 'a-b'")
        )
        conn.execute(sa.text("UPDATE measure_event SET evidence = char(0) WHERE evidence = '-'"))
    frame = read(url)
    assert list(frame["note"]) == ["a\x00b", ""]
    assert list(frame["evidence"]) == ["", "\x00"]


def test_missing_due_date_is_nat(url: str, range_ids: int) -> None:
    record(url, "15002000", "STR-1-01", Status.planned, "2023-01-01")
    record(url, "15002000", "STR-1-02", Status.planned, "2023-01-01", due_date="2026-06-30")
    frame = read(url)
    assert frame["due_date"].isna().tolist() == [True, False]
    assert frame["due_date"].iloc[1] == pd.Timestamp("2026-06-30")


def record_measures(url: str, ids: list[str]) -> None:
    """Store a catalog "odd" with these measure ids and record one event for each."""
    catalog = Catalog.model_validate(
        {
            "id": "odd",
            "version": "1",
            "name": "Seltsame Schlüssel",
            "levels": [{"level": 1, "name": "Eins"}, {"level": 2, "name": "Zwei"}],
            "dimensions": [
                {
                    "id": "d",
                    "name": "D",
                    "measures": [
                        {"id": m, "level": 1 + i % 2, "title": f"Maßnahme {i}"}
                        for i, m in enumerate(ids)
                    ],
                }
            ],
        }
    )
    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=ACTOR, catalog=catalog)
        for i, measure_id in enumerate(ids):
            event = MeasureEventCreate(
                org="15002000", measure_id=measure_id, status=Status.completed,
                date=dt.date(2024, 1, 1 + i),
            )  # fmt: skip
            record_event(session=session, actor=ACTOR, event_in=event, catalog=catalog)


def test_measure_ids_with_separators_and_quotes_survive(url: str, range_ids: int) -> None:
    """Measure ids are free text in a catalog."""
    ids = ["M,1", 'M"2', "M;3 ü", "M\x1f4", "M\r5", "M\\6", "NA", "M\t8", "01", "1.0"]
    record_measures(url, ids)
    frame = read(url, "odd")
    assert list(frame["measure_id"]) == ids
    pd.testing.assert_frame_equal(frame, read_general(url, "odd"))


def test_measure_ids_with_line_breaks_survive(url: str) -> None:
    ids = ["M\n1", "M2"]
    record_measures(url, ids)
    frame = read(url, "odd")
    assert list(frame["measure_id"]) == ids
    pd.testing.assert_frame_equal(frame, read_general(url, "odd"))


def test_the_fast_path_and_the_general_path_agree_on_many_events(url: str, range_ids: int) -> None:
    lines = ["org,measure_id,status,date,due_date,note,evidence"]
    measures = ["STR-1-01", "STR-1-02", "STR-2-01", "STR-3-01", "ISM-1-01", "ISM-2-01"]
    orgs = ["15002000", "15002000-GA", "15003000"]
    statuses = ["planned", "in_progress", "completed", "not_applicable"]
    for i in range(240):
        due = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}" if i % 3 else ""
        note = f'"Notiz {i}, ""zitiert"""' if i % 7 == 0 else ""
        lines.append(
            f"{orgs[i % 3]},{measures[i % 6]},{statuses[i % 4]},"
            f"{2019 + i // 336}-{1 + i // 28 % 12:02d}-{1 + i % 28:02d},{due},{note},"
            f"{'B' * (i % 5)}"
        )
    import_text(url, import_progress, "\n".join(lines) + "\n", "p.csv")
    frame = read(url)
    assert len(frame) == 240
    assert frame["note"].str.contains('"zitiert"').sum() == len(range(0, 240, 7))
    pd.testing.assert_frame_equal(frame, read_general(url))
