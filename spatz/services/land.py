"""Comparison data: import the Land exports of other Kommunen, read them back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from spatz.catalog import Catalog
from spatz.errors import NotFoundError, Problem
from spatz.io.land import (
    LAND_COLUMNS,
    CatalogLookup,
    LandFile,
    LandRecord,
    LandTable,
    empty_land_frame,
    parse_land,
    shipped_catalogs,
    typed_land_frame,
)
from spatz.model import LandRow
from spatz.model.common import utcnow
from spatz.services.audit import audit
from spatz.services.auth import Permission, authorize
from spatz.services.catalogs import get_catalog
from spatz.services.common import Actor, ImportSummary

IMPORTED_COLUMNS = [*LAND_COLUMNS, "position", "source", "recorded_by", "recorded_at"]
"""Columns of :func:`imported_land_frame`."""

_Group = tuple[str, str, dt.date]
_CONTENT = ["dimension_id"] + [
    c for c in LAND_COLUMNS if c not in ("org", "catalog_id", "as_of", "dimension_id")
]


def catalog_lookup(session: Session) -> CatalogLookup:
    """Catalogs by id and version: those stored in the database, else the shipped ones."""
    shipped = shipped_catalogs()

    def find(catalog_id: str, version: str) -> Catalog | None:
        try:
            return get_catalog(session=session, ref=f"{catalog_id}@{version}")
        except NotFoundError:
            return shipped(catalog_id, version)

    return find


def _content(rows: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a group says, comparable between a file and the database."""
    return sorted(tuple(round(r[c], 2) if c == "score" else r[c] for c in _CONTENT) for r in rows)


def _stored_groups(session: Session, orgs: set[str]) -> dict[_Group, list[tuple[Any, ...]]]:
    columns = [col(getattr(LandRow, c)) for c in LAND_COLUMNS]
    stored: dict[_Group, list[dict[str, Any]]] = {}
    if orgs:
        for row in session.execute(sa.select(*columns).where(col(LandRow.org).in_(orgs))):
            record = dict(zip(LAND_COLUMNS, row, strict=True))
            record["kind"] = str(record["kind"])
            stored.setdefault((record["org"], record["catalog_id"], record["as_of"]), []).append(
                record
            )
    return {key: _content(rows) for key, rows in stored.items()}


def _insert_values(
    record: LandRecord, source: str, actor: Actor, now: dt.datetime
) -> dict[str, Any]:
    return record.values() | {
        "position": record.position,
        "source": Path(source).name[:255],
        "recorded_by": actor.name,
        "recorded_at": now,
    }


def import_land(
    *,
    session: Session,
    actor: Actor,
    tables: Sequence[LandTable],
    problems: Iterable[Problem] = (),
    dry_run: bool = False,
) -> list[ImportSummary]:
    """Store the rows of Land exports as comparison data; all files or none.

    What a file says about an organisation, catalog and Stichtag replaces what was stored
    for them (also rows of dimensions the file no longer has); the same content again
    changes nothing. ``problems`` of files that could not be read are reported with the
    rest (see :func:`spatz.io.land.parse_land`). Returns one summary per file.
    """
    authorize(actor, Permission.import_land)
    files = parse_land(tables, catalog_lookup(session), problems=problems)
    stored = _stored_groups(session, {r.org for f in files for r in f.records})
    now = utcnow()
    summaries: list[ImportSummary] = []
    for land_file in files:
        summary, replaced, fresh = _plan(land_file, stored, actor, now, dry_run)
        summaries.append(summary)
        if dry_run:
            continue
        for org, catalog_id, as_of in replaced:
            session.execute(
                sa.delete(LandRow).where(
                    col(LandRow.org) == org,
                    col(LandRow.catalog_id) == catalog_id,
                    col(LandRow.as_of) == as_of,
                )
            )
        if fresh:
            session.execute(sa.insert(LandRow), fresh)
        if fresh or replaced:
            after = {"rows": len(fresh), "replaced_groups": len(replaced)}
            audit(session, actor, "import", "land_row", land_file.file, after=after)
    return summaries


def _plan(
    land_file: LandFile,
    stored: dict[_Group, list[tuple[Any, ...]]],
    actor: Actor,
    now: dt.datetime,
    dry_run: bool,
) -> tuple[ImportSummary, list[_Group], list[dict[str, Any]]]:
    """What importing one file does: its summary, the groups to delete first, the rows to
    insert."""
    groups: dict[_Group, list[LandRecord]] = {}
    for record in land_file.records:
        groups.setdefault((record.org, record.catalog_id, record.as_of), []).append(record)
    new = existing = updated = 0
    replaced: list[_Group] = []
    fresh: list[dict[str, Any]] = []
    for key, records in groups.items():
        content = _content(r.values() for r in records)
        if key in stored and stored[key] == content:
            existing += len(records)
            continue
        if key in stored:
            replaced.append(key)
            updated += len(records)
        else:
            new += len(records)
        fresh.extend(_insert_values(r, land_file.file, actor, now) for r in records)
    summary = ImportSummary(
        land_file.file, len(land_file.records), new, existing, updated, dry_run=dry_run
    )
    return summary, replaced, fresh


def imported_land_frame(conn: Connection | Session) -> pd.DataFrame:
    """Every stored comparison row, sorted by org, catalog, Stichtag and catalog order.

    Columns :data:`IMPORTED_COLUMNS`: the Land export columns typed as by
    :func:`spatz.read_land`, then position, source, recorded_by, recorded_at.
    """
    stmt = sa.select(*(col(getattr(LandRow, c)) for c in IMPORTED_COLUMNS)).order_by(
        col(LandRow.org), col(LandRow.catalog_id), col(LandRow.as_of), col(LandRow.position)
    )
    rows = conn.execute(stmt).fetchall()
    if not rows:
        frame = empty_land_frame()
        frame["position"] = pd.Series(dtype="int64")
        frame["source"] = pd.Series(dtype="str")
        frame["recorded_by"] = pd.Series(dtype="str")
        frame["recorded_at"] = pd.Series(dtype="datetime64[us, UTC]")
        return frame
    frame = pd.DataFrame(rows, columns=IMPORTED_COLUMNS)
    frame["kind"] = frame["kind"].map(str)
    typed = typed_land_frame(frame)
    typed["position"] = frame["position"].astype("int64")
    typed["source"] = frame["source"].astype("str")
    typed["recorded_by"] = frame["recorded_by"].astype("str")
    typed["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True)
    return typed
