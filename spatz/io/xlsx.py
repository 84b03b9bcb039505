"""The XLSX export: one workbook with levels, measure states, trend, projects, milestones.

Sheets ``Übersicht``, ``Maßnahmen``, ``Verlauf``, ``Projekte`` and ``Meilensteine``, each
with a German header row that stays in view (frozen) and a filter, set column widths, and
dates as real Excel dates (``DD.MM.YYYY``). Every text a user wrote is stored as a text
cell, never as a formula, whatever it starts with (``=``, ``+``, ``-``, ``@``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from spatz.io.values import is_missing
from spatz.model.common import MEASURE_STATUS_LABELS, TARGET_STATUS_LABELS

DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
SCORE_FORMAT = "0.00"
MAX_WIDTH = 60
"""Columns wider than this many characters wrap in Excel rather than grow."""


Kind = Literal["text", "int", "number", "date", "datetime", "bool"]


@dataclass(frozen=True)
class Column:
    key: Any
    header: str | dt.date
    kind: Kind = "text"
    labels: Mapping[Any, str] | None = None
    """Shown instead of the stored code (statuses)."""
    optional: bool = False
    """Left out of the sheet when no row has a value in it (or the frame lacks it)."""


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[Column, ...]


_ORG = (Column("org", "Schlüssel"), Column("organisation", "Organisation"))

OVERVIEW = Sheet(
    "Übersicht",
    (
        *_ORG,
        Column("dimension", "Dimension"),
        Column("as_of", "Stichtag", "date"),
        Column("level", "Stufe", "int"),
        Column("score", "Punktwert", "number"),
        Column("target_level", "Zielstufe", "int"),
        Column("target_date", "Zieldatum", "date"),
        Column("target_status", "Zielstatus", labels=TARGET_STATUS_LABELS),
        Column("measures_completed", "Maßnahmen umgesetzt", "int"),
        Column("measures_total", "Maßnahmen gesamt", "int"),
    ),
)
MEASURES = Sheet(
    "Maßnahmen",
    (
        *_ORG,
        Column("dimension", "Dimension"),
        Column("level", "Stufe", "int"),
        Column("measure_id", "Maßnahme"),
        Column("title", "Titel"),
        Column("mandatory", "Pflicht", "bool"),
        Column("status", "Status", labels=MEASURE_STATUS_LABELS),
        Column("date", "Datum", "date"),
        Column("done", "zählt als umgesetzt", "bool"),
        Column("covered_by", "umgesetzt über", optional=True),
        Column("partly_covered_by", "teilweise abgedeckt durch", optional=True),
        Column("expires", "gilt bis", "date"),
        Column("due_date", "fällig", "date"),
        Column("note", "Notiz / Begründung"),
        Column("evidence", "Nachweis"),
        Column("recorded_by", "erfasst von"),
        Column("recorded_at", "erfasst am", "datetime"),
        Column("depends_on", "Voraussetzungen"),
        Column("references", "Bezüge"),
        Column("open_prerequisites", "umgesetzt, aber Voraussetzung offen"),
    ),
)
"""One row per organisation and measure, and one per level of a dimension without measures
(its title :data:`~spatz.io.catalog_text.EMPTY_LEVEL`, no state)."""
TREND_TITLE = "Verlauf"
TREND_LEAD = (*_ORG, Column("dimension", "Dimension"))


def trend_sheet(dates: list[pd.Timestamp]) -> Sheet:
    """``Verlauf``: one row per organisation and dimension, one score column per date."""
    return Sheet(
        TREND_TITLE,
        (*TREND_LEAD, *(Column(d, d.date(), "number") for d in dates)),
    )


PROJECTS = Sheet(
    "Projekte",
    (
        *_ORG,
        Column("business_unit", "GB"),
        Column("responsible", "Verantwortlich"),
        Column("name", "Projektname"),
        Column("description", "Projektbeschreibung"),
        Column("start", "Start", "date"),
        Column("end", "Ende", "date"),
        Column("measures", "Maßnahmen"),
    ),
)
MILESTONES = Sheet(
    "Meilensteine",
    (
        *_ORG,
        Column("title", "Titel"),
        Column("due", "fällig", "date"),
        Column("due_label", "fällig (wie erfasst)"),
        Column("done_date", "erledigt am", "date"),
        Column("measures", "Maßnahmen"),
    ),
)
SHEET_TITLES = (OVERVIEW.title, MEASURES.title, TREND_TITLE, PROJECTS.title, MILESTONES.title)


@dataclass(frozen=True)
class WorkbookData:
    """The frames behind the sheets; each has (at least) the keys of its sheet's columns."""

    as_of: dt.date
    overview: pd.DataFrame
    measures: pd.DataFrame
    trend: pd.DataFrame
    """org, organisation, dimension, then the score at each date (columns are Timestamps)."""
    projects: pd.DataFrame
    milestones: pd.DataFrame

    def sheets(self) -> list[tuple[Sheet, pd.DataFrame]]:
        columns: list[object] = list(self.trend.columns)
        dates = [c for c in columns if isinstance(c, pd.Timestamp)]
        return [
            (OVERVIEW, self.overview),
            (MEASURES, self.measures),
            (trend_sheet(dates), self.trend),
            (PROJECTS, self.projects),
            (MILESTONES, self.milestones),
        ]


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def as_text(value: Any) -> str:
    """Text that Excel can store: characters it refuses (control characters) removed."""
    return str(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    assert isinstance(value, dt.date), value
    return value


def _as_datetime(value: Any) -> dt.datetime:
    moment = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    assert isinstance(moment, dt.datetime), value
    return moment.replace(tzinfo=None)


def _display(column: Column, value: Any) -> tuple[Any, int]:
    """The cell value and its width in characters."""
    if column.kind == "int":
        number = int(value)
        return number, len(str(number))
    if column.kind == "number":
        return float(value), 6
    if column.kind == "date":
        return _as_date(value), 10
    if column.kind == "datetime":
        return _as_datetime(value), 16
    if column.kind == "bool":
        text = "ja" if bool(value) else "nein"
    else:
        text = as_text(value)
        if column.labels is not None:
            text = column.labels.get(text, text)
    longest = max((len(line) for line in text.splitlines()), default=0)
    return text, longest


_FORMATS: dict[Kind, str | None] = {
    "text": None,
    "bool": None,
    "int": None,
    "number": SCORE_FORMAT,
    "date": DATE_FORMAT,
    "datetime": DATETIME_FORMAT,
}


def _shown_columns(sheet: Sheet, frame: pd.DataFrame) -> list[Column]:
    """The sheet's columns without the optional ones no row of ``frame`` has a value in."""
    return [
        c
        for c in sheet.columns
        if not c.optional or (c.key in frame.columns and frame[c.key].fillna("").astype(bool).any())
    ]


def write_sheet(workbook: Workbook, sheet: Sheet, frame: pd.DataFrame) -> None:
    ws = workbook.create_sheet(sheet.title)
    columns = _shown_columns(sheet, frame)
    widths = [len(str(c.header)) + 2 for c in columns]
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        if isinstance(column.header, str):
            cell.data_type = "s"
        else:
            cell.number_format = DATE_FORMAT
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    keys = [c.key for c in columns]
    for row_index, record in enumerate(frame[keys].itertuples(index=False), start=2):
        for index, (column, value) in enumerate(zip(columns, record, strict=True), start=1):
            if is_missing(value):
                continue
            shown, width = _display(column, value)
            if shown == "":
                continue
            cell = ws.cell(row=row_index, column=index, value=shown)
            if isinstance(shown, str):
                # A text starting with "=" would otherwise be stored as a formula.
                cell.data_type = "s"
            number_format = _FORMATS[column.kind]
            if number_format is not None:
                cell.number_format = number_format
            widths[index - 1] = max(widths[index - 1], width + 2)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(width, MAX_WIDTH)
    ws.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{max(frame.shape[0] + 1, 2)}"


def workbook_xlsx(data: WorkbookData, *, on_sheet: Callable[[str], None] | None = None) -> bytes:
    """The workbook as bytes; ``on_sheet`` is called with each sheet's title before it is
    written (for a progress display)."""
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    for sheet, frame in data.sheets():
        if on_sheet is not None:
            on_sheet(sheet.title)
        write_sheet(workbook, sheet, frame)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
