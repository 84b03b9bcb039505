"""Measure events: record one, import many, read them as a frame for scoring."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from spatz.catalog import Catalog
from spatz.errors import ConcurrentChangeError, NotFoundError
from spatz.io.limits import quote
from spatz.io.reader import ProblemCollector, Table
from spatz.io.rows import rows_of
from spatz.io.values import parse_date, parse_status
from spatz.model import MeasureEvent, MeasureEventCreate, MeasureEventPublic, Organisation
from spatz.model.common import STATUS_LABELS, Status, local_time, utcnow
from spatz.model.event import MAX_TEXT_LENGTH
from spatz.services.audit import audit
from spatz.services.auth import Permission, authorize, authorize_all
from spatz.services.catalogs import get_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.lookups import lock_organisation, org_ids_by_key, require_org

PROGRESS_COLUMNS = ("org", "measure_id", "status", "date", "due_date", "note", "evidence")
EVENT_FRAME_COLUMNS = ["org", "measure_id", "status", "date", "due_date", "note", "evidence"]

_EventKey = tuple[int, str, str, dt.date, str]


def _key(org_id: int, event: MeasureEventCreate) -> _EventKey:
    return (org_id, event.measure_id, event.status.value, event.date, event.note)


def record_event(
    *,
    session: Session,
    actor: Actor,
    event_in: MeasureEventCreate,
    catalog: Catalog | None = None,
    expected_last_id: int | Literal["any"] | None = "any",
) -> MeasureEventPublic:
    """Append one status change of a measure for an organisation.

    ``expected_last_id`` is the id of the newest event of this organisation and measure that
    the user saw (``None``: they saw none). If somebody recorded another event in between,
    the write is refused with :class:`ConcurrentChangeError` instead of silently following
    it; ``"any"`` records without that check (imports, scripts).
    """
    authorize(actor, Permission.record_measures, event_in.org)
    catalog = catalog or get_catalog(session=session)
    org = require_org(session, event_in.org)
    try:
        catalog.measure(event_in.measure_id)
    except KeyError:
        raise NotFoundError(
            f"Maßnahme {quote(event_in.measure_id)} gibt es im Katalog {catalog.key} nicht"
        ) from None
    assert org.id is not None
    if expected_last_id != "any":
        lock_organisation(session, org.id)
    latest = session.exec(
        select(MeasureEvent)
        .where(
            MeasureEvent.org_id == org.id,
            MeasureEvent.measure_id == event_in.measure_id,
        )
        .order_by(col(MeasureEvent.id).desc())
        .limit(1)
    ).first()
    if expected_last_id != "any" and latest is not None and latest.id != expected_last_id:
        when = local_time(latest.recorded_at).strftime("%d.%m.%Y %H:%M")
        raise ConcurrentChangeError(
            f"{latest.recorded_by} hat am {when} für {event_in.measure_id} inzwischen "
            f"„{STATUS_LABELS[latest.status]}“ erfasst. Bitte den neuen Stand prüfen und "
            "dann erneut speichern."
        )
    event = MeasureEvent.model_validate(
        event_in.model_dump(exclude={"org"}),
        update={"org_id": org.id, "catalog_key": catalog.id, "recorded_by": actor.name},
    )
    session.add(event)
    session.flush()
    audit(
        session,
        actor,
        "record",
        "measure_event",
        f"{org.key}/{event.measure_id}",
        org=org.key,
        before=_audit_values(latest) if latest else None,
        after=_audit_values(event),
    )
    return MeasureEventPublic.model_validate(event, update={"org": org.key})


def _audit_values(event: MeasureEvent) -> dict[str, object]:
    return event.model_dump(include={"id", "status", "date", "due_date", "note", "evidence"})


def parse_progress(
    table: Table, *, catalog: Catalog, org_ids: dict[str, int]
) -> list[tuple[int, MeasureEventCreate]]:
    """Validate a progress table (``org,measure_id,status,date[,due_date,note,evidence]``)."""
    table.require(("org", "measure_id", "status", "date"))
    measure_ids = {m.id for _, m in catalog.measures()}
    problems = ProblemCollector()
    parsed: list[tuple[int, MeasureEventCreate]] = []
    for r in rows_of(table, problems):
        org = r.text("org", max_length=50)
        if org and org not in org_ids:
            r.error("org", f"unbekannte Organisation {quote(org)}")
        measure_id = r.text("measure_id", max_length=100)
        if measure_id and measure_id not in measure_ids:
            r.error(
                "measure_id", f"unbekannte Maßnahme {quote(measure_id)} (Katalog {catalog.key})"
            )
        status = r.parse("status", parse_status)
        date = r.parse("date", parse_date)
        due_date = r.parse("due_date", parse_date, required=False)
        note = r.text("note", required=False, max_length=MAX_TEXT_LENGTH)
        evidence = r.text("evidence", required=False, max_length=MAX_TEXT_LENGTH)
        if r.ok and status is not None and date is not None:
            parsed.append(
                (
                    r.row.line,
                    MeasureEventCreate(
                        org=org,
                        measure_id=measure_id,
                        status=status,
                        date=date,
                        due_date=due_date,
                        note=note,
                        evidence=evidence,
                    ),
                )
            )
    problems.raise_if_any()
    return parsed


def import_progress(
    *,
    session: Session,
    actor: Actor,
    table: Table,
    catalog: Catalog | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Append the events of a progress table; identical events already stored are skipped."""
    catalog = catalog or get_catalog(session=session)
    org_ids = org_ids_by_key(session)
    parsed = parse_progress(table, catalog=catalog, org_ids=org_ids)
    authorize_all(actor, Permission.record_measures, {e.org for _, e in parsed})
    involved = {org_ids[e.org] for _, e in parsed}
    stored = session.execute(
        sa.select(
            col(MeasureEvent.org_id),
            col(MeasureEvent.measure_id),
            col(MeasureEvent.status),
            col(MeasureEvent.date),
            col(MeasureEvent.note),
        ).where(col(MeasureEvent.org_id).in_(involved))
    ).all()
    seen: set[_EventKey] = {(o, m, str(s), d, n) for o, m, s, d, n in stored}
    fresh: list[dict[str, object]] = []
    appended: Counter[str] = Counter()
    now = utcnow()
    for _, event in parsed:
        key = _key(org_ids[event.org], event)
        if key in seen:
            continue
        seen.add(key)
        appended[event.org] += 1
        fresh.append(
            {
                **event.model_dump(exclude={"org"}),
                "org_id": org_ids[event.org],
                "catalog_key": catalog.id,
                "recorded_by": actor.name,
                "recorded_at": now,
            }
        )
    summary = ImportSummary(
        table.file, len(parsed), len(fresh), len(parsed) - len(fresh), dry_run=dry_run
    )
    if fresh and not dry_run:
        session.execute(sa.insert(MeasureEvent), fresh)
        # One entry per organisation; the events themselves carry who recorded them, when.
        for org, count in sorted(appended.items()):
            after = {"file": table.file, "events": count}
            audit(session, actor, "import", "measure_event", org, org=org, after=after)
    return summary


