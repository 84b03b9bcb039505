"""The Land export: the stable comparison format in which a Land collects its Kommunen.

Format version 1. Header (exactly)::

    org,ags,organisation,kind,land,catalog_id,catalog_version,dimension_id,dimension,as_of,
    level,score,target_level,target_date,measures_completed,measures_total

One row per organisation and dimension in catalog order, then ``overall``; organisations
sorted by ``org``; ``score`` with two decimals; dates ISO; empty cells where there is no
target. Dialect ``rfc4180`` (default): ``,``, UTF-8 without BOM, ``\\n``. Dialect
``excel-de``: ``;``, decimal comma, UTF-8 with BOM, ``\\r\\n``, and text cells starting with
``= + - @`` are prefixed with ``'`` so that spreadsheets never run them as formulas.
"""

from __future__ import annotations

import csv
import io
import math
from enum import StrEnum
from typing import Any

import pandas as pd

LAND_COLUMNS = [
    "org",
    "ags",
    "organisation",
    "kind",
    "land",
    "catalog_id",
    "catalog_version",
    "dimension_id",
    "dimension",
    "as_of",
    "level",
    "score",
    "target_level",
    "target_date",
    "measures_completed",
    "measures_total",
]
FORMULA_PREFIXES = ("=", "+", "-", "@")
_TEXT_COLUMNS = {"org", "ags", "organisation", "kind", "land", "catalog_id", "catalog_version"}
_TEXT_COLUMNS |= {"dimension_id", "dimension"}


class Dialect(StrEnum):
    rfc4180 = "rfc4180"
    excel_de = "excel-de"


def _cell(column: str, value: Any, dialect: Dialect) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if column == "score":
        text = f"{float(value):.2f}"
        return text.replace(".", ",") if dialect is Dialect.excel_de else text
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    text = str(value)
    if (
        dialect is Dialect.excel_de
        and column in _TEXT_COLUMNS
        and text.startswith(FORMULA_PREFIXES)
    ):
        return "'" + text
    return text


def land_csv(frame: pd.DataFrame, dialect: Dialect = Dialect.rfc4180) -> bytes:
    """Write rows in the Land export format (columns :data:`LAND_COLUMNS`)."""
    buffer = io.StringIO()
    excel = dialect is Dialect.excel_de
    writer = csv.writer(
        buffer,
        delimiter=";" if excel else ",",
        lineterminator="\r\n" if excel else "\n",
        quoting=csv.QUOTE_MINIMAL,
    )
    writer.writerow(LAND_COLUMNS)
    for record in frame[LAND_COLUMNS].to_dict("records"):
        writer.writerow([_cell(c, record[c], dialect) for c in LAND_COLUMNS])
    data = buffer.getvalue().encode("utf-8")
    return b"\xef\xbb\xbf" + data if excel else data
