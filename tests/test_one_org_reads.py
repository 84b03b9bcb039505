"""Reads about one organisation read only its rows, and say what the read of all says.

Differential, on SQLite and PostgreSQL with the sample data: each read for one
organisation (filtered in the database) equals the read of everybody cut to that
organisation, and every filtered read equals the same read with the filter applied on the
client after reading everything (:data:`spatz.queries.events.FEW_ORGS` set to 0).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from postgres import create_database, drop_database
from sqlmodel import Session

import spatz
from spatz.db import alembic_config, make_engine, migrate
from spatz.errors import PermissionDenied
from spatz.io.xlsx import WorkbookData
from spatz.model import MeasureEventCreate, Role, Status
from spatz.queries import events
from spatz.queries.events import events_frame, last_event_date
from spatz.scoring import month_ends
from spatz.services.auth import scope_of
from spatz.services.common import Actor
from spatz.services.demo import GESUNDHEITSAMT, HALLE, load_demo
from spatz.services.scores import Reading, roadmap_of
from spatz.services.states import state_details
from spatz.store import Store

ORGS = ["15000000", HALLE, GESUNDHEITSAMT, "15003000", "15083298", "15090070"]
"""The Land (no events of its own), Halle with units, projects and milestones, a unit with
milestones, and Kommunen with and without targets."""
AS_OF = dt.date(2024, 6, 30)
OPERATOR = Actor.operator("test")
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def demo_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The sample data on a fresh database (shared by the tests here, which only read),
    with two events of one measure on one day (the one recorded later sets the state)."""
    if request.param == "postgresql":
        url = create_database(request.getfixturevalue("postgres_server"))
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('one-org')}/spatz.db"
    migrate(url)
    engine = make_engine(url)
    load_demo(engine=engine, actor=OPERATOR)
    store = spatz.open(url, actor=OPERATOR)
    for status in (Status.completed, Status.in_progress):
        store.record_event(
            MeasureEventCreate(
                org="15083298", measure_id="STR-1-01", status=status, date=dt.date(2024, 5, 2)
            )
        )
    engine.dispose()
    store.engine.dispose()
    yield url
    if request.param == "postgresql":
        drop_database(url)


def actors(url: str) -> dict[str, Actor]:
    with Session(make_engine(url)) as session:
        scope = scope_of(session, Role.leitung, HALLE)
    leitung = Actor(name="leitung", role=Role.leitung, org=HALLE, scope=scope)
    return {"admin": OPERATOR, "land": Actor(name="land", role=Role.land), "leitung": leitung}


def own(frame: pd.DataFrame, org: str) -> pd.DataFrame:
    return frame[frame["org"] == org].reset_index(drop=True)


READS: dict[str, Callable[[Store, str | None, dt.date | None], pd.DataFrame]] = {
    "score": lambda s, org, day: s.score(day, org=org),
    "explain": lambda s, org, day: s.explain(day, org=org),
    "target_status": lambda s, org, day: s.target_status(day, org=org),
    "state_details": lambda s, org, day: s.state_details(day, org=org),
    "trend": lambda s, org, day: s.trend(month_ends("2020-01-01", day or AS_OF), org=org),
    "activity": lambda s, org, day: s.activity(org=org),
}


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
@pytest.mark.parametrize("as_of", [None, AS_OF], ids=["Datenstand", "Stichtag"])
def test_a_read_about_one_organisation_is_the_read_of_all_cut_to_it(
    demo_database: str,
    read: Callable[[Store, str | None, dt.date | None], pd.DataFrame],
    as_of: dt.date | None,
) -> None:
    for name, actor in actors(demo_database).items():
        store = spatz.open(demo_database, actor=actor)
        visible = ORGS if actor.scope is None else sorted(actor.scope)
        try:
            everybody = read(store, None, as_of)
        except PermissionDenied:
            for org in visible:
                with pytest.raises(PermissionDenied):
                    read(store, org, as_of)
            continue
        for org in visible:
            expected = own(everybody, org)
            pd.testing.assert_frame_equal(read(store, org, as_of), expected, obj=f"{name} {org}")
        store.engine.dispose()


