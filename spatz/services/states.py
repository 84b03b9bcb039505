"""The event behind each measure's state at a Stichtag, with what was written down for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from spatz.model import MeasureEvent, Organisation
from spatz.queries.events import filters_in_database
from spatz.queries.frames import rows_frame

STATE_DETAIL_COLUMNS = [
    "org",
    "measure_id",
    "date",
    "due_date",
    "note",
    "evidence",
    "recorded_by",
    "recorded_at",
]

_TEXT_COLUMNS = ["org", "measure_id", "note", "evidence", "recorded_by"]


def state_details(
    conn: Connection | Session,
    *,
    catalog_key: str,
    as_of: dt.date,
    orgs: Collection[str] | None = None,
) -> pd.DataFrame:
    """Per organisation (of ``orgs`` only, if given) and measure the event that sets its
    state at ``as_of``.

    That is clause 1 of the rule: the event with the greatest date on or before ``as_of``,
    among events of one date the one recorded last. Columns :data:`STATE_DETAIL_COLUMNS`;
    ``recorded_at`` in UTC. A few organisations (see
    :func:`spatz.queries.events.filters_in_database`) are read from the index on
    (org_id, catalog_key, date) alone.
    """
    stmt = (
        sa.select(
            col(Organisation.key),
            col(MeasureEvent.measure_id),
            col(MeasureEvent.date),
            col(MeasureEvent.due_date),
            col(MeasureEvent.note),
            col(MeasureEvent.evidence),
            col(MeasureEvent.recorded_by),
            col(MeasureEvent.recorded_at),
        )
        .join(Organisation, col(Organisation.id) == col(MeasureEvent.org_id))
        .where(col(MeasureEvent.catalog_key) == catalog_key, col(MeasureEvent.date) <= as_of)
        .order_by(col(MeasureEvent.recorded_at), col(MeasureEvent.id))
    )
    if filters_in_database(orgs):
        assert orgs is not None
        stmt = stmt.where(col(Organisation.key).in_(sorted(orgs)))
    frame = rows_frame(conn.execute(stmt).fetchall(), STATE_DETAIL_COLUMNS)
    # Typed also without rows, as the text columns of rows are.
    frame = frame.astype(dict.fromkeys(_TEXT_COLUMNS, "str"))
    if orgs is not None and not filters_in_database(orgs):
        frame = frame[frame["org"].isin(list(orgs))]
    frame = frame.sort_values("date", kind="stable").drop_duplicates(
        ["org", "measure_id"], keep="last"
    )
    frame["date"] = pd.to_datetime(frame["date"])
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True).astype(
        "datetime64[us, UTC]"
    )
    return frame.reset_index(drop=True)
