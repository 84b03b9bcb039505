"""Backups: the whole database as one portable file, independent of the database system.

A bundle is a ZIP file with fixed timestamps and its entries in sorted order:

``manifest.json``
    ``{"format": "spatz-backup", "format_version": 2, "revision": "<alembic revision>",
    "tables": {"<name>": {"columns": [...], "rows": <count>, "sha256": "<hex>"}, ...}}``,
    the SHA-256 being that of the table's file.
``manifest.hmac``
    Only with the operator's key (``spatz backup --key-file``): the HMAC-SHA256 of the bytes
    of ``manifest.json`` in hex. It vouches for the manifest, the manifest for every table.
``tables/<name>.jsonl``
    One JSON object per line and row, keys sorted, rows ordered by primary key.

Values are written the same way whatever the database: timestamps as ISO 8601 in UTC with
offset, dates as ISO 8601, booleans as JSON booleans, floats as JSON numbers (round trip),
``NULL`` as ``null``. The same content therefore gives the same bytes, whether it was read
from SQLite or from PostgreSQL, and a bundle names neither the time it was written nor the
host. ``alembic_version`` is not one of the tables: the manifest holds its revision.

A restore checks the whole bundle first (hashes, signature, values, keys, references) and
then empties and fills the database in one transaction, ending with an audit entry of its
own: all or nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

import spatz.model  # noqa: F401  (registers every table on the metadata)
from spatz.db import alembic_config
from spatz.errors import SpatzError
from spatz.model import Role
from spatz.services.audit import audit
from spatz.services.auth import ROLES_WITH_ORG, Permission, authorize
from spatz.services.common import Actor

FORMAT_NAME = "spatz-backup"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
SIGNATURE = "manifest.hmac"
TABLE_DIR = "tables/"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
"""The earliest time a ZIP entry can carry: a bundle does not say when it was written."""
INSERT_BATCH = 1000
SPOOL_BYTES = 16 * 1024 * 1024
"""Table files up to this size are buffered in memory while a bundle is written."""
KEY_MIN_BYTES = 32
KEY_MAX_BYTES = 1024
"""Bounds of the key in a key file (``head -c 32 /dev/urandom`` makes one)."""
HASH_CHUNK = 1024 * 1024

BACKUP_TABLES: tuple[sa.Table, ...] = tuple(SQLModel.metadata.sorted_tables)
"""Every table of the schema, parents before the tables that refer to them."""
AUDIT_TABLE = SQLModel.metadata.tables["audit_entry"]

ProgressCallback = Callable[[str], None]
_T = TypeVar("_T")


class BackupError(SpatzError):
    """A bundle cannot be read or restored; nothing was written."""


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


def read_key_file(path: Path) -> bytes:
    """The key in ``path`` (raw bytes, :data:`KEY_MIN_BYTES` to :data:`KEY_MAX_BYTES`)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            key = handle.read(KEY_MAX_BYTES + 1)
    except FileNotFoundError:
        raise BackupError(f"Schlüsseldatei {path}: nicht gefunden") from None
    except OSError as exc:
        raise BackupError(f"Schlüsseldatei {path}: nicht lesbar ({exc.strerror})") from None
    if len(key) < KEY_MIN_BYTES:
        raise BackupError(
            f"Schlüsseldatei {path}: zu kurz ({len(key)} Bytes, mindestens {KEY_MIN_BYTES}); "
            f"einen Schlüssel erzeugt `head -c {KEY_MIN_BYTES} /dev/urandom > {path}`"
        )
    if len(key) > KEY_MAX_BYTES:
        raise BackupError(
            f"Schlüsseldatei {path}: zu lang (mehr als {KEY_MAX_BYTES} Bytes); ein Schlüssel "
            f"aus {KEY_MIN_BYTES} zufälligen Bytes genügt"
        )
    return key


def _signature(key: bytes, manifest: bytes) -> bytes:
    return (hmac.new(key, manifest, hashlib.sha256).hexdigest() + "\n").encode("ascii")


# --- values ---------------------------------------------------------------------------


