"""One reader for every import: CSV (sniffed delimiter and encoding) and XLSX.

Every problem becomes a :class:`~spatz.errors.Problem` that names file, line and column.
Lines are counted as in the file: the header is line 1 unless blank lines come before it.
Reading is bounded by :class:`~spatz.io.limits.FileLimits` (size, rows, columns, cell
length), checked before the work they bound: a CSV file is decoded and split as a stream
that stops at the first line beyond a limit; for XLSX see :mod:`spatz.io.workbook`.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from spatz.errors import MAX_REPORTED_PROBLEMS, DataImportError, Problem, os_reason
from spatz.io.limits import FileLimits, number, quote, shorten
from spatz.io.workbook import read_sheet

DELIMITERS = ",;\t"
XLSX_MAGIC = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
SNIFF_CHARS = 65_536
SNIFF_RECORDS = 20
DECODE_CHUNK = 1 << 20
LISTED_COLUMNS = 20
"""A message lists this many of a file's columns, then ``…``."""
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
        """A problem in this file; a column name from the file is shortened."""
        return Problem(self.file, line, shorten(column) if column else column, message)

    def present(self) -> str:
        """The file's columns as a message lists them: each shortened, at most
        :data:`LISTED_COLUMNS` of them."""
        names = [shorten(c) for c in self.columns[:LISTED_COLUMNS]]
        return ", ".join(names + ["…"] * (len(self.columns) > LISTED_COLUMNS))

    def require(self, required: Iterable[str]) -> None:
        missing = [c for c in required if c not in self.columns]
        if missing:
            raise DataImportError(
                [
                    self.problem(self.header_line, c, f"Spalte fehlt (vorhanden: {self.present()})")
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


def _refuse(
    name: str, line: int | None, message: str, column: str | None = None
) -> DataImportError:
    return DataImportError([Problem(name, line, shorten(column) if column else None, message)])


def _too_big(name: str, size: int, limits: FileLimits) -> DataImportError:
    mb = f"{size / 1024 / 1024:.1f}".replace(".", ",")
    return _refuse(
        name,
        None,
        f"die Datei ist {mb} MB groß, höchstens {limits.max_file_mb} MB "
        "(bitte aufteilen; Grenze: SPATZ_MAX_FILE_MB)",
    )


def _line_of(data: bytes, position: int) -> int:
    return len(_LINE_BREAK.findall(data, 0, position)) + 1


def _unreadable_bytes(data: bytes, name: str, position: int) -> DataImportError:
    return _refuse(
        name,
        _line_of(data, position),
        f"Byte 0x{data[position]:02x} ist weder UTF-8 noch Windows-1252; "
        "bitte die Datei als CSV (UTF-8) speichern",
    )


def _first_undecodable(data: bytes, encoding: str, offset: int) -> int | None:
    """Where ``data[offset:]`` stops being ``encoding`` (decoded in chunks, nothing kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    for start in range(offset, len(data), DECODE_CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(view[start : start + DECODE_CHUNK])
        except UnicodeDecodeError as exc:
            return start - pending + exc.start
    pending = len(decoder.getstate()[0])
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return len(data) - pending + exc.start
    return None


def _encoding(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; refuse bytes that are neither."""
    if data.startswith(UTF8_BOM):
        bad = _first_undecodable(data, "utf-8", len(UTF8_BOM))
        if bad is not None:
            raise _unreadable_bytes(data, name, bad)
        return "utf-8-sig"
    if _first_undecodable(data, "utf-8", 0) is None:
        return "utf-8"
    bad = _first_undecodable(data, "cp1252", 0)
    if bad is not None:
        raise _unreadable_bytes(data, name, bad)
    return "cp1252"


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


def _check_header(name: str, columns: list[str], line: int, limits: FileLimits) -> None:
    if len(columns) > limits.max_columns:
        raise _refuse(
            name, line, f"{len(columns)} Spalten in der Kopfzeile, höchstens {limits.max_columns}"
        )
    problems = ProblemCollector()
    seen: set[str] = set()
    for col in columns:
        if not col:
            problems.add(Problem(name, line, None, "leerer Spaltenname in der Kopfzeile"))
        elif col in seen:
            problems.add(Problem(name, line, shorten(col), "Spalte kommt doppelt vor"))
        seen.add(col)
    problems.raise_if_any()


def _is_blank(cells: list[str]) -> bool:
    # Blank cells joined are blank, and only they are: one strip instead of one per cell.
    return not "".join(cells).strip()


def _check_cells(
    name: str, line: int, cells: list[str], columns: list[str], limits: FileLimits
) -> None:
    if max(map(len, cells), default=0) <= limits.max_cell_chars:
        return  # the common case, without a loop in Python
    for index, cell in enumerate(cells):
        if len(cell) > limits.max_cell_chars:
            column = columns[index] if index < len(columns) else f"Nr. {index + 1}"
            raise _refuse(
                name,
                line,
                f"Zelle länger als {number(limits.max_cell_chars)} Zeichen "
                f"({number(len(cell))} Zeichen, beginnt mit {quote(cell)})",
                column or f"Nr. {index + 1}",
            )


class _Lines:
    """The lines of a text stream for :func:`csv.reader`, each at most as long as a record
    within the limits may be; ``record_start`` (set by the reader's user) is the line where
    the current record began, whose characters so far are counted as well."""

    def __init__(
        self, stream: io.TextIOBase, name: str, delimiter: str, limits: FileLimits
    ) -> None:
        self.stream = stream
        self.name = name
        self.delimiter = delimiter
        self.limits = limits
        self.columns: list[str] = []
        self.line = 0
        self.record_start = 1
        self.record: list[str] = []
        self.record_chars = 0

    def __iter__(self) -> Iterator[str]:
        limit = self.limits.max_record_chars
        while line := self.stream.readline(limit + 1):
            self.line += 1
            self.record.append(line)
            self.record_chars += len(line)
            if self.record_chars > limit:
                raise self.too_long()
            yield line

    def too_long(self) -> DataImportError:
        """The problem of a record longer than any within the limits: its first overlong
        cell if it has one (read from the record so far), else its length."""
        text = "".join(self.record)[: self.limits.max_record_chars]
        cells = next(csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter), [])
        hint = 'fehlt ein schließendes "?' if self.record_start < self.line else ""
        for index, cell in enumerate(cells):
            if len(cell) > self.limits.max_cell_chars:
                column = self.columns[index] if index < len(self.columns) else ""
                return _refuse(
                    self.name,
                    self.record_start,
                    f"Zelle länger als {number(self.limits.max_cell_chars)} Zeichen "
                    f"(beginnt mit {quote(cell)}{'; ' + hint if hint else ''})",
                    column or f"Nr. {index + 1}",
                )
        return _refuse(
            self.name,
            self.line,
            f"Zeile länger als {number(self.limits.max_record_chars)} Zeichen: mehr als "
            f"{self.limits.max_columns} Spalten mit je "
            f"{number(self.limits.max_cell_chars)} Zeichen{' (' + hint + ')' if hint else ''}",
        )

    def next_record(self, line_num: int) -> None:
        self.record_start = line_num + 1
        self.record = []
        self.record_chars = 0


def _csv_problem(name: str, line: int, exc: csv.Error) -> DataImportError:
    text = str(exc)
    if "unexpected end of data" in text:
        message = f'ein Anführungszeichen (") ab Zeile {line} wird nicht geschlossen'
    elif "expected after" in text:
        message = (
            'nach einem schließenden Anführungszeichen (") muss das Trennzeichen folgen; '
            'ein " im Wert wird verdoppelt ("")'
        )
    else:
        message = f"CSV nicht lesbar: {shorten(text)}"
    return _refuse(name, line, message)


def parse_csv_stream(stream: io.TextIOBase, name: str, limits: FileLimits) -> Table:
    """Read CSV text from ``stream``, stopping at the first line beyond ``limits``."""
    sample = stream.read(SNIFF_CHARS)
    stream.seek(0)
    delimiter = _sniff_delimiter(sample)
    if csv.field_size_limit() <= limits.max_record_chars:
        csv.field_size_limit(limits.max_record_chars + 1)
    lines = _Lines(stream, name, delimiter, limits)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    rows: list[Row] = []
    columns: list[str] = []
    header_line, header_count = 1, 0
    width = 1
    max_rows = limits.rows_for(width)
    try:
        for count, record in enumerate(reader):
            line = lines.record_start
            lines.next_record(reader.line_num)
            if count - header_count > max_rows:
                raise _refuse(name, line, limits.too_many_rows(width))
            if not columns:
                if _is_blank(record):
                    continue
                _check_cells(name, line, record, [], limits)
                columns = lines.columns = _normalise_header(record)
                header_line, header_count = line, count
                _check_header(name, columns, line, limits)
                width = len(columns)
                max_rows = limits.rows_for(width)
                continue
            if _is_blank(record):
                continue
            if len(record) > len(columns) and not _is_blank(record[len(columns) :]):
                raise _refuse(
                    name,
                    line,
                    f"{len(record)} Werte, aber nur {len(columns)} Spalten in der Kopfzeile",
                )
            _check_cells(name, line, record, columns, limits)
            rows.append(Row(line, dict(zip(columns, record, strict=False))))
    except csv.Error as exc:
        raise _csv_problem(name, lines.record_start, exc) from None
    if not columns:
        raise _refuse(name, None, "die Datei ist leer")
    return Table(name, columns, rows, header_line)


def parse_xlsx_bytes(
    data: bytes, name: str, sheet: str | None = None, limits: FileLimits | None = None
) -> Table:
    limits = limits or FileLimits.from_environment()
    records = read_sheet(data, name, sheet, limits)
    if not records:
        raise _refuse(name, None, "das Tabellenblatt ist leer")
    (header_line, header), *body = records
    while header and not header[-1].strip():
        header.pop()
    columns = _normalise_header(header)
    _check_header(name, columns, header_line, limits)
    rows = [
        Row(index, dict(zip(columns, [*cells, *[""] * (len(columns) - len(cells))], strict=False)))
        for index, cells in body
    ]
    return Table(name, columns, rows, header_line)


def read_file_bytes(path: str | Path, name: str, limits: FileLimits) -> bytes:
    """The bytes of a file, refused unread when it is larger than ``limits`` allow."""
    try:
        with Path(path).open("rb") as file:
            data = file.read(limits.max_file_bytes + 1)
            if len(data) > limits.max_file_bytes:
                size = max(Path(path).stat().st_size, len(data))
                raise _too_big(name, size, limits)
    except OSError as exc:
        raise _refuse(name, None, f"Datei nicht lesbar: {os_reason(exc)}") from None
    return data


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    name: str | None = None,
    limits: FileLimits | None = None,
) -> Table:
    """Read a CSV or XLSX file into a :class:`Table`; raise :class:`DataImportError`."""
    limits = limits or FileLimits.from_environment()
    display = name or str(path)
    return read_table_bytes(
        read_file_bytes(path, display, limits), display, sheet=sheet, limits=limits
    )


def read_table_bytes(
    data: bytes, name: str, *, sheet: str | None = None, limits: FileLimits | None = None
) -> Table:
    """Like :func:`read_table` for uploaded bytes (the dashboard's file uploader)."""
    limits = limits or FileLimits.from_environment()
    if len(data) > limits.max_file_bytes:
        raise _too_big(name, len(data), limits)
    if data.startswith(XLSX_MAGIC) or name.lower().endswith((".xlsx", ".xlsm")):
        return parse_xlsx_bytes(data, name, sheet, limits)
    if sheet is not None:
        raise _refuse(
            name,
            None,
            f"ein Tabellenblatt ({quote(sheet)}) gibt es nur in XLSX-Dateien, "
            "dies ist eine CSV-Datei (ohne --sheet einlesen)",
        )
    if data.startswith(UTF16_BOMS):
        raise _refuse(
            name,
            None,
            "die Datei ist UTF-16-kodiert (in Excel „Unicode-Text“); "
            "bitte als CSV (UTF-8) speichern",
        )
    if b"\x00" in data:
        raise _refuse(name, None, "Binärdatei: erwartet CSV (Text) oder XLSX")
    encoding = _encoding(data, name)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    return parse_csv_stream(stream, name, limits)
