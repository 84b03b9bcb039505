"""Validation and integer encoding of an events frame.

Every check is vectorised: a column is factorised once and only its distinct values are
looked at; the row of an offending value is searched only when an error is raised.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from spatz.scoring._catalog import CompiledCatalog, IntArray

STATUSES: tuple[str, ...] = ("planned", "in_progress", "completed", "not_applicable")
"""The status keys the engine accepts, in code order."""
PLANNED, IN_PROGRESS, COMPLETED, NOT_APPLICABLE = range(4)
OPEN = -1
"""Status code of a measure without an event on or before the Stichtag."""
OPEN_LABEL = "open"

NO_DAY = np.iinfo(np.int64).min
"""Day number standing for "no date" (missing due date, no state event, no expiry).

It is the bit pattern of NaT, so ``days.astype("datetime64[D]")`` turns it into NaT."""

REQUIRED_COLUMNS: tuple[str, ...] = ("org", "measure_id", "status", "date")

_TICKS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
"""Units of pandas datetime64 columns."""

DateLike = str | dt.date | pd.Timestamp | np.datetime64


class EventsError(ValueError):
    """The events frame is invalid; the message names the offending value and its row.

    Rows are 0-based positions in the frame (not index labels).
    """


@dataclass(frozen=True)
class EncodedEvents:
    """The events as integer arrays, one entry per row of the frame."""

    orgs: npt.NDArray[np.object_]
    """Distinct organisations as ``str``, sorted; ``org`` indexes into it."""
    org: IntArray
    measure: IntArray
    """Index of the measure in catalog order."""
    pair: IntArray
    """``org * M + measure``: the (organisation, measure) pair."""
    status: IntArray
    """Index into :data:`STATUSES`."""
    day: IntArray
    """Days since 1970-01-01 (the time of day is dropped)."""
    due: IntArray | None
    """Due day of the event (:data:`NO_DAY` if none); ``None`` if not requested."""

    @property
    def n_rows(self) -> int:
        return len(self.day)

    @property
    def n_orgs(self) -> int:
        return len(self.orgs)


def encode_events(
    cc: CompiledCatalog, events: pd.DataFrame, *, due_dates: bool = False
) -> EncodedEvents:
    """Check ``events`` against the catalog and encode it; raise :class:`EventsError`.

    With ``due_dates`` the optional column ``due_date`` is read too (missing values allowed).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in events.columns]
    if missing:
        raise EventsError(f"events: missing column(s) {', '.join(map(repr, missing))}")
    org_codes, org_values = _factorize(events["org"], "org")
    org_names = np.array([str(v) for v in org_values], dtype=object)
    orgs, org_of_value = np.unique(org_names, return_inverse=True)
    measure = _lookup(events["measure_id"], "measure_id", cc.measure_ids, "")
    status = _lookup(
        events["status"], "status", STATUSES, f" (expected one of {', '.join(STATUSES)})"
    )
    day = _days(events["date"], "date", allow_missing=False)
    due = None
    if due_dates and "due_date" in events.columns:
        due = _days(events["due_date"], "due_date", allow_missing=True)
    elif due_dates:
        due = np.full(len(events), NO_DAY, dtype=np.int64)
    org = org_of_value.astype(np.int64)[org_codes]
    return EncodedEvents(
        orgs=orgs.astype(object),
        org=org,
        measure=measure,
        pair=org * cc.n_measures + measure,
        status=status,
        day=day,
        due=due,
    )


def _factorize(column: pd.Series[Any], name: str) -> tuple[IntArray, npt.NDArray[np.object_]]:
    """Codes of a column and its distinct values (each used at least once)."""
    if column.hasnans:
        raise EventsError(f"events row {int(np.argmax(column.isna()))}: {name} is missing")
    if isinstance(column.dtype, pd.CategoricalDtype):
        # The codes are there already; drop the categories no row uses.
        codes = column.cat.codes.to_numpy().astype(np.int64)
        used = np.flatnonzero(np.bincount(codes, minlength=len(column.cat.categories)))
        renumber = np.zeros(len(column.cat.categories), dtype=np.int64)
        renumber[used] = np.arange(len(used))
        return renumber[codes], np.asarray(column.cat.categories, dtype=object)[used]
    codes, uniques = pd.factorize(column)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


