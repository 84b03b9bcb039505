"""Measure events: record one, import many, read them as a frame for scoring."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from spatz.catalog import Catalog
from spatz.errors import ConcurrentChangeError, NotFoundError
from spatz.io.reader import ProblemCollector, Table
from spatz.io.rows import rows_of
from spatz.io.values import parse_date, parse_status
from spatz.model import MeasureEvent, MeasureEventCreate, MeasureEventPublic, Organisation
from spatz.model.common import STATUS_LABELS, local_time, utcnow
from spatz.services.catalogs import get_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.lookups import org_ids_by_key, require_org

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
    catalog = catalog or get_catalog(session=session)
    org = require_org(session, event_in.org)
    try:
        catalog.measure(event_in.measure_id)
    except KeyError:
        raise NotFoundError(
            f"Maßnahme {event_in.measure_id!r} gibt es im Katalog {catalog.key} nicht"
        ) from None
    assert org.id is not None
    if expected_last_id != "any":
        # Lock the organisation row: checks and writes for it happen one after the other.
        session.exec(select(Organisation.id).where(Organisation.id == org.id).with_for_update())
        latest = session.exec(
            select(MeasureEvent)
            .where(
                MeasureEvent.org_id == org.id,
                MeasureEvent.measure_id == event_in.measure_id,
            )
            .order_by(col(MeasureEvent.id).desc())
            .limit(1)
        ).first()
        if latest is not None and latest.id != expected_last_id:
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
    return MeasureEventPublic.model_validate(event, update={"org": org.key})


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
            r.error("org", f"unbekannte Organisation {org!r}")
        measure_id = r.text("measure_id", max_length=100)
        if measure_id and measure_id not in measure_ids:
            r.error("measure_id", f"unbekannte Maßnahme {measure_id!r} (Katalog {catalog.key})")
        status = r.parse("status", parse_status)
        date = r.parse("date", parse_date)
        due_date = r.parse("due_date", parse_date, required=False)
        note = r.text("note", required=False, max_length=4000)
        evidence = r.text("evidence", required=False, max_length=4000)
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
    now = utcnow()
    for _, event in parsed:
        key = _key(org_ids[event.org], event)
        if key in seen:
            continue
        seen.add(key)
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
    return summary


def events_frame(conn: Connection | Session, *, catalog_key: str) -> pd.DataFrame:
    """All events of a catalog as a frame, in the order in which ties are resolved.

    Columns: org, measure_id, status, date, due_date, note, evidence; rows ordered by
    recorded time, so that among events of one date the later recorded one comes later.
    Read in one query, column-wise, without ORM objects.
    """
    stmt = (
        sa.select(
            col(Organisation.key),
            col(MeasureEvent.measure_id),
            col(MeasureEvent.status),
            col(MeasureEvent.date),
            col(MeasureEvent.due_date),
            col(MeasureEvent.note),
            col(MeasureEvent.evidence),
        )
        .join(Organisation, col(Organisation.id) == col(MeasureEvent.org_id))
        .where(col(MeasureEvent.catalog_key) == catalog_key)
        .order_by(col(MeasureEvent.recorded_at), col(MeasureEvent.id))
    )
    result = conn.execute(stmt)
    frame = pd.DataFrame(result.fetchall(), columns=EVENT_FRAME_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["status"] = frame["status"].astype(str)
    return frame


def list_events(
    *, session: Session, org: str, measure_id: str | None = None
) -> list[MeasureEventPublic]:
    """The history of an organisation (optionally of one measure), newest first."""
    record = require_org(session, org)
    stmt = select(MeasureEvent).where(MeasureEvent.org_id == record.id)
    if measure_id:
        stmt = stmt.where(MeasureEvent.measure_id == measure_id)
    stmt = stmt.order_by(col(MeasureEvent.date).desc(), col(MeasureEvent.id).desc())
    return [
        MeasureEventPublic.model_validate(e, update={"org": record.key})
        for e in session.exec(stmt).all()
    ]
