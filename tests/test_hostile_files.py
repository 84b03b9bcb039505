"""Hostile files: every read is bounded (size, rows, columns, cell length, archive members)
before it is expensive, and ends in one German message, exit 2 and nothing written.

The files are built small in ``tmp_path`` with small limits; ``benchmarks/
bench_hostile_files.py`` builds them at full size and measures time and memory.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import hostile
import pytest
import streamlit
from dbutil import fingerprint
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from spatz.cli import app
from spatz.errors import DataImportError, SpatzError
from spatz.io import limits, workbook
from spatz.io.land import LAND_COLUMNS, read_land
from spatz.io.limits import FileLimits, quote
from spatz.io.reader import read_table, read_table_bytes
from spatz.io.values import parse_status
from spatz.services.common import Actor

SMALL = FileLimits(max_file_mb=1, max_rows=100, max_columns=10, max_cell_chars=100)
SMALL_ENV = {
    "SPATZ_MAX_FILE_MB": "1",
    "SPATZ_MAX_ROWS": "100",
    "SPATZ_MAX_COLUMNS": "10",
    "SPATZ_MAX_CELL_CHARS": "100",
}
runner = CliRunner()
DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"


def refusal(path: Path, limits: FileLimits = SMALL) -> list[str]:
    """The problems of reading ``path``, which must be refused quickly."""
    started = time.perf_counter()
    with pytest.raises(DataImportError) as info:
        read_table(path, limits=limits)
    assert time.perf_counter() - started < 5
    return [str(p) for p in info.value.problems]


# --- CSV ---------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = hostile.csv_of_size(tmp_path / "big.csv", 2 * 1024 * 1024 + 1)
    size = f"{path.stat().st_size / 1024 / 1024:.1f}".replace(".", ",")
    message = f"{path}: die Datei ist {size} MB groß, höchstens 1 MB"
    assert refusal(path) == [f"{message} (bitte aufteilen; Grenze: SPATZ_MAX_FILE_MB)"]
    with pytest.raises(DataImportError, match=r"^upload\.csv: die Datei ist 2,0 MB groß"):
        read_table_bytes(path.read_bytes(), "upload.csv", limits=SMALL)


def test_a_file_that_never_ends_is_read_only_up_to_the_limit() -> None:
    assert refusal(Path("/dev/zero")) == [
        "/dev/zero: die Datei ist 1,0 MB groß, höchstens 1 MB "
        "(bitte aufteilen; Grenze: SPATZ_MAX_FILE_MB)"
    ]


def test_too_many_columns(tmp_path: Path) -> None:
    path = hostile.csv_with_columns(tmp_path / "wide.csv", 11)
    assert refusal(path) == [f"{path}:1: 11 Spalten in der Kopfzeile, höchstens 10"]


@pytest.mark.parametrize(
    ("build", "name"),
    [(hostile.csv_with_rows, "long.csv"), (hostile.xlsx_with_rows, "rows.xlsx")],
    ids=["csv", "xlsx"],
)
def test_too_many_rows(tmp_path: Path, build: Callable[[Path, int], Path], name: str) -> None:
    path = build(tmp_path / name, 101)
    assert refusal(path) == [
        f"{path}:102: mehr als 100 Zeilen unter der Kopfzeile (bitte die Datei aufteilen)"
    ]
    assert len(read_table(build(path, 100), limits=SMALL).rows) == 100


def test_blank_lines_count_as_rows(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(hostile.HEADER + "\n" * 200 + hostile.ROW, encoding="utf-8")
    assert refusal(path) == [
        f"{path}:102: mehr als 100 Zeilen unter der Kopfzeile (bitte die Datei aufteilen)"
    ]


def test_an_overlong_cell_names_line_and_column(tmp_path: Path) -> None:
    path = hostile.csv_with_long_cell(tmp_path / "cell.csv", 101)
    assert refusal(path) == [
        f"{path}:2: Spalte date: Zelle länger als 100 Zeichen (101 Zeichen, beginnt mit "
        f"'{'x' * 80}…')"
    ]
    assert read_table(hostile.csv_with_long_cell(path, 100), limits=SMALL).rows


def test_an_overlong_header_cell(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(f"org,{'n' * 101}\n1,2\n", encoding="utf-8")
    assert refusal(path) == [
        f"{path}:1: Spalte Nr. 2: Zelle länger als 100 Zeichen (101 Zeichen, beginnt mit "
        f"'{'n' * 80}…')"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            (hostile.HEADER + hostile.ROW).encode("utf-16"),
            "die Datei ist UTF-16-kodiert (in Excel „Unicode-Text“); "
            "bitte als CSV (UTF-8) speichern",
        ),
        (
            (hostile.HEADER + hostile.ROW).encode("utf-16-le"),
            "Binärdatei: erwartet CSV (Text) oder XLSX",
        ),
        (random.Random(1).randbytes(4096) + b"\x00", "Binärdatei: erwartet CSV (Text) oder XLSX"),
    ],
    ids=["utf-16", "utf-16 without BOM", "random bytes"],
)
def test_wrong_encodings(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    assert refusal(path) == [f"{path}: {message}"]


def test_an_undecodable_byte_far_into_the_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bytes.csv"
    rows = hostile.ROW * 3000  # more than one decoding chunk of rows after the header
    path.write_bytes(hostile.HEADER.encode() + rows.encode() * 10 + b"A,\x81\n")
    with pytest.raises(DataImportError) as info:
        read_table(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:30002: Byte 0x81 ist weder UTF-8 noch Windows-1252; "
        "bitte die Datei als CSV (UTF-8) speichern"
    ]


def test_a_quote_that_is_never_closed(tmp_path: Path) -> None:
    path = hostile.csv_with_open_quote(tmp_path / "quote.csv", 3)
    assert refusal(path) == [
        f'{path}:2: ein Anführungszeichen (") ab Zeile 2 wird nicht geschlossen'
    ]
    # over the length of a record within the limits, reading stops there
    path = hostile.csv_with_open_quote(tmp_path / "quote.csv", 1000)
    start = quote("umgesetzt,2023-06-15\n" + hostile.ROW * 1000)
    assert refusal(path) == [
        f"{path}:2: Spalte status: Zelle länger als 100 Zeichen "
        f'(beginnt mit {start}; fehlt ein schließendes "?)'
    ]


def test_a_quote_never_closed_at_the_largest_limits(tmp_path: Path) -> None:
    """The record so far is read again to find its long cell, within the field limit."""
    limits = FileLimits(max_cell_chars=60_000)
    path = hostile.csv_with_open_quote(tmp_path / "quote.csv", 400_000)
    [message] = refusal(path, limits)
    assert message.startswith(f"{path}:2: Spalte status: Zelle länger als 60.000 Zeichen")


def test_a_cell_longer_than_a_whole_record_may_be(tmp_path: Path) -> None:
    path = tmp_path / "cell.csv"
    path.write_text(hostile.HEADER + "A,STR-1-01,umgesetzt," + "x" * 3000 + "\n", encoding="utf-8")
    assert refusal(path) == [
        f"{path}:2: Spalte date: Zelle länger als 100 Zeichen (beginnt mit '{'x' * 80}…')"
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'A,"a"b,c,d',
            ':2: nach einem schließenden Anführungszeichen (") muss das Trennzeichen '
            'folgen; ein " im Wert wird verdoppelt ("")',
        ),
        (
            'A,"' + '""' * 120 + '",c,d',
            ":2: Spalte measure_id: Zelle länger als 100 Zeichen "
            f"(120 Zeichen, beginnt mit '{chr(34) * 80}…')",
        ),
        ("," * 5000, ":2: Zeile länger als 2.030 Zeichen: mehr als 10 Spalten mit je 100 Zeichen"),
    ],
    ids=["text after a quote", "deep quotes", "a line of delimiters"],
)
def test_odd_quoting(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(f"{hostile.HEADER}{line}\n", encoding="utf-8")
    assert refusal(path) == [f"{path}{message}"]


# --- XLSX --------------------------------------------------------------------------------


def test_a_cell_in_column_xfd_is_refused_by_the_stored_size(tmp_path: Path) -> None:
    path = hostile.xlsx_with_far_cells(tmp_path / "xfd.xlsx", 5000)
    assert refusal(path, FileLimits()) == [
        f"{path}: das Tabellenblatt reicht laut Datei bis Spalte XFD (A1:XFD5001); "
        "höchstens 100 Spalten"
    ]


def test_a_cell_in_column_xfd_stops_reading_where_it_is(tmp_path: Path) -> None:
    path = hostile.xlsx_with_far_cells(tmp_path / "xfd.xlsx", 5000, declared=False)
    assert refusal(path, FileLimits()) == [
        f"{path}:2: Wert in Spalte XFD (Zelle XFD2); höchstens 100 Spalten"
    ]


def test_a_sheet_declaring_a_million_rows_is_refused_before_reading(tmp_path: Path) -> None:
    path = hostile.xlsx_with_rows(tmp_path / "rows.xlsx", 3, dimension="A1:C1048576")
    assert refusal(path, FileLimits()) == [
        f"{path}: das Tabellenblatt hat laut Datei 1.048.576 Zeilen (A1:C1048576); "
        "höchstens 200.000 Zeilen unter der Kopfzeile"
    ]


def test_an_overlong_xlsx_cell(tmp_path: Path) -> None:
    path = hostile.xlsx_with_long_cell(tmp_path / "cell.xlsx", 101)
    assert refusal(path) == [f"{path}:2: Zelle A2 ist länger als 100 Zeichen"]


def test_a_giant_shared_string_is_refused_before_loading(tmp_path: Path) -> None:
    path = hostile.xlsx_with_shared_string(tmp_path / "strings.xlsx", 64 * 1024 * 1024)
    assert path.stat().st_size < 1024 * 1024
    assert refusal(path, FileLimits()) == [
        f"{path}: die Texte der Arbeitsmappe (xl/sharedStrings.xml) sind entpackt 64,0 MB groß, "
        "höchstens 50 MB"
    ]


def test_shared_strings_within_the_limits_are_read(tmp_path: Path) -> None:
    path = hostile.xlsx_with_shared_string(tmp_path / "strings.xlsx", 90)
    assert read_table(path, limits=SMALL).columns == ["a" * 90]


def test_a_zip_bomb_member_is_refused(tmp_path: Path) -> None:
    path = hostile.xlsx_with_member(tmp_path / "bomb.xlsx", 20 * 1024 * 1024)
    [message] = refusal(path, FileLimits())
    assert message.startswith(f"{path}: der Teil 'xl/media/image1.bin' entpackt sich auf das ")
    assert message.endswith(
        "-Fache (20,0 MB; höchstens das 100-Fache): keine gewöhnliche XLSX-Datei"
    )


def test_a_workbook_too_large_unpacked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "UNPACKED_FACTOR", 1)
    path = tmp_path / "text.xlsx"
    hostile.xlsx_with_sheet(path, '<row r="1"><c r="A1"><v>1</v></c></row>')
    letters = random.Random(2).choices("abcdefghijklmnopqrstuvwxyz", k=1_300_000)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/notes.txt", "".join(letters))
    [message] = refusal(path)
    assert message.startswith(f"{path}: die Arbeitsmappe ist entpackt 1,")
    assert message.endswith(" MB groß, höchstens 1 MB")


def test_a_zip_that_is_no_workbook(tmp_path: Path) -> None:
    path = hostile.zip_without_workbook(tmp_path / "daten.xlsx")
    assert refusal(path) == [
        f"{path}: ein ZIP-Archiv, aber keine XLSX-Datei (bitte als Excel-Arbeitsmappe speichern)"
    ]


def test_an_archive_with_too_many_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook, "MAX_ARCHIVE_MEMBERS", 5)
    path = hostile.xlsx_with_rows(tmp_path / "many.xlsx", 1)
    assert refusal(path) == [f"{path}: keine XLSX-Datei: das ZIP-Archiv hat mehr als 5 Teile"]


# --- values in messages are shortened ----------------------------------------------------


def test_the_missing_column_message_lists_the_header_shortened(tmp_path: Path) -> None:
    path = hostile.xlsx_with_shared_string(tmp_path / "strings.xlsx", 10_000)
    table = read_table(path)
    with pytest.raises(DataImportError) as info:
        table.require(["org"])
    assert [str(p) for p in info.value.problems] == [
        f"{path}:1: Spalte org: Spalte fehlt (vorhanden: {'a' * 80}…)"
    ]
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(30)) + "\n", encoding="utf-8")
    with pytest.raises(DataImportError) as info:
        read_table(wide).require(["org"])
    listed = ", ".join(f"c{i}" for i in range(20))
    assert str(info.value) == f"{wide}:1: Spalte org: Spalte fehlt (vorhanden: {listed}, …)"


def test_land_messages_shorten_header_names(tmp_path: Path) -> None:
    path = tmp_path / "land.csv"
    path.write_text(",".join([*LAND_COLUMNS[1:], "y" * 500]) + "\n", encoding="utf-8")
    with pytest.raises(DataImportError) as info:
        read_land(path)
    found = ", ".join([*LAND_COLUMNS[1:], "y" * 80 + "…"])
    assert [str(p) for p in info.value.problems] == [
        f"{path}:1: Spalte org: Spalte fehlt (vorhanden: {found})",
        f"{path}:1: Spalte {'y' * 80}…: keine Spalte des Landesformats (Version 1)",
    ]


def test_unknown_values_are_quoted_shortened() -> None:
    with pytest.raises(ValueError, match=f"^unbekannter Status '{'z' * 80}…' \\(erlaubt"):
        parse_status("z" * 5000)


# --- configuration -------------------------------------------------------------------------


def test_limits_come_from_the_environment() -> None:
    assert FileLimits.from_environment({}) == FileLimits()
    assert FileLimits.from_environment({**SMALL_ENV, "SPATZ_MAX_CELLS": "7"}) == FileLimits(
        1, 100, 10, 100, 7
    )
    with pytest.raises(SpatzError) as info:
        FileLimits.from_environment({"SPATZ_MAX_ROWS": "viele"})
    assert str(info.value) == (
        "SPATZ_MAX_ROWS='viele' ist ungültig: erwartet eine ganze Zahl ab 1 (Standard 200000)"
    )


# --- the command line: exit 2, one message, nothing written ---------------------------------

BOMBS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "huge csv": (
        lambda p: hostile.csv_of_size(p / "big.csv", 3 * 1024 * 1024),
        "die Datei ist 3,0 MB groß",
    ),
    "wide csv": (lambda p: hostile.csv_with_columns(p / "wide.csv", 11), "11 Spalten"),
    "long csv": (lambda p: hostile.csv_with_rows(p / "long.csv", 500), "mehr als 100 Zeilen"),
    "long cell": (lambda p: hostile.csv_with_long_cell(p / "c.csv", 500), "Zelle länger als"),
    "xfd": (lambda p: hostile.xlsx_with_far_cells(p / "x.xlsx", 50), "bis Spalte XFD"),
    "shared string": (
        lambda p: hostile.xlsx_with_shared_string(p / "s.xlsx", 2 * 1024 * 1024),
        "die Texte der Arbeitsmappe",
    ),
    "zip bomb": (lambda p: hostile.xlsx_with_member(p / "z.xlsx", 4 * 1024 * 1024), "-Fache"),
    "no workbook": (lambda p: hostile.zip_without_workbook(p / "n.xlsx"), "ein ZIP-Archiv"),
}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database for the module: every test leaves it as it was."""
    database = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'spatz.db'}"
    assert runner.invoke(app, ["--db", database, "init"]).exit_code == 0
    return database


