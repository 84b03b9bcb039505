"""PostgreSQL as the README sets it up: the application's role reads and writes rows but
can neither truncate the audit log nor drop or disable its triggers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from spatz.db import make_engine, migrate, session_scope
from spatz.model import MeasureEventCreate, Status
from spatz.services.common import Actor
from spatz.services.demo import HALLE, load_demo
from spatz.services.progress import record_event

GRANTS = [
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}",
]
"""The application role's grants of the README ("Betrieb mit PostgreSQL")."""


@pytest.fixture
def app_url(postgres_url: str) -> Iterator[str]:
    """A demo database, and the URL of an application role granted as the README says."""
    migrate(postgres_url)
    load_demo(engine=make_engine(postgres_url), actor=Actor.operator("demo"))
    role = f"spatz_app_{uuid.uuid4().hex[:8]}"
    owner = make_engine(postgres_url)
    with owner.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        for grant in GRANTS:
            conn.exec_driver_sql(grant.format(role=role))
    url = make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        make_engine(url).dispose()
        with owner.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")


@pytest.mark.postgres
def test_the_application_role_works_but_cannot_rewrite_the_audit_log(app_url: str) -> None:
    engine = make_engine(app_url)
    with session_scope(engine) as session:
        record_event(
            session=session,
            actor=Actor.operator("app"),
            event_in=MeasureEventCreate(
                org=HALLE, measure_id="KOM-1-01", status=Status.completed, date=dt.date.today()
            ),
        )
    read = sa.text("SELECT * FROM audit_entry ORDER BY id")
    with engine.connect() as conn:
        with conn.begin():
            log = conn.execute(read).all()
        assert log[-1].actor == "app"
        for statement, message in [
            ("TRUNCATE audit_entry", "permission denied"),
            ("DROP TRIGGER audit_entry_append_only ON audit_entry", "must be owner"),
            ("ALTER TABLE audit_entry DISABLE TRIGGER USER", "must be owner"),
            ("DELETE FROM audit_entry", "append-only"),
        ]:
            with pytest.raises(sa.exc.DBAPIError, match=message), conn.begin():
                conn.exec_driver_sql(statement)
        assert conn.execute(read).all() == log
