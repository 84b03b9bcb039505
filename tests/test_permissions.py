"""The permission matrix: every service function that acts for somebody, against every role.

Each row names an operation, the service function it exercises and the roles that may do
it; every other role gets :class:`~spatz.errors.PermissionDenied` and nothing is written.
The accounts are the demo accounts: ``leitung``, ``bearbeiter`` and ``gast`` belong to
Halle, whose units ``leitung`` and ``bearbeiter`` see too; Magdeburg is outside their scope.
"""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import pkgutil
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import pandas as pd
import pytest
from dbutil import fingerprint

import spatz.services
import spatz.services.auth
from spatz.catalog import default_catalog
from spatz.db import session_scope
from spatz.errors import BackupError, PermissionDenied
from spatz.io.land import land_csv, read_land_tables
from spatz.io.reader import Table, read_table_bytes
from spatz.io.xlsx import WorkbookData
from spatz.mapping import load_mapping
from spatz.model import MeasureEventCreate, Role, Status, TargetCreate
from spatz.resources import resource_dir
from spatz.services.audit import list_audit
from spatz.services.auth import PERMISSIONS, Permission
from spatz.services.backup import restore_backup, write_backup
from spatz.services.catalogs import load_catalog_version, set_default_catalog, store_catalog
from spatz.services.common import Actor
from spatz.services.demo import DEMO_ACCOUNTS, DEMO_MAPPINGS, HALLE
from spatz.services.land import import_land
from spatz.services.mappings import load_mapping_set
from spatz.services.organisations import list_organisations
from spatz.services.users import (
    add_user,
    change_password,
    list_users,
    lock_user,
    logout,
    session_problem,
)
from spatz.store import Store, login

MAGDEBURG = "15003000"
NAMED_IN_COMPARISON = frozenset(
    row["org"]
    for row in csv.DictReader(
        (Path(__file__).parents[1] / "sample_data" / "organisations.csv").open(encoding="utf-8")
    )
    if row["named"] == "ja"
)
"""The demo organisations that agreed to be named to others as having done a measure."""
GA = "15002000-GA"  # a unit of Halle
DEMO_MAPPING = resource_dir("sample_data") / DEMO_MAPPINGS[0]
ALL = frozenset(Role)
DETAIL = frozenset({Role.admin, Role.leitung, Role.bearbeiter})
ADMIN = frozenset({Role.admin})
LAND = frozenset({Role.admin, Role.land})
DAY = "2024-12-31"


@dataclass(frozen=True)
class Case:
    name: str
    covers: str
    """The service function (module.function) the operation goes through."""
    allowed: frozenset[Role]
    run: Callable[[Store, Path], object]
    named: frozenset[str] = frozenset()
    """Organisations outside the actor's scope the operation may name (they agreed)."""


def table(text: str, name: str = "data.csv") -> Table:
    return read_table_bytes(text.encode(), name)


def event(org: str) -> MeasureEventCreate:
    return MeasureEventCreate(
        org=org, measure_id="STR-1-01", status=Status.completed, date=dt.date(2024, 12, 1)
    )


def land_file(store: Store, tmp: Path) -> object:
    path = tmp / "land.csv"
    path.write_bytes(land_csv(Store(store.url).land_export(DAY, [MAGDEBURG])))
    tables, _ = read_land_tables([path])
    with session_scope(store.engine) as session:
        return import_land(session=session, actor=store.actor, tables=tables, dry_run=True)


def restore(store: Store, tmp: Path) -> None:
    """Restore into the (non-empty) database: refused for a full one, but only after the
    permission check."""
    bundle = tmp / "restore.zip"
    write_backup(engine=store.engine, actor=Actor.operator("op"), path=bundle)
    with pytest.raises(BackupError, match="enthält bereits Daten"):
        restore_backup(engine=store.engine, actor=store.actor, path=bundle)


def with_session(
    function: Callable[..., object], **kwargs: object
) -> Callable[[Store, Path], object]:
    def run(store: Store, _: Path) -> object:
        with session_scope(store.engine) as session:
            return function(session=session, actor=store.actor, **kwargs)

    return run


