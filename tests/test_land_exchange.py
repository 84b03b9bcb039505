"""The Land exchange: export, import of other Kommunen's exports, round trip, summary.

The round trip must hold byte for byte: a Land export of database A, imported into an empty
database B, comes out of B's ``export land --include-imported`` exactly as it went in, in
either dialect.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from clirun import spatz_cli_bytes as spatz_cli
from dbutil import fingerprint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spatz
from spatz.catalog import OVERALL, default_catalog
from spatz.db import make_engine, migrate, session_scope
from spatz.errors import ArgumentError, DataImportError
from spatz.io.land import (
    LAND_COLUMNS,
    Dialect,
    land_csv,
    land_frame,
    parse_land,
    read_land,
    read_land_table_bytes,
    shipped_catalogs,
)
from spatz.land import land_summary
from spatz.model import LandRow
from spatz.model.common import OrgKind
from spatz.services.common import Actor
from spatz.services.demo import load_demo
from spatz.services.land import import_land

CATALOG = default_catalog()
HEADER = ",".join(LAND_COLUMNS)
HALLE = """\
15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,spatz-kommunal,1.0,strategie,Digitalisierungsstrategie,2024-12-31,2,2.67,3,2025-12-31,9,16
15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,spatz-kommunal,1.0,governance,IT-Governance,2024-12-31,2,2.00,3,2025-12-31,8,18
15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,spatz-kommunal,1.0,projektmanagement,Projektmanagement,2024-12-31,1,1.67,3,2025-12-31,5,16
15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,spatz-kommunal,1.0,informationssicherheit,Informationssicherheit,2024-12-31,2,2.25,3,2025-12-31,9,19
15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,spatz-kommunal,1.0,personal,Personal & Kompetenzen,2024-12-31,2,2.75,,,9,16
15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,spatz-kommunal,1.0,prozesse,Prozesse & Onlinedienste (OZG),2024-12-31,3,3.25,3,2024-12-31,12,18
15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,spatz-kommunal,1.0,infrastruktur,IT-Infrastruktur & Basisdienste,2024-12-31,2,2.80,,,10,17
15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,spatz-kommunal,1.0,zusammenarbeit,Kommunikation & Zusammenarbeit,2024-12-31,2,2.67,,,8,15
15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,spatz-kommunal,1.0,overall,Gesamt,2024-12-31,1,2.51,2,2025-12-31,70,135
"""  # noqa: E501


def land_file(
    changes: dict[tuple[int, str], str] | None = None,
    *,
    drop: tuple[int, ...] = (),
    columns: list[str] = LAND_COLUMNS,
    rows: str = HALLE,
) -> str:
    """Halle's rows with cells changed: ``(line, column) -> value``; line 2 is the first row."""
    records = [
        dict(zip(LAND_COLUMNS, r, strict=True))
        for r in csv.reader(io.StringIO(rows.replace("\r\n", "\n")))
    ]
    for (line, column), value in (changes or {}).items():
        records[line - 2][column] = value
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for line, record in enumerate(records, start=2):
        if line not in drop:
            writer.writerow([record.get(c, "") for c in columns])
    return buffer.getvalue()


