"""The Landesvergleich: the Land export of the own organisations, the imported Land exports
of other Kommunen, and the comparison and summary over both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from spatz import scoring
from spatz.catalog import OVERALL, Catalog
from spatz.db import begin_snapshot
from spatz.errors import DataImportError, NotFoundError, Problem
from spatz.io.land import (
    DIMENSION,
    GROUP,
    LAND_COLUMNS,
    ROW_KIND,
    CatalogLookup,
    LandFile,
    LandRecord,
    LandTable,
    empty_land_frame,
    parse_land,
    read_land_table_bytes,
    row_kinds,
    shipped_catalogs,
    typed_land_frame,
)
from spatz.land import MIN_GROUP, Grouping
from spatz.land import land_summary as summarise
from spatz.land import position as locate
from spatz.model import LandRow, Organisation
from spatz.model.common import utcnow
from spatz.queries.frames import rows_frame
from spatz.services.audit import audit
from spatz.services.auth import Permission, allows, authorize
from spatz.services.catalogs import get_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.scores import DateLike, Reading

_BOOKKEEPING = ["position", "source", "recorded_by", "recorded_at"]
IMPORTED_COLUMNS = [*LAND_COLUMNS, *_BOOKKEEPING]
"""Columns of :func:`imported_land`; :data:`~spatz.io.land.ROW_KIND` follows the Land
columns when rows of groups are stored."""

_STORED = [*LAND_COLUMNS, ROW_KIND]
"""The columns of a comparison row that come from its file."""
_Group = tuple[str, str, dt.date]
_CONTENT = ["dimension_id"] + [
    c for c in _STORED if c not in ("org", "catalog_id", "as_of", "dimension_id")
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
    columns = [col(getattr(LandRow, c)) for c in _STORED]
    stored: dict[_Group, list[dict[str, Any]]] = {}
    if orgs:
        for row in session.execute(sa.select(*columns).where(col(LandRow.org).in_(orgs))):
            record = dict(zip(_STORED, row, strict=True))
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


def import_land_files(
    *,
    session: Session,
    actor: Actor,
    files: Sequence[tuple[str, bytes]],
    dry_run: bool = False,
) -> list[ImportSummary]:
    """:func:`import_land` for uploaded files (name and content, as the dashboard gets
    them): the problems of every file are reported together, and nothing is stored unless
    all files are fine."""
    authorize(actor, Permission.import_land)
    tables: list[LandTable] = []
    problems: list[Problem] = []
    for name, content in files:
        try:
            tables.append(read_land_table_bytes(content, name))
        except DataImportError as exc:
            problems.extend(exc.problems)
    return import_land(
        session=session, actor=actor, tables=tables, problems=problems, dry_run=dry_run
    )


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


def _imported_land_frame(conn: Connection | Session) -> pd.DataFrame:
    """Every stored comparison row, sorted by org, catalog, Stichtag and catalog order.

    Columns :data:`IMPORTED_COLUMNS`: the Land export columns typed as by
    :func:`spatz.read_land` (with :data:`~spatz.io.land.ROW_KIND` if rows of groups are
    stored), then position, source, recorded_by, recorded_at.
    """
    names = [*_STORED, *_BOOKKEEPING]
    stmt = sa.select(*(col(getattr(LandRow, c)) for c in names)).order_by(
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
    frame = rows_frame(rows, names)
    frame["kind"] = frame["kind"].map(str)
    if not (frame[ROW_KIND] == GROUP).any():
        frame = frame.drop(columns=ROW_KIND)
    typed = typed_land_frame(frame)
    typed["position"] = frame["position"].astype("int64")
    typed["source"] = frame["source"].astype("str")
    typed["recorded_by"] = frame["recorded_by"].astype("str")
    typed["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True)
    return typed


def imported_land(*, session: Session, actor: Actor) -> pd.DataFrame:
    """The comparison rows imported from other Land exports (``spatz land import``).

    The columns of the Land export (typed as :func:`spatz.read_land` returns them, with
    ``row_kind`` if rows of groups are stored), then position (the row's place in its
    catalog), source (file name), recorded_by, recorded_at; sorted by org, catalog,
    Stichtag and catalog order.
    """
    authorize(actor, Permission.view_land)
    return _imported_land_frame(session)


def _unknown(wanted: Iterable[str], known: set[str]) -> None:
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise NotFoundError(f"Organisation(en) nicht gefunden: {', '.join(unknown)}")


def _without_events(catalog: Catalog, events: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The result rows of an organisation without events (every measure open; one
    ``planned`` event counts exactly as none), indexed by ``dimension_id``. Where a level
    has no measures it is fulfilled, so such an organisation need not stand at level 0."""
    first = catalog.dimensions[0].measures[0].id
    one = pd.DataFrame({"org": [""], "measure_id": [first], "status": ["planned"], "date": [day]})
    one = one.astype({c: events[c].dtype for c in one.columns})
    return scoring.score(catalog, one, day).set_index("dimension_id")