@pytest.mark.parametrize("command", [["import", "progress"], ["land", "import"]])
@pytest.mark.parametrize("bomb", list(BOMBS))
def test_the_command_line_refuses_with_exit_2(
    url: str, tmp_path: Path, command: list[str], bomb: str
) -> None:
    build, expected = BOMBS[bomb]
    path = build(tmp_path)
    before = fingerprint(url)
    started = time.perf_counter()
    result = runner.invoke(
        app, ["--db", url, *command, str(path)], env={**SMALL_ENV, "SPATZ_USER": "tester"}
    )
    assert time.perf_counter() - started < 5
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(str(path))
    assert expected in line
    assert fingerprint(url) == before


def test_an_invalid_limit_is_a_message_on_the_command_line(url: str, tmp_path: Path) -> None:
    path = hostile.csv_with_rows(tmp_path / "p.csv", 1)
    result = runner.invoke(
        app, ["--db", url, "import", "progress", str(path)], env={"SPATZ_MAX_FILE_MB": "0"}
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "SPATZ_MAX_FILE_MB='0' ist ungültig: erwartet eine ganze Zahl ab 1 (Standard 50)\n"
    )
    assert os.environ.get("SPATZ_MAX_FILE_MB") is None


def test_parts_read_whole_are_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook, "METADATA_BYTES", 1024 * 1024)
    styles = '<styleSheet xmlns="x">' + " " * 1024 * 1024 + "</styleSheet>"
    path = hostile.xlsx_with_sheet(tmp_path / "styles.xlsx", "")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/theme/theme2.xml", styles)
    assert refusal(path, FileLimits()) == [
        f"{path}: der Teil 'xl/theme/theme2.xml' ist entpackt 1,0 MB groß, höchstens 1 MB: "
        "keine gewöhnliche XLSX-Datei"
    ]