# -- events_frame -----------------------------------------------------------------------
#
# Fetching millions of rows one by one through a DB-API cursor costs about a microsecond
# per row in Python alone. So the database packs each column of a range of ids into one
# long value (SQLite group_concat, PostgreSQL string_agg), which numpy and the C parser of
# pandas decode column by column. While a worker thread decodes one range, the database
# (which runs without the GIL, or in a process of its own) already packs the next. The
# order by (recorded_at, id) is checked, and restored if need be, on the client. Values
# the fast path cannot decode exactly, and drivers without a fast path, take the general
# path: one ordered query through SQLAlchemy.

_Ints = npt.NDArray[np.int64]
_Codes = npt.NDArray[np.intp]

_RANGE_IDS = 1 << 17
"""Event ids per range: one decoding step each (and one query on SQLite)."""
_PG_RANGES_PER_QUERY = 2
"""Ranges packed by one PostgreSQL query, which the server may do in parallel."""
_ID_LIMIT = 1 << 31
"""Event ids must be below this: they are packed into 64-bit integers (with the
organisation id, which is checked on decoding)."""
_NO_DAY = np.iinfo(np.int64).min
"""Day number of a missing date: the bit pattern of NaT."""
_PG_EPOCH_DAYS = 10_957
"""Days from 1970-01-01 to 2000-01-01, the epoch of PostgreSQL's binary dates."""
_PG_NO_DAY = np.iinfo(np.int32).max
"""PostgreSQL's binary ``infinity`` date, sent for a missing due date."""
_DATE_COLUMNS = ("date", "due_date")


