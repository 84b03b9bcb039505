"""Engines, sessions and schema migrations.

One engine per process and URL; sessions are opened per unit of work by the caller. The
schema is only ever changed by Alembic migrations (:func:`migrate`), never by ``create_all``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import Session

import spatz.model  # noqa: F401  (registers every table on the metadata)
from spatz.config import database_url
from spatz.resources import resource_dir


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@cache
def make_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (resolved by :func:`spatz.config.database_url`), one per URL."""
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        engine = sa.create_engine(resolved, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    else:
        engine = sa.create_engine(resolved, pool_pre_ping=True)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.attributes["url"] = database_url(url)
    return config


def migrate(url: str | None = None) -> None:
    """Bring the database schema to the newest revision; safe to repeat."""
    command.upgrade(alembic_config(url), "head")


def schema_is_current(engine: Engine) -> bool:
    """True when the database is migrated to the newest revision."""
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(False)))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return set(current) == set(script.get_heads())
