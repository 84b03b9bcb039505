"""The XLSX export: sheets, German headers, real dates, frozen headers, no formulas ever."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from clirun import spatz_cli
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from spatz.db import migrate
from spatz.io.xlsx import WorkbookData, workbook_xlsx

DATA = Path(__file__).parent / "data"
FORMULA = "=cmd|'/c calc'!A1"

HEADERS = {
    "Übersicht": [
        "Schlüssel",
        "Organisation",
        "Dimension",
        "Stichtag",
        "Stufe",
        "Punktwert",
        "Zielstufe",
        "Zieldatum",
        "Zielstatus",
        "Maßnahmen umgesetzt",
        "Maßnahmen gesamt",
    ],
    "Maßnahmen": [
        "Schlüssel",
        "Organisation",
        "Dimension",
        "Stufe",
        "Maßnahme",
        "Titel",
        "Pflicht",
        "Status",
        "Datum",
        "zählt als umgesetzt",
        "gilt bis",
        "fällig",
        "Notiz / Begründung",
        "Nachweis",
        "erfasst von",
        "erfasst am",
        "Voraussetzungen",
        "Bezüge",
    ],
    "Verlauf": ["Schlüssel", "Organisation", "Dimension"],
    "Projekte": [
        "Schlüssel",
        "Organisation",
        "GB",
        "Verantwortlich",
        "Projektname",
        "Projektbeschreibung",
        "Start",
        "Ende",
        "Maßnahmen",
    ],
    "Meilensteine": [
        "Schlüssel",
        "Organisation",
        "Titel",
        "fällig",
        "fällig (wie erfasst)",
        "erledigt am",
        "Maßnahmen",
    ],
}


def _load(url: str, kind: str, path: Path, text: str, *extra: str) -> None:
    path.write_text(text, encoding="utf-8")
    code, _, err = spatz_cli(url, "import", kind, str(path), *extra)
    assert code == 0, err


@pytest.fixture(scope="module")
def small_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The mini catalog, two organisations, texts that look like formulas."""
    folder = tmp_path_factory.mktemp("xlsx")
    url = f"sqlite:///{folder}/small.db"
    migrate(url)
    assert spatz_cli(url, "catalog", "load", str(DATA / "mini.yaml"))[0] == 0
    _load(
        url,
        "organisations",
        folder / "orgs.csv",
        'org,name,kind,land,ags,parent\nA,"=HYPERLINK(""http://x"")",Stadt,Sachsen-Anhalt,,\n'
        "B,Gemeinde B,Gemeinde,Sachsen-Anhalt,,\n",
    )
    _load(
        url,
        "progress",
        folder / "progress.csv",
        "org,measure_id,status,date,due_date,note,evidence\n"
        f'A,STR-1-01,umgesetzt,15.01.2023,,"{FORMULA}",+49 345 123\n'
        "A,ISM-1-01,nicht relevant,01.02.2023,,Kein eigenes Rechenzentrum,@Beschluss\n"
        "A,STR-1-02,in Umsetzung,01.03.2023,30.06.2024,-Pilot läuft,\n"
        "A,STR-3-01,umgesetzt,01.01.2020,,,\n",
    )
    _load(
        url,
        "targets",
        folder / "targets.csv",
        "org,dimension_id,target_level,target_date\nA,strategie,2,31.12.2024\n",
    )
    _load(
        url,
        "projects",
        folder / "projects.tsv",
        "GB\tR\tProjektname\tProjektbeschreibung\tStart\tDauer\tEnde\tmeasures\n"
        "ALL\tQuer\t-Projekt minus\t=1+1\t01.04.2023\t0 Jahre, 8 Monate 0 Tage\t31.12.2023\t"
        "STR-1-02\n",
        "--org",
        "A",
    )
    _load(
        url,
        "milestones",
        folder / "milestones.csv",
        "title,due,done_date,measures\n=Meilenstein,Q3 2024,,STR-1-02|STR-2-01\n",
        "--org",
        "A",
    )
    return url


