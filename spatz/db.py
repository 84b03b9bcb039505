"""Engines, sessions and schema migrations.

One engine per process and URL; sessions are opened per unit of work by the caller. The
schema is only ever changed by Alembic migrations (:func:`migrate`), never by ``create_all``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

import spatz.model  # noqa: F401  (registers every table on the metadata)
from spatz.config import database_url
from spatz.errors import DatabaseNotReadyError
from spatz.resources import resource_dir


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


DATABASE_FILE_MODE = 0o600
"""A new SQLite database file is readable and writable by its owner only: it holds the
accounts' password hashes (SQLite gives its journal files the same mode)."""


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; ``None`` for other databases and in-memory ones."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("uri") == "true":
        return None
    if parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _create_private_file(url: str) -> None:
    """Create the empty file of a SQLite URL with :data:`DATABASE_FILE_MODE`, unless it
    exists (its mode is kept) or cannot be created (SQLite then reports why)."""
    path = sqlite_file(url)
    if path is None:
        return
    with suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DATABASE_FILE_MODE))


def open_to_others(url: str | None = None) -> tuple[Path, int] | None:
    """The file and permission bits of a SQLite database file that its group or others may
    access; ``None`` if only its owner may (or it is no file)."""
    path = sqlite_file(database_url(url))
    if path is None:
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return (path, mode) if mode & 0o077 else None


@cache
def make_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (resolved by :func:`spatz.config.database_url`), one per URL.

    A SQLite file that does not exist yet is created with :data:`DATABASE_FILE_MODE`."""
    resolved = database_url(url)
    _create_private_file(resolved)
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
    config = alembic_config(url)
    _create_private_file(config.attributes["url"])
    command.upgrade(config, "head")


def _revisions(engine: Engine, conn: Connection | None) -> tuple[str, str]:
    """The database's revision and the newest one (several heads joined by commas)."""
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(False)))
    if conn is None:
        with engine.connect() as own:
            current = MigrationContext.configure(own).get_current_heads()
    else:
        current = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(current)), ",".join(sorted(script.get_heads()))


def schema_is_current(engine: Engine) -> bool:
    """True when the database is migrated to the newest revision."""
    current, newest = _revisions(engine, None)
    return current == newest


def require_current_schema(engine: Engine, conn: Connection | None = None) -> str:
    """The revision of the database (read through ``conn`` if given); raises
    :class:`~spatz.errors.DatabaseNotReadyError` unless it is the newest."""
    current, newest = _revisions(engine, conn)
    if not current or current != newest:
        raise DatabaseNotReadyError(engine.url.render_as_string(hide_password=True))
    return current


def begin_snapshot(session: Session) -> None:
    """Make the reads of ``session`` one snapshot: its transaction starts now (SQLite) or
    runs at REPEATABLE READ (PostgreSQL). A session already in a transaction keeps it."""
    if session.in_transaction():
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        session.connection().exec_driver_sql("BEGIN")
