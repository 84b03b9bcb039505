"""Reading one sheet of an XLSX workbook, bounded before it is expensive.

Before anything is unpacked, the archive's table of contents is checked: the number of
members, each member's unpacked size and compression ratio, the unpacked size of all of them
and of the shared strings (which are held in memory as a whole). openpyxl then reads the
workbook's small parts (sheet names, shared strings, which styles are dates); the sheet
itself is parsed here as a stream of XML events, so that memory stays bounded whatever the
sheet contains: the stored size (``<dimension ref=…>``) is checked when it comes, and
reading stops at the first row below the row limit, cell beyond the column limit or cell
longer than the cell limit. Cells mean what openpyxl makes of them (``data_only``: a
formula's stored result).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

from spatz.errors import DataImportError, Problem
from spatz.io.limits import (
    MAX_ARCHIVE_MEMBERS,
    MAX_COMPRESSION_RATIO,
    MAX_DIRECTORY_BYTES,
    MEBIBYTE,
    METADATA_BYTES,
    RATIO_EXEMPT_BYTES,
    FileLimits,
    number,
    quote,
    shorten,
)

Records = list[tuple[int, list[str]]]
"""The non-blank rows of a sheet as text, with their row numbers."""

_END_OF_DIRECTORY = b"PK\x05\x06"
_END_RECORD = struct.Struct("<4s4H2LH")
_MAX_COMMENT = 65_535
_CHUNK = 1 << 16
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW, _CELL, _VALUE = f"{_MAIN} row", f"{_MAIN} c", f"{_MAIN} v"
_INLINE, _TEXT, _PHONETIC = f"{_MAIN} is", f"{_MAIN} t", f"{_MAIN} rPh"
_DIMENSION = f"{_MAIN} dimension"
_COORDINATE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")


class _Unreadable(Exception):
    """The workbook is damaged; the message says how (becomes "keine lesbare XLSX-Datei")."""


def column_letters(index: int) -> str:
    """``1`` → ``A``, ``16384`` → ``XFD``."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index


def _coordinate(text: str) -> tuple[int, int]:
    """``B3`` → (row 3, column 2)."""
    match = _COORDINATE.fullmatch(text)
    if not match:
        raise _Unreadable(f"ungültige Zellangabe {quote(text)}")
    return int(match[2]), _column_index(match[1])


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",") + " MB"


def check_archive(data: bytes, name: str, limits: FileLimits) -> None:
    """Refuse an archive whose table of contents promises more than the limits allow."""

    def refuse(message: str) -> DataImportError:
        return DataImportError([Problem(name, None, None, message)])

    end = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - _END_RECORD.size - _MAX_COMMENT))
    if end < 0 or len(data) - end < _END_RECORD.size:
        raise refuse("keine lesbare XLSX-Datei (kein ZIP-Archiv)")
    *_, members, directory_size, _offset, _comment = _END_RECORD.unpack_from(data, end)
    if members > MAX_ARCHIVE_MEMBERS or directory_size > MAX_DIRECTORY_BYTES:
        raise refuse(
            f"keine XLSX-Datei: das ZIP-Archiv hat mehr als {number(MAX_ARCHIVE_MEMBERS)} Teile"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except Exception as exc:
        raise refuse(f"keine lesbare XLSX-Datei ({shorten(str(exc))})") from None
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        raise refuse(
            f"keine XLSX-Datei: das ZIP-Archiv hat mehr als {number(MAX_ARCHIVE_MEMBERS)} Teile"
        )
    if "[Content_Types].xml" not in {info.filename for info in infos}:
        raise refuse(
            "ein ZIP-Archiv, aber keine XLSX-Datei (bitte als Excel-Arbeitsmappe speichern)"
        )
    total = 0
    for info in infos:
        total += info.file_size
        lower = info.filename.lower()
        whole = lower.endswith((".xml", ".rels")) and not lower.startswith("xl/worksheets/")
        if lower.endswith("sharedstrings.xml"):
            _check_strings(info, name, limits)
        elif whole and info.file_size > METADATA_BYTES:
            raise refuse(
                f"der Teil {quote(info.filename)} ist entpackt {_mb(info.file_size)} groß, "
                f"höchstens {METADATA_BYTES // MEBIBYTE} MB: keine gewöhnliche XLSX-Datei"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_EXEMPT_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise refuse(
                f"der Teil {quote(info.filename)} entpackt sich auf das "
                f"{number(round(ratio))}-Fache ({_mb(info.file_size)}; höchstens das "
                f"{MAX_COMPRESSION_RATIO}-Fache): keine gewöhnliche XLSX-Datei"
            )
    if total > limits.max_unpacked_bytes:
        raise refuse(
            f"die Arbeitsmappe ist entpackt {_mb(total)} groß, höchstens "
            f"{limits.max_unpacked_bytes // 1024 // 1024} MB"
        )


def _check_strings(info: zipfile.ZipInfo, name: str, limits: FileLimits) -> None:
    """The shared strings are held in memory as a whole: at most the size of a file."""
    if info.file_size > limits.max_file_bytes:
        raise DataImportError(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"die Texte der Arbeitsmappe ({shorten(info.filename)}) sind entpackt "
                    f"{_mb(info.file_size)} groß, höchstens {limits.max_file_mb} MB",
                )
            ]
        )