class _NotDecodable(Exception):
    """The fast path cannot decode these values exactly."""


@dataclass(frozen=True)
class _Labels:
    """A string column with few distinct values: codes into ``values``."""

    codes: _Codes
    values: list[str]


@dataclass(frozen=True)
class _Details:
    """Note and evidence of the events that have either (all others have neither)."""

    ids: _Ints
    notes: list[str]
    evidence: list[str]


@dataclass(frozen=True)
class _Range:
    """The events of one id range, decoded, in the order the database delivered them."""

    org_id: _Ints
    id: _Ints
    day: _Ints
    due: _Ints
    recorded: npt.NDArray[Any]
    """Ordered like recorded_at: int64 (PostgreSQL) or fixed-width bytes (SQLite)."""
    measure: _Labels
    status: _Labels
    details: _Details | None


@dataclass(frozen=True)
class _Part:
    """The frame of one id range, rows in id order, as runs of rows recorded at one time."""

    frame: pd.DataFrame
    recorded: npt.NDArray[Any]
    """The recording time of each run (different from that of the run before)."""
    lengths: _Ints
    """The number of rows of each run."""


def _int_list(blob: bytes | None, n: int) -> _Ints:
    """``n`` comma-separated integers."""
    if n == 0 or blob is None:
        return np.zeros(0, np.int64)
    try:
        values = np.fromstring(blob, dtype=np.int64, sep=",")
    except ValueError:
        raise _NotDecodable from None
    if len(values) != n:
        raise _NotDecodable
    return values


def _fixed_width(blob: bytes | None, n: int) -> npt.NDArray[np.bytes_]:
    """``n`` comma-separated values of one common width, as an array of bytes (a view)."""
    if n == 0 or blob is None:
        return np.zeros(0, "S1")
    width = blob.find(b",") if n > 1 else len(blob)
    if width <= 0 or len(blob) != n * (width + 1) - 1 or blob.count(b",") != n - 1:
        raise _NotDecodable
    if not (np.frombuffer(blob, np.uint8)[width :: width + 1] == ord(",")).all():
        raise _NotDecodable
    return np.ndarray((n,), f"S{width}", buffer=blob, strides=(width + 1,))


def _iso_days(blob: bytes | None, n: int, *, missing: bytes | None = None) -> _Ints:
    """``n`` comma-separated ISO dates (YYYY-MM-DD; ``missing`` for none) as day numbers."""
    text = _fixed_width(blob, n)
    if n == 0:
        return np.zeros(0, np.int64)
    if text.dtype.itemsize != len("YYYY-MM-DD"):
        raise _NotDecodable
    try:
        days = text.astype("datetime64[D]").view(np.int64)
        absent = np.datetime64(missing.decode(), "D").astype(np.int64) if missing else None
    except ValueError:
        raise _NotDecodable from None
    if (days == _NO_DAY).any():
        raise _NotDecodable
    if absent is not None:
        days[days == absent] = _NO_DAY
    return days


def _labels(blob: bytes | None, n: int) -> _Labels:
    """``n`` newline-separated strings with few distinct values."""
    if n == 0 or blob is None:
        return _Labels(np.zeros(0, np.intp), [])
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
            raise _NotDecodable from None
        # Where all values look like numbers, pandas turns them into numbers ("01" -> 1).
        if isinstance(parsed, pd.Categorical) and len(parsed) == n:
            values = list(parsed.categories)
            if all(isinstance(v, str) for v in values):
                return _Labels(parsed.codes.astype(np.intp), values)
    try:
        values = blob.decode().split("\n")
    except UnicodeDecodeError:
        raise _NotDecodable from None
    if len(values) != n:
        raise _NotDecodable
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    return _Labels(codes.astype(np.intp), [str(v) for v in uniques])


def _details(blob: bytes | None, sep: bytes, count: int | None = None) -> _Details:
    """``count`` records ``id SEP note SEP evidence`` joined by ``SEP``; without ``count``,
    ``SEP`` must not occur in the values."""
    if not blob:
        return _Details(np.zeros(0, np.int64), [], [])
    fields = blob.split(sep)
    if len(fields) % 3 or (count is not None and len(fields) != 3 * count):
        raise _NotDecodable
    try:
        ids = np.array(fields[0::3]).astype(np.int64)
        notes = [f.decode() for f in fields[1::3]]
        evidence = [f.decode() for f in fields[2::3]]
    except ValueError:  # also UnicodeDecodeError
        raise _NotDecodable from None
    return _Details(ids, notes, evidence)


