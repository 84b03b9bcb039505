"""One reader for every import: CSV (sniffed delimiter and encoding) and XLSX.

Every problem becomes a :class:`~spatz.errors.Problem` that names file, line and column.
Lines are counted as in the file: the header is line 1 unless blank lines come before it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from spatz.errors import MAX_REPORTED_PROBLEMS, DataImportError, Problem

DELIMITERS = ",;\t"
XLSX_MAGIC = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"
MAX_XLSX_ROWS = 1_048_576
"""Excel's limit; a sheet claiming more rows is damaged (and would take long to read)."""

SNIFF_CHARS = 65_536
SNIFF_RECORDS = 20
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "").strip()


@dataclass
class Table:
    """A file's rows by column name. Header names are matched case-insensitively."""

    file: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    header_line: int = 1

    def problem(self, line: int | None, column: str | None, message: str) -> Problem:
        return Problem(self.file, line, column, message)

    def require(self, required: Iterable[str]) -> None:
        missing = [c for c in required if c not in self.columns]
        if missing:
            raise DataImportError(
                [
                    self.problem(
                        self.header_line, c, f"Spalte fehlt (vorhanden: {', '.join(self.columns)})"
                    )
                    for c in missing
                ]
            )


class ProblemCollector:
    """Collects the problems of one file; raises them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise DataImportError(
                self.problems[:MAX_REPORTED_PROBLEMS],
                truncated=len(self.problems) > MAX_REPORTED_PROBLEMS,
            )


def _unreadable_bytes(data: bytes, name: str, position: int) -> DataImportError:
    line = len(_LINE_BREAK.findall(data[:position])) + 1
    return DataImportError(
        [
            Problem(
                name,
                line,
                None,
                f"Byte 0x{data[position]:02x} ist weder UTF-8 noch Windows-1252; "
                "bitte die Datei als CSV (UTF-8) speichern",
            )
        ]
    )


def _decode(data: bytes, name: str) -> str:
    if data.startswith(UTF8_BOM):
        offset = len(UTF8_BOM)
        try:
            return data[offset:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _unreadable_bytes(data, name, offset + exc.start) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _unreadable_bytes(data, name, exc.start) from None


def _sniff_delimiter(text: str) -> str:
    """The delimiter among :data:`DELIMITERS` under which the file has the steadiest shape.

    Each candidate reads the first records: the best one splits the header into several
    columns and gives the most following records the header's width; ties go to the earlier
    candidate. (``csv.Sniffer`` needs time quadratic in the length of a line: a long line
    stalled the import for minutes.)
    """
    sample = text[:SNIFF_CHARS]

    def shape(delimiter: str) -> tuple[bool, int, int]:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            records = [r for r in itertools.islice(reader, SNIFF_RECORDS) if not _is_blank(r)]
        except csv.Error:
            return (False, 0, 0)
        if not records:
            return (False, 0, 0)
        width = len(records[0])
        return (width > 1, sum(len(r) == width for r in records[1:]), width)

    return max(DELIMITERS, key=shape)


def _normalise_header(names: list[str]) -> list[str]:
    """Lower case, blanks (line breaks too) collapsed: a column name is one line."""
    return [" ".join(n.replace("\ufeff", " ").split()).lower() for n in names]


def _check_header(name: str, columns: list[str], line: int) -> None:
    problems = ProblemCollector()
    seen: set[str] = set()
    for col in columns:
        if not col:
            problems.add(Problem(name, line, None, "leerer Spaltenname in der Kopfzeile"))
        elif col in seen:
            problems.add(Problem(name, line, col, "Spalte kommt doppelt vor"))
        seen.add(col)
    problems.raise_if_any()


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def parse_csv_text(text: str, name: str) -> Table:
    if not text.strip():
        raise DataImportError([Problem(name, None, None, "die Datei ist leer")])
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[Row] = []
    columns: list[str] = []
    header_line = 1
    start = 1
    try:
        for record in reader:
            line = start
            start = reader.line_num + 1
            if _is_blank(record):
                continue
            if not columns:
                columns = _normalise_header(record)
                header_line = line
                _check_header(name, columns, line)
                continue
            if len(record) > len(columns) and not _is_blank(record[len(columns) :]):
                raise DataImportError(
                    [
                        Problem(
                            name,
                            line,
                            None,
                            f"{len(record)} Werte, aber nur {len(columns)} Spalten in der "
                            "Kopfzeile",
                        )
                    ]
                )
            rows.append(Row(line, dict(zip(columns, record, strict=False))))
    except csv.Error as exc:
        raise DataImportError([Problem(name, start, None, f"CSV nicht lesbar: {exc}")]) from None
    if not columns:
        raise DataImportError([Problem(name, None, None, "die Datei ist leer")])
    return Table(name, columns, rows, header_line)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unreadable_xlsx(name: str, exc: Exception) -> DataImportError:
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    return DataImportError([Problem(name, None, None, f"keine lesbare XLSX-Datei ({detail})")])


def _xlsx_records(data: bytes, name: str, sheet: str | None) -> list[tuple[int, list[str]]]:
    """The non-blank rows of a sheet as text, with their row numbers.

    A damaged file makes openpyxl raise almost any exception, while opening the file and
    while reading its rows; every one of them becomes a :class:`DataImportError`.
    """
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise _unreadable_xlsx(name, exc) from None
    try:
        if sheet is None:
            if not workbook.worksheets:
                raise DataImportError([Problem(name, None, None, "kein Tabellenblatt")])
            ws = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            ws = workbook[sheet]
        else:
            raise DataImportError(
                [
                    Problem(
                        name,
                        None,
                        None,
                        f"Tabellenblatt {sheet!r} fehlt "
                        f"(vorhanden: {', '.join(workbook.sheetnames)})",
                    )
                ]
            )
        if not hasattr(ws, "iter_rows"):
            raise DataImportError(
                [Problem(name, None, None, f"Tabellenblatt {ws.title!r} enthält keine Zellen")]
            )
        # The size stored in the file may be wrong; rows and columns outside it would be lost.
        ws.reset_dimensions()
        records: list[tuple[int, list[str]]] = []
        for index, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if index > MAX_XLSX_ROWS:
                raise DataImportError(
                    [Problem(name, None, None, f"mehr als {MAX_XLSX_ROWS} Zeilen")]
                )
            cells = [_cell_text(v) for v in values]
            if not _is_blank(cells):
                records.append((index, cells))
        return records
    except DataImportError:
        raise
    except Exception as exc:
        raise _unreadable_xlsx(name, exc) from None
    finally:
        workbook.close()


def parse_xlsx_bytes(data: bytes, name: str, sheet: str | None = None) -> Table:
    records = _xlsx_records(data, name, sheet)
    if not records:
        raise DataImportError([Problem(name, None, None, "das Tabellenblatt ist leer")])
    (header_line, header), *body = records
    while header and not header[-1].strip():
        header.pop()
    columns = _normalise_header(header)
    _check_header(name, columns, header_line)
    rows = [Row(index, dict(zip(columns, cells, strict=False))) for index, cells in body]
    return Table(name, columns, rows, header_line)


def read_table(path: str | Path, *, sheet: str | None = None, name: str | None = None) -> Table:
    """Read a CSV or XLSX file into a :class:`Table`; raise :class:`DataImportError`."""
    p = Path(path)
    display = name or str(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataImportError(
            [Problem(display, None, None, f"Datei nicht lesbar: {exc.strerror}")]
        ) from None
    return read_table_bytes(data, display, sheet=sheet)


def read_table_bytes(data: bytes, name: str, *, sheet: str | None = None) -> Table:
    """Like :func:`read_table` for uploaded bytes (the dashboard's file uploader)."""
    if data.startswith(XLSX_MAGIC) or name.lower().endswith((".xlsx", ".xlsm")):
        return parse_xlsx_bytes(data, name, sheet)
    if b"\x00" in data:
        raise DataImportError(
            [Problem(name, None, None, "Binärdatei: erwartet CSV (Text) oder XLSX")]
        )
    return parse_csv_text(_decode(data, name), name)
