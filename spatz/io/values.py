"""Parsing of the cell values users write: dates, quarters, statuses, numbers, lists."""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from typing import Any

import pandas as pd

from spatz.io.limits import quote
from spatz.model.common import STATUS_LABELS, OrgKind, Status

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_GERMAN = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_QUARTER = re.compile(
    r"^(?:Q\s*([1-4])|([1-4]|I{1,3}|IV)\.?\s*Quartal)\s*[-/ ]?\s*(\d{4})$", re.IGNORECASE
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

_STATUS_BY_TEXT: dict[str, Status] = {s.value: s for s in Status}
_STATUS_BY_TEXT.update({label.lower(): s for s, label in STATUS_LABELS.items()})

_KIND_BY_TEXT = {k.value.lower(): k for k in OrgKind}


@lru_cache(maxsize=1 << 16)
def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` or ``dd.mm.yyyy``; raise ValueError with a German message.

    Cached: the rows of an import repeat few dates (a refusal is not cached, it raises)."""
    value = text.strip()
    match = _ISO.match(value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _GERMAN.match(value)
        if not match:
            raise ValueError(f"kein Datum: {quote(text)} (erwartet JJJJ-MM-TT oder TT.MM.JJJJ)")
        day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"diesen Tag gibt es nicht: {quote(text)}") from None


def quarter_end(year: int, quarter: int) -> dt.date:
    month = quarter * 3
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    return next_month - dt.timedelta(days=1)


def parse_date_or_quarter(text: str) -> tuple[dt.date, str]:
    """A date, or a quarter (``Q3 2024``, ``III. Quartal 2024``) as its last day.

    Returns the date and the label to keep (the quarter as written, or ``""``).
    """
    value = text.strip()
    match = _QUARTER.match(value)
    if match:
        digit, word, year = match.groups()
        quarter = int(digit) if digit else _ROMAN.get(word.lower(), 0) or int(word)
        try:
            return quarter_end(int(year), quarter), f"Q{quarter} {year}"
        except ValueError:
            raise ValueError(f"dieses Quartal gibt es nicht: {quote(text)}") from None
    try:
        return parse_date(value), ""
    except ValueError:
        raise ValueError(
            f"weder Datum noch Quartal: {quote(text)} "
            "(erwartet TT.MM.JJJJ, JJJJ-MM-TT oder Q3 2024)"
        ) from None


def parse_status(text: str) -> Status:
    status = _STATUS_BY_TEXT.get(" ".join(text.strip().lower().split()))
    if status is None:
        allowed = ", ".join([*(s.value for s in Status), *STATUS_LABELS.values()])
        raise ValueError(f"unbekannter Status {quote(text)} (erlaubt: {allowed})")
    return status


def parse_kind(text: str) -> OrgKind:
    kind = _KIND_BY_TEXT.get(" ".join(text.strip().lower().split()))
    if kind is None:
        raise ValueError(
            f"unbekannte Art {quote(text)} (erlaubt: {', '.join(k.value for k in OrgKind)})"
        )
    return kind


def is_missing(value: Any) -> bool:
    """Whether a cell value of a frame stands for "no value": None, NaT, NA or NaN."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


_YES = {"ja", "j", "true", "wahr", "1", "x"}
_NO = {"nein", "n", "false", "falsch", "0"}


def parse_yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError(f"weder ja noch nein: {quote(text)} (erlaubt: ja, nein)")


def parse_int(text: str, *, minimum: int | None = None) -> int:
    value = text.strip()
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"keine ganze Zahl: {quote(text)}") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"muss mindestens {minimum} sein, ist {number}")
    return number


def parse_id_list(text: str) -> list[str]:
    """Measure ids separated by ``|`` (blanks ignored, order kept, duplicates dropped)."""
    items = [part.strip() for part in text.split("|")]
    return list(dict.fromkeys(item for item in items if item))
