"""The backup bundle: the whole database as one portable file, independent of the
database system.

A bundle is a ZIP file with fixed timestamps and its entries in sorted order:

``manifest.json``
    ``{"format": "spatz-backup", "format_version": 2, "revision": "<alembic revision>",
    "tables": {"<name>": {"columns": [...], "rows": <count>, "sha256": "<hex>"}, ...}}``,
    the SHA-256 being that of the table's file.
``manifest.hmac``
    Only with the operator's key (``spatz backup --key-file``): the HMAC-SHA256 of the bytes
    of ``manifest.json`` in hex. It vouches for the manifest, the manifest for every table.
``tables/<name>.jsonl``
    One JSON object per line and row, keys sorted, rows ordered by primary key; the values
    are encoded by :mod:`spatz.io.bundle_codec`.

A bundle names neither the time it was written nor the host. ``alembic_version`` is not
one of the tables: the manifest holds its revision.
"""

from __future__ import annotations

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
from typing import IO, Any

import sqlalchemy as sa
from sqlmodel import SQLModel

import spatz.model  # noqa: F401  (registers every table on the metadata)
from spatz.errors import BackupError, os_reason
from spatz.io.bundle_codec import decode_row, encode_value, json_line

FORMAT_NAME = "spatz-backup"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
SIGNATURE = "manifest.hmac"
TABLE_DIR = "tables/"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
"""The earliest time a ZIP entry can carry: a bundle does not say when it was written."""
KEY_MIN_BYTES = 32
KEY_MAX_BYTES = 1024
"""Bounds of the key in a key file (``head -c 32 /dev/urandom`` makes one)."""
HASH_CHUNK = 1024 * 1024

BACKUP_TABLES: tuple[sa.Table, ...] = tuple(SQLModel.metadata.sorted_tables)
"""Every table of the schema, parents before the tables that refer to them."""


def read_key_file(path: Path) -> bytes:
    """The key in ``path`` (raw bytes, :data:`KEY_MIN_BYTES` to :data:`KEY_MAX_BYTES`)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            key = handle.read(KEY_MAX_BYTES + 1)
    except FileNotFoundError:
        raise BackupError(f"Schlüsseldatei {path}: nicht gefunden") from None
    except OSError as exc:
        raise BackupError(f"Schlüsseldatei {path}: nicht lesbar ({os_reason(exc)})") from None
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


# --- writing --------------------------------------------------------------------------


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whichever system writes the bundle
    info.external_attr = 0o644 << 16
    return info


@dataclass(frozen=True)
class TableFile:
    """A table's file of a bundle being written: its rows, their hash, the bytes."""

    rows: int
    sha256: str
    data: IO[bytes]


def write_table(table: sa.Table, rows: Iterable[sa.Row[Any]], target: IO[bytes]) -> TableFile:
    """Write the ``rows`` of ``table`` (in primary key order) to ``target``, one JSON line
    each; how many and their SHA-256, as the manifest names them."""
    columns = list(table.columns)
    count = 0
    digest = hashlib.sha256()
    for row in rows:
        values = row._mapping
        line = json_line({c.name: encode_value(c, values[c]) for c in columns})
        target.write(line)
        digest.update(line)
        count += 1
    return TableFile(rows=count, sha256=digest.hexdigest(), data=target)


def table_member(name: str) -> str:
    """The bundle entry of the table ``name``."""
    return f"{TABLE_DIR}{name}.jsonl"


def write_bundle(
    path: Path, *, revision: str, files: Mapping[str, TableFile], key: bytes | None
) -> None:
    """Write the bundle ``path`` (replaced atomically) of the table ``files`` of a database
    at ``revision``, signed with ``key`` (:func:`read_key_file`) if one is given."""
    _replace_atomically(path, lambda target: _write_zip(target, revision, files, key))


def _write_zip(
    target: IO[bytes], revision: str, files: Mapping[str, TableFile], key: bytes | None
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
            with bundle.open(_zip_info(table_member(name)), "w", force_zip64=True) as entry:
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
            raise BackupError(f"{path}: nicht schreibbar ({os_reason(exc)})") from None
        raise


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class Bundle:
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
        member = table_member(table.name)
        columns = {c.name: c for c in table.columns}
        digest = hashlib.sha256()
        with self.archive.open(member) as raw:
            for number, line in enumerate(raw, start=1):
                digest.update(line)
                try:
                    row = decode_row(columns, line)
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
                f"{table_member(table.name)}: Prüfsumme (SHA-256) stimmt nicht mit {MANIFEST} "
                "überein – die Datei wurde verändert oder ist beschädigt"
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


def open_bundle(path: Path, key: bytes | None, *, revision: str, database: str) -> Bundle:
    """Open ``path``, check its signature with ``key`` if one is given, that it was written
    at ``revision`` (that of the database shown as ``database``), and its manifest against
    the schema of this SPATZ version's tables. A bundle of another revision is refused as
    such before its tables are compared: their columns differ from revision to revision."""

    def problem(message: str) -> BackupError:
        return BackupError(f"{path}: {message}")

    with ExitStack() as opened:
        try:
            handle = opened.enter_context(path.open("rb"))
            sha256 = _file_sha256(handle)
        except FileNotFoundError:
            raise problem("Datei nicht gefunden") from None
        except OSError as exc:
            raise problem(f"nicht lesbar ({os_reason(exc)})") from None
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
        written_at = manifest.get("revision")
        tables = manifest.get("tables")
        if not isinstance(written_at, str) or not isinstance(tables, dict):
            raise problem(f"{MANIFEST} unvollständig (revision und tables fehlen)")
        if written_at != revision:
            raise problem(
                f"die Sicherung hat den Schemastand {written_at}, die Datenbank {database} "
                f"den Schemastand {revision}: einspielen nur bei gleichem Schemastand (die "
                "Sicherung mit der SPATZ-Version einspielen, die sie geschrieben hat, danach "
                "`spatz init`)"
            )
        counts, hashes = _check_tables(problem, tables, archive.namelist())
        opened.pop_all()
    return Bundle(
        path=path,
        handle=handle,
        archive=archive,
        revision=written_at,
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
    expected_members = {MANIFEST} | {table_member(name) for name in known}
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


@contextmanager
def readable(bundle: Bundle) -> Iterator[None]:
    """ZIP entries that cannot be decompressed as a :class:`BackupError`."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise bundle.problem("beschädigt (ZIP-Eintrag nicht lesbar)") from None
