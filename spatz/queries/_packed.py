"""The packed encodings of the events reader: the SQL that packs a range of event ids
into one value per column, and their decoding into numpy arrays.

A value the decoders cannot reproduce exactly raises :class:`NotDecodable`, and the reader
takes the general path instead.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from spatz.model.common import Status

Ints = npt.NDArray[np.int64]
Codes = npt.NDArray[np.intp]

NO_DAY = np.iinfo(np.int64).min
"""Day number of a missing date: the bit pattern of NaT."""
_PG_EPOCH_DAYS = 10_957
"""Days from 1970-01-01 to 2000-01-01, the epoch of PostgreSQL's binary dates."""
_PG_NO_DAY = np.iinfo(np.int32).max
"""PostgreSQL's binary ``infinity`` date, sent for a missing due date."""


class NotDecodable(Exception):
    """The fast path cannot decode these values exactly."""


@dataclass(frozen=True)
class Labels:
    """A string column with few distinct values: codes into ``values``."""

    codes: Codes
    values: list[str]


@dataclass(frozen=True)
class Details:
    """Note and evidence of the events that have either (all others have neither)."""

    ids: Ints
    notes: list[str]
    evidence: list[str]


@dataclass(frozen=True)
class Range:
    """The events of one id range, decoded, in the order the database delivered them."""

    org_id: Ints
    id: Ints
    day: Ints
    due: Ints
    recorded: npt.NDArray[Any]
    """Ordered like recorded_at: int64 (PostgreSQL) or fixed-width bytes (SQLite)."""
    measure: Labels
    status: Labels
    details: Details | None


def _int_list(blob: bytes | None, n: int) -> Ints:
    """``n`` comma-separated integers."""
    if n == 0 or blob is None:
        return np.zeros(0, np.int64)
    try:
        values = np.fromstring(blob, dtype=np.int64, sep=",")
    except ValueError:
        raise NotDecodable from None
    if len(values) != n:
        raise NotDecodable
    return values


def _fixed_width(blob: bytes | None, n: int) -> npt.NDArray[np.bytes_]:
    """``n`` comma-separated values of one common width, as an array of bytes (a view)."""
    if n == 0 or blob is None:
        return np.zeros(0, "S1")
    width = blob.find(b",") if n > 1 else len(blob)
    if width <= 0 or len(blob) != n * (width + 1) - 1 or blob.count(b",") != n - 1:
        raise NotDecodable
    if not (np.frombuffer(blob, np.uint8)[width :: width + 1] == ord(",")).all():
        raise NotDecodable
    return np.ndarray((n,), f"S{width}", buffer=blob, strides=(width + 1,))


def _iso_days(blob: bytes | None, n: int, *, missing: bytes | None = None) -> Ints:
    """``n`` comma-separated ISO dates (YYYY-MM-DD; ``missing`` for none) as day numbers."""
    text = _fixed_width(blob, n)
    if n == 0:
        return np.zeros(0, np.int64)
    if text.dtype.itemsize != len("YYYY-MM-DD"):
        raise NotDecodable
    try:
        days = text.astype("datetime64[D]").view(np.int64)
        absent = np.datetime64(missing.decode(), "D").astype(np.int64) if missing else None
    except ValueError:
        raise NotDecodable from None
    if (days == NO_DAY).any():
        raise NotDecodable
    if absent is not None:
        days[days == absent] = NO_DAY
    return days


def _labels(blob: bytes | None, n: int) -> Labels:
    """``n`` newline-separated strings with few distinct values."""
    if n == 0 or blob is None:
        return Labels(np.zeros(0, np.intp), [])
    if not blob.startswith(codecs.BOM_UTF8) and not any(
        c in blob for c in (b"\x00", b"\x1f", b"\r")
    ):
        try:
            parsed = pd.read_csv(
                io.BytesIO(blob),
                header=None,
                names=["v"],
                sep="\x1f",
                lineterminator="\n",
                quoting=csv.QUOTE_NONE,
                dtype="category",
                na_filter=False,
                skip_blank_lines=False,
                low_memory=False,
                engine="c",
                encoding="utf-8",
            )["v"].array
        except UnicodeDecodeError:
            raise NotDecodable from None
        # Where all values look like numbers, pandas turns them into numbers ("01" -> 1).
        if isinstance(parsed, pd.Categorical) and len(parsed) == n:
            values = list(parsed.categories)
            if all(isinstance(v, str) for v in values):
                return Labels(parsed.codes.astype(np.intp), values)
    try:
        values = blob.decode().split("\n")
    except UnicodeDecodeError:
        raise NotDecodable from None
    if len(values) != n:
        raise NotDecodable
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    return Labels(codes.astype(np.intp), [str(v) for v in uniques])


def _details(blob: bytes | None, sep: bytes, count: int | None = None) -> Details:
    """``count`` records ``id SEP note SEP evidence`` joined by ``SEP``; without ``count``,
    ``SEP`` must not occur in the values."""
    if not blob:
        return Details(np.zeros(0, np.int64), [], [])
    fields = blob.split(sep)
    if len(fields) % 3 or (count is not None and len(fields) != 3 * count):
        raise NotDecodable
    try:
        ids = np.array(fields[0::3]).astype(np.int64)
        notes = [f.decode() for f in fields[1::3]]
        evidence = [f.decode() for f in fields[2::3]]
    except ValueError:  # also UnicodeDecodeError
        raise NotDecodable from None
    return Details(ids, notes, evidence)