@pytest.fixture
def url_b(database_url: str) -> str:
    """Database B on either backend: migrated, nothing else (no catalog, no organisations)."""
    code, _, _ = spatz_cli(database_url, "init")
    assert code == 0
    return database_url


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Migrated SQLite files, copied for each test (faster than migrating each time):
    ``empty`` and ``halle`` (holding Halle's rows as comparison data)."""
    folder = tmp_path_factory.mktemp("templates")
    empty = folder / "empty.db"
    migrate(f"sqlite:///{empty}")
    halle = folder / "halle.db"
    shutil.copyfile(empty, halle)
    source = folder / "halle.csv"
    source.write_text(land_file(), encoding="utf-8")
    assert spatz_cli(f"sqlite:///{halle}", "land", "import", str(source))[0] == 0
    return {"empty": empty, "halle": halle}


def _copy(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "b.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def empty_b(templates: dict[str, Path], tmp_path: Path) -> str:
    """Database B on SQLite: migrated, nothing else."""
    return _copy(templates["empty"], tmp_path)


@pytest.fixture
def loaded_b(templates: dict[str, Path], tmp_path: Path) -> str:
    """Database B on SQLite holding Halle's rows as comparison data."""
    return _copy(templates["halle"], tmp_path)


# --- round trip ---------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["rfc4180", "excel-de"])
def test_round_trip_is_byte_identical(
    demo_url: str, url_b: str, tmp_path: Path, dialect: str
) -> None:
    exported = tmp_path / f"a-{dialect}.csv"
    code, out, _ = spatz_cli(
        demo_url,
        "export",
        "land",
        "--as-of",
        "31.12.2024",
        "--dialect",
        dialect,
        "--out",
        str(exported),
    )
    assert code == 0
    assert out.decode() == f"{exported}: 216 Zeilen, 24 Organisationen, Stichtag 31.12.2024\n"
    data = exported.read_bytes()
    assert data.startswith(b"\xef\xbb\xbforg;ags;" if dialect == "excel-de" else b"org,ags,")

    code, out, err = spatz_cli(url_b, "land", "import", str(exported))
    assert (code, err) == (0, "")
    assert out.decode() == (
        f"{exported}: 216 Zeilen geprüft, 216 neu importiert, 0 bereits vorhanden\n"
    )
    code, out, _ = spatz_cli(url_b, "export", "land", "--include-imported", "--dialect", dialect)
    assert code == 0
    assert out == data
    # The Stichtag of the export does not move imported rows.
    code, out, _ = spatz_cli(
        url_b,
        "export",
        "land",
        "--include-imported",
        "--dialect",
        dialect,
        "--as-of",
        "2030-01-01",
    )
    assert out == data

    before = fingerprint(url_b)
    code, out, _ = spatz_cli(url_b, "land", "import", str(exported))
    assert out.decode() == (
        f"{exported}: 216 Zeilen geprüft, 0 neu importiert, 216 bereits vorhanden\n"
    )
    assert fingerprint(url_b) == before


def test_import_of_either_dialect_gives_the_same_rows(demo_url: str, empty_b: str) -> None:
    rows = spatz.open(demo_url).land_export("2024-12-31")
    for dialect in Dialect:
        table = read_land_table_bytes(land_csv(rows, dialect), f"a.{dialect}.csv")
        assert table.dialect is dialect
        with session_scope(make_engine(empty_b)) as session:
            import_land(session=session, actor=Actor.operator("test"), tables=[table])
        again = spatz.open(empty_b).land_comparison()
        assert land_csv(again) == land_csv(rows)


def test_export_without_imported_rows_and_selection(loaded_b: str) -> None:
    code, out, _ = spatz_cli(loaded_b, "export", "land")
    assert (code, out.decode()) == (0, HEADER + "\n")
    code, out, _ = spatz_cli(loaded_b, "export", "land", "--include-imported", "--org", "15002000")
    assert out.decode() == HEADER + "\n" + HALLE
    code, _, err = spatz_cli(loaded_b, "export", "land", "--include-imported", "--org", "XX")
    assert (code, err) == (2, "Organisation(en) nicht gefunden: XX\n")


def test_own_rows_come_first_and_imported_rows_of_own_organisations_are_hidden(
    tmp_path: Path, empty_b: str
) -> None:
    """B with organisations of its own: its rows are computed, imported ones of the same
    organisation are not shown; everything sorted by org as the format demands."""
    load_demo(engine=make_engine(empty_b), actor=Actor.operator("demo"))
    other = land_file({(line, "org"): "15099999" for line in range(2, 11)})
    other = other.replace(",15002000,Stadt Halle (Saale)", ",15099999,Stadt Z")
    own_again = land_file({(2, "level"): "0", (2, "score"): "0.10"})
    files = [tmp_path / "other.csv", tmp_path / "own.csv"]
    files[0].write_text(other, encoding="utf-8")
    files[1].write_text(own_again, encoding="utf-8")
    assert spatz_cli(empty_b, "land", "import", *map(str, files))[0] == 0
    _, out, _ = spatz_cli(empty_b, "export", "land", "--as-of", "2024-12-31")
    own = out.decode()
    _, out, _ = spatz_cli(empty_b, "export", "land", "--as-of", "2024-12-31", "--include-imported")
    combined = out.decode().splitlines()
    imported = [line for line in combined if line.startswith("15099999,")]
    assert len(imported) == 9
    assert [line for line in combined if not line.startswith("15099999,")] == own.splitlines()
    orgs = [line.split(",")[0] for line in combined[1:]]
    assert orgs == sorted(orgs)
    assert "15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt," in own
    assert ",strategie,Digitalisierungsstrategie,2024-12-31,2,2.67," in own


def test_reimport_replaces_the_organisation_and_stichtag(loaded_b: str, tmp_path: Path) -> None:
    changed = tmp_path / "halle-neu.csv"
    changed.write_text(
        land_file({(2, "level"): "3", (2, "score"): "3.10", (2, "dimension"): "Strategie"}),
        encoding="utf-8",
    )
    _, out, _ = spatz_cli(loaded_b, "land", "import", str(changed))
    assert out.decode() == (
        f"{changed}: 9 Zeilen geprüft, 0 neu importiert, 0 bereits vorhanden, 9 aktualisiert\n"
    )
    later = tmp_path / "halle-2025.csv"
    later.write_text(land_file().replace("2024-12-31,", "2025-06-30,"), encoding="utf-8")
    _, out, _ = spatz_cli(loaded_b, "land", "import", str(later), "--dry-run")
    assert out.decode() == (
        f"{later}: 9 Zeilen geprüft, 9 würden neu importiert, 0 bereits vorhanden "
        "(Probelauf, nichts geschrieben)\n"
    )
    assert spatz_cli(loaded_b, "land", "import", str(later))[0] == 0
    stored = spatz.open(loaded_b).imported_land()
    assert len(stored) == 18
    assert stored["as_of"].dt.strftime("%Y-%m-%d").unique().tolist() == [
        "2024-12-31",
        "2025-06-30",
    ]
    first = stored.iloc[0]
    assert (first["dimension"], first["level"], first["score"]) == ("Strategie", 3, 3.1)
    assert (first["source"], first["recorded_by"]) == ("halle-neu.csv", "tester")
    assert stored["position"].tolist() == list(range(9)) * 2


def test_excel_de_cells_are_un_neutralised(empty_b: str, tmp_path: Path) -> None:
    rows = read_land_frame(land_file()).assign(
        organisation="=cmd|'/c calc'!A1", land="@SUMME(1)", dimension="-5 Punkte"
    )
    rows.loc[rows["dimension_id"] == "governance", "dimension"] = "'=schon mit Apostroph"
    excel = tmp_path / "excel.csv"
    excel.write_bytes(land_csv(rows, Dialect.excel_de))
    assert b";'=cmd|'/c calc'!A1;" in excel.read_bytes()
    assert b";''=schon mit Apostroph;" in excel.read_bytes()
    assert spatz_cli(empty_b, "land", "import", str(excel))[0] == 0
    stored = spatz.open(empty_b).imported_land()
    assert set(stored["organisation"]) == {"=cmd|'/c calc'!A1"}
    assert set(stored["land"]) == {"@SUMME(1)"}
    assert stored["dimension"].iloc[1] == "'=schon mit Apostroph"
    _, out, _ = spatz_cli(empty_b, "export", "land", "--include-imported")
    assert ",=cmd|'/c calc'!A1,kreisfreie Stadt,@SUMME(1)," in out.decode()
    _, out, _ = spatz_cli(empty_b, "export", "land", "--include-imported", "--dialect", "excel-de")
    assert out == excel.read_bytes()


def read_land_frame(text: str) -> pd.DataFrame:
    return read_land_from_bytes(text.encode())


def read_land_from_bytes(data: bytes, name: str = "x.csv") -> pd.DataFrame:
    return land_frame(parse_land([read_land_table_bytes(data, name)], shipped_catalogs()))


# --- rejected files -----------------------------------------------------------------------

_FOUND = ", ".join(c for c in LAND_COLUMNS if c != "score")
BAD_FILES: list[tuple[str, str | bytes, list[str]]] = [
    (
        "missing column",
        land_file(columns=[c for c in LAND_COLUMNS if c != "score"]),
        [f"F:1: Spalte score: Spalte fehlt (vorhanden: {_FOUND})"],
    ),
    (
        "extra column",
        land_file(columns=[*LAND_COLUMNS, "bemerkung"]),
        ["F:1: Spalte bemerkung: keine Spalte des Landesformats (Version 1)"],
    ),
    (
        "bad level",
        land_file({(2, "level"): "zwei", (3, "level"): "7", (4, "level"): "-1"}),
        [
            "F:2: Spalte level: keine ganze Zahl: 'zwei'",
            "F:3: Spalte level: der Katalog hat nur die Stufen 0..5",
            "F:4: Spalte level: muss mindestens 0 sein, ist -1",
        ],
    ),
    (
        "bad score",
        land_file({(2, "score"): "2.6.7", (3, "score"): "5,5", (4, "score"): "2,50"}),
        [
            "F:2: Spalte score: keine Zahl: '2.6.7' (erwartet z. B. 2.50 oder 2,50)",
            "F:3: Spalte score: muss zwischen 0 und 5 liegen, ist 5,5",
            "F:4: Spalte score: Punktwert 2,50 passt nicht zur Stufe 1 "
            "(erwartet 1 ≤ Punktwert < 2)",
        ],
    ),
    (
        "overall score below its level",
        land_file({(10, "level"): "3", (10, "score"): "2.51"}),
        ["F:10: Spalte score: Punktwert 2.51 passt nicht zur Stufe 3 (erwartet ≥ 3)"],
    ),
    (
        "bad dates",
        land_file(
            {(2, "as_of"): "31.02.2024", (3, "as_of"): "Ende 2024", (4, "target_date"): "2025"}
        ),
        [
            "F:2: Spalte as_of: diesen Tag gibt es nicht: '31.02.2024'",
            "F:3: Spalte as_of: kein Datum: 'Ende 2024' (erwartet JJJJ-MM-TT oder TT.MM.JJJJ)",
            "F:4: Spalte target_date: kein Datum: '2025' (erwartet JJJJ-MM-TT oder TT.MM.JJJJ)",
        ],
    ),
    (
        "unknown dimension",
        land_file({(3, "dimension_id"): "kultur"}),
        [
            "F:3: Spalte dimension_id: unbekannte Dimension 'kultur' (erlaubt: governance, "
            "informationssicherheit, infrastruktur, overall, personal, projektmanagement, "
            "prozesse, strategie, zusammenarbeit)",
        ],
    ),
    (
        "unknown catalog",
        land_file({(line, "catalog_version"): "9.9" for line in range(2, 11)}),
        [
            f"F:{line}: Spalte catalog_id: unbekannter Katalog spatz-kommunal@9.9 "
            "(erst laden: spatz catalog load DATEI)"
            for line in range(2, 11)
        ],
    ),
    (
        "missing and duplicate dimension",
        land_file({(3, "dimension_id"): "strategie"}, drop=(10,)),
        [
            "F:2: Spalte dimension_id: für '15002000' am 2024-12-31 fehlen Zeilen der "
            "Dimension(en) governance, overall",
            "F:3: Spalte dimension_id: 'strategie' kommt für '15002000' am 2024-12-31 "
            "doppelt vor (zuerst in Zeile 2)",
        ],
    ),
    (
        "organisation described twice",
        land_file({(5, "organisation"): "Halle", (6, "kind"): "Stadt"}),
        [
            "F:5: Spalte organisation: anders als in Zeile 2 ('Stadt Halle (Saale)'); je "
            "Organisation und Stichtag gilt ein Wert",
            "F:6: Spalte kind: anders als in Zeile 2 ('kreisfreie Stadt'); je "
            "Organisation und Stichtag gilt ein Wert",
        ],
    ),
    (
        "bad text cells and counts",
        land_file(
            {
                (3, "ags"): "1500",
                (4, "kind"): "Dorf",
                (5, "organisation"): "",
                (6, "target_level"): "3",
                (8, "target_date"): "2025-12-31",
                (9, "measures_completed"): "20",
            }
        ),
        [
            "F:3: Spalte ags: ein AGS hat 8 Ziffern, nicht '1500'",
            "F:4: Spalte kind: unbekannte Art 'Dorf' (erlaubt: Land, Landkreis, kreisfreie "
            "Stadt, Stadt, Gemeinde, Verbandsgemeinde, Behörde, Organisationseinheit)",
            "F:5: Spalte organisation: Wert fehlt",
            "F:6: Spalte target_date: Wert fehlt (Zielstufe und Zieldatum gehören zusammen)",
            "F:8: Spalte target_level: Wert fehlt (Zielstufe und Zieldatum gehören zusammen)",
            "F:9: Spalte measures_completed: größer als measures_total (15)",
        ],
    ),
    ("empty file", "", ["F: die Datei ist leer"]),
    ("header only", HEADER + "\n", ["F: die Datei enthält keine Datenzeilen"]),
    (
        "undecodable bytes",
        (HEADER + "\n").encode() + b"15002000,\x81\x8d,x\n",
        [
            "F:2: Byte 0x81 ist weder UTF-8 noch Windows-1252; bitte die Datei als CSV "
            "(UTF-8) speichern"
        ],
    ),
]


def _write(path: Path, content: str | bytes) -> None:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)


@pytest.mark.parametrize(
    ("content", "messages"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_bad_land_file_is_rejected_whole(
    loaded_b: str, tmp_path: Path, content: str | bytes, messages: list[str]
) -> None:
    bad = tmp_path / "bad.csv"
    _write(bad, content)
    before = fingerprint(loaded_b)
    code, out, err = spatz_cli(loaded_b, "land", "import", str(bad))
    assert (code, out) == (2, b"")
    assert err.splitlines() == [m.replace("F", str(bad), 1) for m in messages]
    assert fingerprint(loaded_b) == before


def test_one_bad_file_among_several_writes_nothing(url_b: str, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    _write(good, land_file())
    other = tmp_path / "other.csv"
    _write(other, land_file().replace("15002000,15002000,Stadt Halle", "15003000,,Magdeburg"))
    bad = tmp_path / "bad.csv"
    _write(bad, land_file({(4, "score"): "viel"}))
    missing = tmp_path / "missing.csv"
    before = fingerprint(url_b)
    code, out, err = spatz_cli(
        url_b, "land", "import", str(good), str(missing), str(bad), str(other), str(good)
    )
    assert (code, out) == (2, b"")
    assert err.splitlines() == [
        f"{missing}: Datei nicht lesbar: Datei oder Verzeichnis nicht gefunden",
        f"{bad}:4: Spalte score: keine Zahl: 'viel' (erwartet z. B. 2.50 oder 2,50)",
        f"{good}:2: Spalte org: '15002000' am 2024-12-31 steht schon in {good} (Zeile 2)",
    ]
    assert fingerprint(url_b) == before
    code, out, _ = spatz_cli(url_b, "land", "import", str(good), str(other))
    assert code == 0
    assert out.decode().splitlines() == [
        f"{good}: 9 Zeilen geprüft, 9 neu importiert, 0 bereits vorhanden",
        f"{other}: 9 Zeilen geprüft, 9 neu importiert, 0 bereits vorhanden",
    ]


def test_at_most_fifty_problems_over_all_files(empty_b: str, tmp_path: Path) -> None:
    files = []
    for n in range(6):
        path = tmp_path / f"f{n}.csv"
        _write(path, land_file({(line, "level"): "x" for line in range(2, 11)}))
        files.append(str(path))
    code, _, err = spatz_cli(empty_b, "land", "import", *files)
    lines = err.splitlines()
    assert code == 2
    assert len(lines) == 51
    assert lines[-1] == "… weitere Fehler nicht angezeigt (nur die ersten 50)"


def test_read_land_raises_the_same_messages(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    _write(bad, land_file({(2, "level"): "zwei"}))
    with pytest.raises(DataImportError) as info:
        read_land(bad)
    assert [str(p) for p in info.value.problems] == [
        f"{bad}:2: Spalte level: keine ganze Zahl: 'zwei'"
    ]


def test_read_land_types_and_dialects(demo_url: str, tmp_path: Path) -> None:
    rows = spatz.open(demo_url).land_export("2024-12-31", ["15002000", "15003000"])
    paths = []
    for dialect in Dialect:
        path = tmp_path / f"{dialect}.csv"
        path.write_bytes(land_csv(rows, dialect))
        paths.append(path)
    frame = read_land(paths[0])
    assert list(frame.columns) == LAND_COLUMNS
    assert frame["level"].dtype == "int64"
    assert frame["score"].dtype == "float64"
    assert frame["target_level"].dtype == "Int64"
    assert frame["as_of"].dtype.kind == "M"
    assert frame["target_date"].dtype.kind == "M"
    assert frame["measures_total"].dtype == "int64"
    assert frame["score"].iloc[0] == 2.67
    assert frame["as_of"].iloc[0] == pd.Timestamp("2024-12-31")
    assert pd.isna(frame["target_level"].iloc[4])
    pd.testing.assert_frame_equal(read_land(paths[1]), frame)
    with pytest.raises(DataImportError, match="steht schon in"):
        read_land(paths)


# --- summary ------------------------------------------------------------------------------


def _summary_rows(specs: list[tuple[str, str, str, str, float, int]]) -> pd.DataFrame:
    """(org, kind, land, as_of, score, level) -> rows of dimension ``strategie`` only."""
    return pd.DataFrame(
        [
            {
                "org": org,
                "ags": None,
                "organisation": f"Org {org}",
                "kind": kind,
                "land": land,
                "catalog_id": "spatz-kommunal",
                "catalog_version": "1.0",
                "dimension_id": dim,
                "dimension": dim.title(),
                "as_of": pd.Timestamp(as_of),
                "level": level,
                "score": score,
                "target_level": pd.NA,
                "target_date": pd.NaT,
                "measures_completed": 0,
                "measures_total": 10,
            }
            for org, kind, land, as_of, score, level in specs
            for dim in ("strategie", OVERALL)
        ],
        columns=LAND_COLUMNS,
    )


SUMMARY_ROWS = _summary_rows(
    [
        ("a", "Stadt", "Sachsen-Anhalt", "2024-12-31", 1.0, 1),
        ("b", "Stadt", "Sachsen-Anhalt", "2024-12-31", 2.0, 2),
        ("c", "Stadt", "Sachsen-Anhalt", "2024-12-31", 3.0, 3),
        ("d", "Stadt", "Sachsen", "2024-12-31", 4.0, 4),
        ("e", "Stadt", "Sachsen", "2023-12-31", 0.5, 0),  # superseded by e's 2024 rows
        ("e", "Stadt", "Sachsen", "2024-12-31", 5.0, 5),
        ("f", "Landkreis", "Sachsen", "2024-12-31", 2.5, 2),
        ("g", "Organisationseinheit", "Sachsen", "2024-12-31", 0.0, 0),  # never compared
    ]
)


def test_summary_quartiles_and_levels() -> None:
    summary = land_summary(SUMMARY_ROWS, min_group=5)
    assert summary["dimension_id"].tolist() == ["strategie", OVERALL]
    row = summary.iloc[0]
    # Scores 1, 2, 2.5, 3, 4, 5: linear quartiles.
    assert row["organisations"] == 6
    assert not row["suppressed"]
    assert (row["q1"], row["median"], row["q3"]) == (2.125, 2.75, 3.75)
    levels = [row[f"level_{k}"] for k in range(6)]
    assert levels == [0, 1, 2, 1, 1, 1]
    assert list(summary.columns)[-6:] == [f"level_{k}" for k in range(6)]


def test_small_groups_are_suppressed() -> None:
    by_kind = land_summary(SUMMARY_ROWS, by="kind", min_group=5, n_levels=5)
    assert by_kind["group"].unique().tolist() == ["Landkreis", "Stadt"]
    landkreis = by_kind[by_kind["group"] == "Landkreis"].iloc[0]
    assert landkreis["suppressed"]
    assert landkreis["organisations"] == 1
    figures = ["q1", "median", "q3", *(f"level_{k}" for k in range(6))]
    assert landkreis[figures].isna().all()
    stadt = by_kind[by_kind["group"] == "Stadt"].iloc[0]
    assert not stadt["suppressed"]
    assert stadt["median"] == 3.0

    by_land = land_summary(SUMMARY_ROWS, by="land", min_group=3)
    assert by_land.groupby("group")["suppressed"].first().to_dict() == {
        "Sachsen": False,
        "Sachsen-Anhalt": False,
    }
    assert land_summary(SUMMARY_ROWS, by="land", min_group=4)["suppressed"].all()
    assert land_summary(SUMMARY_ROWS, min_group=7)["suppressed"].all()
    with pytest.raises(ArgumentError, match="Gruppierung 'ags' gibt es nicht"):
        land_summary(SUMMARY_ROWS, by="ags")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="min_group muss mindestens 1 sein, nicht 0"):
        land_summary(SUMMARY_ROWS, min_group=0)


def test_summary_of_nothing_is_empty() -> None:
    empty = land_summary(SUMMARY_ROWS.iloc[0:0])
    assert empty.empty
    assert list(empty.columns[:9]) == [
        "catalog_id",
        "group",
        "dimension_id",
        "dimension",
        "organisations",
        "suppressed",
        "q1",
        "median",
        "q3",
    ]


def test_summary_command(demo_url: str, loaded_b: str) -> None:
    code, out, err = spatz_cli(demo_url, "land", "summary", "--as-of", "31.12.2024", "--by", "kind")
    text = out.decode()
    assert (code, err) == (0, "")
    assert "Landesvergleich am 31.12.2024 nach Art" in text
    assert "Landkreis" in text
    # The Land compares its Kommunen and is not one of them.
    assert text.endswith(
        "Nicht ausgewertet (weniger als 5 Organisationen): Gemeinde (3), kreisfreie Stadt (3)\n"
    )
    code, out, _ = spatz_cli(
        demo_url, "land", "summary", "--as-of", "2024-12-31", "--format", "csv", "--min-group", "19"
    )
    lines = out.decode().splitlines()
    assert lines[0] == (
        "catalog_id,group,dimension_id,dimension,organisations,suppressed,q1,median,q3,"
        "level_0,level_1,level_2,level_3,level_4,level_5"
    )
    assert lines[1] == (
        "spatz-kommunal,alle,strategie,Digitalisierungsstrategie,19,False,1.00,2.00,2.67,"
        "2,7,9,1,0,0"
    )
    code, out, _ = spatz_cli(
        demo_url, "land", "summary", "--as-of", "2024-12-31", "--min-group", "20"
    )
    assert out.decode() == (
        "Nicht ausgewertet (weniger als 20 Organisationen): alle Organisationen (19)\n"
    )
    # Imported rows count with their latest Stichtag up to the Stichtag asked for.
    code, out, _ = spatz_cli(loaded_b, "land", "summary", "--min-group", "1", "--format", "csv")
    assert (
        out.decode()
        .splitlines()[1]
        .startswith(
            "spatz-kommunal,alle,strategie,Digitalisierungsstrategie,1,False,2.67,2.67,2.67,"
        )
    )
    code, out, _ = spatz_cli(loaded_b, "land", "summary", "--as-of", "2024-12-30")
    assert out.decode() == "Keine Daten für den Landesvergleich (spatz land import DATEI …)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("land", "summary", "--as-of", "31.13.2024"), "diesen Tag gibt es nicht: '31.13.2024'"),
        (
            ("land", "summary", "--min-group", "0"),
            "Ungültiger Wert für '--min-group': mindestens 1.",
        ),
        (("land", "summary", "--by", "ags"), "'ags' ist keiner der Werte 'kind', 'land'"),
        (
            ("export", "land", "--dialect", "excel"),
            "'excel' ist keiner der Werte 'rfc4180', 'excel-de'",
        ),
        (("export", "land", "--org", "XX"), "Organisation(en) nicht gefunden: XX"),
        (("export", "land", "--out", "/nonexistent/x.csv"), "/nonexistent/x.csv: nicht schreibbar"),
        (("land", "import", "/nonexistent/x.csv"), "/nonexistent/x.csv: Datei nicht lesbar"),
    ],
)
def test_command_errors_exit_with_code_2(
    loaded_b: str, args: tuple[str, ...], message: str
) -> None:
    before = fingerprint(loaded_b)
    code, out, err = spatz_cli(loaded_b, *args)
    assert (code, out) == (2, b"")
    assert message in " ".join(re.sub("[│╭╮╰╯─]", " ", err).split())
    assert "Traceback" not in err
    assert fingerprint(loaded_b) == before


def test_commands_refuse_an_uninitialised_database(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "halle.csv"
    _write(path, land_file())
    for args in (("land", "import", str(path)), ("land", "summary"), ("export", "land")):
        code, _, err = spatz_cli(sqlite_url, *args)
        assert code == 2
        assert "bitte zuerst `spatz init` ausführen" in err


# --- generated data -----------------------------------------------------------------------

DIMENSIONS = [(d.id, d.name) for d in CATALOG.dimensions] + [(OVERALL, "Gesamt")]
_TEXT = st.text(st.sampled_from(list("aZ09 ;,\"\n\r\t'=+-@äöüßÄ|!()")), min_size=1, max_size=16)
NAMES = st.one_of(
    _TEXT.filter(lambda s: s == s.strip()),
    st.sampled_from(
        ["=cmd|'/c calc'!A1", "+49 345", "-1", "@SUMME(1)", "'=x", "''+y", "'s-Hertogenbosch"]
    ),
)
KEYS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,10}", fullmatch=True)
DAYS = st.dates(dt.date(2000, 1, 1), dt.date(2035, 12, 31))


@st.composite
def organisation_rows(draw: st.DrawFn, org: str) -> list[dict[str, Any]]:
    """The rows of one organisation as the Land export has them (scores fit the levels)."""
    common = {
        "org": org,
        "ags": draw(st.one_of(st.none(), st.from_regex(r"[0-9]{8}", fullmatch=True))),
        "organisation": draw(NAMES),
        "kind": draw(st.sampled_from(list(OrgKind))).value,
        "land": draw(st.one_of(st.just(""), NAMES)),
        "catalog_id": CATALOG.id,
        "catalog_version": CATALOG.version,
        "as_of": pd.Timestamp(draw(DAYS)),
    }
    rows = []
    for dimension_id, name in DIMENSIONS:
        level = draw(st.integers(0, 5))
        if dimension_id == OVERALL:
            score = draw(st.integers(level * 100, 500)) / 100
        else:
            score = 5.0 if level == 5 else level + draw(st.integers(0, 99)) / 100
        target = draw(st.one_of(st.none(), st.tuples(st.integers(1, 5), DAYS)))
        total = draw(st.integers(0, 40))
        rows.append(
            common
            | {
                "dimension_id": dimension_id,
                "dimension": draw(st.one_of(st.just(name), NAMES)),
                "level": level,
                "score": score,
                "target_level": target[0] if target else None,
                "target_date": pd.Timestamp(target[1]) if target else pd.NaT,
                "measures_completed": draw(st.integers(0, total)),
                "measures_total": total,
            }
        )
    return rows


@st.composite
def land_frames(draw: st.DrawFn) -> pd.DataFrame:
    keys = sorted(draw(st.lists(KEYS, min_size=1, max_size=4, unique=True)))
    rows = [row for key in keys for row in draw(organisation_rows(key))]
    frame = pd.DataFrame(rows, columns=LAND_COLUMNS)
    return frame.astype({"target_level": "Int64"})


@settings(max_examples=100, deadline=None)
@given(land_frames(), st.sampled_from(list(Dialect)))
def test_generated_exports_read_back_byte_identical(frame: pd.DataFrame, dialect: Dialect) -> None:
    data = land_csv(frame, dialect)
    back = read_land_from_bytes(data, f"generated.{dialect}.csv")
    assert land_csv(back, dialect) == data
    assert back["organisation"].tolist() == frame["organisation"].tolist()


def _cell_by_cell(frame: pd.DataFrame, dialect: Dialect) -> bytes:
    """The format written one cell at a time, as plainly as possible: the oracle of the
    column-wise :func:`land_csv`."""
    excel = dialect is Dialect.excel_de
    delimiter, newline = (";", "\r\n") if excel else (",", "\n")
    text_columns = set(LAND_COLUMNS[:9])
    lines = [delimiter.join(LAND_COLUMNS)]
    for record in frame[LAND_COLUMNS].to_dict("records"):
        cells = []
        for column in LAND_COLUMNS:
            value = record[column]
            if value is None or value is pd.NaT or value is pd.NA or value != value:
                text = ""
            elif column == "score":
                text = f"{float(value):.2f}".replace(".", "," if excel else ".")
            elif isinstance(value, pd.Timestamp):
                text = value.date().isoformat()
            else:
                text = str(value)
                if (
                    excel
                    and column in text_columns
                    and text.lstrip("'")[:1] in "=+-@"
                    and (text.lstrip("'"))
                ):
                    text = "'" + text
            if any(c in text for c in delimiter + '"\r\n'):
                text = '"' + text.replace('"', '""') + '"'
            cells.append(text)
        lines.append(delimiter.join(cells))
    data = "".join(line + newline for line in lines).encode("utf-8")
    return b"\xef\xbb\xbf" + data if excel else data


@settings(max_examples=100, deadline=None)
@given(land_frames(), st.sampled_from(list(Dialect)))
def test_the_export_is_written_as_cell_by_cell(frame: pd.DataFrame, dialect: Dialect) -> None:
    assert land_csv(frame, dialect) == _cell_by_cell(frame, dialect)
    assert land_csv(frame.iloc[0:0], dialect) == _cell_by_cell(frame.iloc[0:0], dialect)


@pytest.fixture(scope="module")
def generated_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('generated')}/b.db"
    migrate(url)
    yield url


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(land_frames(), st.sampled_from(list(Dialect)))
def test_generated_exports_survive_the_database(
    generated_db: str, frame: pd.DataFrame, dialect: Dialect
) -> None:
    data = land_csv(frame, dialect)
    engine = make_engine(generated_db)
    try:
        with session_scope(engine) as session:
            import_land(
                session=session,
                actor=Actor.operator("test"),
                tables=[read_land_table_bytes(data, "generated.csv")],
            )
        rows = spatz.open(generated_db).land_comparison(include_imported=True)
        assert land_csv(rows, dialect) == data
    finally:
        with session_scope(engine) as session:
            session.execute(sa.delete(LandRow))


def test_quartiles_match_numpy() -> None:
    scores = SUMMARY_ROWS[SUMMARY_ROWS["dimension_id"] == "strategie"]
    latest = scores[~((scores["org"] == "e") & (scores["as_of"].dt.year == 2023))]
    latest = latest[latest["kind"] != "Organisationseinheit"]
    expected = np.quantile(latest["score"].to_numpy(), [0.25, 0.5, 0.75])
    row = land_summary(SUMMARY_ROWS, min_group=1).iloc[0]
    assert [row["q1"], row["median"], row["q3"]] == pytest.approx(expected.tolist())
