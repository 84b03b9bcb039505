"""Targets (Soll): set one, import many, and read the targets in force.

The history is kept: setting a target appends a row, and the target in force is the one
recorded last. Its id is the version an edit is checked against (no lost updates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from spatz.catalog import OVERALL, Catalog
from spatz.errors import ConcurrentChangeError, NotFoundError, SpatzError
from spatz.io.limits import quote
from spatz.io.reader import ProblemCollector, Table
from spatz.io.rows import rows_of
from spatz.io.values import parse_date, parse_int
from spatz.model import Organisation, Target, TargetCreate, TargetPublic
from spatz.model.common import utcnow
from spatz.queries.frames import rows_frame
from spatz.services.audit import audit
from spatz.services.auth import Permission, authorize, authorize_all
from spatz.services.catalogs import get_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.lookups import lock_organisation, org_ids_by_key, require_org

TARGET_COLUMNS = ("org", "dimension_id", "target_level", "target_date")


def parse_targets(
    table: Table, *, catalog: Catalog, org_ids: dict[str, int]
) -> list[tuple[int, TargetCreate]]:
    table.require(TARGET_COLUMNS)
    dimensions = {d.id for d in catalog.dimensions} | {OVERALL}
    problems = ProblemCollector()
    parsed: list[tuple[int, TargetCreate]] = []
    first_line: dict[tuple[str, str], int] = {}
    for r in rows_of(table, problems):
        org = r.text("org", max_length=50)
        if org and org not in org_ids:
            r.error("org", f"unbekannte Organisation {quote(org)}")
        dimension = r.text("dimension_id", max_length=100)
        if (org, dimension) in first_line:
            r.error(
                "dimension_id",
                f"zweites Ziel für {quote(org)} und {quote(dimension)} "
                f"(zuerst in Zeile {first_line[org, dimension]})",
            )
        first_line.setdefault((org, dimension), r.row.line)
        if dimension and dimension not in dimensions:
            r.error(
                "dimension_id",
                f"unbekannte Dimension {quote(dimension)} "
                f"(erlaubt: {', '.join(sorted(dimensions))})",
            )
        level = r.parse("target_level", lambda v: parse_int(v, minimum=1))
        if level is not None and level > catalog.n_levels:
            r.error("target_level", f"der Katalog hat nur die Stufen 1..{catalog.n_levels}")
        date = r.parse("target_date", parse_date)
        if r.ok and level is not None and date is not None:
            parsed.append(
                (
                    r.row.line,
                    TargetCreate(
                        org=org, dimension_id=dimension, target_level=level, target_date=date
                    ),
                )
            )
    problems.raise_if_any()
    return parsed


def import_targets(
    *,
    session: Session,
    actor: Actor,
    table: Table,
    catalog: Catalog | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Record targets; a target equal to the one in force is skipped (history is kept)."""
    catalog = catalog or get_catalog(session=session)
    org_ids = org_ids_by_key(session)
    parsed = parse_targets(table, catalog=catalog, org_ids=org_ids)
    authorize_all(actor, Permission.set_targets, {t.org for _, t in parsed})
    current = _current(session.connection(), catalog.id)
    in_force: dict[tuple[int, str], tuple[int, dt.date]] = {
        (org_id, dimension): (level, date)
        for org_id, dimension, level, date in zip(
            current["org_id"].tolist(),
            current["dimension_id"].tolist(),
            current["target_level"].tolist(),
            current["target_date"].tolist(),
            strict=True,
        )
    }
    now = utcnow()
    fresh = []
    changes: list[tuple[TargetCreate, tuple[int, dt.date] | None]] = []
    for _, target in parsed:
        org_id = org_ids[target.org]
        value = (target.target_level, target.target_date)
        before = in_force.get((org_id, target.dimension_id))
        if before == value:
            continue
        in_force[(org_id, target.dimension_id)] = value
        changes.append((target, before))
        fresh.append(
            {
                **target.model_dump(exclude={"org"}),
                "org_id": org_id,
                "catalog_key": catalog.id,
                "recorded_by": actor.name,
                "recorded_at": now,
            }
        )
    summary = ImportSummary(
        table.file, len(parsed), len(fresh), len(parsed) - len(fresh), dry_run=dry_run
    )
    if fresh and not dry_run:
        session.execute(sa.insert(Target), fresh)
        for target, before in changes:
            _audit_target(session, actor, target, before)
    return summary


def _audit_target(
    session: Session, actor: Actor, target: TargetCreate, before: tuple[int, dt.date] | None
) -> None:
    def values(level: int, date: dt.date) -> dict[str, object]:
        return {"target_level": level, "target_date": date}

    audit(
        session,
        actor,
        "set",
        "target",
        f"{target.org}/{target.dimension_id}",
        org=target.org,
        before=values(*before) if before else None,
        after=values(target.target_level, target.target_date),
    )


class TargetError(SpatzError, ValueError):
    """A target outside the catalog's levels."""


