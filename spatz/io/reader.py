"""One reader for every import: CSV (sniffed delimiter and encoding) and XLSX.

Every problem becomes a :class:`~spatz.errors.Problem` that names file, line and column;
line 1 is the header.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from spatz.errors import MAX_REPORTED_PROBLEMS, DataImportError, Problem

DELIMITERS = ",;\t"
XLSX_MAGIC = b"PK\x03\x04"


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

    def problem(self, line: int | None, column: str | None, message: str) -> Problem:
        return Problem(self.file, line, column, message)

    def require(self, required: Iterable[str]) -> None:
        missing = [c for c in required if c not in self.columns]
        if missing:
            raise DataImportError(
                [
                    self.problem(1, c, f"Spalte fehlt (vorhanden: {', '.join(self.columns)})")
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


def _decode(data: bytes, name: str) -> str:
    encodings = ["utf-8-sig"] if data.startswith(b"\xef\xbb\xbf") else ["utf-8", "cp1252"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            last = exc
    line = data[: last.start].count(b"\n") + 1
    raise DataImportError(
        [
            Problem(
                name,
                line,
                None,
                f"Byte 0x{data[last.start]:02x} ist weder UTF-8 noch Windows-1252; "
                "bitte die Datei als CSV (UTF-8) speichern",
            )
        ]
    )


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = text.splitlines()[0] if text else ""
        return max(DELIMITERS, key=header.count)


def _normalise_header(names: list[str]) -> list[str]:
    return [n.strip().lstrip("\ufeff").strip().lower() for n in names]


def _check_header(name: str, columns: list[str]) -> None:
    problems = []
    seen: set[str] = set()
    for col in columns:
        if not col:
            problems.append(Problem(name, 1, None, "leerer Spaltenname in der Kopfzeile"))
        elif col in seen:
            problems.append(Problem(name, 1, col, "Spalte kommt doppelt vor"))
        seen.add(col)
    if problems:
        raise DataImportError(problems)


def parse_csv_text(text: str, name: str) -> Table:
    if not text.strip():
        raise DataImportError([Problem(name, None, None, "die Datei ist leer")])
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[Row] = []
    columns: list[str] = []
    start = 1
    try:
        for record in reader:
            line = start
            start = reader.line_num + 1
            if not columns:
                columns = _normalise_header(record)
                _check_header(name, columns)
                continue
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(columns) and any(c.strip() for c in record[len(columns) :]):
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
    return Table(name, columns, rows)


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


def parse_xlsx_bytes(data: bytes, name: str, sheet: str | None = None) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DataImportError(
            [Problem(name, None, None, f"keine lesbare XLSX-Datei ({exc})")]
        ) from None
    try:
        if sheet is None:
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
        columns: list[str] = []
        rows: list[Row] = []
        for index, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if not columns:
                if not any(c.strip() for c in cells):
                    continue
                while cells and not cells[-1].strip():
                    cells.pop()
                columns = _normalise_header(cells)
                _check_header(name, columns)
                continue
            if any(c.strip() for c in cells):
                rows.append(Row(index, dict(zip(columns, cells, strict=False))))
    finally:
        workbook.close()
    if not columns:
        raise DataImportError([Problem(name, None, None, "das Tabellenblatt ist leer")])
    return Table(name, columns, rows)


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
