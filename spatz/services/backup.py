"""Backups: the whole database as one portable file, independent of the database system.

A bundle is a ZIP file with fixed timestamps and its entries in sorted order:

``manifest.json``
    ``{"format": "spatz-backup", "format_version": 1, "revision": "<alembic revision>",
    "tables": {"<name>": {"columns": [...], "rows": <count>}, ...}}``
``tables/<name>.jsonl``
    One JSON object per line and row, keys sorted, rows ordered by primary key.

Values are written the same way whatever the database: timestamps as ISO 8601 in UTC with
offset, dates as ISO 8601, booleans as JSON booleans, floats as JSON numbers (round trip),
``NULL`` as ``null``. The same content therefore gives the same bytes, whether it was read
from SQLite or from PostgreSQL, and a bundle names neither the time it was written nor the
host. ``alembic_version`` is not one of the tables: the manifest holds its revision.
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import json
import os
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
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import spatz.model  # noqa: F401  (registers every table on the metadata)
from spatz.db import alembic_config, migrate
from spatz.errors import SpatzError
from spatz.services.auth import Permission, authorize
from spatz.services.common import Actor

FORMAT_NAME = "spatz-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLE_DIR = "tables/"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
"""The earliest time a ZIP entry can carry: a bundle does not say when it was written."""
INSERT_BATCH = 1000
SPOOL_BYTES = 16 * 1024 * 1024
"""Table files up to this size are buffered in memory while a bundle is written."""

BACKUP_TABLES: tuple[sa.Table, ...] = tuple(SQLModel.metadata.sorted_tables)
"""Every table of the schema, parents before the tables that refer to them."""

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

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def __str__(self) -> str:
        done = "eingespielt" if self.restored else "gesichert"
        text = (
            f"{self.file}: {len(self.tables)} Tabellen, {self.rows} Zeilen {done} "
            f"(Schemastand {self.revision})"
        )
        if self.replaced:
            text += ", vorhandene Daten vorher gelöscht"
        return text


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
        return _expect(value, int, "ganze Zahl")
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


def _reset_sequences(conn: Connection, counts: Mapping[str, int]) -> None:
    """PostgreSQL: continue each ``id`` sequence after the highest restored id."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    for table in BACKUP_TABLES:
        if not counts.get(table.name) or "id" not in table.c:
            continue
        sequence = sa.func.pg_get_serial_sequence(quote(table.name), "id")
        highest = sa.select(sa.func.max(table.c.id)).scalar_subquery()
        conn.execute(sa.select(sa.func.setval(sequence, highest)))


# --- writing --------------------------------------------------------------------------


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whichever system writes the bundle
    info.external_attr = 0o644 << 16
    return info


def _write_table(conn: Connection, table: sa.Table, target: IO[bytes]) -> int:
    columns = list(table.columns)
    count = 0
    for row in conn.execute(_ordered(table)).yield_per(INSERT_BATCH):
        values = row._mapping
        target.write(_json_line({c.name: encode_value(c, values[c]) for c in columns}))
        count += 1
    return count


def _write_bundle(
    target: IO[bytes], revision: str, parts: Mapping[str, tuple[int, IO[bytes]]]
) -> None:
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "revision": revision,
        "tables": {
            table.name: {"columns": [c.name for c in table.columns], "rows": parts[table.name][0]}
            for table in BACKUP_TABLES
        },
    }
    manifest_bytes = (
        json.dumps(manifest, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    ).encode("utf-8")
    with zipfile.ZipFile(target, "w") as bundle:
        bundle.writestr(_zip_info(MANIFEST), manifest_bytes)
        for name in sorted(parts):
            _, data = parts[name]
            data.seek(0)
            with bundle.open(_zip_info(f"{TABLE_DIR}{name}.jsonl"), "w", force_zip64=True) as entry:
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
    on_table: ProgressCallback | None = None,
) -> BackupSummary:
    """Write every table of the database to the bundle ``path`` (replaced atomically).

    The file holds the password hashes of the accounts: keep it like the database itself.
    """
    authorize(actor, Permission.backup)
    path = Path(path)
    parts: dict[str, tuple[int, IO[bytes]]] = {}
    with ExitStack() as cleanup:
        with _snapshot(engine) as conn:
            revision = _require_current(engine, conn)
            for table in BACKUP_TABLES:
                if on_table:
                    on_table(table.name)
                spool = cleanup.enter_context(tempfile.SpooledTemporaryFile(SPOOL_BYTES))
                parts[table.name] = (_write_table(conn, table, spool), spool)
        _replace_atomically(path, lambda target: _write_bundle(target, revision, parts))
    counts = {name: count for name, (count, _) in parts.items()}
    return BackupSummary(file=str(path), revision=revision, tables=counts)


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bundle:
    """An opened bundle whose manifest has been checked."""

    path: Path
    archive: zipfile.ZipFile
    revision: str
    counts: Mapping[str, int]

    def problem(self, message: str) -> BackupError:
        return BackupError(f"{self.path}: {message}")

    def rows(self, table: sa.Table) -> Iterator[dict[str, Any]]:
        """The rows of ``table``, converted for inserting; raises :class:`BackupError`."""
        member = f"{TABLE_DIR}{table.name}.jsonl"
        columns = {c.name: c for c in table.columns}
        expected = set(columns)
        with self.archive.open(member) as raw:
            lines = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            for number, line in enumerate(lines, start=1):
                where = f"{member}, Zeile {number}"
                try:
                    record = json.loads(line)
                except ValueError:
                    raise self.problem(f"{where}: kein JSON-Objekt") from None
                if not isinstance(record, dict):
                    raise self.problem(f"{where}: kein JSON-Objekt")
                if set(record) != expected:
                    raise self.problem(
                        f"{where}: Spalten {sorted(record)} statt {sorted(expected)}"
                    )
                row: dict[str, Any] = {}
                for name, value in record.items():
                    try:
                        row[name] = decode_value(columns[name], value)
                    except ValueError as exc:
                        raise self.problem(f"{where}: Spalte {name}: {exc}") from None
                yield row

    def check_rows(self) -> None:
        """Read every row once: a broken bundle is refused before anything is written."""
        for table in BACKUP_TABLES:
            count = sum(1 for _ in self.rows(table))
            if count != self.counts[table.name]:
                raise self.problem(
                    f"Tabelle {table.name}: {count} Zeilen, aber {self.counts[table.name]} "
                    f"Zeilen laut {MANIFEST}"
                )