@dataclass
class _Styles:
    strings: list[str]
    date_styles: set[int]
    timedelta_styles: set[int]
    epoch: dt.datetime


@dataclass
class _Sheet:
    name: str
    path: str
    is_chart: bool


def _open_workbook(
    data: bytes, name: str, limits: FileLimits
) -> tuple[zipfile.ZipFile, _Styles, list[_Sheet]]:
    """The workbook's small parts, read by openpyxl (no sheet is read here)."""
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read_manifest()
    strings = reader.package.find(SHARED_STRINGS)
    if strings is not None and strings.PartName[1:] in reader.valid_files:
        _check_strings(reader.archive.getinfo(strings.PartName[1:]), name, limits)
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    workbook = reader.wb
    styles = _Styles(
        [str(s) for s in reader.shared_strings],
        set(workbook._date_formats),
        set(workbook._timedelta_formats),
        workbook.epoch,
    )
    sheets = [
        _Sheet(str(sheet.name), str(rel.target), "chartsheet" in str(rel.Type))
        for sheet, rel in reader.parser.find_sheets()
        if rel.target in reader.valid_files
    ]
    return reader.archive, styles, sheets


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


@dataclass
class _SheetReader:
    """The handlers of the XML parser: one row at a time, nothing kept but the records."""

    name: str
    limits: FileLimits
    styles: _Styles
    records: Records = field(default_factory=list)
    header_row: int | None = None
    header_width: int = 1
    row: int = 0
    last_row: int = 0
    column: int = 0
    cells: dict[int, str] = field(default_factory=dict)
    kind: str = "n"
    style: int = 0
    in_row: bool = False
    in_cell: bool = False
    in_inline: bool = False
    in_phonetic: bool = False
    has_inline: bool = False
    capturing: bool = False
    text: list[str] = field(default_factory=list)
    text_chars: int = 0

    def refuse(self, line: int | None, message: str) -> DataImportError:
        return DataImportError([Problem(self.name, line, None, message)])

    def too_long(self) -> DataImportError:
        return self.refuse(
            self.row,
            f"Zelle {column_letters(self.column)}{self.row} ist länger als "
            f"{number(self.limits.max_cell_chars)} Zeichen",
        )

    def check_dimension(self, ref: str) -> None:
        last = ref.split(":")[-1]
        try:
            rows, columns = _coordinate(last)
        except _Unreadable:
            return  # the stored size is a hint (often wrong); only a readable one counts
        if rows > self.limits.max_rows + 1:
            raise self.refuse(
                None,
                f"das Tabellenblatt hat laut Datei {number(rows)} Zeilen ({shorten(ref)}); "
                f"höchstens {number(self.limits.max_rows)} Zeilen unter der Kopfzeile",
            )
        if columns > self.limits.max_columns:
            raise self.refuse(
                None,
                f"das Tabellenblatt reicht laut Datei bis Spalte {column_letters(columns)} "
                f"({shorten(ref)}); höchstens {self.limits.max_columns} Spalten",
            )

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == _ROW:
            self.start_row(attrs.get("r"))
        elif tag == _CELL and self.in_row:
            ref = attrs.get("r")
            self.column = _coordinate(ref)[1] if ref else self.column + 1
            self.kind = attrs.get("t", "n")
            style = attrs.get("s")
            self.style = int(style) if style else 0
            self.in_cell, self.has_inline = True, False
            self.text, self.text_chars = [], 0
        elif not self.in_cell:
            if tag == _DIMENSION and "ref" in attrs:
                self.check_dimension(attrs["ref"])
        elif tag == _VALUE and not self.in_inline:
            self.capturing = True
        elif tag == _INLINE:
            self.in_inline = self.has_inline = True
        elif tag == _PHONETIC:
            self.in_phonetic = True
        elif tag == _TEXT and self.in_inline and not self.in_phonetic:
            self.capturing = True

    def start_row(self, ref: str | None) -> None:
        try:
            row = int(ref) if ref else self.row + 1
        except ValueError:
            raise _Unreadable(f"ungültige Zeilennummer {quote(ref or '')}") from None
        first = self.header_row if self.header_row is not None else 1
        if row - first > self.limits.rows_for(self.header_width):
            raise self.refuse(row, self.limits.too_many_rows(self.header_width))
        self.row, self.column, self.cells, self.in_row = row, 0, {}, True

    def characters(self, data: str) -> None:
        if self.capturing:
            self.text_chars += len(data)
            if self.text_chars > self.limits.max_cell_chars:
                raise self.too_long()
            self.text.append(data)

    def end(self, tag: str) -> None:
        if tag in (_VALUE, _TEXT):
            self.capturing = False
        elif tag == _PHONETIC:
            self.in_phonetic = False
        elif tag == _INLINE:
            self.in_inline = False
        elif tag == _CELL and self.in_cell:
            self.in_cell = False
            self.end_cell()
        elif tag == _ROW and self.in_row:
            self.in_row = False
            self.end_row()

    def end_cell(self) -> None:
        text = _cell_text(self.value())
        if not text:
            return
        if len(text) > self.limits.max_cell_chars:
            raise self.too_long()
        if self.column > self.limits.max_columns and text.strip():
            raise self.refuse(
                self.row,
                f"Wert in Spalte {column_letters(self.column)} (Zelle "
                f"{column_letters(self.column)}{self.row}); höchstens "
                f"{self.limits.max_columns} Spalten",
            )
        self.cells[self.column] = text

    def value(self) -> object:
        from openpyxl.utils.datetime import from_excel, from_ISO8601
        from openpyxl.worksheet._reader import _cast_number

        text = "".join(self.text)
        if self.kind == "inlineStr":
            return text if self.has_inline else None
        if not text:
            return None
        if self.kind == "n":
            value = _cast_number(text)
            if self.style in self.styles.date_styles:
                try:
                    return from_excel(
                        value,
                        self.styles.epoch,
                        timedelta=self.style in self.styles.timedelta_styles,
                    )
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return value
        if self.kind == "s":
            index = int(text)
            if not 0 <= index < len(self.styles.strings):
                raise _Unreadable(f"Text Nr. {index} fehlt in der Arbeitsmappe")
            return self.styles.strings[index]
        if self.kind == "b":
            return bool(int(text))
        if self.kind == "d":
            return from_ISO8601(text)
        return text

    def end_row(self) -> None:
        # a row that comes again or out of order is skipped (as openpyxl does)
        if self.row <= self.last_row or not any(c.strip() for c in self.cells.values()):
            self.last_row = max(self.last_row, self.row)
            return
        self.last_row = self.row
        width = max(self.cells)
        self.records.append((self.row, [self.cells.get(i, "") for i in range(1, width + 1)]))
        if self.header_row is None:
            self.header_row, self.header_width = self.row, width


