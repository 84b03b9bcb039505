"""Backups: write the whole database as one bundle (:mod:`spatz.io.bundle`), and restore
one.

A restore checks the whole bundle first (hashes, signature, values, keys, references) and
then empties and fills the database in one transaction, ending with an audit entry of its
own: all or nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

from spatz.db import require_current_schema
from spatz.errors import BackupError, DatabaseNotReadyError
from spatz.io.bundle import (
    BACKUP_TABLES,
    Bundle,
    TableFile,
    open_bundle,
    readable,
    write_bundle,
    write_table,
)
from spatz.services.audit import audit
from spatz.services.auth import Permission, authorize
from spatz.services.common import Actor
from spatz.services.restore_checks import check_rows

INSERT_BATCH = 1000
SPOOL_BYTES = 16 * 1024 * 1024
"""Table files up to this size are buffered in memory while a bundle is written."""
AUDIT_TABLE = SQLModel.metadata.tables["audit_entry"]

ProgressCallback = Callable[[str], None]


@dataclass(frozen=True)
class BackupSummary:
    """What a backup wrote or a restore read: rows per table."""

    file: str
    revision: str
    tables: Mapping[str, int]
    restored: bool = False
    replaced: bool = False
    """The restore emptied a database that held data (``force``)."""
    signed: bool = False
    """The backup signed the bundle with a key; the restore checked its signature."""

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def warning(self) -> str | None:
        """What the operator has to know besides: a restore whose source was not checked."""
        if self.restored and not self.signed:
            return (
                f"Warnung: Die Echtheit von {self.file} wurde nicht geprüft (ohne --key-file); "
                "eine veränderte Sicherung wäre so nicht aufgefallen. Vermerkt im "
                "Änderungsprotokoll."
            )
        return None

    def __str__(self) -> str:
        done = "eingespielt" if self.restored else "gesichert"
        text = (
            f"{self.file}: {len(self.tables)} Tabellen, {self.rows} Zeilen {done} "
            f"(Schemastand {self.revision})"
        )
        if self.signed:
            text += ", Echtheit geprüft" if self.restored else ", signiert"
        if self.replaced:
            text += ", vorhandene Daten vorher gelöscht"
        return text


# --- the database ---------------------------------------------------------------------


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _require_current(engine: Engine, conn: Connection) -> str:
    """The database's revision (:func:`spatz.db.require_current_schema`); a database that
    is not migrated to the newest refuses the backup or restore as a whole."""
    try:
        return require_current_schema(engine, conn)
    except DatabaseNotReadyError as error:
        raise BackupError(str(error)) from None


def _ordered(table: sa.Table) -> sa.Select[Any]:
    return sa.select(table).order_by(*table.primary_key.columns)


def _filled_tables(conn: Connection) -> dict[str, int]:
    counts = {
        table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in BACKUP_TABLES
    }
    return {name: count for name, count in counts.items() if count}


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that reads every table from the same state of the database."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if conn.dialect.name == "sqlite":
                # pysqlite starts no transaction for reads: an explicit one keeps a snapshot.
                conn.exec_driver_sql("BEGIN")
            yield conn


@contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """One transaction that nobody else writes into until it ends (readers go on reading
    the state before it); committed when the block succeeds, rolled back otherwise."""
    with engine.connect() as conn, conn.begin():
        if conn.dialect.name == "sqlite":
            # pysqlite emits no BEGIN before DDL (the audit log's triggers): this one makes
            # the triggers part of the transaction too, and takes the write lock at once.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            names = ", ".join(
                conn.dialect.identifier_preparer.format_table(t) for t in BACKUP_TABLES
            )
            conn.exec_driver_sql(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
        yield conn


@contextmanager
def _audit_triggers_suspended(conn: Connection) -> Iterator[None]:
    """The audit log's triggers (migrations 0003 and later) off for the block, in the
    caller's transaction. SQLite cannot disable a trigger: each is dropped and created
    again from its own definition as the database holds it. On an error the caller's
    rollback brings them back."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ALTER TABLE {AUDIT_TABLE.name} DISABLE TRIGGER USER")
        yield
        conn.exec_driver_sql(f"ALTER TABLE {AUDIT_TABLE.name} ENABLE TRIGGER USER")
        return
    quote = conn.dialect.identifier_preparer.quote
    triggers = conn.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {"t": AUDIT_TABLE.name},
    ).all()
    for name, _ in triggers:
        conn.exec_driver_sql(f"DROP TRIGGER {quote(name)}")
    yield
    for _, definition in triggers:
        conn.exec_driver_sql(definition)


def _empty(conn: Connection) -> None:
    """Delete every row, the tables that refer to others first."""
    with _audit_triggers_suspended(conn):
        for table in reversed(BACKUP_TABLES):
            conn.execute(sa.delete(table))


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: continue each ``id`` sequence after the highest restored id."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    for table in BACKUP_TABLES:
        if "id" not in table.c:
            continue
        sequence = sa.func.pg_get_serial_sequence(quote(table.name), "id")
        following = sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0) + 1).scalar_subquery()
        conn.execute(sa.select(sa.func.setval(sequence, following, False)))