@pytest.fixture(scope="module")
def small_book(small_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("book") / "spatz.xlsx"
    code, out, err = spatz_cli(small_url, "export", "xlsx", str(path), "--as-of", "30.06.2024")
    assert (code, err) == (0, "")
    assert out == f"{path}: 2 Organisationen, Stichtag 30.06.2024\n"
    return path


def _rows(ws: Worksheet) -> list[dict[str, Any]]:
    """Data rows as {header: cell}."""
    header = [c.value for c in ws[1]]
    return [dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=2)]


def test_sheets_and_headers(small_book: Path) -> None:
    book = load_workbook(small_book)
    assert book.sheetnames == list(HEADERS)
    for title, header in HEADERS.items():
        ws = book[title]
        cells = [c.value for c in ws[1]]
        assert cells[: len(header)] == header
        assert all(c.font.bold for c in ws[1])
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref is not None
        assert ws.auto_filter.ref.startswith("A1:")
        for index in range(1, len(cells) + 1):
            letter = ws.cell(row=1, column=index).column_letter
            assert ws.column_dimensions[letter].width >= 4
    measures = book["Maßnahmen"]
    assert measures.column_dimensions["F"].width > measures.column_dimensions["D"].width


def test_no_cell_is_a_formula_and_user_text_stays_text(small_book: Path) -> None:
    book = load_workbook(small_book)
    texts = []
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    texts.append(cell.value)
    for text in (
        FORMULA,
        '=HYPERLINK("http://x")',
        "+49 345 123",
        "@Beschluss",
        "-Pilot läuft",
        "-Projekt minus",
        "=1+1",
        "=Meilenstein",
    ):
        assert text in texts


def test_measures_sheet_is_a_statement_of_applicability(small_book: Path) -> None:
    rows = {
        (r["Schlüssel"].value, r["Maßnahme"].value): r
        for r in _rows(load_workbook(small_book)["Maßnahmen"])
    }
    assert len(rows) == 2 * 7
    done = rows[("A", "STR-1-01")]
    assert done["Status"].value == "umgesetzt"
    assert done["Notiz / Begründung"].value == FORMULA
    assert done["Notiz / Begründung"].data_type == "s"
    assert done["Nachweis"].value == "+49 345 123"
    assert done["zählt als umgesetzt"].value == "ja"
    assert done["Datum"].value == dt.datetime(2023, 1, 15)
    assert done["Datum"].number_format == "DD.MM.YYYY"
    assert done["erfasst von"].value == "tester"
    assert isinstance(done["erfasst am"].value, dt.datetime)
    assert done["Pflicht"].value == "ja"
    excluded = rows[("A", "ISM-1-01")]
    assert excluded["Status"].value == "nicht relevant"
    assert excluded["Notiz / Begründung"].value == "Kein eigenes Rechenzentrum"
    assert excluded["zählt als umgesetzt"].value == "nein"
    planned = rows[("A", "STR-1-02")]
    assert (planned["Status"].value, planned["fällig"].value) == (
        "in Umsetzung",
        dt.datetime(2024, 6, 30),
    )
    expired = rows[("A", "STR-3-01")]
    assert expired["Status"].value == "umgesetzt"
    assert expired["zählt als umgesetzt"].value == "nein"
    assert expired["gilt bis"].value == dt.datetime(2023, 1, 1)
    assert all(rows[("B", m)]["Status"].value == "offen" for _, m in rows if _ == "B")
    assert rows[("B", "STR-1-01")]["Datum"].value is None


