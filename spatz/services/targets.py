"""Targets (Soll): import, and read the targets in force."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from spatz.catalog import OVERALL, Catalog
from spatz.io.reader import ProblemCollector, Table
from spatz.io.rows import rows_of
from spatz.io.values import parse_date, parse_int
from spatz.model import Organisation, Target, TargetCreate
from spatz.model.common import utcnow
from spatz.services.catalogs import get_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.lookups import org_ids_by_key

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
            r.error("org", f"unbekannte Organisation {org!r}")
        dimension = r.text("dimension_id", max_length=100)
        if (org, dimension) in first_line:
            r.error(
                "dimension_id",
                f"zweites Ziel für {org!r} und {dimension!r} "
                f"(zuerst in Zeile {first_line[org, dimension]})",
            )
        first_line.setdefault((org, dimension), r.row.line)
        if dimension and dimension not in dimensions:
            r.error(
                "dimension_id",
                f"unbekannte Dimension {dimension!r} (erlaubt: {', '.join(sorted(dimensions))})",
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
    in_force = {
        (row.org_id, row.dimension_id): (row.target_level, row.target_date)
        for row in _current(session.connection(), catalog.id).itertuples()
    }
    now = utcnow()
    fresh = []
    for _, target in parsed:
        org_id = org_ids[target.org]
        value = (target.target_level, target.target_date)
        if in_force.get((org_id, target.dimension_id)) == value:
            continue
        in_force[(org_id, target.dimension_id)] = value
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
    return summary


def _current(conn: Connection, catalog_key: str) -> pd.DataFrame:
    latest = (
        sa.select(sa.func.max(col(Target.id)).label("id"))
        .where(col(Target.catalog_key) == catalog_key)
        .group_by(col(Target.org_id), col(Target.dimension_id))
        .subquery()
    )
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
    return pd.DataFrame(
        conn.execute(stmt).fetchall(),
        columns=["org_id", "org", "dimension_id", "target_level", "target_date"],
    )


def targets_frame(conn: Connection, *, catalog_key: str) -> pd.DataFrame:
    """The targets in force (the last recorded per organisation and dimension).

    Columns: org, dimension_id, target_level, target_date.
    """
    frame = _current(conn, catalog_key).drop(columns=["org_id"])
    frame["target_date"] = pd.to_datetime(frame["target_date"])
    return frame.reset_index(drop=True)