def _open_bundle(path: Path) -> _Bundle:
    """Open ``path`` and check its manifest against the schema of this SPATZ version's
    tables (revision excepted: the caller compares it with the database)."""

    def problem(message: str) -> BackupError:
        return BackupError(f"{path}: {message}")

    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise problem("Datei nicht gefunden") from None
    except OSError as exc:
        raise problem(f"nicht lesbar ({exc.strerror})") from None
    except zipfile.BadZipFile:
        raise problem("keine SPATZ-Sicherung (keine ZIP-Datei)") from None
    try:
        try:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
        except KeyError:
            raise problem(f"keine SPATZ-Sicherung ({MANIFEST} fehlt)") from None
        except (zipfile.BadZipFile, zlib.error, EOFError):
            raise problem("beschädigt (ZIP-Eintrag nicht lesbar)") from None
        except ValueError:
            raise problem(f"keine SPATZ-Sicherung ({MANIFEST} ist kein gültiges JSON)") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise problem(f"keine SPATZ-Sicherung (Format {found!r} statt {FORMAT_NAME!r})")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise problem(
                f"Formatversion {manifest.get('format_version')!r} wird nicht unterstützt "
                f"(nur {FORMAT_VERSION})"
            )
        revision = manifest.get("revision")
        tables = manifest.get("tables")
        if not isinstance(revision, str) or not isinstance(tables, dict):
            raise problem(f"{MANIFEST} unvollständig (revision und tables fehlen)")
        counts = _check_tables(problem, tables, archive.namelist())
    except BaseException:
        archive.close()
        raise
    return _Bundle(path=path, archive=archive, revision=revision, counts=counts)


def _check_tables(
    problem: Callable[[str], BackupError], tables: Mapping[str, Any], members: Sequence[str]
) -> dict[str, int]:
    known = {table.name: table for table in BACKUP_TABLES}
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise problem(f"unbekannte Tabelle(n) {', '.join(unknown)}")
    missing = sorted(set(known) - set(tables))
    if missing:
        raise problem(f"Tabelle(n) {', '.join(missing)} fehlen in {MANIFEST}")
    expected_members = {MANIFEST} | {f"{TABLE_DIR}{name}.jsonl" for name in known}
    strange = sorted(set(members) - expected_members)
    if strange:
        raise problem(f"unbekannte(r) Eintrag/Einträge {', '.join(strange)}")
    absent = sorted(expected_members - set(members))
    if absent:
        raise problem(f"Eintrag/Einträge {', '.join(absent)} fehlen")
    counts: dict[str, int] = {}
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
        counts[name] = rows
    return counts


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
    cannot be placed so: those in a cycle or referring to a missing row."""
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


def _empty_database(engine: Engine) -> None:
    """Drop and recreate the schema: the only way to empty the append-only audit log."""
    url = _url(engine)
    engine.dispose()
    command.downgrade(alembic_config(url), "base")
    migrate(url)


def restore_backup(
    *,
    engine: Engine,
    actor: Actor,
    path: Path,
    force: bool = False,
    on_table: ProgressCallback | None = None,
) -> BackupSummary:
    """Load the bundle ``path`` into the database, in one transaction: all or nothing.

    The database has to be migrated to the bundle's revision and be empty; with ``force``
    whatever it holds is deleted first (schema dropped and created again by the migrations).
    """
    authorize(actor, Permission.backup)
    path = Path(path)
    bundle = _open_bundle(path)
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
        try:
            bundle.check_rows()
        except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError):
            raise bundle.problem("beschädigt (ZIP-Eintrag nicht lesbar)") from None
        if filled and not force:
            raise BackupError(
                f"Die Datenbank {_shown(engine)} enthält bereits Daten: {_describe(filled)}. "
                "Einspielen nur in eine leere Datenbank; mit --force wird vorher alles "
                "gelöscht"
            )
        if filled:
            _empty_database(engine)
        with engine.begin() as conn:
            if _filled_tables(conn):
                raise BackupError(
                    f"Die Datenbank {_shown(engine)} wurde gerade von jemand anderem "
                    "beschrieben; nichts eingespielt"
                )
            try:
                _insert(conn, bundle, on_table)
            except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
                raise bundle.problem(f"passt nicht zur Datenbank ({exc.orig})") from None
            _reset_sequences(conn, bundle.counts)
    finally:
        bundle.archive.close()
    return BackupSummary(
        file=str(path),
        revision=bundle.revision,
        tables=dict(bundle.counts),
        restored=True,
        replaced=bool(filled),
    )
