"""The dashboard keeps its reads as long as the data is unchanged: keyed by the data
version, which every write changes (in whatever process) and a login does not."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from apptest import dashboard_as
from dbutil import demo_copy
from model2_data import ADMIN, ORG, fill_model2_database
from rendered import visible
from streamlit.testing.v1 import AppTest

import spatz
import spatz.store
from spatz.catalog import default_catalog
from spatz.db import make_engine, session_scope
from spatz.io.land import land_csv
from spatz.io.reader import Table, read_table_bytes
from spatz.model import MeasureEventCreate, Role, Status, TargetCreate
from spatz.services.backup import restore_backup, write_backup
from spatz.services.catalogs import set_default_catalog, store_catalog
from spatz.services.demo import DEMO_ACCOUNTS
from spatz.services.versions import DATA_TABLES, data_version

HALLE = "15002000"
AS_OF = dt.date(2024, 12, 31)
ACCOUNT = next(a for a in DEMO_ACCOUNTS if a.role == Role.admin)
"""The admin account of the demo (also in the model2 database), to log in with."""
PROJECTS = (
    "GB\tR\tProjektname\tProjektbeschreibung\tStart\tDauer\tEnde\n"
    "ALL\tQuer\tWLAN\t{description}\t01.04.2023\t0 Jahre, 8 Monate 0 Tage\t31.12.2023\n"
)


def _overview(url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Überblick of Halle, run once (a page opened anew)."""
    at = dashboard_as(url, monkeypatch, ADMIN, HALLE, AS_OF)
    at.run()
    assert not at.exception
    return at


def _levels(at: AppTest) -> dict[str, str]:
    return {visible(m.label): str(m.value) for m in at.metric}


