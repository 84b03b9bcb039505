"""The measure events of a catalog as the frame the scoring engine reads.

Fetching millions of rows one by one through a DB-API cursor costs about a microsecond
per row in Python alone. So the database packs each column of a range of ids into one
long value (SQLite group_concat, PostgreSQL string_agg; see :mod:`spatz.queries._packed`),
which numpy and the C parser of pandas decode column by column. While a worker thread
decodes one range, the database (which runs without the GIL, or in a process of its own)
already packs the next. The order by (recorded_at, id) is checked, and restored if need
be, on the client. Values the fast path cannot decode exactly, and drivers without a fast
path, take the general path: one ordered query through SQLAlchemy.

The events of a few organisations take the general path with a filter by organisation,
which the index on (org_id, catalog_key, date) answers without touching the others.

On SQLite, the events of all organisations that one engine read last are kept (per catalog)
until the next such read, which reads only the events recorded since: SQLite writes one
transaction at a time, so ids grow in the order of commits, and events are never changed
or deleted. Only a restore replaces them: with those of an earlier state of the same
database (then the kept events are still right where the ids reach) or of another one
(then the event with the highest kept id differs, which the read checks). Where the newer
events would not simply follow the kept ones (recorded at an earlier time), or fewer
events are there, the read starts afresh.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from spatz.model import MeasureEvent, Organisation
from spatz.queries._packed import (
    PG_DETAILS,
    PG_RANGE,
    SQLITE_DETAILS,
    SQLITE_RANGE,
    Codes,
    Ints,
    NotDecodable,
    Range,
    decode_postgres,
    decode_sqlite,
)

EVENT_FRAME_COLUMNS = ["org", "measure_id", "status", "date", "due_date", "note", "evidence"]

_RANGE_IDS = 1 << 17
"""Event ids per range: one decoding step each (and one query on SQLite)."""
_PG_RANGES_PER_QUERY = 2
"""Ranges packed by one PostgreSQL query, which the server may do in parallel."""
_ID_LIMIT = 1 << 31
"""Event ids must be below this: they are packed into 64-bit integers (with the
organisation id, which is checked on decoding)."""
_DATE_COLUMNS = ("date", "due_date")
FEW_ORGS = 500
"""Up to this many organisations, a read about them filters by organisation in the
database (one index lookup each); more are read like all and filtered on the client."""


def filters_in_database(orgs: Collection[str] | None) -> bool:
    """Whether a read about the organisations ``orgs`` (None: all) filters by them in the
    database (see :data:`FEW_ORGS`)."""
    return orgs is not None and len(orgs) <= FEW_ORGS


@dataclass(frozen=True)
class _Part:
    """The frame of one id range, rows in id order, as runs of rows recorded at one time."""

    frame: pd.DataFrame
    recorded: npt.NDArray[Any]
    """The recording time of each run (different from that of the run before)."""
    lengths: Ints
    """The number of rows of each run."""


def _strings(values: Sequence[str], codes: Codes) -> pd.Series:
    return pd.Series(pd.array(list(values), dtype="str").take(codes), copy=False)


def _dates(days: Ints) -> npt.NDArray[np.datetime64]:
    return days.view("datetime64[D]").astype("datetime64[s]")


@dataclass(frozen=True)
class _Organisations:
    ids: Ints
    """The organisation ids, ascending."""
    keys: list[str]
    """The key of each."""
    slot: Codes | None
    """Position in ``ids`` by id (-1: no organisation), unless the ids are too sparse."""

    def positions(self, org_ids: Ints) -> Codes:
        """Position of each id in ``ids``, -1 for an id that is not there."""
        if self.slot is not None:
            known = (org_ids >= 0) & (org_ids < len(self.slot))
            positions = np.full(len(org_ids), -1, np.intp)
            positions[known] = self.slot[org_ids[known]]
            return positions
        at = np.minimum(np.searchsorted(self.ids, org_ids), max(len(self.ids) - 1, 0))
        found = self.ids[at] == org_ids if len(self.ids) else np.zeros(len(org_ids), bool)
        return np.where(found, at, -1)


def _organisations(conn: Connection) -> _Organisations:
    rows = sorted(conn.exec_driver_sql("SELECT id, key FROM organisation").all())
    ids = np.array([row[0] for row in rows], np.int64)
    slot = None
    if len(ids) == 0 or (ids[0] >= 0 and ids[-1] < 4 * len(ids) + (1 << 20)):
        slot = np.full(int(ids.max(initial=-1)) + 1, -1, np.intp)
        slot[ids] = np.arange(len(ids))
    return _Organisations(ids, [str(row[1]) for row in rows], slot)


def _part(events: Range, orgs: _Organisations, details: bool) -> _Part:
    """The frame of one range; events of an unknown organisation are left out (as by a join)."""
    org = orgs.positions(events.org_id)
    rows: Codes | slice = slice(None)
    if not (org >= 0).all():
        rows = np.flatnonzero(org >= 0)
    if not (np.diff(events.id[rows]) > 0).all():
        rows = np.flatnonzero(org >= 0)
        rows = rows[np.argsort(events.id[rows], kind="stable")]
    ids = events.id[rows]
    columns: dict[str, Any] = {
        "org": _strings(orgs.keys, org[rows]),
        "measure_id": _strings(events.measure.values, events.measure.codes[rows]),
        "status": _strings(events.status.values, events.status.codes[rows]),
        "date": _dates(events.day[rows]),
        "due_date": _dates(events.due[rows]),
    }
    if details:
        assert events.details is not None
        texts = events.details
        at = np.minimum(np.searchsorted(ids, texts.ids), max(len(ids) - 1, 0))
        found = ids[at] == texts.ids if len(ids) else np.zeros(len(texts.ids), bool)
        for name, values in (("note", texts.notes), ("evidence", texts.evidence)):
            codes, uniques = pd.factorize(np.array(values, dtype=object))
            column = np.zeros(len(ids), np.intp)
            column[at[found]] = codes[found] + 1
            columns[name] = _strings(["", *map(str, uniques)], column)
    recorded = events.recorded[rows]
    starts = np.flatnonzero(np.r_[len(recorded) > 0, recorded[1:] != recorded[:-1]])
    lengths = np.diff(np.r_[starts, len(recorded)])
    return _Part(pd.DataFrame(columns, copy=False), recorded[starts], lengths)


def _combine(parts: list[_Part], details: bool) -> pd.DataFrame:
    """The frames of the ranges (in id order) as one, ordered by (recorded_at, id)."""
    parts = [part for part in parts if len(part.frame)]
    if not parts:
        return _empty_events_frame(details)
    frame = pd.concat([part.frame for part in parts], ignore_index=True)
    recorded = np.concatenate([part.recorded for part in parts])
    if (recorded[1:] >= recorded[:-1]).all():
        return frame
    # The runs are in id order, so sorting them stably by recording time breaks ties by
    # id. Usually a few batches were recorded out of turn: move blocks, not single rows.
    lengths = np.concatenate([part.lengths for part in parts])
    order = np.argsort(recorded, kind="stable")
    starts = (np.cumsum(lengths) - lengths)[order]
    stops = starts + lengths[order]
    joined = np.flatnonzero(starts[1:] != stops[:-1]) + 1
    starts, stops = starts[np.r_[0, joined]], stops[np.r_[joined - 1, len(stops) - 1]]
    if len(starts) > 1 + len(frame) // 1000:
        sizes = stops - starts
        rows = np.arange(len(frame)) + np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
        return frame.take(rows).reset_index(drop=True)
    blocks = [frame.iloc[a:b] for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]
    return pd.concat(blocks, ignore_index=True)


@dataclass(frozen=True)
class _Read:
    """An events frame of all organisations and what a later read may build on."""

    frame: pd.DataFrame
    last_recorded: str | None
    """The latest recording time among the frame's events, as SQLite stores it (None: not
    known, so a later read cannot build on this one)."""


def _read_fast(conn: Connection, catalog_key: str, details: bool) -> _Read | None:
    """The events frame read range by range, or None if the driver has no fast path."""
    driver = (conn.dialect.name, conn.dialect.driver)
    if driver not in (("sqlite", "pysqlite"), ("postgresql", "psycopg")):
        return None
    # One aggregate per subquery, so that each is answered from an index.
    low, high, first_key, last_key = conn.exec_driver_sql(
        "SELECT (SELECT min(id) FROM measure_event), (SELECT max(id) FROM measure_event),"
        " (SELECT min(catalog_key) FROM measure_event),"
        " (SELECT max(catalog_key) FROM measure_event)"
    ).one()
    if low is None or first_key == last_key != catalog_key:
        return _Read(_empty_events_frame(details), None)
    if low < 0 or high >= _ID_LIMIT:
        raise NotDecodable
    # Where all events belong to the catalog (the usual case), no row needs to be tested.
    filtered = first_key != last_key
    decode: Callable[[Sequence[Any]], Range]
    if driver[0] == "sqlite":
        catalog = "+catalog_key = ? AND" if filtered else ""
        sql = SQLITE_RANGE.format(catalog=catalog, details=SQLITE_DETAILS if details else "")
        decode = decode_sqlite
    else:
        catalog = "catalog_key = %s AND" if filtered else ""
        sql = PG_RANGE.format(catalog=catalog, details=PG_DETAILS if details else "")
        decode = decode_postgres
    orgs = _organisations(conn)
    raw = conn.connection.driver_connection
    assert raw is not None

    def decode_part(row: Sequence[Any]) -> _Part:
        return _part(decode(row), orgs, details)

    futures: list[Future[_Part]] = []
    cursor = raw.cursor()
    with ThreadPoolExecutor(max_workers=1) as worker:
        try:
            keys = [catalog_key] if filtered else []
            if driver[0] == "sqlite":
                for start in range(low, high + 1, _RANGE_IDS):
                    cursor.execute(sql, (*keys, start, start + _RANGE_IDS))
                    futures.append(worker.submit(decode_part, cursor.fetchone()))
            else:
                # Several ranges per query, so that PostgreSQL may pack them in parallel
                # (Parallel Append); each result row starts with the first id of its range.
                step = _RANGE_IDS * _PG_RANGES_PER_QUERY
                sql = " UNION ALL ".join([f"({sql})"] * _PG_RANGES_PER_QUERY)
                for start in range(low, high + 1, step):
                    firsts = range(start, start + step, _RANGE_IDS)
                    params = [p for f in firsts for p in (f, *keys, f, f + _RANGE_IDS)]
                    cursor.execute(sql, params, binary=True)
                    for row in sorted(cursor.fetchall(), key=lambda row: int(row[0])):
                        futures.append(worker.submit(decode_part, row[1:]))
        finally:
            cursor.close()
        parts = [future.result() for future in futures]
    recorded = [max(part.recorded.tolist()) for part in parts if len(part.recorded)]
    last = None
    if driver[0] == "sqlite" and recorded:
        last = max(recorded).decode("ascii", errors="replace")
    return _Read(_combine(parts, details), last)


def _empty_events_frame(details: bool) -> pd.DataFrame:
    names = EVENT_FRAME_COLUMNS if details else EVENT_FRAME_COLUMNS[:5]
    return pd.DataFrame(
        {
            name: pd.Series(dtype="datetime64[s]" if name in _DATE_COLUMNS else "str")
            for name in names
        }
    )


def _read_rows(
    conn: Connection,
    catalog_key: str,
    details: bool,
    orgs: Collection[str] | None = None,
    after: int | None = None,
) -> pd.DataFrame:
    """The events frame from one ordered query through SQLAlchemy (of the organisations
    ``orgs`` only, if given; with ids above ``after`` only, if given)."""
    fields = [
        col(Organisation.key),
        col(MeasureEvent.measure_id),
        col(MeasureEvent.status),
        col(MeasureEvent.date),
        col(MeasureEvent.due_date),
    ]
    if details:
        fields += [col(MeasureEvent.note), col(MeasureEvent.evidence)]
    in_catalog = col(MeasureEvent.catalog_key) == catalog_key
    if after is not None and conn.dialect.name == "sqlite":
        # Unary plus: SQLite walks the id range, not the catalog's index from its start.
        in_catalog = sa.literal_column("+measure_event.catalog_key") == catalog_key
    stmt = (
        sa.select(*fields)
        .join(Organisation, col(Organisation.id) == col(MeasureEvent.org_id))
        .where(in_catalog)
        .order_by(col(MeasureEvent.recorded_at), col(MeasureEvent.id))
    )
    if orgs is not None:
        stmt = stmt.where(col(Organisation.key).in_(sorted(orgs)))
    if after is not None:
        stmt = stmt.where(col(MeasureEvent.id) > after)
    rows = conn.execute(stmt).all()
    if not rows:
        return _empty_events_frame(details)
    columns: dict[str, Any] = {}
    for name, values in zip(EVENT_FRAME_COLUMNS, zip(*rows, strict=True), strict=False):
        if name in _DATE_COLUMNS:
            days = pd.to_datetime(pd.Series(values, dtype=object))
            columns[name] = days.astype("datetime64[s]")
        else:
            columns[name] = pd.Series([str(v) for v in values], dtype="str")
    return pd.DataFrame(columns)


def events_frame(
    conn: Connection | Session,
    *,
    catalog_key: str,
    details: bool = True,
    orgs: Collection[str] | None = None,
) -> pd.DataFrame:
    """All events of a catalog as a frame, in the order in which ties are resolved; with
    ``orgs``, those of these organisations (keys) only.

    Columns: org (the organisation's key), measure_id, status (str), date, due_date
    (datetime64[s], NaT if none) and, with ``details`` (the default), note and evidence.
    Rows are ordered by recorded time and id, so that among events of one date the later
    recorded one comes later. Events of organisations that do not exist are left out.
    """
    connection = conn.connection() if isinstance(conn, Session) else conn
    if filters_in_database(orgs):
        assert orgs is not None
        if not orgs:
            return _empty_events_frame(details)
        return _read_rows(connection, catalog_key, details, orgs)
    frame = _all_events(connection, catalog_key, details)
    if orgs is None:
        return frame
    return frame[frame["org"].isin(list(orgs))].reset_index(drop=True)


@dataclass(frozen=True)
class _Kept:
    """The events frame of all organisations that an engine read last for a catalog."""

    read: _Read
    last: tuple[Any, ...] | None
    """The event with the highest id (of any catalog) when it was read, as a row of
    :func:`_last_event` (None: there was none)."""

    @property
    def last_id(self) -> int:
        return 0 if self.last is None else int(self.last[0])


_kept: weakref.WeakKeyDictionary[Engine, dict[tuple[str, bool], _Kept]] = (
    weakref.WeakKeyDictionary()
)
_kept_lock = threading.Lock()


_EVENT_IDENTITY = (
    "id, org_id, catalog_key, measure_id, status, date, due_date, note, evidence, "
    "recorded_by, recorded_at"
)


def _event(connection: Connection, where: str, *params: object) -> tuple[Any, ...] | None:
    row = connection.exec_driver_sql(
        f"SELECT {_EVENT_IDENTITY} FROM measure_event WHERE {where}", params
    ).first()
    return None if row is None else tuple(row)


def _last_event(connection: Connection) -> tuple[Any, ...] | None:
    """The event with the highest id, all its columns (None: there is none)."""
    return _event(connection, "id = (SELECT max(id) FROM measure_event)")


def _since(connection: Connection, kept: _Kept, catalog_key: str, details: bool) -> _Kept | None:
    """``kept`` with the events recorded since it was read, or None if the events cannot
    simply follow it (a restore since, or newer events recorded at an earlier time than
    the kept ones)."""
    last = _last_event(connection)
    if kept.read.last_recorded is None or last is None or kept.last is None:
        return None
    if _event(connection, "id = ?", kept.last_id) != kept.last:
        return None  # restored from another database, or to an earlier state
    if last == kept.last:
        return kept
    first, newest = connection.exec_driver_sql(
        "SELECT min(recorded_at), max(recorded_at) FROM measure_event"
        " WHERE id > ? AND +catalog_key = ?",
        (kept.last_id, catalog_key),
    ).one()
    if first is None:
        return _Kept(kept.read, last)
    if str(first) < kept.read.last_recorded:
        return None
    newer = _read_rows(connection, catalog_key, details, after=kept.last_id)
    frame = pd.concat([kept.read.frame, newer], ignore_index=True) if len(newer) else None
    read = _Read(kept.read.frame if frame is None else frame, str(newest))
    return _Kept(read, last)


def _all_events(connection: Connection, catalog_key: str, details: bool) -> pd.DataFrame:
    """All events of the catalog; on SQLite, in a transaction (so that the highest id and
    the events are of one snapshot), built on the frame this engine read last."""
    sqlite = connection.dialect.name == "sqlite" and _in_transaction(connection)
    key = (catalog_key, details)
    if sqlite:
        with _kept_lock:
            kept = _kept.get(connection.engine, {}).get(key)
        now = None if kept is None else _since(connection, kept, catalog_key, details)
        if now is not None:
            _keep(connection.engine, key, now)
            return now.read.frame.copy(deep=False)
        last = _last_event(connection)
    try:
        read = _read_fast(connection, catalog_key, details)
    except NotDecodable:
        read = None
    if read is None:
        return _read_rows(connection, catalog_key, details)
    if sqlite and read.last_recorded is not None:
        _keep(connection.engine, key, _Kept(read, last))
    return read.frame.copy(deep=False)


def _in_transaction(connection: Connection) -> bool:
    """Whether the SQLite connection is in a transaction: its reads are one snapshot."""
    raw = connection.connection.driver_connection
    return bool(getattr(raw, "in_transaction", False))


def _keep(engine: Engine, key: tuple[str, bool], kept: _Kept) -> None:
    """Keep ``kept`` as the engine's frame of ``key``, unless a newer one is kept."""
    with _kept_lock:
        frames = _kept.setdefault(engine, {})
        if key not in frames or frames[key].last_id <= kept.last_id:
            frames[key] = kept


def last_event_date(
    conn: Connection, *, catalog_key: str, orgs: Collection[str] | None = None
) -> dt.date | None:
    """The greatest date of the catalog's events (of the organisations ``orgs`` only, if
    given; events of organisations that do not exist do not count); None if there is none.

    The index on (catalog_key, date), read from its end, answers this without reading the
    events."""
    stmt = (
        sa.select(col(MeasureEvent.date))
        .join(Organisation, col(Organisation.id) == col(MeasureEvent.org_id))
        .where(col(MeasureEvent.catalog_key) == catalog_key)
        .order_by(col(MeasureEvent.date).desc())
        .limit(1)
    )
    if orgs is not None:
        stmt = stmt.where(col(Organisation.key).in_(sorted(orgs)))
    last: dt.date | None = conn.execute(stmt).scalar_one_or_none()
    return last