# SQLite: org_id, id and the status (its position in _STATUSES; an unknown one makes the
# number NULL, which group_concat leaves out, so the count tells) travel as one integer,
# (org_id * 2**32 + id) * 4 + status (should that overflow, SQLite turns it into a float,
# which does not parse as an integer); dates and timestamps as the text stored (a missing
# due date as year 0, which no date of Python has); the fields of the details are
# separated by the byte FF, which UTF-8 text never contains.
_STATUSES = [status.value for status in Status]
_SQLITE_STATUS = " ".join(f"WHEN '{value}' THEN {i}" for i, value in enumerate(_STATUSES))
_SQLITE_RANGE = (
    """
SELECT count(*),
  CAST(group_concat((org_id * 4294967296 + id) * 4 + CASE status """
    + _SQLITE_STATUS
    + """ END) AS BLOB),
  CAST(group_concat(date) AS BLOB),
  CAST(group_concat(ifnull(due_date, '0000-01-01')) AS BLOB),
  CAST(group_concat(recorded_at) AS BLOB),
  CAST(group_concat(measure_id, char(10)) AS BLOB){details}
FROM measure_event WHERE {catalog} id >= ? AND id < ?
"""
)
_SQLITE_DETAILS = """,
  CAST(group_concat(id || X'FF' || note || X'FF' || evidence, X'FF')
    FILTER (WHERE note <> '' OR evidence <> '') AS BLOB)"""


def _decode_sqlite(row: Sequence[Any]) -> _Range:
    n = int(row[0])
    packed = _int_list(row[1], n)
    return _Range(
        org_id=packed >> 34,
        id=packed >> 2 & 0xFFFFFFFF,
        day=_iso_days(row[2], n),
        due=_iso_days(row[3], n, missing=b"0000-01-01"),
        recorded=_fixed_width(row[4], n),
        measure=_labels(row[5], n),
        status=_Labels((packed & 3).astype(np.intp), _STATUSES),
        details=_details(row[6], b"\xff") if len(row) > 6 else None,
    )


# PostgreSQL: org_id and id, date, due date (infinity for none) and recorded_at travel as
# 24 bytes of binary per event; the fields of the details are separated by U+0001 and
# counted, so that a value containing U+0001 is noticed.
_PG_RANGE = """
SELECT %s::int8, count(*),
  string_agg(int8send((org_id::int8 << 32) | id) || date_send(date)
    || date_send(coalesce(due_date, 'infinity'::date)) || timestamptz_send(recorded_at),
    ''::bytea),
  convert_to(string_agg(measure_id, E'\\n'), 'UTF8'),
  convert_to(string_agg(status, E'\\n'), 'UTF8'){details}
FROM measure_event WHERE {catalog} id >= %s AND id < %s
"""
_PG_DETAILS = """,
  convert_to(string_agg(id::text || E'\\x01' || note || E'\\x01' || evidence, E'\\x01')
    FILTER (WHERE note <> '' OR evidence <> ''), 'UTF8'),
  count(*) FILTER (WHERE note <> '' OR evidence <> '')"""
_PG_PACKED = np.dtype([("ids", ">i8"), ("day", ">i4"), ("due", ">i4"), ("recorded", ">i8")])


def _decode_postgres(row: Sequence[Any]) -> _Range:
    n = int(row[0])
    packed = np.frombuffer(row[1] or b"", _PG_PACKED)
    if len(packed) != n:
        raise _NotDecodable
    ids = packed["ids"].astype(np.int64)
    due = packed["due"].astype(np.int64) + _PG_EPOCH_DAYS
    due[packed["due"] == _PG_NO_DAY] = _NO_DAY
    return _Range(
        org_id=ids >> 32,
        id=ids & 0xFFFFFFFF,
        day=packed["day"].astype(np.int64) + _PG_EPOCH_DAYS,
        due=due,
        recorded=packed["recorded"].astype(np.int64),
        measure=_labels(row[2], n),
        status=_labels(row[3], n),
        details=_details(row[4], b"\x01", int(row[5])) if len(row) > 4 else None,
    )


