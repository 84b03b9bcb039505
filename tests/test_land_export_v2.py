"""Format version 2 of the Land export: the rows of a catalog's groups.

A catalog with groups (tests/data/model2.yaml) is exported in version 2 with the group
rows the engine computes; the file goes through ``land import`` into another database and
comes out again byte for byte; version 1 is still read; bad group rows and unknown
versions are refused with file, line and column.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from clirun import spatz_cli_bytes as spatz_cli
from dbutil import fingerprint
from model2_data import ADMIN, MODEL2, ORG, fill_model2_database
from sqlmodel import col

import spatz
from spatz.db import make_engine, migrate, session_scope
from spatz.errors import DataImportError
from spatz.io.land import LAND_COLUMNS, LAND_COLUMNS_V2, land_csv, read_land
from spatz.io.reader import read_table_bytes
from spatz.model import LandRow
from spatz.services.catalogs import store_catalog
from spatz.services.organisations import import_organisations

AS_OF = "2024-12-31"
CATALOG = spatz.load_catalog(MODEL2)
ROW_IDS = ["isms", "org1", "net1", "ops", "org", "technik", "netz", "overall"]
"""Dimensions in catalog order, then the groups in the order of ``groups``, then overall."""


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """SQLite files, copied for each test: ``a`` with the catalog model2, the Stadt ``S``
    (measures done, a target) and the Gemeinde ``T`` without any event; ``b`` with the
    catalog only, to import into."""
    folder = tmp_path_factory.mktemp("model2-land")
    a = folder / "a.db"
    fill_model2_database(f"sqlite:///{a}")
    with session_scope(make_engine(f"sqlite:///{a}")) as session:
        table = read_table_bytes(b"org,name,kind\nT,Gemeinde T,Gemeinde\n", "o.csv")
        import_organisations(session=session, actor=ADMIN, table=table)
    b = folder / "b.db"
    migrate(f"sqlite:///{b}")
    with session_scope(make_engine(f"sqlite:///{b}")) as session:
        store_catalog(session=session, actor=ADMIN, catalog=CATALOG)
    return {"a": a, "b": b}


def _copy(templates: dict[str, Path], name: str, tmp_path: Path) -> str:
    target = tmp_path / f"{name}.db"
    shutil.copyfile(templates[name], target)
    return f"sqlite:///{target}"


@pytest.fixture
def url_a(templates: dict[str, Path], tmp_path: Path) -> str:
    return _copy(templates, "a", tmp_path)


@pytest.fixture
def url_b(templates: dict[str, Path], tmp_path: Path) -> str:
    return _copy(templates, "b", tmp_path)


def _records(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _write(path: Path, records: list[dict[str, str]], columns: list[str]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _refusal(path: Path) -> list[str]:
    with pytest.raises(DataImportError) as info:
        read_land(path, catalogs=[CATALOG])
    return [str(p) for p in info.value.problems]


# --- export -------------------------------------------------------------------------------


def test_a_catalog_with_groups_is_exported_in_version_2_with_the_engines_group_rows(
    url_a: str,
) -> None:
    store = spatz.open(url_a)
    rows = store.land_export(AS_OF)
    assert list(rows.columns) == [*LAND_COLUMNS, "row_kind"]
    assert rows["org"].tolist() == [ORG] * len(ROW_IDS) + ["T"] * len(ROW_IDS)
    assert rows["dimension_id"].tolist() == ROW_IDS * 2
    kinds = ["dimension"] * 4 + ["group"] * 3 + ["overall"]
    assert rows["row_kind"].tolist() == kinds * 2
    own = rows[rows["org"] == ORG].reset_index(drop=True)
    engine = store.score(AS_OF, org=ORG)
    assert engine["dimension_id"].tolist() == ROW_IDS
    for column in ("level", "score", "measures_completed", "measures_total"):
        assert own[column].tolist() == engine[column].tolist(), column
    assert own["dimension"].tolist()[4:] == ["Organisation", "Technik", "Netze", "Gesamt"]
    assert own["target_level"].isna().tolist() == [True, False] + [True] * 6

    text = land_csv(rows).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == ",".join(LAND_COLUMNS_V2)
    assert lines[0].endswith(",measures_total,row_kind,format_version")
    assert lines[5].startswith("S,,Stadt S,Stadt,,model2,1,org,Organisation,2024-12-31,")
    assert all(line.endswith(",2") for line in lines[1:])
    assert [line.split(",")[-2] for line in lines[1:9]] == kinds


def test_an_organisation_without_events_stands_where_every_measure_is_open(url_a: str) -> None:
    rows = spatz.open(url_a).land_export(AS_OF, ["T"])
    by_id = rows.set_index("dimension_id")
    # ops has no measures on level 1: that level is fulfilled without any event.
    assert (by_id.loc["ops", "level"], by_id.loc["ops", "score"]) == (1, 1.0)
    assert by_id.loc["isms", "level"] == 0
    assert by_id.loc["overall", "measures_total"] == sum(
        len(d.measures) for d in CATALOG.dimensions
    )


def test_round_trip_through_land_import_and_summary(url_a: str, url_b: str, tmp_path: Path) -> None:
    exported = tmp_path / "a.csv"
    code, out, _ = spatz_cli(url_a, "export", "land", "--as-of", AS_OF, "--out", str(exported))
    assert code == 0
    assert out.decode() == f"{exported}: 16 Zeilen, 2 Organisationen, Stichtag 31.12.2024\n"
    data = exported.read_bytes()

    code, out, err = spatz_cli(url_b, "land", "import", str(exported))
    assert (code, err) == (0, "")
    assert (
        out.decode() == f"{exported}: 16 Zeilen geprüft, 16 neu importiert, 0 bereits vorhanden\n"
    )
    with session_scope(make_engine(url_b)) as session:
        stored = session.execute(
            sa.select(col(LandRow.dimension_id), col(LandRow.row_kind), col(LandRow.position))
        ).all()
    assert ("netz", "group", 6) in stored
    assert ("overall", "overall", 7) in stored
    code, out, _ = spatz_cli(url_b, "export", "land", "--include-imported")
    assert (code, out) == (0, data)

    before = fingerprint(url_b)
    code, out, _ = spatz_cli(url_b, "land", "import", str(exported))
    assert (
        out.decode() == f"{exported}: 16 Zeilen geprüft, 0 neu importiert, 16 bereits vorhanden\n"
    )
    assert fingerprint(url_b) == before

    summary = spatz.open(url_b).land_summary(AS_OF, min_group=1)
    assert summary["dimension_id"].tolist() == ROW_IDS
    rows = spatz.open(url_a).land_export(AS_OF)
    technik = rows[rows["dimension_id"] == "technik"]
    record = summary.set_index("dimension_id").loc["technik"]
    assert record["dimension"] == "Technik"
    assert record["organisations"] == 2
    assert record["median"] == pytest.approx(technik["score"].median())
    code, out, _ = spatz_cli(url_b, "land", "summary", "--min-group", "1", "--as-of", AS_OF)
    assert code == 0
    assert "Netze" in out.decode()


# --- reading ------------------------------------------------------------------------------


def test_version_1_of_a_catalog_with_groups_is_still_read(url_a: str, tmp_path: Path) -> None:
    records = _records(land_csv(spatz.open(url_a).land_export(AS_OF)))
    v1 = [r for r in records if r["row_kind"] != "group"]
    frame = read_land(_write(tmp_path / "v1.csv", v1, LAND_COLUMNS), catalogs=[CATALOG])
    assert list(frame.columns) == LAND_COLUMNS
    assert frame["dimension_id"].tolist() == [r["dimension_id"] for r in v1]
    # Version 1 has no group rows: a group's id is no dimension there.
    records[4]["dimension_id"] = "org"
    bad = _write(tmp_path / "bad.csv", records, LAND_COLUMNS)
    assert _refusal(bad)[0] == (
        f"{bad}:6: Spalte dimension_id: unbekannte Dimension 'org' "
        "(erlaubt: isms, net1, ops, org1, overall)"
    )


def test_version_1_and_2_read_together_give_the_row_kinds(url_a: str, tmp_path: Path) -> None:
    data = land_csv(spatz.open(url_a).land_export(AS_OF, [ORG]))
    v2 = tmp_path / "v2.csv"
    v2.write_bytes(data)
    v1 = [r | {"org": "U", "organisation": "Stadt U"} for r in _records(data)]
    v1 = [r for r in v1 if r["row_kind"] != "group"]
    frame = read_land([v2, _write(tmp_path / "v1.csv", v1, LAND_COLUMNS)], catalogs=[CATALOG])
    assert list(frame.columns) == [*LAND_COLUMNS, "row_kind"]
    assert frame.loc[frame["org"] == "U", "row_kind"].tolist() == ["dimension"] * 4 + ["overall"]


@pytest.mark.parametrize(
    ("line", "column", "value", "message"),
    [
        (6, "dimension_id", "xyz", "unbekannte Gruppe 'xyz' (erlaubt: netz, org, technik)"),
        (2, "dimension_id", "org", "unbekannte Dimension 'org' (erlaubt: isms, net1, ops, org1)"),
        (
            2,
            "format_version",
            "3",
            "Version 3 des Landesformats kann diese SPATZ-Version nicht lesen "
            "(lesbar sind die Versionen 1 und 2; bitte SPATZ aktualisieren)",
        ),
        (3, "format_version", "", "Wert fehlt"),
        (
            4,
            "format_version",
            "1",
            "die Spalten row_kind und format_version hat erst Version 2, nicht Version 1",
        ),
        (
            4,
            "row_kind",
            "gruppe",
            "unbekannte Zeilenart 'gruppe' (erlaubt: dimension, group, overall)",
        ),
        (9, "row_kind", "group", "row_kind overall gehört zu dimension_id overall und nur zu ihr"),
        (7, "score", "0.50", "Punktwert 0.50 passt nicht zur Stufe 1 (erwartet ≥ 1)"),
    ],
)
def test_bad_rows_of_version_2_are_refused_with_line_and_column(
    url_a: str, tmp_path: Path, line: int, column: str, value: str, message: str
) -> None:
    records = _records(land_csv(spatz.open(url_a).land_export(AS_OF, [ORG])))
    if column == "score":
        records[line - 2]["level"] = "1"
    records[line - 2][column] = value
    path = _write(tmp_path / "bad.csv", records, LAND_COLUMNS_V2)
    assert _refusal(path) == [f"{path}:{line}: Spalte {column}: {message}"]


def test_a_missing_group_row_is_named(url_a: str, tmp_path: Path) -> None:
    records = _records(land_csv(spatz.open(url_a).land_export(AS_OF, [ORG])))
    path = _write(
        tmp_path / "gap.csv", [r for r in records if r["dimension_id"] != "netz"], LAND_COLUMNS_V2
    )
    assert _refusal(path) == [
        f"{path}:2: Spalte dimension_id: für 'S' am 2024-12-31 fehlen Zeilen der Gruppe(n) netz"
    ]


def test_a_header_of_version_2_needs_both_new_columns(url_a: str, tmp_path: Path) -> None:
    records = _records(land_csv(spatz.open(url_a).land_export(AS_OF, [ORG])))
    path = _write(tmp_path / "half.csv", records, [*LAND_COLUMNS, "row_kind"])
    found = ", ".join([*LAND_COLUMNS, "row_kind"])
    assert _refusal(path) == [f"{path}:1: Spalte format_version: Spalte fehlt (vorhanden: {found})"]


def test_a_hostile_row_kind_is_quoted_shortened(url_a: str, tmp_path: Path) -> None:
    records = _records(land_csv(spatz.open(url_a).land_export(AS_OF, [ORG])))
    records[0]["row_kind"] = "=cmd|'/c calc'!A1\x07" + "z" * 5000
    records[1]["row_kind"] = "=cmd\x07"
    path = _write(tmp_path / "hostile.csv", records, LAND_COLUMNS_V2)
    assert _refusal(path) == [
        f"{path}:2: Spalte row_kind: zu lang (5018 Zeichen, höchstens 20)",
        f"{path}:3: Spalte row_kind: unbekannte Zeilenart '=cmd\\x07' "
        "(erlaubt: dimension, group, overall)",
    ]


def test_rows_of_a_catalog_without_groups_keep_version_1(demo_url: str) -> None:
    rows = spatz.open(demo_url).land_export(AS_OF, ["15002000"])
    assert list(rows.columns) == LAND_COLUMNS
    assert land_csv(rows).decode("utf-8").splitlines()[0] == ",".join(LAND_COLUMNS)
    assert land_csv(pd.DataFrame(columns=LAND_COLUMNS)) == (",".join(LAND_COLUMNS) + "\n").encode()