# SQLite: org_id, id and the status (its position in _STATUSES, 0 for any other) travel
# as one integer, (org_id * 2**32 + id) * 4 + status (should that overflow, SQLite turns
# it into a float, which does not parse as an integer); dates and timestamps as the text
# stored (a missing due date as year 0, which no date of Python has); the fields of the
# details, and the id and status of the events whose status is an answer key of a scale
# rather than one of the four statuses (usually none, then that column is NULL), are
# separated by the byte FF, which UTF-8 text never contains.
_STATUSES = [status.value for status in Status]
_SQLITE_STATUS = " ".join(f"WHEN '{value}' THEN {i}" for i, value in enumerate(_STATUSES))
_SQLITE_BUILTIN = ", ".join(f"'{value}'" for value in _STATUSES)
SQLITE_RANGE = (
    """
SELECT count(*),
  CAST(group_concat((org_id * 4294967296 + id) * 4 + CASE status """
    + _SQLITE_STATUS
    + """ ELSE 0 END) AS BLOB),
  CAST(group_concat(date) AS BLOB),
  CAST(group_concat(ifnull(due_date, '0000-01-01')) AS BLOB),
  CAST(group_concat(recorded_at) AS BLOB),
  CAST(group_concat(measure_id, char(10)) AS BLOB),
  CAST(group_concat(id || X'FF' || status, X'FF') FILTER (WHERE status NOT IN ("""
    + _SQLITE_BUILTIN
    + """)) AS BLOB){details}
FROM measure_event WHERE {catalog} id >= ? AND id < ?
"""
)
SQLITE_DETAILS = """,
  CAST(group_concat(id || X'FF' || note || X'FF' || evidence, X'FF')
    FILTER (WHERE note <> '' OR evidence <> '') AS BLOB)"""


def _sqlite_statuses(packed: Ints, ids: Ints, answers: bytes | None) -> Labels:
    """The status of each event: the packed position in _STATUSES, unless ``answers``
    (``id FF key`` joined by ``FF``) names an answer key for the event's id."""
    codes = (packed & 3).astype(np.intp)
    if not answers:
        return Labels(codes, _STATUSES)
    fields = answers.split(b"\xff")
    if len(fields) % 2:
        raise NotDecodable
    try:
        answer_ids = np.array(fields[0::2]).astype(np.int64)
        keys = [f.decode() for f in fields[1::2]]
    except ValueError:  # also UnicodeDecodeError
        raise NotDecodable from None
    order = np.argsort(ids, kind="stable")
    at = np.minimum(np.searchsorted(ids, answer_ids, sorter=order), max(len(ids) - 1, 0))
    rows = order[at] if len(ids) else at
    if not len(ids) or not (ids[rows] == answer_ids).all():
        raise NotDecodable
    key_codes, uniques = pd.factorize(np.array(keys, dtype=object))
    codes[rows] = key_codes + len(_STATUSES)
    return Labels(codes, [*_STATUSES, *(str(key) for key in uniques)])


def decode_sqlite(row: Sequence[Any]) -> Range:
    n = int(row[0])
    packed = _int_list(row[1], n)
    ids = packed >> 2 & 0xFFFFFFFF
    return Range(
        org_id=packed >> 34,
        id=ids,
        day=_iso_days(row[2], n),
        due=_iso_days(row[3], n, missing=b"0000-01-01"),
        recorded=_fixed_width(row[4], n),
        measure=_labels(row[5], n),
        status=_sqlite_statuses(packed, ids, row[6]),
        details=_details(row[7], b"\xff") if len(row) > 7 else None,
    )


# PostgreSQL: org_id and id, date, due date (infinity for none) and recorded_at travel as
# 24 bytes of binary per event; the fields of the details are separated by U+0001 and
# counted, so that a value containing U+0001 is noticed.
PG_RANGE = """
SELECT %s::int8, count(*),
  string_agg(int8send((org_id::int8 << 32) | id) || date_send(date)
    || date_send(coalesce(due_date, 'infinity'::date)) || timestamptz_send(recorded_at),
    ''::bytea),
  convert_to(string_agg(measure_id, E'\\n'), 'UTF8'),
  convert_to(string_agg(status, E'\\n'), 'UTF8'){details}
FROM measure_event WHERE {catalog} id >= %s AND id < %s
"""
PG_DETAILS = """,
  convert_to(string_agg(id::text || E'\\x01' || note || E'\\x01' || evidence, E'\\x01')
    FILTER (WHERE note <> '' OR evidence <> ''), 'UTF8'),
  count(*) FILTER (WHERE note <> '' OR evidence <> '')"""
_PG_PACKED = np.dtype([("ids", ">i8"), ("day", ">i4"), ("due", ">i4"), ("recorded", ">i8")])


def decode_postgres(row: Sequence[Any]) -> Range:
    n = int(row[0])
    packed = np.frombuffer(row[1] or b"", _PG_PACKED)
    if len(packed) != n:
        raise NotDecodable
    ids = packed["ids"].astype(np.int64)
    due = packed["due"].astype(np.int64) + _PG_EPOCH_DAYS
    due[packed["due"] == _PG_NO_DAY] = NO_DAY
    return Range(
        org_id=ids >> 32,
        id=ids & 0xFFFFFFFF,
        day=packed["day"].astype(np.int64) + _PG_EPOCH_DAYS,
        due=due,
        recorded=packed["recorded"].astype(np.int64),
        measure=_labels(row[2], n),
        status=_labels(row[3], n),
        details=_details(row[4], b"\x01", int(row[5])) if len(row) > 4 else None,
    )