def test_a_read_about_an_organisation_outside_the_scope_is_refused(demo_database: str) -> None:
    store = spatz.open(demo_database, actor=actors(demo_database)["leitung"])
    for read in READS.values():
        with pytest.raises(PermissionDenied):
            read(store, "15003000", AS_OF)
    store.engine.dispose()


def test_the_datenstand_is_the_last_event_date_in_the_scope(demo_database: str) -> None:
    for name, actor in actors(demo_database).items():
        store = spatz.open(demo_database, actor=actor)
        last = store.activity()["last"].max().date()
        assert store.stichtag() == min(dt.date.today(), last), name
        store.engine.dispose()


def equal_workbooks(got: WorkbookData, expected: WorkbookData) -> None:
    assert got.as_of == expected.as_of
    for field in fields(WorkbookData):
        if field.name != "as_of":
            frame = getattr(got, field.name)
            pd.testing.assert_frame_equal(frame, getattr(expected, field.name), obj=field.name)


ONE_ORG_READS: dict[str, Callable[[Store, str], object]] = {
    "workbook": lambda s, org: s.workbook(AS_OF, orgs=[org]),
    "workbook of two": lambda s, org: s.workbook(AS_OF, orgs=[org, "15003000"]),
    "report": lambda s, org: s.report(org, AS_OF),
    "report at the Datenstand": lambda s, org: s.report(org),
    "roadmap": lambda s, org: s.roadmap(org, "informationssicherheit", AS_OF),
    "score": lambda s, org: s.score(AS_OF, org=org),
    "state details": lambda s, org: s.state_details(AS_OF, org=org),
}


