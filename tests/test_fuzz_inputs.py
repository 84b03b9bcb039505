"""Hostile input for every importer and for catalogs (hypothesis).

Whatever a user uploads - random bytes, damaged CSV, damaged or odd workbooks - an import
either succeeds or raises :class:`DataImportError` with well-formed messages, and a rejected
import writes nothing. Whatever a catalog file contains, parsing raises only
:class:`CatalogError`. Valid files import, and importing them again adds nothing.

The database-writing properties share one migrated SQLite database per module (and xdist
worker) that is restored from a template after every example that changed it.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import math
import re
import sqlite3
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import pytest
import sqlalchemy as sa
import yaml
from dbutil import fingerprint
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlmodel import Session

from spatz.catalog import Catalog, load_catalog, parse_catalog
from spatz.db import make_engine, migrate, session_scope
from spatz.errors import MAX_REPORTED_PROBLEMS, CatalogError, DataImportError
from spatz.io.limits import FileLimits
from spatz.io.reader import Table, read_table_bytes
from spatz.io.values import parse_date_or_quarter
from spatz.model import OrgKind, Status
from spatz.model.common import STATUS_LABELS
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.organisations import ORGANISATION_COLUMNS, import_organisations
from spatz.services.progress import PROGRESS_COLUMNS, import_progress
from spatz.services.projects import (
    MILESTONE_COLUMNS,
    PROJECT_COLUMNS,
    calendar_months,
    import_milestones,
    import_projects,
)
from spatz.services.targets import TARGET_COLUMNS, import_targets

DATA = Path(__file__).parent / "data"
ACTOR = Actor.operator("fuzz")
MINI = load_catalog(DATA / "mini.yaml")
MEASURE_IDS = [m.id for _, m in MINI.measures()]
DIMENSION_IDS = [d.id for d in MINI.dimensions]
EXISTING_ORGS = ("A", "A-1", "B")
ANY_XLSX_ROW = 10**9
"""A workbook numbers its rows itself; a problem may name any of them."""

Cell: TypeAlias = str | int | float | bool | dt.date | dt.datetime | dt.time | None
Rows: TypeAlias = list[list[Cell]]

# ---------------------------------------------------------------------------------------------
# The importers, and a database to run them against
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Importer:
    name: str
    columns: tuple[str, ...]
    run: Callable[[Session, Table], ImportSummary]

    def __str__(self) -> str:
        return self.name


IMPORTERS = (
    Importer(
        "organisations",
        ORGANISATION_COLUMNS,
        lambda s, t: import_organisations(session=s, actor=ACTOR, table=t),
    ),
    Importer(
        "progress",
        PROGRESS_COLUMNS,
        lambda s, t: import_progress(session=s, actor=ACTOR, table=t),
    ),
    Importer(
        "targets",
        TARGET_COLUMNS,
        lambda s, t: import_targets(session=s, actor=ACTOR, table=t),
    ),
    Importer(
        "projects",
        (*PROJECT_COLUMNS, "measures"),
        lambda s, t: import_projects(session=s, actor=ACTOR, table=t, org="A"),
    ),
    Importer(
        "milestones",
        MILESTONE_COLUMNS,
        lambda s, t: import_milestones(session=s, actor=ACTOR, table=t, org="A"),
    ),
)
BY_NAME = {i.name: i for i in IMPORTERS}
ALL_COLUMNS = sorted({c for i in IMPORTERS for c in i.columns})

SEED = {
    "organisations": "org,name,kind,ags,parent\n"
    "A,Stadt A,kreisfreie Stadt,15002000,\nA-1,Amt,Organisationseinheit,,A\nB,Stadt B,Stadt,,\n",
    "progress": "org;measure_id;status;date;note\n"
    "A;STR-1-01;umgesetzt;15.06.2023;Beschluss\nB;ISM-1-01;geplant;2023-01-01;\n",
    "targets": "org,dimension_id,target_level,target_date\nA,overall,2,31.12.2026\n",
    "projects": "Projektname\tStart\tEnde\tmeasures\nP\t01.04.2023\t31.12.2023\tSTR-2-01\n",
    "milestones": "title,due,measures\nM,Q3 2024,ISM-1-01\n",
}


def _write_template(url: str) -> None:
    migrate(url)
    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=ACTOR, catalog=MINI)
    for name, text in SEED.items():
        table = read_table_bytes(text.encode(), f"{name}.csv")
        with session_scope(make_engine(url)) as session:
            BY_NAME[name].run(session, table)
    make_engine(url).dispose()


@dataclass
class FuzzDb:
    """A migrated SQLite database with the mini catalog and a few records of every kind."""

    path: Path
    template: Path
    baseline: str

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def restore(self) -> None:
        """Back to the template's content (after an import that wrote something)."""
        make_engine(self.url).dispose()
        with (
            closing(sqlite3.connect(self.template)) as src,
            closing(sqlite3.connect(self.path)) as dst,
        ):
            _no_sync(dst, None)
            src.backup(dst)