def _strings(values: Sequence[str], codes: _Codes) -> pd.Series:
    return pd.Series(pd.array(list(values), dtype="str").take(codes), copy=False)


def _dates(days: _Ints) -> npt.NDArray[np.datetime64]:
    return days.view("datetime64[D]").astype("datetime64[s]")


@dataclass(frozen=True)
class _Organisations:
    ids: _Ints
    """The organisation ids, ascending."""
    keys: list[str]
    """The key of each."""
    slot: _Codes | None
    """Position in ``ids`` by id (-1: no organisation), unless the ids are too sparse."""

    def positions(self, org_ids: _Ints) -> _Codes:
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


def _part(events: _Range, orgs: _Organisations, details: bool) -> _Part:
    """The frame of one range; events of an unknown organisation are left out (as by a join)."""
    org = orgs.positions(events.org_id)
    rows: _Codes | slice = slice(None)
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


def _read_fast(conn: Connection, catalog_key: str, details: bool) -> pd.DataFrame | None:
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
        return _empty_events_frame(details)
    if low < 0 or high >= _ID_LIMIT:
        raise _NotDecodable
    # Where all events belong to the catalog (the usual case), no row needs to be tested.
    filtered = first_key != last_key
    decode: Callable[[Sequence[Any]], _Range]
    if driver[0] == "sqlite":
        catalog = "+catalog_key = ? AND" if filtered else ""
        sql = _SQLITE_RANGE.format(catalog=catalog, details=_SQLITE_DETAILS if details else "")
        decode = _decode_sqlite
    else:
        catalog = "catalog_key = %s AND" if filtered else ""
        sql = _PG_RANGE.format(catalog=catalog, details=_PG_DETAILS if details else "")
        decode = _decode_postgres
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
    return _combine(parts, details)


def _empty_events_frame(details: bool) -> pd.DataFrame:
    names = EVENT_FRAME_COLUMNS if details else EVENT_FRAME_COLUMNS[:5]
    return pd.DataFrame(
        {
            name: pd.Series(dtype="datetime64[s]" if name in _DATE_COLUMNS else "str")
            for name in names
        }
    )


def _read_rows(conn: Connection, catalog_key: str, details: bool) -> pd.DataFrame:
    """The events frame from one ordered query through SQLAlchemy."""
    fields = [
        col(Organisation.key),
        col(MeasureEvent.measure_id),
        col(MeasureEvent.status),
        col(MeasureEvent.date),
        col(MeasureEvent.due_date),
    ]
    if details:
        fields += [col(MeasureEvent.note), col(MeasureEvent.evidence)]
    stmt = (
        sa.select(*fields)
        .join(Organisation, col(Organisation.id) == col(MeasureEvent.org_id))
        .where(col(MeasureEvent.catalog_key) == catalog_key)
        .order_by(col(MeasureEvent.recorded_at), col(MeasureEvent.id))
    )
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
    conn: Connection | Session, *, catalog_key: str, details: bool = True
) -> pd.DataFrame:
    """All events of a catalog as a frame, in the order in which ties are resolved.

    Columns: org (the organisation's key), measure_id, status (str), date, due_date
    (datetime64[s], NaT if none) and, with ``details`` (the default), note and evidence.
    Rows are ordered by recorded time and id, so that among events of one date the later
    recorded one comes later. Events of organisations that do not exist are left out.
    """
    connection = conn.connection() if isinstance(conn, Session) else conn
    try:
        frame = _read_fast(connection, catalog_key, details)
    except _NotDecodable:
        frame = None
    return frame if frame is not None else _read_rows(connection, catalog_key, details)


def list_events(
    *, session: Session, actor: Actor, org: str, measure_id: str | None = None
) -> list[MeasureEventPublic]:
    """The history of an organisation (optionally of one measure), newest first."""
    authorize(actor, Permission.view_detail, org)
    record = require_org(session, org)
    stmt = select(MeasureEvent).where(MeasureEvent.org_id == record.id)
    if measure_id:
        stmt = stmt.where(MeasureEvent.measure_id == measure_id)
    stmt = stmt.order_by(col(MeasureEvent.date).desc(), col(MeasureEvent.id).desc())
    return [
        MeasureEventPublic.model_validate(e, update={"org": record.key})
        for e in session.exec(stmt).all()
    ]
