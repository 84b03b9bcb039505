"""Backup and restore: one portable file, byte for byte the same from SQLite and PostgreSQL;
checked whole before anything is written, restored all or nothing, its authenticity checked
with the operator's key."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from clirun import spatz_cli
from dbutil import fingerprint, row_counts
from sqlmodel import SQLModel

import spatz
from spatz.db import make_engine, migrate, require_current_schema, session_scope
from spatz.errors import BackupError, PermissionDenied
from spatz.io.bundle import FORMAT_NAME, MANIFEST, SIGNATURE, read_key_file
from spatz.io.bundle_codec import decode_value, encode_value
from spatz.io.land import land_csv, read_land_table_bytes
from spatz.model import MeasureEventCreate, Role, Status
from spatz.services.backup import BackupSummary, restore_backup, write_backup
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor
from spatz.services.demo import HALLE, load_demo
from spatz.services.land import import_land
from spatz.services.progress import record_event

ADMIN = Actor.operator("sicherung")
GUEST = Actor(name="x", role=Role.gast, org=HALLE, scope=frozenset({HALLE}))
EVENTS = SQLModel.metadata.tables["measure_event"]
KEY = bytes(range(32))
LOG = "tables/audit_entry.jsonl"

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


def _backup(url: str, path: Path, *, key: bytes | None = None) -> bytes:
    write_backup(engine=make_engine(url), actor=ADMIN, path=path, key=key)
    return path.read_bytes()


def _restore(
    url: str, path: Path, *, force: bool = False, key: bytes | None = None
) -> BackupSummary:
    return restore_backup(engine=make_engine(url), actor=ADMIN, path=path, force=force, key=key)


def _entries(path: Path) -> Entries:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rehash(entries: Entries) -> None:
    """Make the manifest's hashes fit the (changed) table files again."""
    manifest = json.loads(entries[MANIFEST])
    for name, info in manifest["tables"].items():
        info["sha256"] = hashlib.sha256(entries[f"tables/{name}.jsonl"]).hexdigest()
    entries[MANIFEST] = json.dumps(manifest).encode()