def target_in_force(
    *,
    session: Session,
    actor: Actor,
    org: str,
    dimension_id: str,
    catalog_id: str | None = None,
) -> TargetPublic | None:
    """The target in force for an organisation and a dimension (or ``overall``) of the
    catalog ``catalog_id`` (default: the default catalog)."""
    authorize(actor, Permission.view_overview, org)
    catalog = get_catalog(session=session, ref=catalog_id)
    record = require_org(session, org)
    assert record.id is not None
    target = _in_force(session, record.id, catalog.id, dimension_id)
    if target is None:
        return None
    return TargetPublic.model_validate(target, update={"org": org})


def _in_force(session: Session, org_id: int, catalog_key: str, dimension_id: str) -> Target | None:
    return session.exec(
        select(Target)
        .where(
            Target.org_id == org_id,
            Target.catalog_key == catalog_key,
            Target.dimension_id == dimension_id,
        )
        .order_by(col(Target.id).desc())
        .limit(1)
    ).first()


def set_target(
    *,
    session: Session,
    actor: Actor,
    target: TargetCreate,
    expected_id: int | None,
    catalog_id: str | None = None,
) -> TargetPublic:
    """Set the target of an organisation for a dimension (or ``overall``) of the catalog
    ``catalog_id`` (default: the default catalog).

    ``expected_id`` is the id of the target in force that the user saw (``None``: none). If
    somebody set another one in between, the write is refused with
    :class:`ConcurrentChangeError`; the same target again writes nothing.
    """
    authorize(actor, Permission.set_targets, target.org)
    catalog = get_catalog(session=session, ref=catalog_id)
    dimensions = {d.id for d in catalog.dimensions} | {OVERALL}
    if target.dimension_id not in dimensions:
        raise NotFoundError(f"Dimension {quote(target.dimension_id)} gibt es im Katalog nicht")
    if not 1 <= target.target_level <= catalog.n_levels:
        raise TargetError(f"Die Zielstufe muss zwischen 1 und {catalog.n_levels} liegen")
    org = require_org(session, target.org)
    assert org.id is not None
    lock_organisation(session, org.id)
    current = _in_force(session, org.id, catalog.id, target.dimension_id)
    if (current.id if current else None) != expected_id:
        changed = (
            f"„Stufe {current.target_level} bis {current.target_date:%d.%m.%Y}“ "
            f"({current.recorded_by})"
            if current
            else "kein Ziel mehr"
        )
        raise ConcurrentChangeError(
            f"Das Ziel wurde inzwischen geändert: jetzt {changed}. Bitte prüfen und erneut "
            "speichern."
        )
    if current and (current.target_level, current.target_date) == (
        target.target_level,
        target.target_date,
    ):
        return TargetPublic.model_validate(current, update={"org": target.org})
    record = Target.model_validate(
        target.model_dump(exclude={"org"}),
        update={"org_id": org.id, "catalog_key": catalog.id, "recorded_by": actor.name},
    )
    session.add(record)
    session.flush()
    _audit_target(
        session,
        actor,
        target,
        (current.target_level, current.target_date) if current else None,
    )
    return TargetPublic.model_validate(record, update={"org": target.org})


def _current(
    conn: Connection, catalog_key: str, orgs: Collection[str] | None = None
) -> pd.DataFrame:
    latest_ids = (
        sa.select(sa.func.max(col(Target.id)).label("id"))
        .where(col(Target.catalog_key) == catalog_key)
        .group_by(col(Target.org_id), col(Target.dimension_id))
    )
    if orgs is not None:
        wanted = sa.select(col(Organisation.id)).where(col(Organisation.key).in_(sorted(orgs)))
        latest_ids = latest_ids.where(col(Target.org_id).in_(wanted))
    latest = latest_ids.subquery()
    stmt = (
        sa.select(
            col(Target.org_id),
            col(Organisation.key),
            col(Target.dimension_id),
            col(Target.target_level),
            col(Target.target_date),
        )
        .join(latest, latest.c.id == col(Target.id))
        .join(Organisation, col(Organisation.id) == col(Target.org_id))
        .order_by(col(Organisation.key), col(Target.dimension_id))
    )
    frame = rows_frame(
        conn.execute(stmt).fetchall(),
        ["org_id", "org", "dimension_id", "target_level", "target_date"],
    )
    # Typed also without rows, as the columns of rows are.
    return frame.astype(
        {"org_id": "int64", "org": "str", "dimension_id": "str", "target_level": "int64"}
    )


def targets_frame(
    conn: Connection, *, catalog_key: str, orgs: Collection[str] | None = None
) -> pd.DataFrame:
    """The targets in force (the last recorded per organisation and dimension), of the
    organisations ``orgs`` (keys) only if given.

    Columns: org, dimension_id, target_level, target_date.
    """
    frame = _current(conn, catalog_key, orgs).drop(columns=["org_id"])
    frame["target_date"] = pd.to_datetime(frame["target_date"])
    return frame.reset_index(drop=True)