def test_overview_with_targets(small_book: Path) -> None:
    rows = {
        (r["Schlüssel"].value, r["Dimension"].value): r
        for r in _rows(load_workbook(small_book)["Übersicht"])
    }
    assert len(rows) == 2 * 3
    strategie = rows[("A", "Digitalisierungsstrategie")]
    assert (strategie["Stufe"].value, strategie["Punktwert"].value) == (0, 0.5)
    assert strategie["Punktwert"].number_format == "0.00"
    assert strategie["Zielstufe"].value == 2
    assert strategie["Zieldatum"].value == dt.datetime(2024, 12, 31)
    assert strategie["Zieldatum"].is_date
    assert strategie["Zielstatus"].value == "gefährdet"
    assert strategie["Stichtag"].value == dt.datetime(2024, 6, 30)
    assert rows[("A", "Gesamt")]["Zielstatus"].value is None
    assert rows[("A", "Gesamt")]["Organisation"].value == '=HYPERLINK("http://x")'


def test_trend_has_a_column_per_month_end(small_book: Path) -> None:
    ws = load_workbook(small_book)["Verlauf"]
    dates = [c.value for c in ws[1]][3:]
    assert dates[0] == dt.datetime(2020, 1, 31)
    assert dates[-1] == dt.datetime(2024, 6, 30)
    assert len(dates) == 54
    assert all(c.number_format == "DD.MM.YYYY" for c in ws[1][3:])
    rows = {(r[0].value, r[2].value): [c.value for c in r[3:]] for r in ws.iter_rows(min_row=2)}
    assert len(rows) == 6
    strategie = rows[("A", "Digitalisierungsstrategie")]
    assert strategie[0] == 0.0  # 2020-01-31: only STR-3-01 (level 3) done
    assert strategie[-1] == 0.5
    assert set(rows[("B", "Gesamt")]) == {0.0}


def test_projects_and_milestones(small_book: Path) -> None:
    book = load_workbook(small_book)
    (project,) = _rows(book["Projekte"])
    assert project["Projektname"].value == "-Projekt minus"
    assert project["Projektbeschreibung"].value == "=1+1"
    assert (project["Start"].value, project["Ende"].value) == (
        dt.datetime(2023, 4, 1),
        dt.datetime(2023, 12, 31),
    )
    assert project["Start"].number_format == "DD.MM.YYYY"
    assert project["Maßnahmen"].value == "STR-1-02"
    (milestone,) = _rows(book["Meilensteine"])
    assert milestone["Titel"].value == "=Meilenstein"
    assert milestone["fällig"].value == dt.datetime(2024, 9, 30)
    assert milestone["fällig (wie erfasst)"].value == "Q3 2024"
    assert milestone["erledigt am"].value is None
    assert milestone["Maßnahmen"].value == "STR-1-02 | STR-2-01"


def test_demo_export_keeps_reasons_for_not_applicable(demo_url: str, tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    code, out, _ = spatz_cli(
        demo_url, "export", "xlsx", str(path), "--org", "15002000-FB11", "--as-of", "2024-12-31"
    )
    assert (code, out) == (0, f"{path}: 1 Organisationen, Stichtag 31.12.2024\n")
    rows = _rows(load_workbook(path, read_only=False)["Maßnahmen"])
    excluded = [r for r in rows if r["Status"].value == "nicht relevant"]
    assert excluded
    assert all(r["Notiz / Begründung"].value for r in excluded)


HEADERS_KEYS = {
    "Übersicht": [
        "org",
        "organisation",
        "dimension",
        "as_of",
        "level",
        "score",
        "target_level",
        "target_date",
        "target_status",
        "measures_completed",
        "measures_total",
    ],
    "Maßnahmen": [
        "org",
        "organisation",
        "dimension",
        "level",
        "measure_id",
        "title",
        "mandatory",
        "status",
        "date",
        "done",
        "expires",
        "due_date",
        "note",
        "evidence",
        "recorded_by",
        "recorded_at",
        "depends_on",
        "references",
        "open_prerequisites",
    ],
    "Projekte": [
        "org",
        "organisation",
        "business_unit",
        "responsible",
        "name",
        "description",
        "start",
        "end",
        "measures",
    ],
}


def test_control_characters_are_dropped(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"org": ["A"], "organisation": ["Amt\x07 A"], "title": ["=T\x00"], "due": [pd.NaT]}
    )
    empty = pd.DataFrame(columns=["org", "organisation", "dimension"])
    data = WorkbookData(
        as_of=dt.date(2024, 1, 1),
        overview=pd.DataFrame(columns=HEADERS_KEYS["Übersicht"]),
        measures=pd.DataFrame(columns=HEADERS_KEYS["Maßnahmen"]),
        trend=empty,
        projects=pd.DataFrame(columns=HEADERS_KEYS["Projekte"]),
        milestones=frame.assign(due_label="", done_date=pd.Series([pd.NaT]), measures=""),
    )
    path = tmp_path / "x.xlsx"
    path.write_bytes(workbook_xlsx(data))
    (row,) = _rows(load_workbook(path)["Meilensteine"])
    assert (row["Organisation"].value, row["Titel"].value) == ("Amt A", "=T")
    assert row["Titel"].data_type == "s"