@pytest.mark.parametrize("read", ONE_ORG_READS.values(), ids=ONE_ORG_READS.keys())
def test_filtering_in_the_database_equals_filtering_after_reading_everything(
    demo_database: str, read: Callable[[Store, str], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = spatz.open(demo_database)
    filtered = {org: read(store, org) for org in ORGS}
    monkeypatch.setattr(events, "FEW_ORGS", 0)
    for org in ORGS:
        expected = read(store, org)
        if isinstance(expected, WorkbookData):
            got = filtered[org]
            assert isinstance(got, WorkbookData)
            equal_workbooks(got, expected)
        elif isinstance(expected, pd.DataFrame):
            got_frame = filtered[org]
            assert isinstance(got_frame, pd.DataFrame)
            pd.testing.assert_frame_equal(got_frame, expected, obj=org)
        else:
            assert filtered[org] == expected, org
    store.engine.dispose()


def test_the_frames_of_a_reading_about_some_organisations_are_those_of_all_cut_to_them(
    demo_database: str,
) -> None:
    engine = make_engine(demo_database)
    for orgs in ([HALLE], [GESUNDHEITSAMT, "15003000", "15000000"], [], ["gibt-es-nicht"]):
        with Session(engine) as session:
            focused = Reading(session, OPERATOR, orgs=orgs)
            every = Reading(session, OPERATOR)
            for frame in ("events", "planned_events", "targets", "organisations"):
                expected = every.__getattribute__(frame)
                expected = expected[expected["org"].isin(orgs)].reset_index(drop=True)
                got = focused.__getattribute__(frame)
                pd.testing.assert_frame_equal(got, expected, obj=f"{frame} {orgs}")
            assert focused.datenstand == every.datenstand
            day = pd.Timestamp(AS_OF)
            for org in orgs:
                pd.testing.assert_frame_equal(
                    roadmap_of(focused, org, "strategie", day),
                    roadmap_of(every, org, "strategie", day),
                )
    engine.dispose()


@pytest.mark.parametrize("few", [500, 1], ids=["in the database", "on the client"])
def test_events_and_state_details_of_some_organisations(
    demo_database: str, few: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "FEW_ORGS", few)
    engine = make_engine(demo_database)
    with engine.connect() as conn:
        key = spatz.open(demo_database).catalog().id
        every = events_frame(conn, catalog_key=key)
        details = state_details(conn, catalog_key=key, as_of=AS_OF)
        for orgs in ([HALLE, "15083298"], ["15000000"], [], ["gibt-es-nicht", HALLE]):
            for with_details in (True, False):
                expected = every if with_details else every.drop(columns=["note", "evidence"])
                got = events_frame(conn, catalog_key=key, details=with_details, orgs=orgs)
                cut = expected[expected["org"].isin(orgs)].reset_index(drop=True)
                pd.testing.assert_frame_equal(got, cut, obj=f"events {orgs}")
            got = state_details(conn, catalog_key=key, as_of=AS_OF, orgs=orgs)
            cut = details[details["org"].isin(orgs)].reset_index(drop=True)
            pd.testing.assert_frame_equal(got, cut, check_dtype=bool(len(cut)), obj=str(orgs))
            last = every[every["org"].isin(orgs)]["date"].max()
            expected_last = None if pd.isna(last) else last.date()
            assert last_event_date(conn, catalog_key=key, orgs=orgs) == expected_last
        assert last_event_date(conn, catalog_key=key) == every["date"].max().date()
        assert last_event_date(conn, catalog_key="anderer-katalog") is None
    engine.dispose()


def test_one_organisation_is_read_by_its_index(demo_database: str) -> None:
    """The query for one organisation's events asks the database for that organisation:
    the organisation is a parameter of a statement, and no row of another comes back."""
    engine = make_engine(demo_database)
    parameters: list[object] = []

    def seen(
        conn: object,
        cursor: object,
        statement: str,
        values: Sequence[object] | Mapping[str, object],
        *args: object,
    ) -> None:
        parameters.extend(values.values() if isinstance(values, Mapping) else values)

    sa.event.listen(engine, "before_cursor_execute", seen)
    with engine.connect() as conn:
        key = spatz.open(demo_database).catalog().id
        frame = events_frame(conn, catalog_key=key, orgs=[HALLE])
    sa.event.remove(engine, "before_cursor_execute", seen)
    assert set(frame["org"]) == {HALLE}
    assert HALLE in parameters
    engine.dispose()


def test_the_index_by_organisation_and_catalog_comes_and_goes_with_its_migration(
    database_url: str,
) -> None:
    config = alembic_config(database_url)
    engine = make_engine(database_url)

    def indexes() -> set[str | None]:
        return {i["name"] for i in sa.inspect(engine).get_indexes("measure_event")}

    command.upgrade(config, "0004")
    assert "ix_measure_event_org_catalog_date" not in indexes()
    command.upgrade(config, "head")
    assert "ix_measure_event_org_catalog_date" in indexes()
    command.check(config)
    command.downgrade(config, "0004")
    assert "ix_measure_event_org_catalog_date" not in indexes()
    assert "ix_measure_event_org_measure_date" in indexes()
    engine.dispose()


def test_the_benchmark_builds_its_database_with_the_current_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``benchmarks/bench_one_org.py`` at 50 organisations (22,750 events), so that a
    change of the schema it does not follow is noticed here."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    bench = importlib.import_module("bench_one_org")
    url = f"sqlite:///{tmp_path}/bench.db"
    n = bench.build(url, 50)
    store = spatz.open(url)
    assert len(store.events()) == n == 50 * bench.EVENTS_PER_ORG
    assert set(store.score(bench.AS_OF, org=bench.ORG)["org"]) == {bench.ORG}
    assert len(store.projects(bench.ORG)) == len(store.milestones(bench.ORG)) == 1
    store.engine.dispose()