def _count_store_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the calls of every public :class:`spatz.Store` method but the data version."""
    calls: Counter[str] = Counter()

    def counted(name: str, method: Any) -> Any:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return method(*args, **kwargs)

        return call

    for name, method in vars(spatz.Store).items():
        if callable(method) and not name.startswith("_") and name != "data_version":
            monkeypatch.setattr(spatz.Store, name, counted(name, method))
    return calls


def test_a_measure_recorded_by_another_process_shows_in_the_next_run(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = demo_copy(demo_url, tmp_path)
    at = _overview(url, monkeypatch)
    before = _levels(at)
    store = spatz.open(url, actor=ADMIN)
    levels = store.score(AS_OF, org=HALLE).set_index("dimension_id")["level"]
    dimension = next(
        d for d in store.catalog().dimensions if levels[d.id] < max(m.level for m in d.measures)
    )
    for measure in dimension.measures:
        event = MeasureEventCreate(
            org=HALLE, measure_id=measure.id, status=Status.completed, date=AS_OF
        )
        store.record_event(event)
    raised = int(store.score(AS_OF, org=HALLE).set_index("dimension_id")["level"][dimension.id])
    assert raised > levels[dimension.id]

    at.run()
    assert not at.exception
    assert before[dimension.name] == f"Stufe {levels[dimension.id]}"
    assert _levels(at)[dimension.name] == f"Stufe {raised}"


def test_an_unchanged_database_is_shown_from_the_cache(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = demo_copy(demo_url, tmp_path)
    first = _levels(_overview(url, monkeypatch))
    calls = _count_store_calls(monkeypatch)
    # A login writes the audit log, and changes nothing the pages show.
    assert spatz.store.login(url, ACCOUNT.name, ACCOUNT.password).actor is not None

    assert _levels(_overview(url, monkeypatch)) == first
    assert not calls

    store = spatz.open(url, actor=ADMIN)
    in_force = store.target(HALLE, "strategie")
    target = TargetCreate(org=HALLE, dimension_id="strategie", target_level=4, target_date=AS_OF)
    store.set_target(target, expected_id=None if in_force is None else in_force.id)
    calls.clear()
    _overview(url, monkeypatch)
    assert calls["score"] and calls["target_status"]


@pytest.fixture
def model2(database_url: str) -> spatz.Store:
    """The model2 database (a catalog, the Stadt S with events and a target, an admin
    account) on SQLite and on PostgreSQL."""
    fill_model2_database(database_url)
    return spatz.open(database_url, actor=ADMIN)


class Versions:
    """The data versions seen so far: each write has to make one not seen before."""

    def __init__(self, store: spatz.Store) -> None:
        self.store = store
        self.seen = [store.data_version()]

    def new(self) -> None:
        version = self.store.data_version()
        assert version not in self.seen
        self.seen.append(version)

    def same(self) -> None:
        assert self.store.data_version() == self.seen[-1]


def _organisations(rows: str) -> Table:
    return read_table_bytes(f"org,name,kind\n{rows}\n".encode(), "o.csv")


def test_the_data_version_changes_with_every_kind_of_write_and_not_with_a_login(
    model2: spatz.Store, tmp_path: Path
) -> None:
    store, versions = model2, Versions(model2)
    assert spatz.store.login(store.url, ACCOUNT.name, ACCOUNT.password).actor is not None
    assert spatz.store.login(store.url, ACCOUNT.name, "falsch").actor is None
    versions.same()
    backup = tmp_path / "backup.zip"
    write_backup(engine=store.engine, actor=ADMIN, path=backup)
    versions.same()

    event = MeasureEventCreate(
        org=ORG, measure_id="NET.1.1.A4", status=Status.completed, date=dt.date(2024, 4, 1)
    )
    store.record_event(event)
    versions.new()
    in_force = store.target(ORG, "org1")
    assert in_force is not None
    target = TargetCreate(org=ORG, dimension_id="org1", target_level=2, target_date=AS_OF)
    store.set_target(target, expected_id=in_force.id)
    versions.new()
    store.import_table("organisations", _organisations("T,Stadt T,Stadt"))
    versions.new()
    store.import_table("organisations", _organisations("S,Stadt S umbenannt,Stadt"))
    versions.new()
    for description in ("Aufbau", "Ausbau"):
        projects = read_table_bytes(PROJECTS.format(description=description).encode(), "p.tsv")
        store.import_table("projects", projects, org=ORG)
        versions.new()
    with session_scope(store.engine) as session:
        store_catalog(session=session, actor=ADMIN, catalog=default_catalog())
    versions.new()
    with session_scope(store.engine) as session:
        set_default_catalog(session=session, actor=ADMIN, key=default_catalog().id)
    versions.new()
    foreign = store.land_export(AS_OF, [ORG], catalog="model2").assign(
        org="X1", organisation="Gemeinde X"
    )
    store.import_land([("x.csv", land_csv(foreign))])
    versions.new()

    restore_backup(engine=store.engine, actor=ADMIN, path=backup, force=True)
    versions.new()


def test_a_restore_changes_the_version_when_every_highest_id_stays_the_same(
    model2: spatz.Store, tmp_path: Path
) -> None:
    store = model2
    backup = tmp_path / "backup.zip"
    write_backup(engine=store.engine, actor=ADMIN, path=backup)
    store.import_table("organisations", _organisations("S,Stadt S umbenannt,Stadt"))
    renamed = store.data_version()

    restore_backup(engine=store.engine, actor=ADMIN, path=backup, force=True)
    assert store.data_version() != renamed
    assert store.organisations()["name"].tolist() == ["Stadt S"]


def test_on_postgresql_what_is_read_while_a_write_is_open_is_not_kept_past_its_commit(
    postgres_url: str,
) -> None:
    """An id is taken at the insert: an import that commits after a later write adds
    events below the highest id, which the highest ids alone would not show."""
    fill_model2_database(postgres_url)
    store = spatz.open(postgres_url, actor=ADMIN)
    before = store.data_version()
    assert store.data_version() == before
    engine = make_engine(postgres_url)
    with engine.connect() as slow:
        transaction = slow.begin()
        slow.execute(
            sa.text(
                "INSERT INTO measure_event (org_id, catalog_key, measure_id, status, date,"
                " note, evidence, recorded_by, recorded_at)"
                " SELECT id, 'model2', 'NET.1.1.A4', 'completed', DATE '2024-04-01', '', '',"
                " 'import', now() FROM organisation WHERE key = :org"
            ),
            {"org": ORG},
        )
        store.record_event(
            MeasureEventCreate(
                org=ORG, measure_id="ISMS.1.A1", status=Status.completed, date=dt.date(2024, 4, 2)
            )
        )
        while_open = store.data_version()
        transaction.commit()
    after = store.data_version()
    assert len({before, while_open, after}) == 3
    assert store.data_version() == after


def test_the_data_version_reads_no_table_through(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/plan.db"
    fill_model2_database(url)
    engine = make_engine(url)
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    with session_scope(engine) as session:
        data_version(session=session, actor=ADMIN)
    sa.event.remove(engine, "before_cursor_execute", keep)
    with engine.connect() as conn:
        steps = [
            str(row[-1])
            for statement, parameters in statements
            for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        ]
    # The newest audit entry is found walking the log back from its end (stops at the
    # first entry that is not about an account); every other table is only looked up.
    scans = {step for step in steps if step.startswith("SCAN")}
    assert scans <= {"SCAN CONSTANT ROW", "SCAN audit_entry"}, steps
    assert {f"SEARCH {table}" for table in DATA_TABLES} <= set(steps), steps