def _no_sync(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> FuzzDb:
    folder = tmp_path_factory.mktemp("fuzz")
    template = folder / "template.db"
    _write_template(f"sqlite:///{template}")
    fuzz_db = FuzzDb(folder / "work.db", template, "")
    # a throwaway database need not wait for the disk on every commit
    sa.event.listen(make_engine(fuzz_db.url), "connect", _no_sync)
    fuzz_db.restore()
    fuzz_db.baseline = fingerprint(fuzz_db.url)
    return fuzz_db


# ---------------------------------------------------------------------------------------------
# What every rejection has to look like
# ---------------------------------------------------------------------------------------------

_LINE_BREAKS = re.compile(rb"\r\n|\r|\n")


def line_count(data: bytes) -> int:
    """Physical lines as the CSV reader counts them (``\\r``, ``\\n`` and ``\\r\\n``)."""
    breaks = len(_LINE_BREAKS.findall(data))
    return breaks + (0 if data.endswith((b"\r", b"\n")) else 1)


def check_error(error: DataImportError, name: str, max_line: int) -> None:
    """The problems name the file, a line within it and maybe a column, one line each."""
    text = str(error)
    assert text
    assert 1 <= len(error.problems) <= MAX_REPORTED_PROBLEMS
    assert not error.truncated or len(error.problems) == MAX_REPORTED_PROBLEMS
    shape = re.compile(
        rf"{re.escape(name)}(?::(?P<line>[1-9][0-9]*))?: (?:column (?P<column>.+?): )?.+"
    )
    for problem in error.problems:
        message = str(problem)
        assert len(message.splitlines()) == 1, message
        match = shape.fullmatch(message)
        assert match, message
        assert problem.file == name
        assert problem.message.strip()
        if problem.line is not None:
            assert 1 <= problem.line <= max_line, (problem, max_line)
            assert match["line"] == str(problem.line)
        else:
            assert match["line"] is None
        if problem.column is not None:
            assert problem.column.strip()
            assert message.startswith(f"{problem.file}:{problem.line}: Spalte {problem.column}: ")


def attempt(db: FuzzDb, importer: Importer, data: bytes, name: str, max_line: int) -> None:
    """Read and import ``data``: success, or a well-formed rejection that wrote nothing."""
    try:
        table = read_table_bytes(data, name)
    except DataImportError as exc:
        event("rejected by the reader")
        check_error(exc, name, max_line)
        return
    try:
        with session_scope(make_engine(db.url)) as session:
            importer.run(session, table)
    except DataImportError as exc:
        event("rejected by the importer")
        assert fingerprint(db.url) == db.baseline
        check_error(exc, name, max_line)
    except Exception as exc:
        event(f"raised {type(exc).__name__}")
        assert fingerprint(db.url) == db.baseline
        raise
    else:
        event("imported")
        db.restore()


# ---------------------------------------------------------------------------------------------
# Strategies: cells, CSV text, workbooks
# ---------------------------------------------------------------------------------------------

UNICODE = st.characters(codec="utf-8")
SPECIAL_CELLS = [
    "",
    " ",
    '"',
    '""',
    '"x"y',
    "\r",
    "\n",
    "\r\n",
    "\x00",
    "\ufeff",
    "\u2028",
    "\x85",
    ",",
    ";",
    "\t",
    "|",
    *EXISTING_ORGS,
    "a",
    "N-1",
    *MEASURE_IDS,
    "STR-2-01|STR-1-01",
    "STR-1-01||XYZ",
    "overall",
    *DIMENSION_IDS,
    *(s.value for s in Status),
    *STATUS_LABELS.values(),
    *(k.value for k in OrgKind),
    "2023-01-01",
    "31.12.2023",
    "29.02.2023",
    "0000-01-01",
    "9999-12-31",
    "Q1 2024",
    "III. Quartal 2024",
    "Q4 9999",
    "Q1 0000",
    "0",
    "-1",
    "1",
    "2",
    "3",
    "4",
    "9" * 5000,
    "1_0",
    "15002000",
    "١٢٣٤٥٦٧٨",
    "0 Jahre, 1 Monate 0 Tage",
    "9999999 Jahre, 0 Monate 0 Tage",
    "=1+1",
    "NaN",
    "M",
    "P",
]
LONG_CELLS = st.builds(
    lambda unit, n: unit * n,
    st.sampled_from(["x", "é", ";", " ", "9", "€"]),
    st.sampled_from([49, 51, 99, 101, 199, 201, 299, 301, 3999, 4001, 131_073]),
)
CELLS = st.one_of(
    st.sampled_from(SPECIAL_CELLS),
    st.text(UNICODE, max_size=20),
    st.text(st.sampled_from(",;\t\"' \r\n|-.Q0123456789"), max_size=12),
    LONG_CELLS,
)
COLUMN_NAMES = st.one_of(
    st.sampled_from(ALL_COLUMNS),
    st.sampled_from(ALL_COLUMNS).map(lambda c: f" {c.upper()} "),
    st.sampled_from(ALL_COLUMNS).map(lambda c: f"{c[:1]}\n{c[1:]}"),
    st.text(UNICODE, max_size=10),
)


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


SAFE_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=12)
DATE_TEXT = st.builds(
    lambda d, german: d.strftime("%d.%m.%Y" if german else "%Y-%m-%d"),
    st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31)),
    st.booleans(),
)
_PLAUSIBLE: dict[str, st.SearchStrategy[str]] = {
    "org": st.sampled_from([*EXISTING_ORGS, "N-1", "N-2"]),
    "kind": st.sampled_from([k.value for k in OrgKind]),
    "ags": st.sampled_from(["", "15002000"]),
    "parent": st.sampled_from(["", "A", "N-1"]),
    "measure_id": st.sampled_from(MEASURE_IDS),
    "measures": st.lists(st.sampled_from(MEASURE_IDS), max_size=3).map("|".join),
    "status": st.sampled_from([*(s.value for s in Status), *STATUS_LABELS.values()]),
    "dimension_id": st.sampled_from(["overall", *DIMENSION_IDS]),
    "target_level": st.sampled_from(["1", "2", "3"]),
    "due": st.one_of(DATE_TEXT, st.sampled_from(["Q1 2024", "IV. Quartal 2030"])),
    "dauer": st.sampled_from(["", "0 Jahre, 0 Monate 0 Tage"]),
    **dict.fromkeys(["date", "due_date", "target_date", "start", "ende", "done_date"], DATE_TEXT),
}


