"""Measure events: record one, import many, list the history of an organisation."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import partial
from typing import Any, Literal, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from spatz.catalog import Catalog
from spatz.errors import ArgumentError, ConcurrentChangeError, NotFoundError
from spatz.io.catalog_text import answer_label, answer_labels
from spatz.io.limits import quote
from spatz.io.reader import ProblemCollector, Table
from spatz.io.rows import rows_of
from spatz.io.values import parse_date, parse_status
from spatz.model import MeasureEvent, MeasureEventCreate, MeasureEventPublic
from spatz.model.common import local_time, utcnow
from spatz.model.event import MAX_TEXT_LENGTH
from spatz.services.audit import audit
from spatz.services.auth import Permission, authorize, authorize_all
from spatz.services.catalogs import get_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.lookups import lock_organisation, org_ids_by_key, require_org

PROGRESS_COLUMNS = ("org", "measure_id", "status", "date", "due_date", "note", "evidence")

_EventKey = tuple[int, str, str, dt.date, str]


class ProgressRow(NamedTuple):
    """One valid row of a progress table: its line, its organisation and the values of the
    event (the fields of :class:`MeasureEventCreate` but ``org``), checked as
    :class:`MeasureEventCreate` checks them."""

    line: int
    org: str
    values: dict[str, Any]


def _key(org_id: int, values: dict[str, Any]) -> _EventKey:
    return (org_id, values["measure_id"], values["status"], values["date"], values["note"])


def _normalised(text: str) -> str:
    return " ".join(text.strip().lower().split())


class AnswerResolver:
    """The status an event of a measure is stored with, from the text a user wrote: one of
    the four statuses (key or German label, see :func:`parse_status`) or an answer of the
    measure's scale (key or label), case and spacing aside.

    Each (measure, text) is resolved once and then looked up, so that a million rows of an
    import cost a dictionary lookup each."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._measures = {m.id: m for _, m in catalog.measures()}
        self._resolved: dict[tuple[str, str], str] = {}
        self._scales: dict[str | None, dict[str, str]] = {}

    def __call__(self, measure_id: str, text: str) -> str:
        """The key for ``text``; raise ValueError naming the allowed answers if none fits."""
        key = self._resolved.get((measure_id, text))
        if key is None:
            key = self._resolve(measure_id, text)
            self._resolved[(measure_id, text)] = key
        return key

    def _resolve(self, measure_id: str, text: str) -> str:
        measure = self._measures.get(measure_id)
        # Without a scale (or for a measure refused on its own) the statuses are all there is.
        if measure is None or not self._catalog.answer_scale(measure):
            return parse_status(text).value
        try:
            return parse_status(text).value
        except ValueError:
            pass
        scale = self._scales.get(measure.answers)
        if scale is None:
            scale = {}
            for answer in self._catalog.answer_scale(measure):
                scale.setdefault(answer.key.lower(), answer.key)
                scale.setdefault(_normalised(answer.label), answer.key)
            self._scales[measure.answers] = scale
        key = scale.get(_normalised(text))
        if key is None:
            labels = answer_labels(self._catalog, measure)
            allowed = ", ".join([*labels, *labels.values()])
            raise ValueError(
                f"unbekannte Antwort {quote(text)} für {measure_id} (erlaubt: {allowed})"
            )
        return key


NUL_TEXT_COLUMNS = ("note", "evidence")
"""Columns :class:`MeasureEventCreate` refuses NUL in (PostgreSQL cannot store it)."""


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
        measure = catalog.measure(event_in.measure_id)
    except KeyError:
        raise NotFoundError(
            f"Maßnahme {quote(event_in.measure_id)} gibt es im Katalog {catalog.key} nicht"
        ) from None
    try:
        status = AnswerResolver(catalog)(measure.id, event_in.status)
    except ValueError as exc:
        raise ArgumentError(f"Status: {exc}") from None
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
            f"„{answer_label(catalog, measure, latest.status)}“ erfasst. Bitte den neuen "
            "Stand prüfen und dann erneut speichern."
        )
    event = MeasureEvent.model_validate(
        event_in.model_dump(exclude={"org"}),
        update={
            "status": status,
            "org_id": org.id,
            "catalog_key": catalog.id,
            "recorded_by": actor.name,
        },
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


def parse_progress(table: Table, *, catalog: Catalog, org_ids: dict[str, int]) -> list[ProgressRow]:
    """Validate a progress table (``org,measure_id,status,date[,due_date,note,evidence]``).

    Each row is checked by the row reader as :class:`MeasureEventCreate` would check it
    (lengths, status, dates, no NUL), without building a model per row: a million rows
    spend their time on the checks, not on constructing objects.
    """
    table.require(("org", "measure_id", "status", "date"))
    measure_ids = {m.id for _, m in catalog.measures()}
    answer = AnswerResolver(catalog)
    problems = ProblemCollector()
    parsed: list[ProgressRow] = []
    for r in rows_of(table, problems):
        org = r.text("org", max_length=50)
        if org and org not in org_ids:
            r.error("org", f"unbekannte Organisation {quote(org)}")
        measure_id = r.text("measure_id", max_length=100)
        if measure_id and measure_id not in measure_ids:
            r.error(
                "measure_id", f"unbekannte Maßnahme {quote(measure_id)} (Katalog {catalog.key})"
            )
        status = r.parse("status", partial(answer, measure_id))
        date = r.parse("date", parse_date)
        due_date = r.parse("due_date", parse_date, required=False)
        note = r.text("note", required=False, max_length=MAX_TEXT_LENGTH)
        evidence = r.text("evidence", required=False, max_length=MAX_TEXT_LENGTH)
        for column, value in zip(NUL_TEXT_COLUMNS, (note, evidence), strict=True):
            if "\x00" in value:
                r.error(column, "darf kein NUL-Zeichen enthalten")
        if r.ok and status is not None and date is not None:
            values = {
                "measure_id": measure_id,
                "status": status,
                "date": date,
                "due_date": due_date,
                "note": note,
                "evidence": evidence,
            }
            parsed.append(ProgressRow(r.row.line, org, values))
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
    authorize_all(actor, Permission.record_measures, {row.org for row in parsed})
    involved = {org_ids[row.org] for row in parsed}
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
    for _, org, values in parsed:
        org_id = org_ids[org]
        key = _key(org_id, values)
        if key in seen:
            continue
        seen.add(key)
        appended[org] += 1
        # The parsed values become the row to insert (no copy of a million dicts).
        values.update(
            org_id=org_id, catalog_key=catalog.id, recorded_by=actor.name, recorded_at=now
        )
        fresh.append(values)
    summary = ImportSummary(
        table.file, len(parsed), len(fresh), len(parsed) - len(fresh), dry_run=dry_run
    )
    if fresh and not dry_run:
        # The table's insert (one executemany), not the ORM's bulk insert of mappings.
        session.connection().execute(sa.insert(MeasureEvent), fresh)
        # One entry per organisation; the events themselves carry who recorded them, when.
        for org, count in sorted(appended.items()):
            after = {"file": table.file, "events": count}
            audit(session, actor, "import", "measure_event", org, org=org, after=after)
    return summary


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