def _utc(moment: dt.datetime) -> dt.datetime:
    """A timestamp in UTC; naive values (SQLite) are UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _kind(column: sa.Column[Any]) -> sa.types.TypeEngine[Any]:
    """The column's type; for a decorated type (SQLModel's ``AutoString``) the one below."""
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        return kind.impl_instance
    return kind


def encode_value(column: sa.Column[Any], value: Any) -> Any:
    """``value`` of ``column`` as read from any database, as a JSON value."""
    if value is None:
        return None
    kind = _kind(column)
    if isinstance(kind, sa.DateTime):
        return _utc(value).isoformat()
    if isinstance(kind, sa.Date):
        return value.isoformat()
    if isinstance(kind, sa.Boolean):
        return bool(value)
    if isinstance(kind, sa.Float):
        return float(value)
    if isinstance(kind, sa.Integer):
        return int(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(kind, sa.String):
        return str(value)
    raise TypeError(f"column {column} of type {kind!r} cannot be backed up")


def decode_value(column: sa.Column[Any], value: Any) -> Any:
    """A JSON value of a bundle as the value to insert into ``column``.

    Raises :class:`ValueError` (with a German message) for a value of the wrong kind.
    """
    if value is None:
        return None
    kind = _kind(column)
    if isinstance(kind, sa.DateTime):
        text = _expect(value, str, "Zeitpunkt")
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"kein Zeitpunkt (ISO 8601): {text!r}") from None
        if moment.tzinfo is None:
            raise ValueError(f"Zeitpunkt ohne Zeitzone: {value!r}")
        moment = moment.astimezone(dt.UTC)
        return moment if kind.timezone else moment.replace(tzinfo=None)
    if isinstance(kind, sa.Date):
        text = _expect(value, str, "Datum")
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"kein Datum (JJJJ-MM-TT): {text!r}") from None
    if isinstance(kind, sa.Boolean):
        return _expect(value, bool, "Wahrheitswert")
    if isinstance(kind, sa.Float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"keine Zahl: {value!r}")
        return float(value)
    if isinstance(kind, sa.Integer):
        if isinstance(value, bool):
            raise ValueError(f"keine ganze Zahl: {value!r}")
        number = _expect(value, int, "ganze Zahl")
        bits = 63 if isinstance(kind, sa.BigInteger) else 31
        if not -(2**bits) <= number < 2**bits:
            raise ValueError(f"ganze Zahl außerhalb des Wertebereichs: {number}")
        return number
    text = _expect(value, str, "Text")
    if isinstance(kind, sa.Enum) and text not in kind.enums:
        raise ValueError(f"{text!r} ist keiner der Werte {', '.join(kind.enums)}")
    return text


def _expect(value: Any, kind: type[_T], label: str) -> _T:
    if not isinstance(value, kind):
        raise ValueError(f"{label} erwartet, nicht {value!r}")
    return value


def _json_line(row: Mapping[str, Any]) -> bytes:
    text = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


# --- the database ---------------------------------------------------------------------


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _head_revision(engine: Engine) -> str:
    heads = ScriptDirectory.from_config(alembic_config(_url(engine))).get_heads()
    return ",".join(sorted(heads))


def _current_revision(conn: Connection) -> str:
    return ",".join(sorted(MigrationContext.configure(conn).get_current_heads()))


def _require_current(engine: Engine, conn: Connection) -> str:
    """The database's revision; refuses a database that is not migrated to the newest."""
    revision = _current_revision(conn)
    if not revision or revision != _head_revision(engine):
        raise BackupError(
            f"Die Datenbank {_shown(engine)} ist nicht eingerichtet oder veraltet: "
            "bitte zuerst `spatz init` ausführen"
        )
    return revision


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


# --- writing --------------------------------------------------------------------------


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whichever system writes the bundle
    info.external_attr = 0o644 << 16
    return info


@dataclass(frozen=True)
class _TableFile:
    rows: int
    sha256: str
    data: IO[bytes]


def _write_table(conn: Connection, table: sa.Table, target: IO[bytes]) -> _TableFile:
    columns = list(table.columns)
    count = 0
    digest = hashlib.sha256()
    for row in conn.execute(_ordered(table)).yield_per(INSERT_BATCH):
        values = row._mapping
        line = _json_line({c.name: encode_value(c, values[c]) for c in columns})
        target.write(line)
        digest.update(line)
        count += 1
    return _TableFile(rows=count, sha256=digest.hexdigest(), data=target)


def _member(name: str) -> str:
    return f"{TABLE_DIR}{name}.jsonl"