CASES = [
    # Reads through the store: each read service, then the functions it builds on.
    Case("organisations", "scores.organisations", ALL, lambda s, _: s.organisations()),
    Case(
        "list organisations",
        "organisations.list_organisations",
        ALL,
        with_session(list_organisations),
    ),
    Case("stichtag", "scores.stichtag", ALL, lambda s, _: s.stichtag()),
    Case("data version", "versions.data_version", ALL, lambda s, _: s.data_version()),
    Case("activity", "scores.activity", ALL, lambda s, _: s.activity()),
    Case("notices", "scores.notices", ALL, lambda s, _: s.notices()),
    Case("targets", "scores.targets", ALL, lambda s, _: s.targets()),
    Case("score", "scores.score", ALL, lambda s, _: s.score(DAY)),
    Case("score at the Datenstand", "scores.score", ALL, lambda s, _: s.score()),
    Case("trend", "scores.trend", ALL, lambda s, _: s.trend(["2023-12-31", DAY])),
    Case("target status", "scores.target_status", ALL, lambda s, _: s.target_status(DAY)),
    Case("land export (own)", "land.land_export", ALL, lambda s, _: s.land_export(DAY, [HALLE])),
    Case(
        "land export (other)",
        "land.land_export",
        LAND,
        lambda s, _: s.land_export(DAY, [MAGDEBURG]),
    ),
    Case("land export (all)", "land.land_export", ALL, lambda s, _: s.land_export(DAY)),
    Case("target", "targets.target_in_force", ALL, lambda s, _: s.target(HALLE, "strategie")),
    Case("events", "scores.events", DETAIL, lambda s, _: s.events()),
    Case("explain", "scores.explain", DETAIL, lambda s, _: s.explain(DAY)),
    Case("history", "scores.history", DETAIL, lambda s, _: s.history(HALLE)),
    Case("history of a unit", "progress.list_events", DETAIL, lambda s, _: s.history(GA)),
    Case("history (other)", "progress.list_events", ADMIN, lambda s, _: s.history(MAGDEBURG)),
    Case("roadmap", "scores.roadmap", DETAIL, lambda s, _: s.roadmap(HALLE, "strategie")),
    Case(
        "roadmap (other)",
        "scores.roadmap",
        ADMIN,
        lambda s, _: s.roadmap(MAGDEBURG, "strategie"),
    ),
    Case("report", "exports.report", DETAIL, lambda s, _: s.report(HALLE, DAY)),
    Case("report (other)", "exports.report", ADMIN, lambda s, _: s.report(MAGDEBURG)),
    Case("report as PDF", "exports.report_file", DETAIL, lambda s, _: s.report_pdf(HALLE)),
    Case("projects", "projects.list_projects", DETAIL, lambda s, _: s.projects(HALLE)),
    Case("milestones", "projects.list_milestones", DETAIL, lambda s, _: s.milestones(GA)),
    Case("state details", "scores.state_details", DETAIL, lambda s, _: s.state_details(DAY)),
    Case("workbook", "exports.workbook", DETAIL, lambda s, _: s.workbook(DAY, [HALLE])),
    Case("workbook (all)", "exports.workbook", DETAIL, lambda s, _: s.workbook(DAY)),
    Case("workbook (other)", "exports.workbook", ADMIN, lambda s, _: s.workbook(DAY, [MAGDEBURG])),
    Case(
        "workbook file",
        "exports.workbook_file",
        DETAIL,
        lambda s, _: s.workbook_bytes(DAY, [HALLE]),
    ),
    Case("land comparison", "land.land_comparison", LAND, lambda s, _: s.land_comparison(DAY)),
    Case("imported land", "land.imported_land", LAND, lambda s, _: s.imported_land()),
    Case("land summary", "land.land_summary", LAND, lambda s, _: s.land_summary(DAY)),
    Case("land position", "land.position", ALL, lambda s, _: s.position(HALLE, DAY)),
    Case("land view", "land.land_view", LAND, lambda s, _: s.land_view(HALLE, DAY)),
    Case(
        "adopters",
        "land.adopters",
        ALL,
        lambda s, _: s.adopters("STR-1-01", DAY),
        named=NAMED_IN_COMPARISON,
    ),
    Case(
        "audit log",
        "audit.audit_frame",
        frozenset({Role.admin, Role.leitung}),
        lambda s, _: s.audit(),
    ),
    Case(
        "audit entries",
        "audit.list_audit",
        frozenset({Role.admin, Role.leitung}),
        with_session(list_audit),
    ),
    # Writes.
    Case(
        "record (own)",
        "progress.record_event",
        frozenset({Role.admin, Role.bearbeiter}),
        lambda s, _: s.record_event(event(HALLE)),
    ),
    Case(
        "record (unit)",
        "progress.record_event",
        frozenset({Role.admin, Role.bearbeiter}),
        lambda s, _: s.record_event(event(GA)),
    ),
    Case(
        "record (other)",
        "progress.record_event",
        ADMIN,
        lambda s, _: s.record_event(event(MAGDEBURG)),
    ),
    Case(
        "import progress",
        "progress.import_progress",
        frozenset({Role.admin, Role.bearbeiter}),
        lambda s, _: s.import_table(
            "progress",
            table(f"org,measure_id,status,date\n{HALLE},STR-1-01,completed,2024-12-01\n"),
        ),
    ),
    Case(
        "import progress (other)",
        "progress.import_progress",
        ADMIN,
        lambda s, _: s.import_table(
            "progress",
            table(
                f"org,measure_id,status,date\n{HALLE},STR-1-01,completed,2024-12-01\n"
                f"{MAGDEBURG},STR-1-01,completed,2024-12-01\n"
            ),
        ),
    ),
    Case(
        "import targets",
        "targets.import_targets",
        frozenset({Role.admin, Role.leitung}),
        lambda s, _: s.import_table(
            "targets",
            table(f"org,dimension_id,target_level,target_date\n{HALLE},strategie,4,2027-12-31\n"),
        ),
    ),
    Case(
        "set target",
        "targets.set_target",
        frozenset({Role.admin, Role.leitung}),
        lambda s, _: s.set_target(
            TargetCreate(
                org=HALLE,
                dimension_id="strategie",
                target_level=4,
                target_date=dt.date(2027, 12, 31),
            ),
            expected_id=(t.id if (t := Store(s.url).target(HALLE, "strategie")) else None),
        ),
    ),
    Case(
        "import organisations",
        "organisations.import_organisations",
        ADMIN,
        lambda s, _: s.import_table(
            "organisations",
            table(
                "org,name,kind,land,ags,parent\n"
                f"{HALLE}-FB99,FB 99,Organisationseinheit,Sachsen-Anhalt,,{HALLE}\n"
            ),
        ),
    ),
    Case(
        "import projects",
        "projects.import_projects",
        DETAIL,
        lambda s, _: s.import_table(
            "projects",
            table(
                "GB\tR\tProjektname\tProjektbeschreibung\tStart\tDauer\tEnde\n"
                "I\tFB 11\tE-Akte\tEinführung\t01.01.2025\t"
                "0 Jahre, 11 Monate 30 Tage\t31.12.2025\n",
                "p.tsv",
            ),
            org=HALLE,
        ),
    ),
    Case(
        "import milestones",
        "projects.import_milestones",
        DETAIL,
        lambda s, _: s.import_table(
            "milestones", table("title,due\nKonzept fertig,Q3 2025\n"), org=GA
        ),
    ),
    Case(
        "load catalog",
        "catalogs.store_catalog",
        ADMIN,
        with_session(
            store_catalog, catalog=default_catalog().model_copy(update={"version": "2099.1"})
        ),
    ),
    Case(
        "load catalog (saying what it changes)",
        "catalogs.load_catalog_version",
        ADMIN,
        with_session(
            load_catalog_version,
            catalog=default_catalog().model_copy(update={"version": "2099.2"}),
        ),
    ),
    Case(
        "choose the default catalog",
        "catalogs.set_default_catalog",
        ADMIN,
        with_session(set_default_catalog, key="spatz-kommunal"),
    ),
    Case(
        "load a mapping set",
        "mappings.load_mapping_set",
        ADMIN,
        with_session(
            load_mapping_set,
            mapping=load_mapping(DEMO_MAPPING).model_copy(update={"version": "2099.1"}),
        ),
    ),
    Case("import land", "land.import_land", LAND, land_file),
    Case(
        "import land (upload)",
        "land.import_land_files",
        LAND,
        lambda s, _: s.import_land(
            [("land.csv", land_csv(Store(s.url).land_export(DAY, [MAGDEBURG])))], dry_run=True
        ),
    ),
    Case(
        "import a table of a kind",
        "imports.import_table",
        frozenset({Role.admin, Role.bearbeiter}),
        lambda s, _: s.import_table(
            "progress",
            table(f"org,measure_id,status,date\n{HALLE},STR-1-01,completed,2024-12-01\n"),
            dry_run=True,
        ),
    ),
    Case(
        "add user",
        "users.add_user",
        ADMIN,
        with_session(add_user, name="neu", role=Role.gast, org=HALLE, password="lang-genug-123"),
    ),
    Case("list users", "users.list_users", ADMIN, with_session(list_users)),
    Case(
        "change another's password",
        "users.change_password",
        ADMIN,
        with_session(change_password, name="admin", password="ganz-neu-12345"),
    ),
    Case(
        "backup",
        "backup.write_backup",
        ADMIN,
        lambda s, tmp: write_backup(engine=s.engine, actor=s.actor, path=tmp / "b.zip"),
    ),
    Case("restore", "backup.restore_backup", ADMIN, lambda s, tmp: restore(s, tmp)),
    Case("log one's own logout", "users.logout", ALL, with_session(logout)),
    Case("lock an account", "users.lock_user", ADMIN, with_session(lock_user, name="gast.halle")),
    Case("check one's own session", "users.session_problem", ALL, with_session(session_problem)),
]