def test_export_errors(small_url: str, tmp_path: Path, sqlite_url: str) -> None:
    code, out, err = spatz_cli(small_url, "export", "xlsx", str(tmp_path / "x.xlsx"), "--org", "X")
    assert (code, out, err) == (2, "", "Organisation(en) nicht gefunden: X\n")
    assert not (tmp_path / "x.xlsx").exists()
    code, _, err = spatz_cli(small_url, "export", "xlsx", "/nonexistent/x.xlsx")
    assert code == 2
    assert err == "/nonexistent/x.xlsx: nicht schreibbar (Datei oder Verzeichnis nicht gefunden)\n"
    code, _, err = spatz_cli(
        small_url, "export", "xlsx", str(tmp_path / "x.xlsx"), "--as-of", "1.1."
    )
    assert code == 2
    assert "kein Datum: '1.1.'" in err
    assert spatz_cli(sqlite_url, "init")[0] == 0
    code, _, err = spatz_cli(sqlite_url, "export", "xlsx", str(tmp_path / "x.xlsx"))
    assert (code, err) == (2, "Es ist noch kein Katalog geladen (spatz catalog load DATEI)\n")


def test_written_file_can_be_replaced(small_url: str, small_book: Path, tmp_path: Path) -> None:
    target = tmp_path / "again.xlsx"
    shutil.copyfile(small_book, target)
    code, _, _ = spatz_cli(small_url, "export", "xlsx", str(target), "--org", "B")
    assert code == 0
    book = load_workbook(target)
    assert {r["Schlüssel"].value for r in _rows(book["Übersicht"])} == {"B"}
    assert _rows(book["Projekte"]) == []


def test_database_without_events(sqlite_url: str, tmp_path: Path) -> None:
    migrate(sqlite_url)
    assert spatz_cli(sqlite_url, "catalog", "load", str(DATA / "mini.yaml"))[0] == 0
    empty = tmp_path / "empty.xlsx"
    code, out, _ = spatz_cli(sqlite_url, "export", "xlsx", str(empty), "--as-of", "2024-05-15")
    assert (code, out) == (0, f"{empty}: 0 Organisationen, Stichtag 15.05.2024\n")
    book = load_workbook(empty)
    assert [ws.max_row for ws in book] == [1, 1, 1, 1, 1]
    assert [c.value for c in book["Verlauf"][1]][3:] == [dt.datetime(2024, 5, 15)]
    _load(sqlite_url, "organisations", tmp_path / "o.csv", "org,name,kind\nA,Stadt A,Stadt\n")
    path = tmp_path / "one.xlsx"
    assert spatz_cli(sqlite_url, "export", "xlsx", str(path), "--as-of", "2024-05-15")[0] == 0
    book = load_workbook(path)
    assert {r["Status"].value for r in _rows(book["Maßnahmen"])} == {"offen"}
    assert [[c.value for c in row] for row in book["Verlauf"].iter_rows(min_row=2)] == [
        ["A", "Stadt A", "Digitalisierungsstrategie", 0],
        ["A", "Stadt A", "Informationssicherheit", 0],
        ["A", "Stadt A", "Gesamt", 0],
    ]