def _write_bundle(
    target: IO[bytes], revision: str, files: Mapping[str, _TableFile], key: bytes | None
) -> None:
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "revision": revision,
        "tables": {
            table.name: {
                "columns": [c.name for c in table.columns],
                "rows": files[table.name].rows,
                "sha256": files[table.name].sha256,
            }
            for table in BACKUP_TABLES
        },
    }
    manifest_bytes = (
        json.dumps(manifest, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    ).encode("utf-8")
    with zipfile.ZipFile(target, "w") as bundle:
        if key is not None:  # "manifest.hmac" sorts before "manifest.json"
            bundle.writestr(_zip_info(SIGNATURE), _signature(key, manifest_bytes))
        bundle.writestr(_zip_info(MANIFEST), manifest_bytes)
        for name in sorted(files):
            data = files[name].data
            data.seek(0)
            with bundle.open(_zip_info(_member(name)), "w", force_zip64=True) as entry:
                shutil.copyfileobj(data, entry)


def _replace_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` through a temporary file beside it: readers see the old or the new."""
    temporary: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        ) as handle:
            temporary = Path(handle.name)
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BackupError(f"{path}: nicht schreibbar ({exc.strerror})") from None
        raise


def write_backup(
    *,
    engine: Engine,
    actor: Actor,
    path: Path,
    key: bytes | None = None,
    on_table: ProgressCallback | None = None,
) -> BackupSummary:
    """Write every table of the database to the bundle ``path`` (replaced atomically),
    signed with ``key`` (:func:`read_key_file`) if one is given.

    The file holds the password hashes of the accounts: keep it like the database itself.
    """
    authorize(actor, Permission.backup)
    path = Path(path)
    files: dict[str, _TableFile] = {}
    with ExitStack() as cleanup:
        with _snapshot(engine) as conn:
            revision = _require_current(engine, conn)
            for table in BACKUP_TABLES:
                if on_table:
                    on_table(table.name)
                spool = cleanup.enter_context(tempfile.SpooledTemporaryFile(SPOOL_BYTES))
                files[table.name] = _write_table(conn, table, spool)
        _replace_atomically(path, lambda target: _write_bundle(target, revision, files, key))
    counts = {name: file.rows for name, file in files.items()}
    return BackupSummary(file=str(path), revision=revision, tables=counts, signed=key is not None)


# --- reading --------------------------------------------------------------------------

_Key = tuple[str, tuple[str, ...]]
"""A table and some of its columns, which a foreign key refers to."""


def _references(table: sa.Table) -> list[tuple[tuple[str, ...], sa.Table, tuple[str, ...]]]:
    """(columns, referred table, referred columns) of each foreign key of ``table``."""
    return sorted(
        (
            (
                tuple(e.parent.name for e in fk.elements),
                fk.referred_table,
                tuple(e.column.name for e in fk.elements),
            )
            for fk in table.foreign_key_constraints
        ),
        key=lambda reference: reference[0],
    )


def _unique_keys(table: sa.Table) -> list[tuple[str, ...]]:
    """The primary key first, then each unique constraint and unique index of ``table``."""
    keys = [tuple(c.name for c in table.primary_key.columns)]
    keys += [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ]
    keys += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    return sorted(set(keys), key=keys.index)


_REFERRED: frozenset[_Key] = frozenset(
    (target.name, columns) for table in BACKUP_TABLES for _, target, columns in _references(table)
)


def _pairs(columns: Sequence[str], values: Sequence[Any]) -> str:
    return ", ".join(
        f"{c} = {v!r}" if isinstance(v, str) else f"{c} = {v}"
        for c, v in zip(columns, values, strict=True)
    )


class _TableCheck:
    """What the database would refuse only in the middle of the insert, checked for the
    rows of one table before anything is written: empty or repeated keys, references to
    rows the bundle does not hold, accounts that lack the organisation of their role."""

    def __init__(self, table: sa.Table, referable: dict[_Key, set[tuple[Any, ...]]]) -> None:
        self.table = table
        self.referable = referable
        self.primary = tuple(c.name for c in table.primary_key.columns)
        self.seen: dict[tuple[str, ...], dict[tuple[Any, ...], int]] = {
            columns: {} for columns in _unique_keys(table)
        }
        self.kept = [columns for name, columns in referable if name == table.name]
        self.references = _references(table)
        self.later: list[tuple[int, tuple[str, ...], tuple[Any, ...], tuple[str, ...]]] = []
        """References of the table to itself, checked once all its rows are known."""

    def row(self, number: int, row: Mapping[str, Any]) -> str | None:
        """Remember ``row`` (line ``number``); what is wrong with it, if anything."""
        where = f"Zeile {number}"
        empty = [c for c in self.primary if row[c] is None]
        if empty:
            return f"{where}: Schlüsselspalte {', '.join(empty)} ist leer"
        for columns in self.kept:
            values = tuple(row[c] for c in columns)
            if None not in values:
                self.referable[(self.table.name, columns)].add(values)
        for columns, seen in self.seen.items():
            values = tuple(row[c] for c in columns)
            if None in values:
                continue
            if values in seen:
                pairs = _pairs(columns, values)
                return f"{where}: {pairs} kommt doppelt vor (auch Zeile {seen[values]})"
            seen[values] = number
        for columns, target, target_columns in self.references:
            values = tuple(row[c] for c in columns)
            if None in values:
                continue
            if target is self.table:
                self.later.append((number, columns, values, target_columns))
            elif values not in self.referable[(target.name, target_columns)]:
                return self._dangling(number, columns, values)
        if self.table.name == "user_account" and row["org_id"] is None:
            role = Role(row["role"])
            if role in ROLES_WITH_ORG:
                return (
                    f"{where}: Konto {row['name']!r} mit der Rolle {role.value} hat keine "
                    f"Organisation (org_id ist leer); die Rollen "
                    f"{', '.join(sorted(r.value for r in ROLES_WITH_ORG))} gehören zu einer "
                    "Organisation"
                )
        return None

    def finish(self) -> str | None:
        """What is wrong with the references of the table to itself, if anything."""
        for number, columns, values, target_columns in self.later:
            if values not in self.referable[(self.table.name, target_columns)]:
                return self._dangling(number, columns, values)
        return None

    def _dangling(self, number: int, columns: Sequence[str], values: Sequence[Any]) -> str:
        target = next(t for c, t, _ in self.references if c == tuple(columns))
        return (
            f"Zeile {number}: {_pairs(columns, values)} verweist auf keine Zeile der "
            f"Tabelle {target.name} in der Sicherung"
        )


def _decode_row(columns: Mapping[str, sa.Column[Any]], line: bytes) -> dict[str, Any]:
    """One line of a table file as the row to insert; raises :class:`ValueError`."""
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("kein UTF-8-Text") from None
    except (ValueError, RecursionError):
        raise ValueError("kein JSON-Objekt") from None
    if not isinstance(record, dict):
        raise ValueError("kein JSON-Objekt")
    if set(record) != set(columns):
        raise ValueError(f"Spalten {sorted(record)} statt {sorted(columns)}")
    row: dict[str, Any] = {}
    for name, value in record.items():
        try:
            row[name] = decode_value(columns[name], value)
        except ValueError as exc:
            raise ValueError(f"Spalte {name}: {exc}") from None
    return row


@dataclass(frozen=True)
class _Bundle:
    """An opened bundle whose manifest (and signature, given a key) has been checked."""

    path: Path
    handle: IO[bytes]
    archive: zipfile.ZipFile
    revision: str
    counts: Mapping[str, int]
    hashes: Mapping[str, str]
    sha256: str
    """Of the whole file, as the audit log names it."""
    signed: bool
    """The signature was checked with the operator's key."""

    def problem(self, message: str) -> BackupError:
        return BackupError(f"{self.path}: {message}")

    def close(self) -> None:
        self.archive.close()
        self.handle.close()

    def numbered_rows(self, table: sa.Table) -> Iterator[tuple[int, dict[str, Any]]]:
        """The rows of ``table`` with their line numbers, converted for inserting.

        Raises :class:`BackupError` for a line that cannot be read and, at the end, for a
        file whose SHA-256 is not the manifest's; a line of a file that does not match its
        hash is reported as that mismatch.
        """
        member = _member(table.name)
        columns = {c.name: c for c in table.columns}
        digest = hashlib.sha256()
        with self.archive.open(member) as raw:
            for number, line in enumerate(raw, start=1):
                digest.update(line)
                try:
                    row = _decode_row(columns, line)
                except ValueError as exc:
                    for rest in raw:
                        digest.update(rest)
                    self._check_hash(table, digest.hexdigest())
                    raise self.problem(f"{member}, Zeile {number}: {exc}") from None
                yield number, row
        self._check_hash(table, digest.hexdigest())

    def rows(self, table: sa.Table) -> Iterator[dict[str, Any]]:
        return (row for _, row in self.numbered_rows(table))

    def _check_hash(self, table: sa.Table, sha256: str) -> None:
        if not hmac.compare_digest(sha256, self.hashes[table.name]):
            raise self.problem(
                f"{_member(table.name)}: Prüfsumme (SHA-256) stimmt nicht mit {MANIFEST} "
                "überein – die Datei wurde verändert oder ist beschädigt"
            )

    def check_rows(self) -> None:
        """Read every row once: a broken bundle is refused before anything is written."""
        referable: dict[_Key, set[tuple[Any, ...]]] = {key: set() for key in _REFERRED}
        for table in BACKUP_TABLES:
            check = _TableCheck(table, referable)
            problem: str | None = None
            count = 0
            for number, row in self.numbered_rows(table):
                count += 1
                if problem is None:
                    problem = check.row(number, row)
            problem = problem or check.finish()
            if problem:
                raise self.problem(f"{_member(table.name)}, {problem}")
            if count != self.counts[table.name]:
                raise self.problem(
                    f"Tabelle {table.name}: {count} Zeilen, aber {self.counts[table.name]} "
                    f"Zeilen laut {MANIFEST}"
                )


MANIFEST_MAX_BYTES = 1024 * 1024
"""Far more than the manifest of any schema; a larger entry is no SPATZ manifest."""


def _read_entry(archive: zipfile.ZipFile, name: str) -> bytes | None:
    """The entry ``name`` (``None`` if absent), at most :data:`MANIFEST_MAX_BYTES` of it."""
    try:
        with archive.open(name) as entry:
            return entry.read(MANIFEST_MAX_BYTES + 1)
    except KeyError:
        return None


def _file_sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(HASH_CHUNK):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def _open_bundle(path: Path, key: bytes | None) -> _Bundle:
    """Open ``path``, check its signature with ``key`` if one is given, and check its
    manifest against the schema of this SPATZ version's tables (revision excepted: the
    caller compares it with the database)."""

    def problem(message: str) -> BackupError:
        return BackupError(f"{path}: {message}")

    with ExitStack() as opened:
        try:
            handle = opened.enter_context(path.open("rb"))
            sha256 = _file_sha256(handle)
        except FileNotFoundError:
            raise problem("Datei nicht gefunden") from None
        except OSError as exc:
            raise problem(f"nicht lesbar ({exc.strerror})") from None
        try:
            archive = opened.enter_context(zipfile.ZipFile(handle))
        except zipfile.BadZipFile:
            raise problem("keine SPATZ-Sicherung (keine ZIP-Datei)") from None
        try:
            manifest_bytes = _read_entry(archive, MANIFEST)
            signature = _read_entry(archive, SIGNATURE)
        except (zipfile.BadZipFile, zlib.error, EOFError):
            raise problem("beschädigt (ZIP-Eintrag nicht lesbar)") from None
        if manifest_bytes is None:
            raise problem(f"keine SPATZ-Sicherung ({MANIFEST} fehlt)")
        if key is not None:
            _check_signature(problem, key, manifest_bytes, signature)
        try:
            manifest = json.loads(manifest_bytes.decode("utf-8"))
        except (ValueError, RecursionError):
            raise problem(f"keine SPATZ-Sicherung ({MANIFEST} ist kein gültiges JSON)") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise problem(f"keine SPATZ-Sicherung (Format {found!r} statt {FORMAT_NAME!r})")
        version = manifest.get("format_version")
        if version == 1:
            raise problem(
                "Formatversion 1 wird nicht mehr unterstützt: Sicherungen ohne Prüfsummen "
                "stammen von einem älteren Schemastand; mit der SPATZ-Version einspielen, die "
                "sie geschrieben hat, dann `spatz init` und neu sichern"
            )
        if version != FORMAT_VERSION:
            raise problem(
                f"Formatversion {version!r} wird nicht unterstützt (nur {FORMAT_VERSION})"
            )
        revision = manifest.get("revision")
        tables = manifest.get("tables")
        if not isinstance(revision, str) or not isinstance(tables, dict):
            raise problem(f"{MANIFEST} unvollständig (revision und tables fehlen)")
        counts, hashes = _check_tables(problem, tables, archive.namelist())
        opened.pop_all()
    return _Bundle(
        path=path,
        handle=handle,
        archive=archive,
        revision=revision,
        counts=counts,
        hashes=hashes,
        sha256=sha256,
        signed=key is not None,
    )


def _check_signature(
    problem: Callable[[str], BackupError], key: bytes, manifest: bytes, signature: bytes | None
) -> None:
    if signature is None:
        raise problem(
            f"nicht signiert ({SIGNATURE} fehlt): die Echtheit lässt sich mit dem Schlüssel "
            "nicht bestätigen; nichts eingespielt"
        )
    if not hmac.compare_digest(signature, _signature(key, manifest)):
        raise problem(
            f"Signatur ({SIGNATURE}) passt nicht: die Sicherung wurde verändert oder mit "
            "einem anderen Schlüssel geschrieben; nichts eingespielt"
        )


def _check_tables(
    problem: Callable[[str], BackupError], tables: Mapping[str, Any], members: Sequence[str]
) -> tuple[dict[str, int], dict[str, str]]:
    known = {table.name: table for table in BACKUP_TABLES}
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise problem(f"unbekannte Tabelle(n) {', '.join(unknown)}")
    missing = sorted(set(known) - set(tables))
    if missing:
        raise problem(f"Tabelle(n) {', '.join(missing)} fehlen in {MANIFEST}")
    expected_members = {MANIFEST} | {_member(name) for name in known}
    strange = sorted(set(members) - expected_members - {SIGNATURE})
    if strange:
        raise problem(f"unbekannte(r) Eintrag/Einträge {', '.join(strange)}")
    absent = sorted(expected_members - set(members))
    if absent:
        raise problem(f"Eintrag/Einträge {', '.join(absent)} fehlen")
    counts: dict[str, int] = {}
    hashes: dict[str, str] = {}
    for name, table in known.items():
        entry = tables[name]
        columns = [c.name for c in table.columns]
        if not isinstance(entry, dict) or entry.get("columns") != columns:
            found = entry.get("columns") if isinstance(entry, dict) else None
            raise problem(
                f"Tabelle {name}: Spalten {found} passen nicht zur Datenbank (erwartet {columns})"
            )
        rows = entry.get("rows")
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            raise problem(f"Tabelle {name}: Zeilenzahl {rows!r} ungültig")
        sha256 = entry.get("sha256")
        if not isinstance(sha256, str) or not re.fullmatch("[0-9a-f]{64}", sha256):
            raise problem(f"Tabelle {name}: Prüfsumme (sha256) {sha256!r} ungültig")
        counts[name] = rows
        hashes[name] = sha256
    return counts, hashes


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


def _insert(conn: Connection, bundle: _Bundle, on_table: ProgressCallback | None) -> None:
    for table in BACKUP_TABLES:
        if on_table:
            on_table(table.name)
        _insert_table(conn, table, bundle.rows(table))


def _describe(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} ({count})" for name, count in sorted(counts.items()))


def _log_restore(conn: Connection, actor: Actor, bundle: _Bundle, *, replaced: bool) -> None:
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


@contextmanager
def _readable(bundle: _Bundle) -> Iterator[None]:
    """ZIP entries that cannot be decompressed as a :class:`BackupError`."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise bundle.problem("beschädigt (ZIP-Eintrag nicht lesbar)") from None


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

    With ``key`` (:func:`read_key_file`) the bundle's signature has to match; without, its
    authenticity is not checked (the summary's warning and the audit entry say so). The
    whole bundle is checked before the database is touched. The database has to be
    migrated to the bundle's revision and be empty; with ``force`` whatever it holds is
    deleted first, in the same transaction as the insert, so that a failure leaves it as it
    was. The restored log ends with an entry for the restore.
    """
    authorize(actor, Permission.backup)
    path = Path(path)
    bundle = _open_bundle(path, key)
    try:
        with engine.connect() as conn:
            revision = _require_current(engine, conn)
            filled = _filled_tables(conn)
        if bundle.revision != revision:
            raise bundle.problem(
                f"die Sicherung hat den Schemastand {bundle.revision}, die Datenbank "
                f"{_shown(engine)} den Schemastand {revision}: einspielen nur bei gleichem "
                "Schemastand (die Sicherung mit der SPATZ-Version einspielen, die sie "
                "geschrieben hat, danach `spatz init`)"
            )
        if filled and not force:
            raise BackupError(
                f"Die Datenbank {_shown(engine)} enthält bereits Daten: {_describe(filled)}. "
                "Einspielen nur in eine leere Datenbank; mit --force wird vorher alles "
                "gelöscht"
            )
        with _readable(bundle):
            bundle.check_rows()
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