def test_shared_strings_under_another_name_are_checked_too(tmp_path: Path) -> None:
    path = hostile.xlsx_with_shared_string(tmp_path / "strings.xlsx", 90)
    letters = "".join(random.Random(3).choices("abcdefghijklmnopqrstuvwxyz", k=3 * 1024 * 1024))
    renamed = tmp_path / "renamed.xlsx"
    with (
        zipfile.ZipFile(path) as source,
        zipfile.ZipFile(renamed, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "[Content_Types].xml":
                content = content.replace(b"/xl/sharedStrings.xml", b"/xl/worksheets/t.xml")
            if info.filename == "xl/sharedStrings.xml":
                content = content.replace(b"A" * 90, letters.encode())
            out.writestr(info.filename.replace("sharedStrings", "worksheets/t"), content)
    assert refusal(renamed, FileLimits(max_file_mb=2)) == [
        f"{renamed}: die Texte der Arbeitsmappe (xl/worksheets/t.xml) sind entpackt 3,0 MB groß, "
        "höchstens 2 MB"
    ]


def test_rows_times_columns_are_bounded(tmp_path: Path) -> None:
    limits = FileLimits(max_rows=100, max_cells=120)
    path = hostile.csv_with_rows(tmp_path / "cells.csv", 31)
    message = (
        "mehr als 120 Zellen: bei 4 Spalten höchstens 30 Zeilen unter der Kopfzeile "
        "(bitte die Datei aufteilen)"
    )
    assert refusal(path, limits) == [f"{path}:32: {message}"]
    assert len(read_table(hostile.csv_with_rows(path, 30), limits=limits).rows) == 30
    book = tmp_path / "cells.xlsx"
    hostile.xlsx_with_sheet(
        book,
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c>'
        '<c r="D1" t="inlineStr"><is><t>d</t></is></c></row>'
        '<row r="32"><c r="A32"><v>1</v></c></row>',
    )
    assert refusal(book, limits) == [f"{book}:32: {message}"]


def test_the_readme_states_every_limit() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Grenzen für Dateien", 1)[1].split("\n### ", 1)[0]
    defaults = FileLimits()
    for field, variable in limits.ENVIRONMENT.items():
        value = getattr(defaults, field)
        assert f"| {value:,} ".replace(",", ".") in section.replace(" MB |", " |"), field
        assert f"`{variable}`" in section


# --- the dashboard's upload goes through the same reader -----------------------------------


class _Upload:
    """What ``st.file_uploader`` returns for a chosen file."""

    def __init__(self, path: Path) -> None:
        self.name = path.name
        self.data = path.read_bytes()

    def getvalue(self) -> bytes:
        return self.data


def test_the_dashboard_upload_is_bounded_by_the_same_reader(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = hostile.xlsx_with_far_cells(tmp_path / "xfd.xlsx", 50, declared=False)
    # Both uploads get the file: the table import's and the Land's (several files).
    monkeypatch.setattr(
        streamlit,
        "file_uploader",
        lambda *_a, **k: [_Upload(path)] if k.get("accept_multiple_files") else _Upload(path),
    )
    monkeypatch.setenv("SPATZ_DATABASE_URL", demo_url)
    before = fingerprint(demo_url)
    at = AppTest.from_file(str(DASHBOARD), default_timeout=60)
    at.session_state["org"] = "15002000"
    at.session_state["as_of"] = dt.date(2024, 12, 31)
    at.session_state["actor"] = Actor.operator("tester")
    at.session_state["login_since"] = at.session_state["login_seen"] = time.time()
    at.switch_page("views/exchange.py").run()
    assert not at.exception
    assert at.error[0].value.startswith("Die Datei wurde nicht importiert: 1 Fehler.")
    assert at.error[1].value.startswith("Die Dateien wurden nicht importiert: 1 Fehler.")
    problems = [t.value.to_dict("records") for t in at.dataframe if "Meldung" in t.value.columns]
    far = {
        "Zeile": 2,
        "Spalte": "",
        "Meldung": "Wert in Spalte XFD (Zelle XFD2); höchstens 100 Spalten",
    }
    assert problems == [[far], [far]]
    assert fingerprint(demo_url) == before