def _first(codes: IntArray, code: int) -> int:
    return int(np.argmax(codes == code))


def _lookup(column: pd.Series[Any], name: str, allowed: Sequence[str], hint: str) -> IntArray:
    codes, values = _factorize(column, name)
    index = {key: i for i, key in enumerate(allowed)}
    mapped = np.array(
        [index.get(v, -1) if isinstance(v, str) else -1 for v in values], dtype=np.int64
    )
    unknown = np.flatnonzero(mapped < 0)
    if len(unknown):
        # Distinct values are numbered in order of first appearance: the first unknown one
        # is the one in the earliest row.
        k = int(unknown[0])
        raise EventsError(f"events row {_first(codes, k)}: unknown {name} {values[k]!r}{hint}")
    return mapped[codes]


def _days(column: pd.Series[Any], name: str, *, allow_missing: bool) -> IntArray:
    """Day numbers of a date column; missing values give :data:`NO_DAY` if allowed."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(column.dtype):
        values = column.to_numpy()
        unit, _ = np.datetime_data(values.dtype)
        ticks: IntArray = values.view(np.int64)
        days = ticks // _TICKS_PER_DAY[unit]
        missing = ticks == NO_DAY
        if missing.any():
            if not allow_missing:
                raise EventsError(f"events row {int(np.argmax(missing))}: {name} is missing")
            days[missing] = NO_DAY
        return days
    codes, uniques = pd.factorize(column)
    codes = np.asarray(codes, dtype=np.int64)
    if not allow_missing and len(codes) and codes.min() < 0:
        raise EventsError(f"events row {_first(codes, -1)}: {name} is missing")
    parsed = _parse_days(np.asarray(uniques, dtype=object))
    bad = np.flatnonzero(parsed == NO_DAY)
    if len(bad):
        k = int(bad[0])
        raise EventsError(
            f"events row {_first(codes, k)}: cannot read {name} {uniques[k]!r} as a date"
        )
    return np.where(codes >= 0, parsed[codes], NO_DAY)


def _parse_days(values: npt.NDArray[np.object_]) -> IntArray:
    """Parse distinct values as pandas does; :data:`NO_DAY` where that fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.DatetimeIndex(pd.to_datetime(pd.Index(values), errors="coerce"))
        if parsed.tz is not None:
            parsed = parsed.tz_localize(None)
        stamps = parsed.to_numpy()
        days = stamps.astype("datetime64[D]").astype(np.int64)
        days[np.isnat(stamps)] = NO_DAY
    except (ValueError, TypeError, OverflowError):
        # Mixed time zone offsets or types: parse one value at a time below.
        days = np.full(len(values), NO_DAY, dtype=np.int64)
    for i in np.flatnonzero(days == NO_DAY):
        days[i] = _parse_day(values[i])
    return days


def _parse_day(value: object) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stamp = pd.to_datetime(value)  # type: ignore[call-overload]
    except (ValueError, TypeError, OverflowError):
        return int(NO_DAY)
    if not isinstance(stamp, pd.Timestamp) or pd.isna(stamp):
        return int(NO_DAY)
    return _timestamp_day(stamp)


def _timestamp_day(stamp: pd.Timestamp) -> int:
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int(np.datetime64(stamp.date(), "D").astype(np.int64))


def to_day(value: DateLike | None) -> int:
    """Day number of a Stichtag; ``None`` means today. Raise ``ValueError`` if unreadable."""
    if value is None:
        return _timestamp_day(pd.Timestamp.today())
    day = _parse_day(value)
    if day == NO_DAY:
        raise ValueError(f"cannot read {value!r} as a date")
    return day


def day_values(days: IntArray) -> npt.NDArray[np.datetime64]:
    """Day numbers as ``datetime64[us]`` values, :data:`NO_DAY` as NaT."""
    return days.astype("datetime64[D]").astype("datetime64[us]")
