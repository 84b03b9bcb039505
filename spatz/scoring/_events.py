"""Validation and integer encoding of an events frame.

Every check is vectorised: a column is factorised once and only its distinct values are
looked at; the row of an offending value is searched only when an error is raised.
Arrow-backed string columns (pandas' default ``str`` dtype) are encoded by Arrow kernels:
``measure_id`` and ``status`` are looked up in the catalog's ids and status keys
directly (one hashing pass, codes in the wanted order, unknown values come out as nulls),
``org`` is dictionary-encoded; a column whose values all have one width of at most
:data:`WORD_BYTES` bytes is hashed as 64-bit integers. For large frames these run in
threads at the same time (:data:`PARALLEL_MIN_ROWS`). Categorical columns use their codes;
any other column is factorised by pandas.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from spatz.errors import ArgumentError, SpatzError
from spatz.scoring._catalog import CompiledCatalog, IntArray

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

PARALLEL_MIN_ROWS = 200_000
"""From this many rows on, the columns are encoded in threads at the same time when at
least two of ``org``, ``measure_id`` and ``status`` are Arrow-backed strings: the Arrow
kernels that hash them release the GIL, so they run in parallel on several cores."""

WORD_BYTES = 8
"""Strings of one width of at most this many bytes are hashed as 64-bit words: Arrow hashes
integers about three times as fast as strings (municipality keys have 8 digits, measure
ids such as ``STR-1-01`` 8 characters)."""


_T = TypeVar("_T")
_P = ParamSpec("_P")


class EventsError(SpatzError, ValueError):
    """The events frame is invalid; the message names the offending value and its row.

    Rows are 0-based positions in the frame (not index labels).
    """


def _where(row: int, column: str, message: str) -> str:
    """A problem of the events frame: ``Ereignisse, Zeile ROW, Spalte COLUMN: message``."""
    return f"Ereignisse, Zeile {row}, Spalte {column}: {message}"


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
    """Index into the catalog's status keys (``CompiledCatalog.status_keys``)."""
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
        raise EventsError(f"Ereignisse: Spalte(n) {', '.join(map(repr, missing))} fehlen")
    with _executor(events) as pool:
        org_task = pool.submit(_factorize, events["org"], "org")
        measure_task = pool.submit(
            _lookup, events["measure_id"], "measure_id", cc.measure_ids, lambda _: ""
        )
        status_task = pool.submit(
            _lookup, events["status"], "status", cc.status_keys, _status_hint(cc, events)
        )
        day_task = pool.submit(_days, events["date"], "date", allow_missing=False)
    # Errors in column order, as if the columns had been checked one after the other.
    org_codes, org_values = org_task.result()
    measure, status = measure_task.result(), status_task.result()
    refused = None if cc.all_allowed else ~cc.allowed[cc.m_offset[measure] + status]
    if refused is not None and refused.any():
        row = int(np.argmax(refused))
        value = events["status"].iloc[row]
        hint = _status_hint(cc, events)(row)
        raise EventsError(_where(row, "status", f"unbekannter Wert {value!r}{hint}"))
    day = day_task.result()
    org_names = np.array([v if isinstance(v, str) else str(v) for v in org_values], dtype=object)
    orgs, org_of_value = np.unique(org_names, return_inverse=True)
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


def _status_hint(cc: CompiledCatalog, events: pd.DataFrame) -> Callable[[int], str]:
    """The statuses allowed in a row: those of the row's measure (all of the catalog when
    the measure is unknown)."""

    def hint(row: int) -> str:
        measure_id = events["measure_id"].iloc[row]
        if measure_id in cc.measure_ids:
            keys = cc.keys_of(cc.measure_ids.index(measure_id))
        else:
            keys = list(cc.status_keys)
        return f" (erlaubt: {', '.join(keys)})"

    return hint