@pytest.fixture
def db(demo_url: str, tmp_path: Path) -> str:
    copy = tmp_path / "demo.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


@pytest.fixture(scope="module")
def actors(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[Role, Actor]:
    """The actor of each demo account, as its login gives it (on a copy: logins are logged)."""
    copy = tmp_path_factory.mktemp("logins") / "demo.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    found = {}
    for account in DEMO_ACCOUNTS:
        actor = login(f"sqlite:///{copy}", account.name, account.password).actor
        assert actor is not None
        found[account.role] = actor
    return found


def orgs_of(result: object) -> set[str]:
    """The organisations a read returned rows about."""
    if isinstance(result, pd.DataFrame) and "org" in result.columns:
        return set(result["org"])
    if isinstance(result, WorkbookData):
        frames = (result.overview, result.measures, result.trend, result.projects)
        return set().union(*(orgs_of(f) for f in frames))
    if isinstance(result, list):
        return {o for item in result if (o := getattr(item, "org", None)) is not None}
    return set()


def assert_in_scope(result: object, actor: Actor, named: frozenset[str] = frozenset()) -> None:
    if actor.scope is not None:
        assert orgs_of(result) <= actor.scope | named, f"{actor.role} got rows outside its scope"


def test_the_scope_check_sees_the_rows_of_every_kind_of_read(demo_url: str) -> None:
    store = Store(demo_url)
    for rows in (store.score(DAY), store.workbook(DAY), store.targets()):
        assert HALLE in orgs_of(rows)
    assert MAGDEBURG in orgs_of(store.workbook(DAY))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_role_against_the_operation(
    case: Case, db: str, tmp_path: Path, actors: dict[Role, Actor]
) -> None:
    for role in Role:
        store = Store(db, actor=actors[role])
        before = fingerprint(db)
        if role in case.allowed:
            assert_in_scope(case.run(store, tmp_path), actors[role], case.named)
        else:
            with pytest.raises(PermissionDenied, match="Keine Berechtigung"):
                case.run(store, tmp_path)
            assert fingerprint(db) == before, f"{role} changed the database"


def test_the_matrix_covers_every_service_function_that_acts_for_somebody() -> None:
    acting = set()
    for info in pkgutil.iter_modules(spatz.services.__path__):
        module = import_module(f"spatz.services.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            parameters = inspect.signature(function).parameters
            if "actor" in parameters and parameters["actor"].kind is inspect.Parameter.KEYWORD_ONLY:
                acting.add(f"{info.name}.{name}")
    covered = {c.covers for c in CASES}
    # The demo loads the sample data through the import services covered above.
    assert acting - covered == {"demo.load_demo"}
    assert {"progress.list_events", "projects.list_projects"} <= acting


def test_every_permission_is_held_by_admin_and_checked_somewhere() -> None:
    assert all(Role.admin in roles for roles in PERMISSIONS.values())
    package = Path(inspect.getfile(spatz.services.auth)).parents[1]
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in package.rglob("*.py") if p.name != "auth.py"
    )
    assert [p for p in Permission if f"Permission.{p.name}" not in source] == []
