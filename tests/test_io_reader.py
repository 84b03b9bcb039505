"""The one reader behind every import: delimiters, encodings, XLSX, line numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from spatz.errors import DataImportError
from spatz.io.reader import read_table, read_table_bytes
from spatz.io.values import parse_date, parse_date_or_quarter, parse_status
from spatz.model import Status


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed(delimiter: str) -> None:
    data = delimiter.join(["org", "name"]) + "\n" + delimiter.join(["1", "Halle (Saale)"]) + "\n"
    table = read_table_bytes(data.encode(), "f.csv")
    assert table.columns == ["org", "name"]
    assert table.rows[0].values == {"org": "1", "name": "Halle (Saale)"}


@pytest.mark.parametrize(
    "encoded",
    [
        "org;name\n1;Dessau-Roßlau\n".encode(),
        b"\xef\xbb\xbf" + "org;name\n1;Dessau-Roßlau\n".encode(),
        "org;name\r\n1;Dessau-Roßlau\r\n".encode("cp1252"),
    ],
    ids=["utf-8", "utf-8 with BOM", "windows-1252"],
)
def test_encodings(encoded: bytes) -> None:
    table = read_table_bytes(encoded, "f.csv")
    assert table.columns == ["org", "name"]
    assert table.rows[0].get("name") == "Dessau-Roßlau"


def test_header_is_case_insensitive_and_trimmed() -> None:
    table = read_table_bytes(b" Org ;NAME\n1;x\n", "f.csv")
    assert table.columns == ["org", "name"]


def test_line_numbers_count_physical_lines() -> None:
    data = b'org,note\n1,"zwei\nZeilen"\n\n2,x\n'
    table = read_table_bytes(data, "f.csv")
    assert [r.line for r in table.rows] == [2, 5]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "f.csv: die Datei ist leer"),
        (b"   \n\n", "f.csv: die Datei ist leer"),
        (b"org,name\n1,a\n\x81\x8d\x8f\n", "f.csv:3: Byte 0x81 ist weder UTF-8 noch Windows-1252"),
        (b"org,org\n1,2\n", "f.csv:1: Spalte org: Spalte kommt doppelt vor"),
        (b"org,\n1,2\n", "f.csv:1: leerer Spaltenname"),
        (b"org,name\n1,a,b\n", "f.csv:2: 3 Werte, aber nur 2 Spalten"),
        (b"\x00\x01binary", "f.csv: Binärdatei"),
    ],
)
def test_unreadable_files_name_file_and_line(data: bytes, message: str) -> None:
    with pytest.raises(DataImportError) as info:
        read_table_bytes(data, "f.csv")
    assert str(info.value).startswith(message)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataImportError, match="Datei nicht lesbar"):
        read_table(tmp_path / "nope.csv")


def test_xlsx_first_sheet_and_named_sheet(tmp_path: Path) -> None:
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "Erstes"
    first.append(["org", "date", "level"])
    first.append(["15002000", dt.datetime(2023, 4, 1), 3])
    second = wb.create_sheet("Zweites")
    second.append(["org"])
    second.append(["15003000"])
    path = tmp_path / "daten.xlsx"
    wb.save(path)
    table = read_table(path)
    assert table.rows[0].values == {"org": "15002000", "date": "2023-04-01", "level": "3"}
    assert table.rows[0].line == 2
    assert read_table(path, sheet="Zweites").rows[0].get("org") == "15003000"
    with pytest.raises(DataImportError, match="Tabellenblatt 'Drittes' fehlt"):
        read_table(path, sheet="Drittes")


def test_broken_xlsx() -> None:
    with pytest.raises(DataImportError, match="keine lesbare XLSX-Datei"):
        read_table_bytes(b"PK\x03\x04garbage", "kaputt.xlsx")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-04-01", dt.date(2023, 4, 1)),
        ("01.04.2023", dt.date(2023, 4, 1)),
        ("1.4.2023", dt.date(2023, 4, 1)),
        (" 31.12.2023 ", dt.date(2023, 12, 31)),
    ],
)
def test_dates(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31.02.2023", "2023/04/01", "April 2023", "04-01-2023"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text)):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q1 2023", (dt.date(2023, 3, 31), "Q1 2023")),
        ("Q3 2024", (dt.date(2024, 9, 30), "Q3 2024")),
        ("q4/2023", (dt.date(2023, 12, 31), "Q4 2023")),
        ("III. Quartal 2024", (dt.date(2024, 9, 30), "Q3 2024")),
        ("2. Quartal 2024", (dt.date(2024, 6, 30), "Q2 2024")),
        ("15.05.2024", (dt.date(2024, 5, 15), "")),
    ],
)
def test_quarters(text: str, expected: tuple[dt.date, str]) -> None:
    assert parse_date_or_quarter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("completed", Status.completed),
        ("umgesetzt", Status.completed),
        ("In Umsetzung", Status.in_progress),
        ("GEPLANT", Status.planned),
        ("nicht  relevant", Status.not_applicable),
        ("not_applicable", Status.not_applicable),
    ],
)
def test_status_keys_and_german_labels(text: str, expected: Status) -> None:
    assert parse_status(text) == expected


def test_unknown_status_lists_the_allowed_values() -> None:
    with pytest.raises(ValueError, match=r"unbekannter Status 'erledigt'.*umgesetzt"):
        parse_status("erledigt")