def _cell(column: str) -> st.SearchStrategy[str]:
    return _PLAUSIBLE.get(column, SAFE_TEXT)


@st.composite
def csv_bytes(draw: st.DrawFn, importer: Importer) -> bytes:
    """CSV-shaped bytes: a header (often the right one) and rows of plausible or odd cells.

    ``chaos`` (out of 20) is the share of odd cells, odd quoting and ragged rows.
    """
    chaos = draw(st.sampled_from([0, 1, 4, 20]), label="chaos")

    def odd() -> bool:
        return draw(st.integers(0, 19)) < chaos

    delimiter = draw(st.sampled_from(",;\t"))
    header: list[str] = draw(
        st.one_of(
            st.permutations(importer.columns).map(list),
            st.lists(COLUMN_NAMES, max_size=9, unique=True),
        )
    )
    records = [header]
    for _ in range(draw(st.integers(0, 6))):
        record = [draw(CELLS) if odd() else draw(_cell(c)) for c in header]
        if odd():
            record = record[: draw(st.integers(0, len(record)))] + draw(st.lists(CELLS, max_size=2))
        records.append(record)
    lines: list[str] = []
    for record in records:
        quoting = draw(st.sampled_from(["none", "all", "some"])) if odd() else "needed"
        cells = [
            _quote(c)
            if quoting == "all"
            or (quoting == "some" and draw(st.booleans()))
            or (quoting == "needed" and any(x in c for x in (delimiter, '"', "\r", "\n")))
            else c
            for c in record
        ]
        lines.append(delimiter.join(cells))
        if odd():
            lines.append(draw(st.sampled_from(["", " ", delimiter * 3])))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = ending.join(lines) + draw(st.sampled_from(["", ending]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    if odd():
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.binary(min_size=1, max_size=4)) + data[position:]
    return data


XLSX_VALUES: st.SearchStrategy[Cell] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31)),
    st.times(),
    st.sampled_from(SPECIAL_CELLS),
    st.text(UNICODE, max_size=20),
    st.sampled_from(["=1+1", "=A1", "=SUM(A1:A3)", "=1/0", '="x"']),
)


