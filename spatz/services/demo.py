"""The demo: the default catalog, a small security catalog beside it, and the sample data
of Sachsen-Anhalt, loaded through the same import functions that users call, and one
account per role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from spatz.catalog import Catalog, default_catalog, load_catalog
from spatz.db import session_scope
from spatz.io.reader import read_table
from spatz.mapping import load_mapping
from spatz.model import Role
from spatz.resources import resource_dir
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.mappings import load_mapping_set
from spatz.services.organisations import import_organisations
from spatz.services.progress import import_progress
from spatz.services.projects import import_milestones, import_projects
from spatz.services.targets import import_targets
from spatz.services.users import add_user, find_user

HALLE = "15002000"
GESUNDHEITSAMT = "15002000-GA"


@dataclass(frozen=True)
class DemoStep:
    label: str
    file: str
    run: Callable[..., ImportSummary]
    org: str | None = None
    catalog: str | None = None
    """The file (one of :data:`DEMO_CATALOGS`) of the catalog the step imports into;
    ``None``: the default catalog."""


DEMO_CATALOGS = ("bsi-kompakt.yaml",)
DEMO_MAPPINGS = ("mapping_kommunal_bsi_kompakt.yaml",)
"""Mapping sets of the demo (:mod:`spatz.mapping`), loaded after its catalogs."""
"""Catalogs loaded after the default catalog, which stays the default catalog."""

DEMO_STEPS = (
    DemoStep("Organisationen", "organisations.csv", import_organisations),
    DemoStep("Maßnahmenverlauf", "progress.csv", import_progress),
    DemoStep("Ziele", "targets.csv", import_targets),
    DemoStep("Projektliste Halle 2023", "projekte_halle_2023.tsv", import_projects, HALLE),
    DemoStep(
        "Meilensteine Gesundheitsamt",
        "meilensteine_gesundheitsamt.csv",
        import_milestones,
        GESUNDHEITSAMT,
    ),
    DemoStep(
        "Maßnahmenverlauf Informationssicherheit",
        "progress_bsi_kompakt.csv",
        import_progress,
        catalog="bsi-kompakt.yaml",
    ),
    DemoStep(
        "Ziele Informationssicherheit",
        "targets_bsi_kompakt.csv",
        import_targets,
        catalog="bsi-kompakt.yaml",
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    name: str
    role: Role
    org: str | None
    password: str


DEMO_ACCOUNTS = (
    DemoAccount("admin", Role.admin, None, "spatz-admin-demo"),
    DemoAccount("leitung.halle", Role.leitung, HALLE, "spatz-leitung-demo"),
    DemoAccount("bearbeitung.halle", Role.bearbeiter, HALLE, "spatz-bearbeitung-demo"),
    DemoAccount("land.lsa", Role.land, None, "spatz-land-demo"),
    DemoAccount("gast.halle", Role.gast, HALLE, "spatz-gast-demo"),
)
"""One account per role, with published passwords: for trying SPATZ out, never for real."""


@dataclass(frozen=True)
class DemoOutcome:
    summaries: list[ImportSummary]
    accounts: list[DemoAccount]
    """The demo accounts created by this run (those that existed are left as they are)."""


def load_demo(
    *,
    engine: Engine,
    actor: Actor,
    data_dir: Path | None = None,
    on_step: Callable[[str], None] | None = None,
) -> DemoOutcome:
    """Load the default catalog, the :data:`DEMO_CATALOGS` and :data:`DEMO_MAPPINGS`, every
    sample file and the demo accounts in one transaction; safe to repeat."""
    data_dir = data_dir or resource_dir("sample_data")
    summaries: list[ImportSummary] = []
    created: list[DemoAccount] = []
    with session_scope(engine) as session:
        store_catalog(session=session, actor=actor, catalog=default_catalog())
        catalogs: dict[str, Catalog] = {}
        for name in DEMO_CATALOGS:
            catalogs[name] = load_catalog(data_dir / name)
            store_catalog(session=session, actor=actor, catalog=catalogs[name])
        for name in DEMO_MAPPINGS:
            load_mapping_set(session=session, actor=actor, mapping=load_mapping(data_dir / name))
        for step in DEMO_STEPS:
            if on_step:
                on_step(step.label)
            table = read_table(data_dir / step.file, name=step.file)
            extra: dict[str, object] = {"org": step.org} if step.org else {}
            if step.catalog is not None:
                extra["catalog"] = catalogs[step.catalog]
            summaries.append(step.run(session=session, actor=actor, table=table, **extra))
        for account in DEMO_ACCOUNTS:
            if find_user(session, account.name) is None:
                add_user(
                    session=session,
                    actor=actor,
                    name=account.name,
                    role=account.role,
                    org=account.org,
                    password=account.password,
                )
                created.append(account)
    return DemoOutcome(summaries, created)