def _refuse_declarations(*_args: Any) -> None:
    raise _Unreadable("die Datei enthält eine DTD")


def _parse_sheet(source: IO[bytes], reader: _SheetReader) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.characters
    parser.StartDoctypeDeclHandler = _refuse_declarations
    parser.EntityDeclHandler = _refuse_declarations
    while chunk := source.read(_CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _unreadable(name: str, exc: BaseException) -> DataImportError:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return DataImportError(
        [Problem(name, None, None, f"keine lesbare XLSX-Datei ({shorten(detail, 200)})")]
    )


def _choose(name: str, sheets: list[_Sheet], wanted: str | None) -> _Sheet:
    def refuse(message: str) -> DataImportError:
        return DataImportError([Problem(name, None, None, message)])

    if wanted is None:
        cells = [s for s in sheets if not s.is_chart]
        if not cells:
            raise refuse("kein Tabellenblatt")
        return cells[0]
    for sheet in sheets:
        if sheet.name == wanted:
            if sheet.is_chart:
                raise refuse(f"Tabellenblatt {quote(wanted)} enthält keine Zellen")
            return sheet
    names = shorten(", ".join(s.name for s in sheets))
    raise refuse(f"Tabellenblatt {quote(wanted)} fehlt (vorhanden: {names})")


def read_sheet(data: bytes, name: str, sheet: str | None, limits: FileLimits) -> Records:
    """The non-blank rows of a sheet (the first one unless named) as text, within ``limits``.

    A damaged file makes openpyxl and the XML parser raise almost any exception; every one
    of them becomes a :class:`DataImportError`.
    """

    def attempt() -> Records:
        check_archive(data, name, limits)
        archive, styles, sheets = _open_workbook(data, name, limits)
        with archive:
            chosen = _choose(name, sheets, sheet)
            reader = _SheetReader(name, limits, styles)
            with archive.open(chosen.path) as source:
                _parse_sheet(source, reader)
            return reader.records

    try:
        return attempt()
    except DataImportError:
        raise
    except Exception as exc:
        raise _unreadable(name, exc) from None
