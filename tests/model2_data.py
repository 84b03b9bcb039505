"""A database with the catalog tests/data/model2.yaml, for the views of its elements."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import spatz
from spatz.db import make_engine, migrate, session_scope
from spatz.io.reader import read_table_bytes
from spatz.model import MeasureEventCreate, Role, Status, TargetCreate
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor
from spatz.services.demo import DEMO_ACCOUNTS
from spatz.services.organisations import import_organisations
from spatz.services.progress import record_event
from spatz.services.targets import set_target
from spatz.services.users import add_user

MODEL2 = Path(__file__).parent / "data" / "model2.yaml"
ORG = "S"
ADMIN = Actor.operator("tester")


def fill_model2_database(url: str) -> None:
    """Migrate ``url`` and load the catalog model2, one Stadt ``S`` with three measures
    done and a target of level 3 for the dimension ``org1`` (whose level 2 has no
    measures), and the demo's admin account."""
    migrate(url)
    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=ADMIN, catalog=spatz.load_catalog(MODEL2))
        table = read_table_bytes(b"org,name,kind\nS,Stadt S,Stadt\n", "o.csv")
        import_organisations(session=session, actor=ADMIN, table=table)
        for measure_id in ("ISMS.1.A1", "ISMS.1.A2", "NET.1.1.A1"):
            event = MeasureEventCreate(
                org=ORG, measure_id=measure_id, status=Status.completed, date=dt.date(2024, 3, 1)
            )
            record_event(session=session, actor=ADMIN, event_in=event)
        target = TargetCreate(
            org=ORG, dimension_id="org1", target_level=3, target_date=dt.date(2026, 12, 31)
        )
        set_target(session=session, actor=ADMIN, target=target, expected_id=None)
        admin = next(a for a in DEMO_ACCOUNTS if a.role == Role.admin)
        add_user(
            session=session,
            actor=ADMIN,
            name=admin.name,
            role=admin.role,
            org=None,
            password=admin.password,
        )
