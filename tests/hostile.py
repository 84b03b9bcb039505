"""Hostile files for the readers, written as streams so that building them stays cheap.

Used by ``tests/test_hostile_files.py`` (small, with small limits) and by
``benchmarks/bench_hostile_files.py`` (at full size).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from openpyxl import Workbook

HEADER = "org,measure_id,status,date\n"
ROW = "A,STR-1-01,umgesetzt,2023-06-15\n"
_CHUNK = 1 << 20
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def csv_of_size(path: Path, size: int) -> Path:
    """A valid progress CSV of about ``size`` bytes."""
    block = ROW * (_CHUNK // len(ROW))
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(HEADER)
        written = len(HEADER)
        while written < size:
            file.write(block)
            written += len(block)
    return path


def csv_with_rows(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(HEADER)
        for _ in range(rows // 10_000):
            file.write(ROW * 10_000)
        file.write(ROW * (rows % 10_000))
    return path


def csv_with_columns(path: Path, columns: int) -> Path:
    names = ["org", "measure_id", "status", "date"]
    names += [f"x{i}" for i in range(columns - len(names))]
    path.write_text(",".join(names) + "\n" + ROW, encoding="utf-8")
    return path


def csv_with_long_cell(path: Path, chars: int) -> Path:
    path.write_text(HEADER + f'A,STR-1-01,umgesetzt,"{"x" * chars}"\n', encoding="utf-8")
    return path


def csv_with_open_quote(path: Path, lines: int) -> Path:
    """A quote opened on line 2 and never closed, then ``lines`` lines of rows."""
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(HEADER + 'A,STR-1-01,"umgesetzt,2023-06-15\n')
        file.write(ROW * lines)
    return path


def _sheet_xml(rows: str, dimension: str | None) -> str:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">{declared}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)


def _workbook_with(path: Path, replace: dict[str, str | None]) -> zipfile.ZipFile:
    """An openpyxl workbook (header org, one row) with members replaced (or dropped, for
    ``None``); returned open for writing more members."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["org", "name", "kind"])
    sheet.append(["N-1", "Neu", "Stadt"])
    template = path.with_suffix(".template.xlsx")
    workbook.save(template)
    out = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9)
    with zipfile.ZipFile(template) as source:
        for info in source.infolist():
            content = replace.get(info.filename, source.read(info.filename))
            if info.filename == "[Content_Types].xml" and "xl/sharedStrings.xml" in replace:
                content = source.read(info.filename).decode().replace("</Types>", _STRINGS_TYPE)
            if content is not None:
                out.writestr(info.filename, content)
    template.unlink()
    return out


def xlsx_with_sheet(path: Path, rows: str, dimension: str | None = None) -> Path:
    _workbook_with(path, {"xl/worksheets/sheet1.xml": _sheet_xml(rows, dimension)}).close()
    return path


def xlsx_with_far_cells(path: Path, rows: int, *, declared: bool = True) -> Path:
    """A header, then ``rows`` rows with one cell in column XFD each."""
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>org</t></is></c></row>'
    body += "".join(f'<row r="{i}"><c r="XFD{i}"><v>1</v></c></row>' for i in range(2, rows + 2))
    return xlsx_with_sheet(path, body, f"A1:XFD{rows + 1}" if declared else "A1:A1")


def xlsx_with_rows(path: Path, rows: int, dimension: str | None = None) -> Path:
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>org</t></is></c></row>'
    body += "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(2, rows + 2))
    return xlsx_with_sheet(path, body, dimension)


def xlsx_with_long_cell(path: Path, chars: int) -> Path:
    body = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>org</t></is></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{"x" * chars}</t></is></c></row>'
    )
    return xlsx_with_sheet(path, body)


def xlsx_with_shared_string(path: Path, chars: int) -> Path:
    """A workbook whose header is one shared string of ``chars`` times ``A`` (streamed)."""
    out = _workbook_with(
        path,
        {
            "xl/worksheets/sheet1.xml": _sheet_xml(
                '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', "A1"
            ),
            "xl/sharedStrings.xml": None,
        },
    )
    with out.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
        member.write(f'<sst xmlns="{_MAIN}" count="1" uniqueCount="1"><si><t>'.encode())
        block = b"A" * _CHUNK
        for _ in range(chars // _CHUNK):
            member.write(block)
        member.write(b"A" * (chars % _CHUNK))
        member.write(b"</t></si></sst>")
    out.close()
    return path


def xlsx_with_member(path: Path, size: int) -> Path:
    """A valid workbook with one more member of ``size`` zero bytes (a zip bomb)."""
    out = _workbook_with(path, {})
    with out.open("xl/media/image1.bin", "w", force_zip64=True) as member:
        block = bytes(_CHUNK)
        for _ in range(size // _CHUNK):
            member.write(block)
        member.write(bytes(size % _CHUNK))
    out.close()
    return path


def zip_without_workbook(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as out:
        out.writestr("progress.csv", HEADER + ROW)
    return path