def _rewrite(
    source: Path, target: Path, change: Callable[[Entries], None], *, rehash: bool = True
) -> Path:
    """``source`` changed by ``change``; by default with hashes that fit the change, as
    somebody would who knows the format (only the signature then tells)."""
    entries = _entries(source)
    change(entries)
    if rehash and MANIFEST in entries:
        _rehash(entries)
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


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(
        (json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        for row in rows
    )


def _edit_rows(
    table: str, edit: Callable[[list[dict[str, Any]]], None]
) -> Callable[[Entries], None]:
    """Change the rows of ``table`` (the manifest's row count follows)."""

    def change(entries: Entries) -> None:
        name = f"tables/{table}.jsonl"
        rows = [json.loads(line) for line in entries[name].splitlines()]
        edit(rows)
        entries[name] = _jsonl(rows)
        _edit_manifest(lambda m: m["tables"][table].update(rows=len(rows)))(entries)

    return change


def _restored_log(original: Path, again: Path, *, restores: int = 1) -> list[dict[str, Any]]:
    """The bundle ``again``, written after restoring ``original``, is ``original`` but for
    ``restores`` restore entries at the end of the audit log; returns those entries."""
    before, after = _entries(original), _entries(again)
    assert set(after) - {SIGNATURE} == set(before) - {SIGNATURE}
    unchanged = set(after) - {LOG, MANIFEST, SIGNATURE}
    assert {n: after[n] for n in unchanged} == {n: before[n] for n in unchanged}
    assert after[LOG].startswith(before[LOG])
    added = [json.loads(line) for line in after[LOG][len(before[LOG]) :].splitlines()]
    assert [entry["action"] for entry in added] == ["restore"] * restores
    old_manifest, new_manifest = json.loads(before[MANIFEST]), json.loads(after[MANIFEST])
    old_log = old_manifest["tables"].pop("audit_entry")
    new_log = new_manifest["tables"].pop("audit_entry")
    assert old_manifest == new_manifest
    assert new_log["rows"] == old_log["rows"] + restores
    assert new_log["sha256"] == hashlib.sha256(after[LOG]).hexdigest()
    return added


def _restore_entry(entry: dict[str, Any], bundle: Path, **expected: Any) -> dict[str, Any]:
    """The facts of a restore entry, checked against the bundle it names."""
    assert (entry["entity"], entry["entity_key"]) == ("backup", bundle.name)
    after: dict[str, Any] = json.loads(entry["after"])
    assert after["file"] == bundle.name
    assert after["sha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert {k: after[k] for k in expected} == expected
    assert dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(entry["at"]) < dt.timedelta(
        minutes=5
    )
    return after


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
    assert SIGNATURE not in entries
    with zipfile.ZipFile(bundle) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    manifest = json.loads(entries[MANIFEST])
    assert manifest["format"] == FORMAT_NAME
    assert manifest["format_version"] == 2
    assert manifest["revision"]
    assert set(manifest["tables"]) == set(SQLModel.metadata.tables)
    counts = row_counts(source_url)
    for name, info in manifest["tables"].items():
        assert info["rows"] == counts[name]
        data = entries[f"tables/{name}.jsonl"]
        assert info["sha256"] == hashlib.sha256(data).hexdigest()
        lines = data.decode("utf-8").splitlines()
        assert len(lines) == counts[name]
        first = json.loads(lines[0])
        assert list(first) == sorted(first) == sorted(info["columns"])
    measure = json.loads(entries["tables/catalog_measure.jsonl"].splitlines()[0])
    assert isinstance(measure["mandatory"], bool)
    assert isinstance(measure["weight"], float)
    event = json.loads(entries["tables/measure_event.jsonl"].splitlines()[0])
    assert event["recorded_at"].endswith("+00:00")
    assert dt.date.fromisoformat(event["date"])


def test_a_signed_bundle_carries_the_hmac_of_its_manifest(
    source_url: str, bundle: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signiert.zip"
    assert _backup(source_url, signed, key=KEY) == _backup(source_url, tmp_path / "b.zip", key=KEY)
    entries = _entries(signed)
    assert list(entries) == sorted(entries) == sorted([*_entries(bundle), SIGNATURE])
    expected = hmac.new(KEY, entries[MANIFEST], hashlib.sha256).hexdigest()
    assert entries[SIGNATURE] == f"{expected}\n".encode()
    assert {n: d for n, d in entries.items() if n != SIGNATURE} == _entries(bundle)


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
def test_sqlite_to_postgres_and_back_is_byte_identical_but_for_the_restore_entries(
    source_url: str, bundle: Path, postgres_url: str, empty_sqlite: str, tmp_path: Path
) -> None:
    migrate(postgres_url)
    summary = restore_backup(engine=make_engine(postgres_url), actor=ADMIN, path=bundle)
    assert summary.restored
    assert summary.rows == sum(row_counts(source_url).values())
    counts = row_counts(source_url)
    assert row_counts(postgres_url) == {**counts, "audit_entry": counts["audit_entry"] + 1}
    from_postgres = tmp_path / "postgres.zip"
    _backup(postgres_url, from_postgres)
    (entry,) = _restored_log(bundle, from_postgres)
    assert entry["actor"] == ADMIN.name
    _restore_entry(entry, bundle, replaced=False, authenticity_checked=False)

    _restore(empty_sqlite, from_postgres)
    from_sqlite = tmp_path / "sqlite.zip"
    _backup(empty_sqlite, from_sqlite)
    _restored_log(from_postgres, from_sqlite)
    _restored_log(bundle, from_sqlite, restores=2)


@pytest.mark.postgres
def test_postgres_sequences_continue_after_a_restore(bundle: Path, postgres_url: str) -> None:
    migrate(postgres_url)
    _restore(postgres_url, bundle)
    with make_engine(postgres_url).connect() as conn:
        highest = conn.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar_one()
    assert _record_event(postgres_url) == highest + 1


def _triggers(url: str) -> list[tuple[str, ...]]:
    """The audit log's triggers as the database holds them."""
    query = (
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        if url.startswith("sqlite")
        else "SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = 'audit_entry'::regclass ORDER BY tgname"
    )
    with make_engine(url).connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(query))]


def test_restore_refuses_a_database_with_data_unless_forced(
    source_url: str, bundle: Path, database_url: str, tmp_path: Path
) -> None:
    migrate(database_url)
    triggers = _triggers(database_url)
    assert len(triggers) == (3 if database_url.startswith("sqlite") else 2)
    _restore(database_url, bundle)
    _record_event(database_url)
    before = fingerprint(database_url)
    with pytest.raises(BackupError, match="enthält bereits Daten: audit_entry") as refused:
        _restore(database_url, bundle)
    assert "--force" in str(refused.value)
    assert fingerprint(database_url) == before

    summary = _restore(database_url, bundle, force=True)
    assert summary.replaced
    assert "vorhandene Daten vorher gelöscht" in str(summary)
    counts = row_counts(source_url)
    assert row_counts(database_url) == {**counts, "audit_entry": counts["audit_entry"] + 1}
    again = tmp_path / "again.zip"
    _backup(database_url, again)
    (entry,) = _restored_log(bundle, again)
    _restore_entry(entry, bundle, replaced=True, authenticity_checked=False)
    assert _triggers(database_url) == triggers


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


def _as_written_at_0004(entries: Entries) -> None:
    """The bundle as SPATZ wrote it at revision 0004: catalogs without their document."""

    def edit(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            del row["document"]

    _edit_rows("catalog", edit)(entries)

    def manifest(m: dict[str, Any]) -> None:
        m["revision"] = "0004"
        m["tables"]["catalog"]["columns"].remove("document")

    _edit_manifest(manifest)(entries)


def test_a_bundle_of_revision_0004_is_refused_naming_both_revisions(
    bundle: Path, empty_sqlite: str, tmp_path: Path
) -> None:
    old = _rewrite(bundle, tmp_path / "0004.zip", _as_written_at_0004)
    line = _cli_refusal(empty_sqlite, "restore", "--force", str(old))
    newest = require_current_schema(make_engine(empty_sqlite))
    assert newest > "0004"
    assert line == (
        f"{old}: die Sicherung hat den Schemastand 0004, die Datenbank {empty_sqlite} den "
        f"Schemastand {newest}: einspielen nur bei gleichem Schemastand (die Sicherung mit der "
        "SPATZ-Version einspielen, die sie geschrieben hat, danach `spatz init`)"
    )
    assert not any(row_counts(empty_sqlite).values())


def test_a_catalog_with_every_element_comes_back_from_a_restore(
    database_url: str, tmp_path: Path
) -> None:
    source = f"sqlite:///{tmp_path}/quelle.db"
    migrate(source)
    catalog = spatz.load_catalog(Path(__file__).parent / "data" / "model2.yaml")
    with session_scope(make_engine(source)) as session:
        store_catalog(session=session, actor=ADMIN, catalog=catalog)
    file = tmp_path / "katalog.zip"
    _backup(source, file)
    migrate(database_url)
    _restore(database_url, file)
    assert spatz.open(database_url).catalog() == catalog


def _make_parent_cycle(entries: Entries) -> None:
    """The root organisation under the last one, which lies below the root."""

    def edit(rows: list[dict[str, Any]]) -> None:
        rows[0]["parent_id"] = rows[-1]["id"]

    _edit_rows("organisation", edit)(entries)


def test_organisations_referring_to_each_other_in_a_cycle(
    bundle: Path, database_url: str, tmp_path: Path
) -> None:
    migrate(database_url)
    cyclic = _rewrite(bundle, tmp_path / "zyklus.zip", _make_parent_cycle)
    _restore(database_url, cyclic)
    again = tmp_path / "again.zip"
    _backup(database_url, again)
    _restored_log(cyclic, again)


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
    _edit_rows("organisation", lambda rows: rows.append(rows[0]))(entries)


def _duplicate_key(entries: Entries) -> None:
    def edit(rows: list[dict[str, Any]]) -> None:
        rows.append({**rows[0], "id": max(row["id"] for row in rows) + 1})

    _edit_rows("organisation", edit)(entries)


def _set(table: str, column: str, value: Any, row: int = -1) -> Callable[[Entries], None]:
    def edit(rows: list[dict[str, Any]]) -> None:
        rows[row][column] = value

    return _edit_rows(table, edit)


def _guest_without_organisation(entries: Entries) -> None:
    def edit(rows: list[dict[str, Any]]) -> None:
        (guest,) = (row for row in rows if row["role"] == "gast")
        guest["org_id"] = None

    _edit_rows("user_account", edit)(entries)


def _version_1(entries: Entries) -> None:
    def edit(manifest: dict[str, Any]) -> None:
        manifest["format_version"] = 1
        for info in manifest["tables"].values():
            del info["sha256"]

    _edit_manifest(edit)(entries)


BROKEN: dict[str, tuple[Callable[[Entries], None], str]] = {
    "no_manifest": (_drop_manifest, "keine SPATZ-Sicherung (manifest.json fehlt)"),
    "foreign_format": (
        _edit_manifest(lambda m: m.update(format="anderes")),
        "keine SPATZ-Sicherung (Format 'anderes' statt 'spatz-backup')",
    ),
    "future_version": (
        _edit_manifest(lambda m: m.update(format_version=3)),
        "Formatversion 3 wird nicht unterstützt (nur 2)",
    ),
    "version_1": (_version_1, "Formatversion 1 wird nicht mehr unterstützt"),
    "unknown_table": (_add_table, "unbekannte Tabelle(n) extra"),
    "wrong_columns": (_rename_column, "Tabelle target: Spalten ['soll'"),
    "bad_value": (_break_row, "Spalte date: kein Datum (JJJJ-MM-TT): '31.12.2024'"),
    "too_large": (
        _set("measure_event", "org_id", 2**63),
        "Spalte org_id: ganze Zahl außerhalb des Wertebereichs: 9223372036854775808",
    ),
    "missing_row": (_drop_row, "Zeilen laut manifest.json"),
    "duplicate_row": (
        _duplicate_row,
        "tables/organisation.jsonl, Zeile 25: id = 1 kommt doppelt vor (auch Zeile 1)",
    ),
    "duplicate_key": (
        _duplicate_key,
        "tables/organisation.jsonl, Zeile 25: key = '15000000' kommt doppelt vor (auch Zeile 1)",
    ),
    "empty_key": (
        _set("target", "id", None, 0),
        "tables/target.jsonl, Zeile 1: Schlüsselspalte id ist leer",
    ),
    "dangling_reference": (
        _set("measure_event", "org_id", 9999),
        "org_id = 9999 verweist auf keine Zeile der Tabelle organisation in der Sicherung",
    ),
    "dangling_parent": (
        _set("organisation", "parent_id", 9999, 0),
        "tables/organisation.jsonl, Zeile 1: parent_id = 9999 verweist auf keine Zeile der "
        "Tabelle organisation",
    ),
    "guest_without_organisation": (
        _guest_without_organisation,
        "tables/user_account.jsonl, Zeile 5: Konto 'gast.halle' mit der Rolle gast hat keine "
        "Organisation",
    ),
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


FAILING: dict[str, tuple[Callable[[Entries], None], str]] = {
    "duplicate_row": BROKEN["duplicate_row"],
    "dangling_reference": BROKEN["dangling_reference"],
    "refused_while_inserting": (
        _set("user_account", "password_hash", None),
        "passt nicht zur Datenbank",
    ),
}


@pytest.mark.parametrize("case", FAILING)
def test_a_failed_forced_restore_leaves_the_database_as_it_was(
    case: str, bundle: Path, database_url: str, tmp_path: Path
) -> None:
    migrate(database_url)
    _restore(database_url, bundle)
    _record_event(database_url)
    triggers = _triggers(database_url)
    before = _backup(database_url, tmp_path / "vorher.zip")
    change, message = FAILING[case]
    broken = _rewrite(bundle, tmp_path / "kaputt.zip", change)
    tables: list[str] = []
    with pytest.raises(BackupError) as refused:
        restore_backup(
            engine=make_engine(database_url),
            actor=ADMIN,
            path=broken,
            force=True,
            on_table=tables.append,
        )
    assert message in str(refused.value)
    if case == "refused_while_inserting":  # refused by the database, halfway through
        assert "organisation" in tables
        assert "measure_event" in tables
        assert tables[-1] == "user_account"
    else:  # refused before the database was touched
        assert tables == []
    assert _backup(database_url, tmp_path / "nachher.zip") == before
    assert _triggers(database_url) == triggers


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


# --- authenticity ---------------------------------------------------------------------


def _promote_guest(entries: Entries) -> None:
    """gast.halle made an admin, in its table file only (the manifest left alone)."""
    name = "tables/user_account.jsonl"
    lines = entries[name].splitlines(keepends=True)
    (line,) = (i for i, text in enumerate(lines) if b'"name":"gast.halle"' in text)
    lines[line] = lines[line].replace(b'"role":"gast"', b'"role":"admin"')
    entries[name] = b"".join(lines)


def _role(url: str, name: str) -> str:
    accounts = SQLModel.metadata.tables["user_account"]
    with make_engine(url).connect() as conn:
        role: str = conn.execute(
            sa.select(accounts.c.role).where(accounts.c.name == name)
        ).scalar_one()
    return role


def test_a_tampered_bundle_is_refused_or_restored_with_a_warning(
    source_url: str, database_url: str, tmp_path: Path
) -> None:
    migrate(database_url)
    signed = tmp_path / "signiert.zip"
    _backup(source_url, signed, key=KEY)
    edited = _rewrite(signed, tmp_path / "bearbeitet.zip", _promote_guest, rehash=False)
    for key in (KEY, None):
        with pytest.raises(BackupError) as refused:
            _restore(database_url, edited, key=key)
        assert str(refused.value) == (
            f"{edited}: tables/user_account.jsonl: Prüfsumme (SHA-256) stimmt nicht mit "
            "manifest.json überein – die Datei wurde verändert oder ist beschädigt"
        )
    assert not any(row_counts(database_url).values())

    rehashed = _rewrite(signed, tmp_path / "nachgerechnet.zip", _promote_guest)
    for key in (KEY, b"ein anderer Schluessel mit 32 Byte"):
        with pytest.raises(BackupError) as refused:
            _restore(database_url, rehashed, key=key)
        assert str(refused.value) == (
            f"{rehashed}: Signatur (manifest.hmac) passt nicht: die Sicherung wurde verändert "
            "oder mit einem anderen Schlüssel geschrieben; nichts eingespielt"
        )
    assert not any(row_counts(database_url).values())

    summary = _restore(database_url, rehashed)
    assert not summary.signed
    assert summary.warning is not None
    assert "Echtheit" in summary.warning and "nicht geprüft" in summary.warning
    assert _role(database_url, "gast.halle") == "admin"
    again = tmp_path / "again.zip"
    _backup(database_url, again)
    (entry,) = _restored_log(rehashed, again)
    _restore_entry(entry, rehashed, authenticity_checked=False, replaced=False)


def test_a_signed_bundle_restores_with_its_key(
    source_url: str, database_url: str, tmp_path: Path
) -> None:
    migrate(database_url)
    signed = tmp_path / "signiert.zip"
    _backup(source_url, signed, key=KEY)
    summary = _restore(database_url, signed, key=KEY)
    assert summary.signed
    assert summary.warning is None
    assert str(summary).endswith(", Echtheit geprüft")
    assert _role(database_url, "gast.halle") == "gast"


def test_manifest_hashes_have_to_be_hashes(bundle: Path, empty_sqlite: str, tmp_path: Path) -> None:
    change = _edit_manifest(lambda m: m["tables"]["target"].update(sha256="0" * 63))
    broken = _rewrite(bundle, tmp_path / "kaputt.zip", change, rehash=False)
    with pytest.raises(BackupError, match=r"Tabelle target: Prüfsumme \(sha256\) '0{63}' ungültig"):
        _restore(empty_sqlite, broken)
    unsigned = _rewrite(bundle, tmp_path / "ohne.zip", lambda entries: None)
    with pytest.raises(BackupError, match="nicht signiert"):
        _restore(empty_sqlite, unsigned, key=KEY)
    assert not any(row_counts(empty_sqlite).values())


# --- command line ---------------------------------------------------------------------


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

    code, out, err = spatz_cli(empty_sqlite, "restore", str(file))
    assert code == 0
    assert out.startswith(f"{file}: {tables} Tabellen, {rows} Zeilen eingespielt (Schemastand ")
    assert err.endswith(
        f"Warnung: Die Echtheit von {file} wurde nicht geprüft (ohne --key-file); eine "
        "veränderte Sicherung wäre so nicht aufgefallen. Vermerkt im Änderungsprotokoll.\n"
    )

    before = fingerprint(empty_sqlite)
    code, out, err = spatz_cli(empty_sqlite, "restore", str(file))
    assert (code, out) == (2, "")
    assert f"Die Datenbank {empty_sqlite} enthält bereits Daten" in err
    assert "Traceback" not in err
    assert fingerprint(empty_sqlite) == before

    code, out, _ = spatz_cli(empty_sqlite, "restore", "--force", str(file))
    assert code == 0
    assert out.endswith(", vorhandene Daten vorher gelöscht\n")
    again = tmp_path / "again.zip"
    _backup(empty_sqlite, again)
    (entry,) = _restored_log(bundle, again)
    assert entry["actor"] == "tester"
    _restore_entry(entry, file, replaced=True, authenticity_checked=False)


def test_cli_signs_and_checks_with_a_key_file(
    source_url: str, empty_sqlite: str, tmp_path: Path
) -> None:
    key = tmp_path / "spatz-backup.key"
    key.write_bytes(KEY)
    file = tmp_path / "sicherung.zip"
    code, out, _ = spatz_cli(source_url, "backup", "--key-file", str(key), str(file))
    assert code == 0
    assert out.endswith(", signiert\n")
    assert SIGNATURE in _entries(file)
    code, out, err = spatz_cli(empty_sqlite, "restore", "--key-file", str(key), str(file))
    assert (code, err) == (0, "")
    assert out.endswith(", Echtheit geprüft\n")
    again = tmp_path / "again.zip"
    _backup(empty_sqlite, again, key=KEY)
    (entry,) = _restored_log(file, again)
    _restore_entry(entry, file, authenticity_checked=True)


def _key_files(tmp_path: Path) -> dict[str, Path]:
    short = tmp_path / "kurz.key"
    short.write_bytes(b"geheim\n")
    long = tmp_path / "lang.key"
    long.write_bytes(b"x" * 1025)
    return {"fehlt": tmp_path / "fehlt.key", "kurz": short, "lang": long, "ordner": tmp_path}


KEY_PROBLEMS = {
    "fehlt": "nicht gefunden",
    "kurz": "zu kurz (7 Bytes, mindestens 32); einen Schlüssel erzeugt `head -c 32 /dev/urandom > ",
    "lang": "zu lang (mehr als 1024 Bytes)",
    "ordner": "nicht lesbar (ist ein Verzeichnis)",
}


@pytest.mark.parametrize("case", KEY_PROBLEMS)
def test_unusable_key_files(case: str, tmp_path: Path) -> None:
    path = _key_files(tmp_path)[case]
    with pytest.raises(BackupError) as refused:
        read_key_file(path)
    assert str(refused.value).startswith(f"Schlüsseldatei {path}: {KEY_PROBLEMS[case]}")


def _cli_refusal(url: str, *args: str) -> str:
    """The one line a refused command prints: exit code 2, nothing on stdout."""
    code, out, err = spatz_cli(url, *args)
    assert (code, out) == (2, "")
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err.rstrip("\n")


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


def test_cli_refusals_are_one_german_line(
    source_url: str, bundle: Path, empty_sqlite: str, tmp_path: Path
) -> None:
    keys = _key_files(tmp_path)
    for case, message in KEY_PROBLEMS.items():
        for command in ("backup", "restore"):
            line = _cli_refusal(empty_sqlite, command, "--key-file", str(keys[case]), str(bundle))
            assert line.startswith(f"Schlüsseldatei {keys[case]}: {message}")
    key = tmp_path / "spatz-backup.key"
    key.write_bytes(KEY)
    line = _cli_refusal(empty_sqlite, "restore", "--key-file", str(key), str(bundle))
    assert line == f"{bundle}: nicht signiert (manifest.hmac fehlt): " + (
        "die Echtheit lässt sich mit dem Schlüssel nicht bestätigen; nichts eingespielt"
    )
    signed = tmp_path / "signiert.zip"
    _backup(source_url, signed, key=KEY)
    edited = _rewrite(signed, tmp_path / "bearbeitet.zip", _promote_guest, rehash=False)
    line = _cli_refusal(empty_sqlite, "restore", "--key-file", str(key), str(edited))
    assert line.startswith(f"{edited}: tables/user_account.jsonl: Prüfsumme (SHA-256) stimmt")
    rehashed = _rewrite(signed, tmp_path / "nachgerechnet.zip", _promote_guest)
    line = _cli_refusal(empty_sqlite, "restore", "--key-file", str(key), str(rehashed))
    assert line.startswith(f"{rehashed}: Signatur (manifest.hmac) passt nicht")
    for case, (change, message) in BROKEN.items():
        broken = _rewrite(bundle, tmp_path / f"{case}.zip", change)
        line = _cli_refusal(empty_sqlite, "restore", "--force", str(broken))
        assert line.startswith(f"{broken}: ")
        assert message in line
    assert not any(row_counts(empty_sqlite).values())
