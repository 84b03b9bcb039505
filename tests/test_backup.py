"""Backup and restore: one portable file, byte for byte the same from SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dbutil import fingerprint, row_counts
from sqlmodel import SQLModel
from typer.testing import CliRunner

import spatz
from spatz.cli import app
from spatz.db import make_engine, migrate, session_scope
from spatz.errors import PermissionDenied
from spatz.io.land import land_csv, read_land_table_bytes
from spatz.model import MeasureEventCreate, Role, Status
from spatz.services.backup import (
    FORMAT_NAME,
    MANIFEST,
    BackupError,
    decode_value,
    encode_value,
    restore_backup,
    write_backup,
)
from spatz.services.common import Actor
from spatz.services.demo import HALLE, load_demo
from spatz.services.land import import_land
from spatz.services.progress import record_event

ADMIN = Actor.operator("sicherung")
GUEST = Actor(name="x", role=Role.gast, org=HALLE, scope=frozenset({HALLE}))
EVENTS = SQLModel.metadata.tables["measure_event"]
runner = CliRunner()

Entries = dict[str, bytes]


@pytest.fixture(scope="module")
def source_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Demo data in SQLite, plus Land comparison rows and an organisation whose parent has
    a higher id than itself (every table holds rows)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('source')}/source.db"
    migrate(url)
    engine = make_engine(url)
    load_demo(engine=engine, actor=ADMIN)
    rows = spatz.open(url).land_export("2024-12-31")
    table = read_land_table_bytes(land_csv(rows), "land.csv")
    with session_scope(engine) as session:
        import_land(session=session, actor=ADMIN, tables=[table])
    with engine.begin() as conn:
        organisations = SQLModel.metadata.tables["organisation"]
        child = conn.execute(
            sa.select(sa.func.min(organisations.c.id)).where(organisations.c.parent_id.is_not(None))
        ).scalar_one()
        last = conn.execute(sa.select(sa.func.max(organisations.c.id))).scalar_one()
        conn.execute(
            organisations.update().where(organisations.c.id == child).values(parent_id=last)
        )
    assert all(row_counts(url).values()), row_counts(url)
    return url


@pytest.fixture(scope="module")
def bundle(source_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "sicherung.zip"
    write_backup(engine=make_engine(source_url), actor=ADMIN, path=path)
    return path


@pytest.fixture
def empty_sqlite(sqlite_url: str) -> str:
    migrate(sqlite_url)
    return sqlite_url


def _backup(url: str, path: Path) -> bytes:
    write_backup(engine=make_engine(url), actor=ADMIN, path=path)
    return path.read_bytes()


def _restore(url: str, path: Path, *, force: bool = False) -> None:
    restore_backup(engine=make_engine(url), actor=ADMIN, path=path, force=force)


def _entries(path: Path) -> Entries:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewrite(source: Path, target: Path, change: Callable[[Entries], None]) -> Path:
    entries = _entries(source)
    change(entries)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return target


def _edit_manifest(edit: Callable[[dict[str, Any]], None]) -> Callable[[Entries], None]:
    def change(entries: Entries) -> None:
        manifest = json.loads(entries[MANIFEST])
        edit(manifest)
        entries[MANIFEST] = json.dumps(manifest).encode()

    return change


def _record_event(url: str) -> int:
    with session_scope(make_engine(url)) as session:
        event = record_event(
            session=session,
            actor=ADMIN,
            event_in=MeasureEventCreate(
                org=HALLE, measure_id="KOM-1-01", status=Status.completed, date=dt.date.today()
            ),
        )
    return event.id


# --- the format -----------------------------------------------------------------------


def test_bundle_is_deterministic_and_readable(
    source_url: str, bundle: Path, tmp_path: Path
) -> None:
    assert _backup(source_url, tmp_path / "again.zip") == bundle.read_bytes()
    entries = _entries(bundle)
    assert list(entries) == sorted(entries)
    with zipfile.ZipFile(bundle) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    manifest = json.loads(entries[MANIFEST])
    assert manifest["format"] == FORMAT_NAME
    assert manifest["format_version"] == 1
    assert manifest["revision"]
    assert set(manifest["tables"]) == set(SQLModel.metadata.tables)
    counts = row_counts(source_url)
    for name, info in manifest["tables"].items():
        assert info["rows"] == counts[name]
        lines = entries[f"tables/{name}.jsonl"].decode("utf-8").splitlines()
        assert len(lines) == counts[name]
        first = json.loads(lines[0])
        assert list(first) == sorted(first) == sorted(info["columns"])
    measure = json.loads(entries["tables/catalog_measure.jsonl"].splitlines()[0])
    assert isinstance(measure["mandatory"], bool)
    assert isinstance(measure["weight"], float)
    event = json.loads(entries["tables/measure_event.jsonl"].splitlines()[0])
    assert event["recorded_at"].endswith("+00:00")
    assert dt.date.fromisoformat(event["date"])


def test_values_are_encoded_independently_of_the_database() -> None:
    table = sa.Table(
        "values",
        sa.MetaData(),
        sa.Column("at", sa.DateTime(timezone=True)),
        sa.Column("flag", sa.Boolean()),
        sa.Column("share", sa.Float()),
        sa.Column("status", sa.Enum(Status, values_callable=lambda e: [m.value for m in e])),
    )
    at, flag, share, status = table.columns
    naive = dt.datetime(2024, 3, 1, 11, 30, 0, 250)
    aware = dt.datetime(2024, 3, 1, 12, 30, 0, 250, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert encode_value(at, naive) == encode_value(at, aware) == "2024-03-01T11:30:00.000250+00:00"
    assert decode_value(at, encode_value(at, naive)) == aware
    assert encode_value(flag, 1) is True
    assert encode_value(flag, 0) is False
    assert json.loads(json.dumps(encode_value(share, 0.1 + 0.2))) == 0.1 + 0.2
    assert encode_value(status, Status.completed) == "completed"
    assert encode_value(at, None) is None
    with pytest.raises(ValueError, match="Zeitzone"):
        decode_value(at, "2024-03-01T11:30:00")
    with pytest.raises(ValueError, match="Wahrheitswert"):
        decode_value(flag, 1)
    with pytest.raises(ValueError, match="keiner der Werte"):
        decode_value(status, "erledigt")


# --- round trips ----------------------------------------------------------------------


@pytest.mark.postgres
def test_sqlite_to_postgres_and_back_is_byte_identical(
    source_url: str, bundle: Path, postgres_url: str, empty_sqlite: str, tmp_path: Path
) -> None:
    migrate(postgres_url)
    summary = restore_backup(engine=make_engine(postgres_url), actor=ADMIN, path=bundle)
    assert summary.restored
    assert summary.rows == sum(row_counts(source_url).values())
    assert row_counts(postgres_url) == row_counts(source_url)
    from_postgres = tmp_path / "postgres.zip"
    assert _backup(postgres_url, from_postgres) == bundle.read_bytes()

    _restore(empty_sqlite, from_postgres)
    assert fingerprint(empty_sqlite) == fingerprint(source_url)


@pytest.mark.postgres
def test_postgres_sequences_continue_after_a_restore(bundle: Path, postgres_url: str) -> None:
    migrate(postgres_url)
    _restore(postgres_url, bundle)
    with make_engine(postgres_url).connect() as conn:
        highest = conn.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar_one()
    assert _record_event(postgres_url) == highest + 1


def test_restore_refuses_a_database_with_data_unless_forced(
    source_url: str, bundle: Path, database_url: str, tmp_path: Path
) -> None:
    migrate(database_url)
    _restore(database_url, bundle)
    _record_event(database_url)
    before = fingerprint(database_url)
    with pytest.raises(BackupError, match="enthält bereits Daten: audit_entry") as refused:
        _restore(database_url, bundle)
    assert "--force" in str(refused.value)
    assert fingerprint(database_url) == before

    summary = restore_backup(engine=make_engine(database_url), actor=ADMIN, path=bundle, force=True)
    assert summary.replaced
    assert "vorhandene Daten vorher gelöscht" in str(summary)
    assert row_counts(database_url) == row_counts(source_url)
    assert _backup(database_url, tmp_path / "again.zip") == bundle.read_bytes()


def test_restore_needs_a_migrated_database_of_the_same_revision(
    bundle: Path, sqlite_url: str, tmp_path: Path
) -> None:
    with pytest.raises(BackupError, match="bitte zuerst `spatz init` ausführen"):
        _restore(sqlite_url, bundle)
    migrate(sqlite_url)
    old = _rewrite(
        bundle, tmp_path / "alt.zip", _edit_manifest(lambda m: m.update(revision="0002"))
    )
    with pytest.raises(BackupError, match="Schemastand 0002") as refused:
        _restore(sqlite_url, old, force=True)
    assert str(refused.value).startswith(f"{old}: ")
    assert not any(row_counts(sqlite_url).values())


def _make_parent_cycle(entries: Entries) -> None:
    """The root organisation under the last one, which lies below the root."""
    name = "tables/organisation.jsonl"
    rows = [json.loads(line) for line in entries[name].splitlines()]
    rows[0]["parent_id"] = rows[-1]["id"]
    entries[name] = b"".join(
        (json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        for row in rows
    )


def test_organisations_referring_to_each_other_in_a_cycle(
    bundle: Path, database_url: str, tmp_path: Path
) -> None:
    migrate(database_url)
    cyclic = _rewrite(bundle, tmp_path / "zyklus.zip", _make_parent_cycle)
    _restore(database_url, cyclic)
    again = tmp_path / "again.zip"
    _backup(database_url, again)
    assert _entries(again) == _entries(cyclic)


# --- refusals -------------------------------------------------------------------------


def _drop_manifest(entries: Entries) -> None:
    del entries[MANIFEST]


def _add_table(entries: Entries) -> None:
    _edit_manifest(lambda m: m["tables"].update(extra={"columns": ["id"], "rows": 0}))(entries)
    entries["tables/extra.jsonl"] = b""


def _rename_column(entries: Entries) -> None:
    def edit(manifest: dict[str, Any]) -> None:
        manifest["tables"]["target"]["columns"][0] = "soll"

    _edit_manifest(edit)(entries)


def _break_row(entries: Entries) -> None:
    name = "tables/measure_event.jsonl"
    lines = entries[name].splitlines(keepends=True)
    event = json.loads(lines[-1])
    event["date"] = "31.12.2024"
    lines[-1] = (json.dumps(event, sort_keys=True) + "\n").encode()
    entries[name] = b"".join(lines)


def _drop_row(entries: Entries) -> None:
    name = "tables/target.jsonl"
    entries[name] = b"".join(entries[name].splitlines(keepends=True)[1:])


def _duplicate_row(entries: Entries) -> None:
    name = "tables/organisation.jsonl"
    lines = entries[name].splitlines(keepends=True)
    entries[name] = b"".join([*lines, lines[0]])
    _edit_manifest(lambda m: m["tables"]["organisation"].update(rows=len(lines) + 1))(entries)


BROKEN: dict[str, tuple[Callable[[Entries], None], str]] = {
    "no_manifest": (_drop_manifest, "keine SPATZ-Sicherung (manifest.json fehlt)"),
    "foreign_format": (
        _edit_manifest(lambda m: m.update(format="anderes")),
        "keine SPATZ-Sicherung (Format 'anderes' statt 'spatz-backup')",
    ),
    "future_version": (
        _edit_manifest(lambda m: m.update(format_version=2)),
        "Formatversion 2 wird nicht unterstützt",
    ),
    "unknown_table": (_add_table, "unbekannte Tabelle(n) extra"),
    "wrong_columns": (_rename_column, "Tabelle target: Spalten ['soll'"),
    "bad_value": (_break_row, "Spalte date: kein Datum (JJJJ-MM-TT): '31.12.2024'"),
    "missing_row": (_drop_row, "Zeilen laut manifest.json"),
    "duplicate_key": (_duplicate_row, "passt nicht zur Datenbank"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_bundles_are_refused_and_nothing_is_written(
    case: str, bundle: Path, empty_sqlite: str, tmp_path: Path
) -> None:
    change, message = BROKEN[case]
    broken = _rewrite(bundle, tmp_path / "kaputt.zip", change)
    with pytest.raises(BackupError) as refused:
        _restore(empty_sqlite, broken)
    assert str(refused.value).startswith(f"{broken}: ")
    assert message in str(refused.value)
    assert not any(row_counts(empty_sqlite).values())


def test_a_broken_bundle_leaves_even_a_forced_restore_untouched(
    bundle: Path, empty_sqlite: str, tmp_path: Path
) -> None:
    _restore(empty_sqlite, bundle)
    before = fingerprint(empty_sqlite)
    broken = _rewrite(bundle, tmp_path / "kaputt.zip", _break_row)
    with pytest.raises(BackupError, match="Zeile"):
        _restore(empty_sqlite, broken, force=True)
    assert fingerprint(empty_sqlite) == before


def test_files_that_are_no_bundle(empty_sqlite: str, tmp_path: Path) -> None:
    text = tmp_path / "notiz.zip"
    text.write_text("keine Sicherung\n", encoding="utf-8")
    with pytest.raises(BackupError, match="keine SPATZ-Sicherung \\(keine ZIP-Datei\\)") as refused:
        _restore(empty_sqlite, text)
    assert str(refused.value).startswith(f"{text}: ")
    with pytest.raises(BackupError, match="Datei nicht gefunden"):
        _restore(empty_sqlite, tmp_path / "fehlt.zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(MANIFEST, "[1, 2")
    (tmp_path / "json.zip").write_bytes(buffer.getvalue())
    with pytest.raises(BackupError, match="kein gültiges JSON"):
        _restore(empty_sqlite, tmp_path / "json.zip")
    assert not any(row_counts(empty_sqlite).values())


def test_only_admin_may_back_up_and_restore(
    bundle: Path, empty_sqlite: str, tmp_path: Path
) -> None:
    engine = make_engine(empty_sqlite)
    with pytest.raises(PermissionDenied, match="Sicherungen erstellen und einspielen"):
        write_backup(engine=engine, actor=GUEST, path=tmp_path / "x.zip")
    with pytest.raises(PermissionDenied):
        restore_backup(engine=engine, actor=GUEST, path=bundle)
    assert not (tmp_path / "x.zip").exists()
    assert not any(row_counts(empty_sqlite).values())


def test_backup_is_written_atomically(source_url: str, bundle: Path, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="nicht schreibbar"):
        write_backup(engine=make_engine(source_url), actor=ADMIN, path=tmp_path / "fehlt" / "x.zip")
    target = tmp_path / "sicherung.zip"
    target.write_bytes(b"alt")
    write_backup(engine=make_engine(source_url), actor=ADMIN, path=target)
    assert target.read_bytes() == bundle.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["sicherung.zip"]


def test_progress_names_every_table(
    source_url: str, bundle: Path, empty_sqlite: str, tmp_path: Path
) -> None:
    seen: list[str] = []
    write_backup(
        engine=make_engine(source_url), actor=ADMIN, path=tmp_path / "a.zip", on_table=seen.append
    )
    assert seen == [t.name for t in SQLModel.metadata.sorted_tables]
    seen.clear()
    restore_backup(engine=make_engine(empty_sqlite), actor=ADMIN, path=bundle, on_table=seen.append)
    assert seen == [t.name for t in SQLModel.metadata.sorted_tables]


# --- command line ---------------------------------------------------------------------


def spatz_cli(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", url, *args], env={"SPATZ_USER": "tester"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_backup_and_restore(
    source_url: str, bundle: Path, empty_sqlite: str, tmp_path: Path
) -> None:
    file = tmp_path / "sicherung.zip"
    code, out, _ = spatz_cli(source_url, "backup", str(file))
    rows = sum(row_counts(source_url).values())
    tables = len(SQLModel.metadata.tables)
    assert code == 0
    assert out.startswith(f"{file}: {tables} Tabellen, {rows} Zeilen gesichert (Schemastand ")
    assert file.read_bytes() == bundle.read_bytes()

    code, out, _ = spatz_cli(empty_sqlite, "restore", str(file))
    assert code == 0
    assert out.startswith(f"{file}: {tables} Tabellen, {rows} Zeilen eingespielt (Schemastand ")

    before = fingerprint(empty_sqlite)
    code, out, err = spatz_cli(empty_sqlite, "restore", str(file))
    assert (code, out) == (2, "")
    assert f"Die Datenbank {empty_sqlite} enthält bereits Daten" in err
    assert "Traceback" not in err
    assert fingerprint(empty_sqlite) == before

    code, out, _ = spatz_cli(empty_sqlite, "restore", "--force", str(file))
    assert code == 0
    assert out.endswith(", vorhandene Daten vorher gelöscht\n")
    assert fingerprint(empty_sqlite) == fingerprint(source_url)


def test_cli_refuses_a_broken_bundle_and_an_uninitialised_database(
    bundle: Path, sqlite_url: str, tmp_path: Path
) -> None:
    code, out, err = spatz_cli(sqlite_url, "restore", str(bundle))
    assert (code, out) == (2, "")
    assert "bitte zuerst `spatz init` ausführen" in err
    code, out, err = spatz_cli(sqlite_url, "backup", str(tmp_path / "x.zip"))
    assert (code, out) == (2, "")
    assert "bitte zuerst `spatz init` ausführen" in err

    assert spatz_cli(sqlite_url, "init")[0] == 0
    broken = tmp_path / "kaputt.zip"
    broken.write_bytes(b"PK nicht wirklich")
    code, out, err = spatz_cli(sqlite_url, "restore", str(broken))
    assert (code, out) == (2, "")
    assert err == f"{broken}: keine SPATZ-Sicherung (keine ZIP-Datei)\n"