def workbook_bytes(rows: Sequence[Sequence[Cell]], title: str = "Daten") -> bytes:
    """A workbook with ``rows`` from A1 on (characters a worksheet cannot hold dropped)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@st.composite
def workbooks(draw: st.DrawFn, importer: Importer) -> tuple[bytes, int]:
    """A real workbook with a header and rows of cells of every type; and its row count."""
    header: list[Cell] = draw(
        st.one_of(
            st.permutations(importer.columns).map(list),
            st.lists(st.one_of(COLUMN_NAMES.map(str), XLSX_VALUES), max_size=8),
        )
    )
    body = draw(st.lists(st.lists(XLSX_VALUES, max_size=9), max_size=6))
    leading: Rows = [[None] for _ in range(draw(st.integers(0, 2)))]
    rows: Rows = [*leading, header, *body]
    return workbook_bytes(rows), len(rows)


_GOOD_WORKBOOK = workbook_bytes([["org", "name", "kind"], ["N-1", "Neu", "Stadt"]])


def _rebuilt(changes: dict[str, bytes | None]) -> bytes:
    """The good workbook with members of its archive replaced (or, for ``None``, dropped)."""
    archive = zipfile.ZipFile(io.BytesIO(_GOOD_WORKBOOK))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name in archive.namelist():
            content = changes.get(name, archive.read(name))
            if content is not None:
                out.writestr(name, content)
    return buffer.getvalue()


_SHEET = "xl/worksheets/sheet1.xml"
_SHEET_XML = zipfile.ZipFile(io.BytesIO(_GOOD_WORKBOOK)).read(_SHEET)


def _with_sheet_xml(extra: bytes, dimension: bytes | None = None) -> bytes:
    """The good workbook with ``extra`` rows and maybe another stored size."""
    content = _SHEET_XML.replace(b"</sheetData>", extra + b"</sheetData>")
    if dimension is not None:
        content = re.sub(rb'<dimension ref="[^"]*"', dimension, content)
    return _rebuilt({_SHEET: content})


BROKEN_ROWS = [
    b'<row r="3"><c r="A3" t="n"><v>abc</v></c></row>',
    b'<row r="3"><c r="A3" t="s"><v>99</v></c></row>',
    b'<row r="3"><c r="A3" t="d"><v>never</v></c></row>',
    b'<row r="3"><c r="A3" t="b"><v>x</v></c></row>',
    b'<row r="x"><c r="A3"><v>1</v></c></row>',
    b'<row r="3"><c r="ZZZZ3"><v>1</v></c></row>',
    b'<row r="3"><c r="A3" t="e"><v>#DIV/0!</v></c></row>',
    b'<row r="99999999"><c r="A99999999"><v>1</v></c></row>',
    b'<row r="3"><c r="A3" t="inlineStr"><is><t>a_x0000_b</t></is></c></row>',
]


@st.composite
def damaged_workbooks(draw: st.DrawFn) -> bytes:
    """The good workbook with one member of its archive damaged, dropped or replaced."""
    archive = zipfile.ZipFile(io.BytesIO(_GOOD_WORKBOOK))
    target = draw(st.sampled_from(archive.namelist()))
    content = archive.read(target)
    damage = draw(st.sampled_from(["truncate", "flip", "replace", "drop", "rows"]))
    if damage == "truncate":
        return _rebuilt({target: content[: draw(st.integers(0, len(content)))]})
    if damage == "flip":
        i = draw(st.integers(0, len(content) - 1))
        return _rebuilt({target: content[:i] + bytes([content[i] ^ 0xFF]) + content[i + 1 :]})
    if damage == "replace":
        return _rebuilt({target: draw(st.binary(max_size=64))})
    if damage == "drop":
        return _rebuilt({target: None})
    rows = draw(st.sampled_from(BROKEN_ROWS))
    return _rebuilt({_SHEET: _SHEET_XML.replace(b"</sheetData>", rows + b"</sheetData>")})


# ---------------------------------------------------------------------------------------------
# 1 + 2: anything fed to any importer; rejections are well-formed and write nothing
# ---------------------------------------------------------------------------------------------

IMPORTER_IDS = [i.name for i in IMPORTERS]
DB_SETTINGS = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])


@DB_SETTINGS
@given(importer=st.sampled_from(IMPORTERS), data=st.binary(max_size=300))
@example(importer=IMPORTERS[0], data=b"\xef\xbb\xbforg,name\n1,\xff\n")
@example(importer=IMPORTERS[0], data=b"org,name\r1,2\r3,\x81\r")
@example(importer=IMPORTERS[1], data=b'"org\nx","org\nx"\n1,2\n')
@example(importer=IMPORTERS[1], data=b"x" + b",x" * 60 + b"\n1\n")
@example(importer=IMPORTERS[4], data=b"title,due\nX,Q1 0000\nY,Q4 9999\n")
@example(importer=IMPORTERS[0], data=b"PK\x03\x04" + bytes(100))
def test_arbitrary_bytes(db: FuzzDb, importer: Importer, data: bytes) -> None:
    attempt(db, importer, data, "in.csv", line_count(data))


@pytest.mark.parametrize("importer", IMPORTERS, ids=IMPORTER_IDS)
@DB_SETTINGS
@given(data=st.data())
def test_csv_shaped_text(db: FuzzDb, importer: Importer, data: st.DataObject) -> None:
    raw = data.draw(csv_bytes(importer), label="csv")
    name = data.draw(st.sampled_from(["in.csv", "in.txt", "IN.TSV"]), label="name")
    attempt(db, importer, raw, name, line_count(raw))


SMALL_LIMITS = st.builds(
    FileLimits,
    max_rows=st.integers(1, 6),
    max_columns=st.integers(1, 8),
    max_cell_chars=st.integers(1, 60),
    max_cells=st.integers(1, 40),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(importer=st.sampled_from(IMPORTERS), data=st.data(), limits=SMALL_LIMITS)
def test_a_table_within_small_limits_or_one_problem(
    importer: Importer, data: st.DataObject, limits: FileLimits
) -> None:
    if data.draw(st.booleans(), label="xlsx"):
        raw, name, max_line = (
            data.draw(workbooks(importer), label="xlsx")[0],
            "in.xlsx",
            ANY_XLSX_ROW,
        )
    else:
        raw = data.draw(csv_bytes(importer), label="csv")
        name, max_line = "in.csv", line_count(raw)
    try:
        table = read_table_bytes(raw, name, limits=limits)
    except DataImportError as exc:
        check_error(exc, name, max_line)
        return
    assert len(table.columns) <= limits.max_columns
    assert len(table.rows) <= limits.rows_for(len(table.columns))
    assert all(len(v) <= limits.max_cell_chars for r in table.rows for v in r.values.values())


BYTE_MESSAGE = "ist weder UTF-8 noch Windows-1252; bitte die Datei als CSV (UTF-8) speichern"


@pytest.mark.parametrize(
    ("raw", "messages"),
    [
        # the byte and line of a decoding error after a BOM, and with CR line endings
        (b"\xef\xbb\xbforg,name\n1,\xff\n", [f"in.csv:2: Byte 0xff {BYTE_MESSAGE}"]),
        (b"org,name\r1,2\r3,\x81\r", [f"in.csv:3: Byte 0x81 {BYTE_MESSAGE}"]),
        # a column name is one line
        (b'"org\nx","Org \r\n X"\n1,2\n', ["in.csv:1: Spalte org x: Spalte kommt doppelt vor"]),
        # blank lines above the header
        (b"\n \n,,\norg,org\n1,2\n", ["in.csv:4: Spalte org: Spalte kommt doppelt vor"]),
    ],
)
def test_reader_problems_name_the_right_line(raw: bytes, messages: list[str]) -> None:
    with pytest.raises(DataImportError) as info:
        read_table_bytes(raw, "in.csv")
    assert [str(p) for p in info.value.problems] == messages


def test_missing_columns_are_reported_on_the_header_line() -> None:
    table = read_table_bytes(b"\n\norg;name\n1;x\n", "in.csv")
    with pytest.raises(DataImportError) as info:
        table.require(["org", "kind"])
    assert [str(p) for p in info.value.problems] == [
        "in.csv:3: Spalte kind: Spalte fehlt (vorhanden: org, name)"
    ]


def test_a_header_with_many_problems_reports_fifty() -> None:
    with pytest.raises(DataImportError) as info:
        read_table_bytes(b"x" + b",x" * 60 + b"\n1\n", "in.csv")
    assert len(info.value.problems) == MAX_REPORTED_PROBLEMS
    assert info.value.truncated


def test_long_lines_are_read_in_linear_time() -> None:
    started = time.perf_counter()
    with pytest.raises(DataImportError):
        read_table_bytes(b"org,name\n" + b',"' * 100_000 + b"\n", "in.csv")
    note = 'x;"",' * 20_000
    raw = f'org;note\n1;"{note.replace(chr(34), chr(34) * 2)}"\n'.encode()
    table = read_table_bytes(raw, "f", limits=FileLimits(max_cell_chars=len(note)))
    assert table.rows[0].get("note") == note
    assert time.perf_counter() - started < 10


@DB_SETTINGS
@given(importer=st.sampled_from(IMPORTERS), tail=st.binary(max_size=200))
def test_bytes_that_look_like_a_zip(db: FuzzDb, importer: Importer, tail: bytes) -> None:
    attempt(db, importer, b"PK\x03\x04" + tail, "in.xlsx", ANY_XLSX_ROW)


@DB_SETTINGS
@given(importer=st.sampled_from(IMPORTERS), book=st.data())
def test_workbooks_with_cells_of_every_type(
    db: FuzzDb, importer: Importer, book: st.DataObject
) -> None:
    raw, n_rows = book.draw(workbooks(importer), label="workbook")
    attempt(db, importer, raw, "in.xlsx", n_rows)


@DB_SETTINGS
@given(importer=st.sampled_from(IMPORTERS), raw=damaged_workbooks())
@example(importer=IMPORTERS[0], raw=_rebuilt({"docProps/core.xml": b"<"}))
@example(importer=IMPORTERS[0], raw=_rebuilt({_SHEET: b"<worksheet"}))
@example(importer=IMPORTERS[0], raw=_with_sheet_xml(b'<row r="3"><c r="A3"><v>x</v></c></row>'))
@example(
    importer=IMPORTERS[0], raw=_with_sheet_xml(b'<row r="3"><c r="A3" t="s"><v>9</v></c></row>')
)
@example(importer=IMPORTERS[0], raw=_with_sheet_xml(b'<row r="3"><c r="ZZZZ3"><v>1</v></c></row>'))
def test_damaged_workbooks(db: FuzzDb, importer: Importer, raw: bytes) -> None:
    attempt(db, importer, raw, "in.xlsx", ANY_XLSX_ROW)


def test_workbook_rows_outside_the_stored_size_are_read() -> None:
    raw = _with_sheet_xml(
        b'<row r="4"><c r="A4" t="inlineStr"><is><t>N-2</t></is></c>'
        b'<c r="B4" t="inlineStr"><is><t>Neu 2</t></is></c>'
        b'<c r="C4" t="inlineStr"><is><t>Stadt</t></is></c></row>',
        dimension=b'<dimension ref="A1:B2"',
    )
    table = read_table_bytes(raw, "in.xlsx")
    assert table.columns == ["org", "name", "kind"]
    assert [(r.line, r.get("org"), r.get("kind")) for r in table.rows] == [
        (2, "N-1", "Stadt"),
        (4, "N-2", "Stadt"),
    ]


def test_workbook_with_a_huge_row_number_is_rejected_quickly() -> None:
    started = time.perf_counter()
    raw = _with_sheet_xml(b'<row r="999999999"><c r="A999999999"><v>1</v></c></row>')
    with pytest.raises(DataImportError) as info:
        read_table_bytes(raw, "in.xlsx")
    assert [str(p) for p in info.value.problems] == [
        f"in.xlsx:999999999: mehr als {FileLimits().max_rows:,} Zeilen unter der Kopfzeile "
        "(bitte die Datei aufteilen)".replace(",", ".")
    ]
    assert time.perf_counter() - started < 5


def test_workbook_header_problems_name_the_header_row() -> None:
    raw = workbook_bytes([[None], [], ["org", "org"], ["1", "2"]])
    with pytest.raises(DataImportError) as info:
        read_table_bytes(raw, "in.xlsx")
    assert [str(p) for p in info.value.problems] == [
        "in.xlsx:3: Spalte org: Spalte kommt doppelt vor"
    ]


def test_quarter_outside_the_calendar_is_reported_in_german() -> None:
    with pytest.raises(ValueError, match="dieses Quartal gibt es nicht: 'Q4 9999'"):
        parse_date_or_quarter("Q4 9999")


# ---------------------------------------------------------------------------------------------
# 3: catalogs
# ---------------------------------------------------------------------------------------------

MINI_RAW: dict[str, Any] = yaml.safe_load((DATA / "mini.yaml").read_text(encoding="utf-8"))

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(UNICODE, max_size=10),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(
                st.sampled_from(["id", "version", "name", "levels", "dimensions", "measures"]),
                st.text(UNICODE, max_size=8),
                st.integers(),
                st.none(),
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=20,
)
WRONG_VALUES: st.SearchStrategy[Any] = st.one_of(
    JSON_VALUES,
    st.sampled_from(
        [0, -1, 0.0, -0.5, math.nan, math.inf, -math.inf, 10**40, -(10**40), None, "", " "]
    ),
    st.sampled_from([[], {}, [None], {"id": None}, [[[]]], True, "1", 1.5, dt.date(2023, 1, 1)]),
)


def parses_or_rejects(text: str) -> Catalog | None:
    try:
        catalog = parse_catalog(text, source="c.yaml")
    except CatalogError as exc:
        assert str(exc).startswith("c.yaml")
        return None
    assert parse_catalog(catalog.to_yaml()) == catalog
    assert len(catalog.content_hash()) == 64
    return catalog


@settings(max_examples=100)
@given(text=st.text(UNICODE))
@example(text="a: 2023-13-01")
@example(text="a: !!bool maybe")
@example(text="a: !!int x")
@example(text="a: !!float x")
@example(text="a: !!timestamp x")
@example(text="[" * 1200)
@example(text="{a: " * 1200)
@example(text="&a [*a]")
@example(text='id: "\\ud800"')
def test_catalog_from_any_text(text: str) -> None:
    parses_or_rejects(text)


@given(value=JSON_VALUES, as_json=st.booleans())
def test_catalog_from_any_structure(value: Any, as_json: bool) -> None:
    if as_json:
        try:
            text = json.dumps(value)
        except TypeError:
            text = yaml.safe_dump(value)
    else:
        text = yaml.safe_dump(value, allow_unicode=True)
    parses_or_rejects(text)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _paths(child, (*prefix, index))


def _mutate(raw: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """One random change somewhere in a catalog: drop, duplicate, rename, retype a node."""
    result = copy.deepcopy(raw)
    path = data.draw(st.sampled_from(list(_paths(result))[1:]), label="path")
    parent: Any = result
    for step in path[:-1]:
        parent = parent[step]
    key = path[-1]
    action = data.draw(
        st.sampled_from(["drop", "duplicate", "rename", "replace", "none", "nest"]), label="action"
    )
    if action == "drop":
        del parent[key]
    elif action == "duplicate":
        if isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        else:
            twin = data.draw(st.sampled_from([f"{key} ", str(key).upper()]), label="twin")
            parent[twin] = copy.deepcopy(parent[key])
    elif action == "rename" and isinstance(parent, dict):
        parent[data.draw(st.one_of(st.text(UNICODE, max_size=8), st.integers()))] = parent.pop(key)
    elif action == "none":
        parent[key] = None
    elif action == "nest":
        parent[key] = {"value": parent[key], "more": [None, {"x": None}]}
    else:
        parent[key] = data.draw(WRONG_VALUES, label="value")
    return result


@settings(max_examples=150)
@given(data=st.data(), changes=st.integers(1, 4))
def test_mutated_catalogs(data: st.DataObject, changes: int) -> None:
    raw = MINI_RAW
    for _ in range(changes):
        if not raw:
            break
        raw = _mutate(raw, data)
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    if data.draw(st.booleans(), label="duplicate a line"):
        lines = text.splitlines()
        index = data.draw(st.integers(0, len(lines) - 1), label="line")
        lines.insert(index, lines[index])
        text = "\n".join(lines)
    parses_or_rejects(text)


NAMES = st.text(UNICODE, min_size=1, max_size=12).filter(lambda s: s.strip() != "")
WEIGHTS = st.floats(min_value=0, max_value=1e300, exclude_min=True, allow_subnormal=True)


@st.composite
def valid_catalogs(draw: st.DrawFn) -> dict[str, Any]:
    n_levels = draw(st.integers(2, 5))
    dimensions = []
    for d in range(draw(st.integers(1, 3))):
        levels = [*range(1, n_levels + 1), *draw(st.lists(st.integers(1, n_levels), max_size=3))]
        measures = [
            {
                "id": f"{draw(NAMES).strip()}-{d}-{i}",
                "level": level,
                "title": draw(NAMES),
                "description": draw(st.text(UNICODE, max_size=30)),
                "weight": draw(WEIGHTS),
                "mandatory": draw(st.booleans()),
                "valid_for_months": draw(st.none() | st.integers(1, 10**6)),
                "source": draw(st.text(UNICODE, max_size=10)),
            }
            for i, level in enumerate(draw(st.permutations(levels)))
        ]
        dimensions.append(
            {
                "id": f"{draw(NAMES).strip()}.{d}",
                "name": draw(NAMES),
                "weight": draw(WEIGHTS),
                "measures": measures,
            }
        )
    return {
        "id": draw(NAMES),
        "version": draw(st.one_of(NAMES, st.sampled_from(["1", "1.0", "2024-01-01", "yes"]))),
        "name": draw(NAMES),
        "description": draw(st.text(UNICODE, max_size=40)),
        "threshold": draw(st.floats(min_value=0, max_value=1, exclude_min=True)),
        "levels": [{"level": n, "name": draw(NAMES)} for n in range(1, n_levels + 1)],
        "dimensions": dimensions,
    }


# characters beyond U+FFFF: JSON escapes them as surrogate pairs, which PyYAML misreads
@given(raw=valid_catalogs())
@example(raw={**MINI_RAW, "name": "\U00010000 \U0001f600"})
@example(raw={**MINI_RAW, "name": "a\x85b\u2028c\u2029d"})
def test_valid_catalogs_round_trip_through_yaml(raw: dict[str, Any]) -> None:
    catalog = Catalog.model_validate(raw)
    again = parse_catalog(catalog.to_yaml())
    assert again == catalog
    assert again.content_hash() == catalog.content_hash()
    assert parse_catalog(json.dumps(raw)) == catalog


def test_json_catalog_with_characters_beyond_the_basic_plane() -> None:
    raw = {**MINI_RAW, "name": "Katalog \U0001f600"}
    assert parse_catalog(json.dumps(raw)).name == "Katalog \U0001f600"


def test_line_separators_in_catalog_text_survive_to_yaml() -> None:
    catalog = Catalog.model_validate({**MINI_RAW, "description": "a\x85b\u2028c\u2029d"})
    assert parse_catalog(catalog.to_yaml()).description == "a\x85b\u2028c\u2029d"


def test_mini_catalog_round_trips_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI.to_yaml(), encoding="utf-8")
    assert load_catalog(path) == MINI


# ---------------------------------------------------------------------------------------------
# 4: valid files import, and a second import adds nothing
# ---------------------------------------------------------------------------------------------

PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
TEXT = st.text(PRINTABLE, max_size=30)
LABELS = st.text(PRINTABLE, min_size=1, max_size=30).map(str.strip).filter(bool)
NOTES = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60)
DATES = st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31))
KEYS = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,20}\Z").map(lambda k: f"N-{k}")
ROMAN = ["I", "II", "III", "IV"]


def _case(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, text.lower(), text.upper(), f" {text} "])


@st.composite
def valid_organisations(draw: st.DrawFn) -> Rows:
    keys = draw(st.lists(KEYS, min_size=1, max_size=6, unique=True))
    rows: Rows = [["org", "name", "kind", "land", "ags", "parent"]]
    for i, key in enumerate(keys):
        parents = [*EXISTING_ORGS, *keys[:i]]
        rows.append(
            [
                key,
                draw(LABELS),
                draw(st.sampled_from(list(OrgKind)).flatmap(lambda k: _case(k.value))),
                draw(TEXT),
                draw(st.sampled_from(["", "15002000", "00000001"])),
                draw(st.sampled_from(["", *parents])),
            ]
        )
    return rows


@st.composite
def valid_progress(draw: st.DrawFn) -> Rows:
    rows: Rows = [list(PROGRESS_COLUMNS)]
    statuses = [*(s.value for s in Status), *STATUS_LABELS.values()]
    for _ in range(draw(st.integers(1, 6))):
        rows.append(
            [
                draw(st.sampled_from(EXISTING_ORGS)),
                draw(st.sampled_from(MEASURE_IDS)),
                draw(st.sampled_from(statuses).flatmap(_case)),
                draw(DATES),
                draw(st.none() | DATES),
                draw(NOTES),
                draw(NOTES),
            ]
        )
    return rows


@st.composite
def valid_targets(draw: st.DrawFn) -> Rows:
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(EXISTING_ORGS), st.sampled_from(["overall", *DIMENSION_IDS])),
            min_size=1,
            max_size=6,
            unique=True,  # the same pair twice is test_targets_twice_in_one_file_are_idempotent
        )
    )
    rows: Rows = [list(TARGET_COLUMNS)]
    for org, dimension in pairs:
        level = draw(st.integers(1, MINI.n_levels))
        written: Cell = draw(st.sampled_from([str(level), f" {level}", f"+{level}"]))
        if draw(st.booleans()):
            written = level
        rows.append([org, dimension, written, draw(DATES)])
    return rows


def _measures(draw: st.DrawFn) -> str:
    # sorted: another order is test_reimport_with_measures_in_any_order_changes_nothing
    ids = draw(st.lists(st.sampled_from(MEASURE_IDS), max_size=3, unique=True))
    return "|".join(sorted(ids))


@st.composite
def valid_projects(draw: st.DrawFn) -> Rows:
    # "P" is in the seed: it would be an update, not new
    names = draw(st.lists(LABELS.filter(lambda n: n != "P"), min_size=1, max_size=5, unique=True))
    rows: Rows = [[*PROJECT_COLUMNS, "measures"]]
    for name in names:
        start = draw(DATES)
        end = draw(st.dates(start, dt.date(9999, 12, 31)))
        months = calendar_months(start, end)
        duration = f"{months // 12} Jahre, {months % 12} Monate {draw(st.integers(0, 31))} Tage"
        rows.append(
            [
                draw(TEXT.map(lambda s: s[:50])),
                draw(TEXT),
                name,
                draw(NOTES),
                start,
                draw(st.sampled_from(["", duration])),
                end,
                _measures(draw),
            ]
        )
    return rows


@st.composite
def valid_milestones(draw: st.DrawFn) -> Rows:
    # "M" is in the seed: it would be an update, not new
    titles = draw(st.lists(LABELS.filter(lambda t: t != "M"), min_size=1, max_size=5, unique=True))
    rows: Rows = [list(MILESTONE_COLUMNS)]
    for title in titles:
        year = draw(st.integers(1000, 9998))
        quarter = draw(st.integers(1, 4))
        due = draw(
            st.one_of(
                DATES,
                st.sampled_from(
                    [
                        f"Q{quarter} {year}",
                        f"q{quarter}/{year}",
                        f"{ROMAN[quarter - 1]}. Quartal {year}",
                        f"{quarter}. Quartal-{year}",
                    ]
                ),
            )
        )
        rows.append([title, due, draw(st.none() | DATES), _measures(draw)])
    return rows


VALID_ROWS: dict[str, Callable[[], st.SearchStrategy[Rows]]] = {
    "organisations": valid_organisations,
    "progress": valid_progress,
    "targets": valid_targets,
    "projects": valid_projects,
    "milestones": valid_milestones,
}


@dataclass(frozen=True)
class Format:
    """How a table is written: CSV dialect and encoding, or XLSX."""

    kind: str
    delimiter: str = ","
    quote_all: bool = False
    ending: str = "\n"
    encoding: str = "utf-8"
    german_dates: bool = False


FORMATS = st.one_of(
    st.builds(
        Format,
        kind=st.just("csv"),
        delimiter=st.sampled_from(",;\t"),
        quote_all=st.booleans(),
        ending=st.sampled_from(["\n", "\r\n"]),
        encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
        german_dates=st.booleans(),
    ),
    st.just(Format("xlsx")),
)


def _csv_field(cell: Cell, fmt: Format) -> str:
    if cell is None:
        return ""
    if isinstance(cell, dt.date):
        return cell.strftime("%d.%m.%Y" if fmt.german_dates else "%Y-%m-%d")
    text = str(cell)
    # csv.writer leaves a lone \r unquoted when the line terminator is \n
    special = any(c in text for c in (fmt.delimiter, '"', "\r", "\n"))
    return _quote(text) if fmt.quote_all or special else text


def _literal(cell: Cell) -> Cell:
    return f" {cell}" if isinstance(cell, str) and cell.startswith("=") else cell


def write_table(rows: Rows, fmt: Format) -> tuple[bytes, str]:
    if fmt.kind == "xlsx":
        # a leading "=" makes a formula, read back as its (missing) cached value
        return workbook_bytes([[_literal(c) for c in row] for row in rows]), "in.xlsx"
    lines = [fmt.delimiter.join(_csv_field(c, fmt) for c in row) for row in rows]
    text = fmt.ending.join(lines) + fmt.ending
    return text.encode(fmt.encoding), "in.csv"


def _import(db: FuzzDb, importer: Importer, raw: bytes, name: str) -> ImportSummary:
    table = read_table_bytes(raw, name)
    with session_scope(make_engine(db.url)) as session:
        return importer.run(session, table)


@pytest.mark.parametrize("importer", IMPORTERS, ids=IMPORTER_IDS)
@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_files_import_and_a_second_import_adds_nothing(
    db: FuzzDb, importer: Importer, data: st.DataObject
) -> None:
    rows = data.draw(VALID_ROWS[importer.name](), label="rows")
    fmt = data.draw(FORMATS, label="format")
    raw, name = write_table(rows, fmt)
    try:
        first = _import(db, importer, raw, name)
        assert first.rows == len(rows) - 1
        if importer.name in ("organisations", "projects", "milestones"):
            assert first.new == len(rows) - 1
        after_first = fingerprint(db.url)
        again = _import(db, importer, raw, name)
        assert (again.rows, again.new, again.updated) == (first.rows, 0, 0)
        assert again.existing == again.rows
        assert fingerprint(db.url) == after_first
    finally:
        db.restore()


# ---------------------------------------------------------------------------------------------
# A rejected import leaves either database as it was
# ---------------------------------------------------------------------------------------------

BAD_FILES = {
    "organisations": "org,name,kind\nN-1,Neu,Stadt\nN-2,,Dorf\n",
    "progress": "org,measure_id,status,date\nA,STR-1-02,geplant,2024-01-01\nA,STR-1-02,x,2024\n",
    "targets": "org,dimension_id,target_level,target_date\nA,overall,3,2030-01-01\nB,x,9,\n",
    "projects": "projektname,start,ende\nNeu,2024-01-01,2024-12-31\nAlt,2024-01-01,2023-01-01\n",
    "milestones": "title,due\nNeu,Q1 2025\nAlt,Q5 2025\n",
}


def test_a_rejected_import_changes_nothing(database_url: str) -> None:
    _write_template(database_url)
    before = fingerprint(database_url)
    for importer in IMPORTERS:
        raw = BAD_FILES[importer.name].encode()
        with pytest.raises(DataImportError) as info:
            table = read_table_bytes(raw, "bad.csv")
            with session_scope(make_engine(database_url)) as session:
                importer.run(session, table)
        check_error(info.value, "bad.csv", line_count(raw))
        assert fingerprint(database_url) == before, importer.name


# ---------------------------------------------------------------------------------------------
# Bugs in the services, found by the properties above, each pinned so that it stays found.
# ---------------------------------------------------------------------------------------------


def _outcome(db: FuzzDb, importer: Importer, text: str) -> ImportSummary | DataImportError:
    try:
        return _import(db, importer, text.encode(), "in.csv")
    except DataImportError as exc:
        return exc
    finally:
        db.restore()


def test_overlong_business_unit_is_a_problem(db: FuzzDb) -> None:
    text = f"gb,r,projektname,start,ende\n{'x' * 51},{'y' * 101},P2,2023-01-01,2023-02-01\n"
    outcome = _outcome(db, BY_NAME["projects"], text)
    assert isinstance(outcome, DataImportError)
    assert [p.column for p in outcome.problems] == ["gb", "r"]


def test_duplicate_milestone_titles_are_a_problem(db: FuzzDb) -> None:
    outcome = _outcome(db, BY_NAME["milestones"], "title,due\nX,Q1 2024\nX,Q2 2024\n")
    assert isinstance(outcome, DataImportError)
    assert [(p.line, p.column) for p in outcome.problems] == [(3, "title")]


def test_reimport_with_measures_in_any_order_changes_nothing(db: FuzzDb) -> None:
    text = "title,due,measures\nX,Q1 2024,STR-2-01|STR-1-01\n"
    try:
        _import(db, BY_NAME["milestones"], text.encode(), "in.csv")
        again = _import(db, BY_NAME["milestones"], text.encode(), "in.csv")
    finally:
        db.restore()
    assert (again.new, again.updated, again.existing) == (0, 0, 1)


def test_unknown_measure_message_is_one_line(db: FuzzDb) -> None:
    outcome = _outcome(db, BY_NAME["milestones"], 'title,due,measures\nX,Q1 2024,"A\nB"\n')
    assert isinstance(outcome, DataImportError)
    check_error(outcome, "in.csv", 3)


def test_targets_twice_in_one_file_are_a_problem(db: FuzzDb) -> None:
    text = (
        "org,dimension_id,target_level,target_date\n"
        "A,overall,1,2024-01-01\nA,overall,3,2025-01-01\n"
    )
    outcome = _outcome(db, BY_NAME["targets"], text)
    assert isinstance(outcome, DataImportError)
    assert [(p.line, p.column) for p in outcome.problems] == [(3, "dimension_id")]


def test_ags_has_ascii_digits(db: FuzzDb) -> None:
    outcome = _outcome(db, BY_NAME["organisations"], "org,name,kind,ags\nN-1,X,Stadt,١٢٣٤٥٦٧٨\n")
    assert isinstance(outcome, DataImportError)