class _Inline(Executor):
    """Runs each task at once in the calling thread."""

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        future: Future[_T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # delivered by future.result()
            future.set_exception(error)
        return future


def _executor(events: pd.DataFrame) -> Executor:
    """Threads for a large frame with Arrow-backed string columns on several cores (see
    :data:`PARALLEL_MIN_ROWS`), else :class:`_Inline`."""
    cores = os.cpu_count() or 1
    if len(events) < PARALLEL_MIN_ROWS or cores < 2:
        return _Inline()
    arrow = sum(_arrow_strings(events[c]) is not None for c in ("org", "measure_id", "status"))
    return ThreadPoolExecutor(max_workers=min(4, cores)) if arrow >= 2 else _Inline()


def _arrow_strings(column: pd.Series[Any]) -> Any | None:
    """The Arrow array (``pyarrow.ChunkedArray``) behind a string column backed by Arrow,
    else ``None``. pyarrow is imported only here: such a column implies it is installed."""
    values = column.array
    if not isinstance(values, pd.arrays.ArrowExtensionArray):
        return None
    import pyarrow as pa  # type: ignore[import-untyped]

    data = values.__arrow_array__()
    if pa.types.is_string(data.type) or pa.types.is_large_string(data.type):
        return data
    return None


def _arrow_codes(data: Any) -> tuple[IntArray, list[Any]]:
    """Dictionary encoding of an Arrow string array without nulls: codes, distinct values."""
    import pyarrow as pa
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    fixed = _fixed_width_words(data)
    if fixed is not None:
        words, width = fixed
        encoded = pc.dictionary_encode(pa.array(words))
        distinct = encoded.dictionary.to_numpy()
        values = [_word_text(word, width) for word in distinct]
    else:
        encoded = pc.dictionary_encode(data).combine_chunks()
        values = encoded.dictionary.to_pylist()
    codes: IntArray = encoded.indices.to_numpy().astype(np.int64)
    return codes, values


def _arrow_lookup(data: Any, allowed: Sequence[str]) -> tuple[IntArray, int]:
    """Index in ``allowed`` of each value of an Arrow string array without nulls, and the
    first row whose value is not in ``allowed`` (-1 if none)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    fixed = _fixed_width_words(data)
    if fixed is None:
        found = pc.index_in(data, value_set=pa.array(allowed, type=data.type))
        position = None
    else:
        # Only the allowed values of the same width can occur.
        words, width = fixed
        same_width = [i for i, key in enumerate(allowed) if len(key.encode()) == width]
        if not same_width:
            return np.zeros(0, dtype=np.int64), 0
        position = np.array(same_width, dtype=np.int64)
        value_set = pa.array([_text_word(allowed[i]) for i in position], type=pa.uint64())
        found = pc.index_in(pa.array(words), value_set=value_set)
    if found.null_count:
        unknown = found.is_null().to_numpy(zero_copy_only=False)
        return np.zeros(0, dtype=np.int64), int(np.argmax(unknown))
    codes: IntArray = found.to_numpy().astype(np.int64)
    return (codes if position is None else position[codes]), -1


def _fixed_width_words(data: Any) -> tuple[npt.NDArray[np.uint64], int] | None:
    """The values of an Arrow string array without nulls as little-endian words, with
    their width in bytes, when all have the same width of 1..:data:`WORD_BYTES`; else
    ``None``. Two values are equal iff their words are."""
    import pyarrow as pa

    array = data
    if isinstance(data, pa.ChunkedArray):
        array = data.chunk(0) if data.num_chunks == 1 else data.combine_chunks()
    n = len(array)
    if n == 0 or not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    _, offsets_buffer, bytes_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[array.offset : array.offset + n + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    width, rest = divmod(end - start, n)
    if rest or not 0 < width <= WORD_BYTES or not (np.diff(offsets) == width).all():
        return None
    raw = np.frombuffer(bytes_buffer, dtype=np.uint8)[start:end].reshape(n, width)
    if width < WORD_BYTES:
        padded = np.zeros((n, WORD_BYTES), dtype=np.uint8)
        padded[:, :width] = raw
        raw = padded
    return np.ascontiguousarray(raw).view("<u8").ravel().astype(np.uint64, copy=False), width


def _text_word(text: str) -> int:
    """The word of ``text`` as by :func:`_fixed_width_words`."""
    return int.from_bytes(text.encode(), "little")


def _word_text(word: int, width: int) -> str:
    """Inverse of :func:`_text_word`."""
    return int(word).to_bytes(WORD_BYTES, "little")[:width].decode()


def _check_present(column: pd.Series[Any], name: str, data: Any | None) -> None:
    """Raise if a value of the column is missing (naming the first such row)."""
    missing = data.null_count > 0 if data is not None else column.hasnans
    if missing:
        raise EventsError(_where(int(np.argmax(column.isna())), name, "Wert fehlt"))


def _factorize(column: pd.Series[Any], name: str) -> tuple[IntArray, npt.NDArray[np.object_]]:
    """Codes of a column and its distinct values (each used at least once)."""
    data = _arrow_strings(column)
    _check_present(column, name, data)
    if data is not None:
        codes, values = _arrow_codes(data)
        return codes, np.array(values, dtype=object)
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


def _lookup(
    column: pd.Series[Any], name: str, allowed: Sequence[str], hint: Callable[[int], str]
) -> IntArray:
    """Index of each value of the column in ``allowed``; raise for the first unknown value
    (``hint(row)`` is added to the message)."""
    data = _arrow_strings(column)
    if data is not None:
        _check_present(column, name, data)
        looked_up, row = _arrow_lookup(data, allowed)
        if row >= 0:
            message = f"unbekannter Wert {column.iloc[row]!r}{hint(row)}"
            raise EventsError(_where(row, name, message))
        return looked_up
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
        row = _first(codes, k)
        raise EventsError(_where(row, name, f"unbekannter Wert {values[k]!r}{hint(row)}"))
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
                raise EventsError(_where(int(np.argmax(missing)), name, "Wert fehlt"))
            days[missing] = NO_DAY
        return days
    codes, uniques = pd.factorize(column)
    codes = np.asarray(codes, dtype=np.int64)
    if not allow_missing and len(codes) and codes.min() < 0:
        raise EventsError(_where(_first(codes, -1), name, "Wert fehlt"))
    parsed = _parse_days(np.asarray(uniques, dtype=object))
    bad = np.flatnonzero(parsed == NO_DAY)
    if len(bad):
        k = int(bad[0])
        raise EventsError(_where(_first(codes, k), name, f"kein Datum: {uniques[k]!r}"))
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
    """Day number of a Stichtag; ``None`` means today. Raise :class:`ArgumentError` if
    unreadable."""
    if value is None:
        return _timestamp_day(pd.Timestamp.today())
    day = _parse_day(value)
    if day == NO_DAY:
        raise ArgumentError(f"Stichtag: kein Datum: {value!r}")
    return day


def day_values(days: IntArray) -> npt.NDArray[np.datetime64]:
    """Day numbers as ``datetime64[us]`` values, :data:`NO_DAY` as NaT."""
    return days.astype("datetime64[D]").astype("datetime64[us]")