def land_rows(reading: Reading, day: pd.Timestamp, orgs: list[str] | None) -> pd.DataFrame:
    """The Land export rows of the own organisations (or of ``orgs``) at ``day``;
    :func:`land_export` after its checks. For a catalog with groups the rows of format
    version 2: with the rows of the groups and the column ``row_kind``."""
    catalog = reading.catalog
    organisations = reading.organisations
    if orgs is not None:
        organisations = organisations[organisations["org"].isin(orgs)]
    scores = scoring.score(catalog, reading.events, day, reading.covers)
    kinds = [(d.id, d.name, DIMENSION) for d in catalog.dimensions]
    kinds += [(g.id, g.name, GROUP) for g in catalog.groups]
    kinds.append((OVERALL, "Gesamt", OVERALL))
    grid = pd.DataFrame(
        [
            (o, pos, row_id, name, kind)
            for o in organisations["org"]
            for pos, (row_id, name, kind) in enumerate(kinds)
        ],
        columns=["org", "position", "dimension_id", "dimension", ROW_KIND],
    )
    rows = grid.merge(scores, on=["org", "dimension_id"], how="left")
    if rows["level"].isna().any():
        base = _without_events(catalog, reading.events, day)
        for column in ("level", "score", "measures_completed", "measures_total"):
            rows[column] = rows[column].fillna(rows["dimension_id"].map(base[column]))
    counts = {"level": "int64", "measures_completed": "int64", "measures_total": "int64"}
    rows = rows.astype(counts | {"score": "float64"})
    rows = rows.merge(reading.targets, on=["org", "dimension_id"], how="left")
    rows["target_level"] = rows["target_level"].astype("Int64")
    rows = rows.merge(organisations.rename(columns={"name": "organisation"}), on="org", how="left")
    rows["catalog_id"] = catalog.id
    rows["catalog_version"] = catalog.version
    rows["as_of"] = day
    rows = rows.sort_values(["org", "position"], kind="stable").reset_index(drop=True)
    return rows[[*LAND_COLUMNS, ROW_KIND] if catalog.groups else LAND_COLUMNS]


def checked_orgs(reading: Reading, orgs: Iterable[str] | None) -> list[str] | None:
    """``orgs`` without repetitions, each one the actor may see and that exists."""
    if orgs is None:
        return None
    wanted = list(dict.fromkeys(orgs))
    for org in wanted:
        authorize(reading.actor, Permission.view_overview, org)
    _unknown(wanted, set(reading.organisations["org"]))
    return wanted