def write_backup(
    *,
    engine: Engine,
    actor: Actor,
    path: Path,
    key: bytes | None = None,
    on_table: ProgressCallback | None = None,
) -> BackupSummary:
    """Write every table of the database to the bundle ``path`` (replaced atomically),
    signed with ``key`` (:func:`~spatz.io.bundle.read_key_file`) if one is given.

    The file holds the password hashes of the accounts: keep it like the database itself.
    """
    authorize(actor, Permission.backup)
    path = Path(path)
    files: dict[str, TableFile] = {}
    with ExitStack() as cleanup:
        with _snapshot(engine) as conn:
            revision = _require_current(engine, conn)
            for table in BACKUP_TABLES:
                if on_table:
                    on_table(table.name)
                spool = cleanup.enter_context(tempfile.SpooledTemporaryFile(SPOOL_BYTES))
                rows = conn.execute(_ordered(table)).yield_per(INSERT_BATCH)
                files[table.name] = write_table(table, rows, spool)
        write_bundle(path, revision=revision, files=files, key=key)
    counts = {name: file.rows for name, file in files.items()}
    return BackupSummary(file=str(path), revision=revision, tables=counts, signed=key is not None)


def _self_references(table: sa.Table) -> list[tuple[str, str]]:
    """(column, referred column) of each foreign key of ``table`` to itself."""
    return [
        (fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table
    ]


def _parents_first(
    links: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of a table that refers to itself (``organisation.parent_id``), each after
    the row it refers to (foreign keys are checked at every insert), and the rows that
    cannot be placed so: those in a cycle."""
    done: dict[str, set[Any]] = {target: set() for _, target in links}
    ordered: list[dict[str, Any]] = []
    pending = list(rows)
    while pending:
        waiting: list[dict[str, Any]] = []
        for row in pending:
            if all(row[source] is None or row[source] in done[target] for source, target in links):
                ordered.append(row)
                for target in done:
                    done[target].add(row[target])
            else:
                waiting.append(row)
        if len(waiting) == len(pending):
            break
        pending = waiting
    else:
        pending = []
    return ordered, pending


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == INSERT_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_table(conn: Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
    links = _self_references(table)
    deferred: list[dict[str, Any]] = []
    if links:
        ordered, deferred = _parents_first(links, list(rows))
        # Rows in a cycle: inserted without their references, which are set afterwards.
        rows = [*ordered, *({**row, **{s: None for s, _ in links}} for row in deferred)]
    for batch in _batches(rows):
        conn.execute(sa.insert(table), batch)
    if deferred:
        keys = [c.name for c in table.primary_key.columns]
        update = (
            sa.update(table)
            .where(*(table.c[k] == sa.bindparam(f"key_{k}") for k in keys))
            .values({s: sa.bindparam(f"ref_{s}") for s, _ in links})
        )
        conn.execute(
            update,
            [
                {**{f"key_{k}": row[k] for k in keys}, **{f"ref_{s}": row[s] for s, _ in links}}
                for row in deferred
            ],
        )


def _insert(conn: Connection, bundle: Bundle, on_table: ProgressCallback | None) -> None:
    for table in BACKUP_TABLES:
        if on_table:
            on_table(table.name)
        _insert_table(conn, table, bundle.rows(table))


def _describe(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} ({count})" for name, count in sorted(counts.items()))


def _log_restore(conn: Connection, actor: Actor, bundle: Bundle, *, replaced: bool) -> None:
    """The restore's own entry, the newest of the restored log."""
    with Session(bind=conn) as session:
        audit(
            session,
            actor,
            "restore",
            "backup",
            bundle.path.name,
            after={
                "file": bundle.path.name,
                "sha256": bundle.sha256,
                "revision": bundle.revision,
                "rows": sum(bundle.counts.values()),
                "replaced": replaced,
                "authenticity_checked": bundle.signed,
            },
        )
        session.flush()


def restore_backup(
    *,
    engine: Engine,
    actor: Actor,
    path: Path,
    force: bool = False,
    key: bytes | None = None,
    on_table: ProgressCallback | None = None,
) -> BackupSummary:
    """Load the bundle ``path`` into the database: all or nothing.

    With ``key`` (:func:`~spatz.io.bundle.read_key_file`) the bundle's signature has to
    match; without, its authenticity is not checked (the summary's warning and the audit
    entry say so). The whole bundle is checked before the database is touched. The
    database has to be migrated to the bundle's revision and be empty; with ``force``
    whatever it holds is deleted first, in the same transaction as the insert, so that a
    failure leaves it as it was. The restored log ends with an entry for the restore.
    """
    authorize(actor, Permission.backup)
    path = Path(path)
    with engine.connect() as conn:
        revision = _require_current(engine, conn)
        filled = _filled_tables(conn)
    bundle = open_bundle(path, key, revision=revision, database=_shown(engine))
    try:
        if filled and not force:
            raise BackupError(
                f"Die Datenbank {_shown(engine)} enthält bereits Daten: {_describe(filled)}. "
                "Einspielen nur in eine leere Datenbank; mit --force wird vorher alles "
                "gelöscht"
            )
        with readable(bundle):
            check_rows(bundle)
            with _exclusive(engine) as conn:
                filled = _filled_tables(conn)
                if filled and not force:
                    raise BackupError(
                        f"Die Datenbank {_shown(engine)} wurde gerade von jemand anderem "
                        "beschrieben; nichts eingespielt"
                    )
                if filled:
                    _empty(conn)
                try:
                    _insert(conn, bundle, on_table)
                except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
                    raise bundle.problem(f"passt nicht zur Datenbank ({exc.orig})") from None
                _reset_sequences(conn)
                _log_restore(conn, actor, bundle, replaced=bool(filled))
    finally:
        bundle.close()
    return BackupSummary(
        file=str(path),
        revision=bundle.revision,
        tables=dict(bundle.counts),
        restored=True,
        replaced=bool(filled),
        signed=bundle.signed,
    )