def land_export(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    as_of: DateLike | None = None,
    orgs: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Rows of the Land export (:data:`spatz.io.land.LAND_COLUMNS`) at ``as_of``.

    Every organisation (or those named in ``orgs``) gets one row per dimension, for a
    catalog with groups one per group (and the column ``row_kind``: format version 2),
    and one for ``overall``; an organisation without recorded measures stands where every
    measure is open.
    """
    authorize(actor, Permission.view_overview)
    reading = Reading(session, actor, catalog_id)
    return land_rows(reading, reading.day(as_of), checked_orgs(reading, orgs))


def _comparison(
    reading: Reading, day: pd.Timestamp, orgs: Iterable[str] | None, include_imported: bool
) -> pd.DataFrame:
    own_keys = set(reading.organisations["org"])
    imported = _imported_land_frame(reading.session) if include_imported else empty_land_frame()
    imported = imported[~imported["org"].isin(own_keys)]
    wanted: list[str] | None = None
    if orgs is not None:
        wanted = list(dict.fromkeys(orgs))
        _unknown(wanted, own_keys | set(imported["org"]))
        imported = imported[imported["org"].isin(wanted)]
    own_wanted = None if wanted is None else [o for o in wanted if o in own_keys]
    parts: list[pd.DataFrame] = []
    if own_keys and own_wanted != []:
        own = typed_land_frame(land_rows(reading, day, own_wanted))
        parts.append(own.assign(position=own.groupby("org").cumcount()))
    if len(imported):
        parts.append(imported)
    if not parts:
        return empty_land_frame()
    if any(ROW_KIND in part.columns for part in parts):
        parts = [
            part
            if ROW_KIND in part.columns
            else part.assign(row_kind=row_kinds(part["dimension_id"]))
            for part in parts
        ]
    rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    rows = rows.sort_values(["org", "catalog_id", "as_of", "position"], kind="stable")
    return typed_land_frame(rows).reset_index(drop=True)


def _evaluated(reading: Reading, day: pd.Timestamp) -> pd.DataFrame:
    """The rows the Land comparison evaluates at ``day``: the own organisations at ``day``
    and the imported ones with a Stichtag on or before it."""
    rows = _comparison(reading, day, None, include_imported=True)
    return rows[rows["as_of"] <= day]


def land_comparison(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    as_of: DateLike | None = None,
    orgs: Iterable[str] | None = None,
    include_imported: bool = True,
) -> pd.DataFrame:
    """The own organisations' Land export rows at ``as_of`` and, with
    ``include_imported``, the imported rows of every organisation that is not one of
    the own ones, as stored (whatever their Stichtag).

    ``orgs`` selects organisations by key, own or imported. Sorted by org, catalog,
    Stichtag and catalog order: the order of the Land export, so that exporting the
    rows reproduces an imported file byte for byte. Columns
    :data:`~spatz.io.land.LAND_COLUMNS`.
    """
    authorize(actor, Permission.view_land)
    reading = Reading(session, actor, catalog_id)
    return _comparison(reading, reading.day(as_of), orgs, include_imported)


def land_summary(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    as_of: DateLike | None = None,
    by: Grouping | None = None,
    min_group: int = MIN_GROUP,
) -> pd.DataFrame:
    """:func:`spatz.land_summary` over the own organisations at ``as_of`` and the
    imported rows with a Stichtag on or before ``as_of`` (each organisation counts with
    its latest). The level columns run up to the highest level of the catalogs. The
    Stichtag used is the frame's ``attrs["as_of"]``."""
    authorize(actor, Permission.view_land)
    reading = Reading(session, actor, catalog_id)
    day = reading.day(as_of)
    return _summary(session, _evaluated(reading, day), day, by, min_group)


def _summary(
    session: Session, rows: pd.DataFrame, day: pd.Timestamp, by: Grouping | None, min_group: int
) -> pd.DataFrame:
    """:func:`land_summary` of the evaluated ``rows``."""
    pairs = rows[["catalog_id", "catalog_version"]].drop_duplicates()
    find = catalog_lookup(session)
    catalogs = [find(c, v) for c, v in pairs.itertuples(index=False)]
    levels = [c.n_levels for c in catalogs if c is not None]
    summary = summarise(rows, by, min_group, n_levels=max(levels) if levels else None)
    summary.attrs["as_of"] = day.date()
    return summary


def position(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    org: str,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """:func:`spatz.land.position` of ``org`` among all organisations :func:`land_summary`
    evaluates at ``as_of``. Whoever sees the organisation's overview sees its position:
    the others show only as median and quartiles, suppressed in small groups, so the
    comparison reads every organisation whatever the actor's scope."""
    authorize(actor, Permission.view_overview, org)
    everyone = Reading(session, Actor.operator(actor.name), catalog_id)
    day = everyone.day(as_of)
    return locate(_evaluated(everyone, day), org)


@dataclass(frozen=True)
class LandView:
    """What the Landesvergleich shows at one Stichtag (:func:`land_view`)."""

    rows: pd.DataFrame
    """:func:`land_comparison` with the imported rows."""
    summary: pd.DataFrame
    """:func:`land_summary`."""
    position: pd.DataFrame
    """:func:`position` of the organisation asked about."""


def land_view(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    org: str,
    as_of: DateLike | None = None,
    by: Grouping | None = None,
    min_group: int = MIN_GROUP,
) -> LandView:
    """:func:`land_comparison`, :func:`land_summary` and :func:`position` of ``org`` at the
    Stichtag ``as_of`` (default: the Datenstand of the actor's reads) from one scoring of
    the organisations, instead of one each. Only where the actor sees fewer than all
    organisations does the position score everyone a second time."""
    authorize(actor, Permission.view_land)
    authorize(actor, Permission.view_overview, org)
    reading = Reading(session, actor, catalog_id)
    day = reading.day(as_of)
    rows = _comparison(reading, day, None, include_imported=True)
    evaluated = rows[rows["as_of"] <= day]
    everyone = evaluated
    if actor.scope is not None:
        everyone = _evaluated(Reading(session, Actor.operator(actor.name), catalog_id), day)
    summary = _summary(session, evaluated, day, by, min_group)
    return LandView(rows, summary, locate(everyone, org))


ADOPTER_COLUMNS = ["org", "organisation", "date"]
"""Columns of :func:`adopters`."""


def adopters(
    *,
    session: Session,
    actor: Actor,
    measure_id: str,
    catalog_id: str | None = None,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Who has done the measure ``measure_id`` at ``as_of``, to ask about experience and
    reuse: the organisations that agreed to be named (``named_in_comparison``) and those
    whose measures the actor may see anyway. Nobody else is named, whatever the actor's
    role. Columns :data:`ADOPTER_COLUMNS` (``date``: of the completion), the earliest
    first."""
    authorize(actor, Permission.view_overview)
    begin_snapshot(session)
    orgs = session.execute(
        sa.select(
            col(Organisation.key), col(Organisation.name), col(Organisation.named_in_comparison)
        )
    ).all()
    names = {
        key: name
        for key, name, named in orgs
        if named or allows(actor, Permission.view_detail, key)
    }
    # Only the events of the organisations that may be named are read.
    named = Reading(session, Actor.operator(actor.name), catalog_id, names)
    try:
        named.catalog.measure(measure_id)
    except KeyError:
        raise NotFoundError(
            f"Maßnahme {measure_id!r} gibt es im Katalog {named.catalog.key} nicht"
        ) from None
    # A measure's state depends on its own events only.
    events = named.events[named.events["measure_id"] == measure_id]
    states = scoring.explain(named.catalog, events, named.day(as_of), named.covers)
    done = states[(states["measure_id"] == measure_id) & states["done"]]
    result = pd.DataFrame(
        {
            "org": done["org"].astype("str"),
            "organisation": done["org"].map(names).astype("str"),
            "date": done["date"],
        },
        columns=ADOPTER_COLUMNS,
    )
    return result.sort_values(["date", "org"], kind="stable").reset_index(drop=True)
