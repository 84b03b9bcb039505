"""Catalog versions in the database: load, list, read back, the default catalog.

A database holds any number of catalogs (by id), each in any number of versions. A read
or import names its catalog as ``ID`` (its version loaded last) or ``ID@VERSION``; without
one it takes the default catalog (:func:`set_default_catalog`), else the only one loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, select

from spatz.catalog import OVERALL, Catalog, Dimension, Level, Measure, parse_catalog
from spatz.errors import CatalogError, NotFoundError
from spatz.model import (
    DEFAULT_CATALOG,
    CatalogDimension,
    CatalogLevel,
    CatalogMeasure,
    CatalogVersion,
    MeasureEvent,
    Setting,
    Target,
)
from spatz.model.common import local_time
from spatz.services.audit import audit
from spatz.services.auth import Permission, authorize
from spatz.services.common import Actor


class LoadOutcome(StrEnum):
    new = "new"
    unchanged = "unchanged"
    replaced = "replaced"


@dataclass(frozen=True)
class CatalogInfo:
    id: str
    version: str
    name: str
    measures: int
    loaded_by: str
    loaded_at: str
    in_use: bool
    default: bool
    """Whether the version's catalog is the default catalog."""


MAX_LISTED_CHANGES = 50
"""How many changed measures and dimensions a refused load lists before it counts the rest."""


def _counted(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def catalog_changes(session: Session, catalog: Catalog) -> tuple[str, ...]:
    """What loading ``catalog`` changes for the data recorded against its id, one German
    line per measure or dimension: measures with events that it drops or moves (to another
    dimension or level than the version of its id loaded last) and dimensions with targets
    that it drops, e.g. ``ISM-2-03: 14 Ereignisse (entfällt)``."""
    counts = dict(
        session.execute(
            sa.select(col(MeasureEvent.measure_id), sa.func.count())
            .where(col(MeasureEvent.catalog_key) == catalog.id)
            .group_by(col(MeasureEvent.measure_id))
        ).all()
    )
    targets = dict(
        session.execute(
            sa.select(col(Target.dimension_id), sa.func.count())
            .where(col(Target.catalog_key) == catalog.id)
            .group_by(col(Target.dimension_id))
        ).all()
    )
    if not counts and not targets:
        return ()
    previous = _last_version(session, catalog.id)
    before: dict[str, tuple[str, int]] = {}
    if previous is not None and previous.version != catalog.version:
        old = get_catalog(session=session, ref=f"{previous.key}@{previous.version}")
        before = {m.id: (d.id, m.level) for d, m in old.measures()}
    now = {m.id: (d.id, m.level) for d, m in catalog.measures()}
    lines = []
    for measure, number in sorted(counts.items()):
        events = _counted(number, "Ereignis", "Ereignisse")
        if measure not in now:
            lines.append(f"{measure}: {events} (entfällt)")
            continue
        if measure not in before or before[measure] == now[measure]:
            continue
        (old_dim, old_level), (new_dim, new_level) = before[measure], now[measure]
        moved = []
        if new_dim != old_dim:
            moved.append(f"jetzt Dimension {new_dim} statt {old_dim}")
        if new_level != old_level:
            moved.append(f"jetzt Stufe {new_level} statt {old_level}")
        lines.append(f"{measure}: {events} ({', '.join(moved)})")
    dimensions = {d.id for d in catalog.dimensions} | {OVERALL}
    for dimension, number in sorted(targets.items()):
        if dimension not in dimensions:
            ziele = _counted(number, "Ziel", "Ziele")
            lines.append(f"Dimension {dimension}: {ziele} (entfällt)")
    return tuple(lines)


def _refusal(catalog: Catalog, changes: tuple[str, ...]) -> CatalogError:
    shown = list(changes[:MAX_LISTED_CHANGES])
    if len(changes) > MAX_LISTED_CHANGES:
        shown.append(f"… und {len(changes) - MAX_LISTED_CHANGES} weitere")
    listed = "\n".join(f"  {line}" for line in shown)
    return CatalogError(
        f"Katalog {catalog.key} entfernt oder verschiebt Maßnahmen, zu denen Ereignisse "
        f"erfasst sind (oder Dimensionen mit Zielen):\n{listed}\nNichts geladen. Mit "
        "--accept-dropped laden: die Daten bleiben gespeichert, Ereignisse und Ziele, die "
        "diese Version nicht enthält, bleiben bei ihren Auswertungen unberücksichtigt."
    )


def _last_version(session: Session, key: str) -> CatalogVersion | None:
    """The version of the catalog ``key`` loaded last, None if none is."""
    stmt = select(CatalogVersion).where(CatalogVersion.key == key)
    return session.exec(stmt.order_by(col(CatalogVersion.id).desc())).first()


def _find(session: Session, key: str, version: str) -> CatalogVersion | None:
    return session.exec(
        select(CatalogVersion).where(CatalogVersion.key == key, CatalogVersion.version == version)
    ).first()


def _in_use(session: Session, key: str) -> bool:
    stmt = select(MeasureEvent.id).where(MeasureEvent.catalog_key == key).limit(1)
    return session.exec(stmt).first() is not None


def _document(catalog: Catalog) -> str:
    """What ``catalog.document`` holds: the whole catalog, read back by :func:`get_catalog`."""
    return json.dumps(catalog.document(), ensure_ascii=False)


def store_catalog(
    *, session: Session, actor: Actor, catalog: Catalog, accept_dropped: bool = False
) -> LoadOutcome:
    """Store a catalog version; the first catalog of a database without a default becomes
    the default catalog.

    The same content again changes nothing, but keeps the document of a version stored
    without one (before it was kept). Different content under an existing version is
    refused once measures were recorded against the catalog: a change is a new version.
    A version that drops or moves measures with events, or drops dimensions with targets
    (:func:`catalog_changes`), is refused naming them unless ``accept_dropped``.
    """
    authorize(actor, Permission.manage_catalog)
    existing = _find(session, catalog.id, catalog.version)
    outcome = LoadOutcome.new
    before = None
    if existing is not None:
        if existing.content_hash == catalog.content_hash():
            if existing.document is None:
                existing.document = _document(catalog)
                session.add(existing)
                session.flush()
            return LoadOutcome.unchanged
        if _in_use(session, catalog.id):
            raise CatalogError(
                f"Katalog {catalog.key} ist bereits in Gebrauch und unterscheidet sich von der "
                "Datei; Änderungen bitte als neue Version (Feld version) laden"
            )
        before = {"content_hash": existing.content_hash}
        outcome = LoadOutcome.replaced
    changes = catalog_changes(session, catalog)
    if changes and not accept_dropped:
        raise _refusal(catalog, changes)
    if existing is not None:
        session.delete(existing)
        session.flush()
    record = CatalogVersion(
        key=catalog.id,
        version=catalog.version,
        name=catalog.name,
        description=catalog.description,
        threshold=catalog.threshold,
        content_hash=catalog.content_hash(),
        loaded_by=actor.name,
        document=_document(catalog),
    )
    session.add(record)
    session.flush()
    assert record.id is not None
    for lv in catalog.levels:
        session.add(
            CatalogLevel(
                catalog_id=record.id, level=lv.level, name=lv.name, description=lv.description
            )
        )
    position = 0
    for dim_pos, dim in enumerate(catalog.dimensions):
        dim_record = CatalogDimension(
            catalog_id=record.id,
            key=dim.id,
            name=dim.name,
            description=dim.description,
            weight=dim.weight,
            position=dim_pos,
        )
        session.add(dim_record)
        session.flush()
        assert dim_record.id is not None
        for m in dim.measures:
            session.add(
                CatalogMeasure(
                    catalog_id=record.id,
                    dimension_id=dim_record.id,
                    key=m.id,
                    level=m.level,
                    title=m.title,
                    description=m.description,
                    weight=m.weight,
                    mandatory=m.mandatory,
                    valid_for_months=m.valid_for_months,
                    source=m.source,
                    position=position,
                )
            )
            position += 1
    session.flush()
    after = {"content_hash": record.content_hash, "measures": position, "name": catalog.name}
    audit(session, actor, "load", "catalog", catalog.key, before=before, after=after)
    if _default_key(session) is None:
        session.add(Setting(name=DEFAULT_CATALOG, value=catalog.id))
        session.flush()
    return outcome


@dataclass(frozen=True)
class CatalogLoad:
    """What loading a catalog version did, and what it changes for the recorded data."""

    outcome: LoadOutcome
    changes: tuple[str, ...]
    """:func:`catalog_changes` of the version (empty if it changes nothing recorded)."""


def load_catalog_version(
    *, session: Session, actor: Actor, catalog: Catalog, accept_dropped: bool = False
) -> CatalogLoad:
    """:func:`store_catalog`, and the :func:`catalog_changes` it accepted (found before the
    version is stored)."""
    changes = catalog_changes(session, catalog)
    outcome = store_catalog(
        session=session, actor=actor, catalog=catalog, accept_dropped=accept_dropped
    )
    return CatalogLoad(outcome, () if outcome is LoadOutcome.unchanged else changes)


def list_catalogs(*, session: Session) -> list[CatalogInfo]:
    count_stmt = sa.select(col(CatalogMeasure.catalog_id), sa.func.count()).group_by(
        col(CatalogMeasure.catalog_id)
    )
    counts = {catalog_id: n for catalog_id, n in session.execute(count_stmt).all()}
    rows = session.exec(select(CatalogVersion).order_by(col(CatalogVersion.id))).all()
    # One index lookup per catalog id, not a pass over every event.
    used = {
        key
        for key in {r.key for r in rows}
        if session.execute(
            sa.select(sa.exists().where(col(MeasureEvent.catalog_key) == key))
        ).scalar()
    }
    default = _default_key(session)
    return [
        CatalogInfo(
            id=r.key,
            version=r.version,
            name=r.name,
            measures=counts.get(r.id or 0, 0),
            loaded_by=r.loaded_by,
            loaded_at=local_time(r.loaded_at).strftime("%d.%m.%Y %H:%M"),
            in_use=r.key in used,
            default=r.key == default,
        )
        for r in rows
    ]


def _default_key(session: Session) -> str | None:
    """The id of the default catalog, None if none is set."""
    setting = session.get(Setting, DEFAULT_CATALOG)
    return None if setting is None else setting.value


def loaded_catalog_ids(session: Session) -> list[str]:
    """The ids of the loaded catalogs, sorted."""
    stmt = select(CatalogVersion.key).distinct().order_by(col(CatalogVersion.key))
    return list(session.exec(stmt).all())


def default_catalog_key(session: Session) -> str:
    """The id of the catalog a read or import without one uses: the default catalog, else
    the only catalog loaded."""
    default = _default_key(session)
    if default is not None:
        return default
    keys = loaded_catalog_ids(session)
    if not keys:
        raise NotFoundError("Es ist noch kein Katalog geladen (spatz catalog load DATEI)")
    if len(keys) > 1:
        raise NotFoundError(
            f"Es sind mehrere Kataloge geladen ({', '.join(keys)}) und keiner ist der "
            "Standardkatalog: bitte einen wählen (--catalog ID) oder zum Standard machen "
            "(spatz catalog default ID)"
        )
    return keys[0]


def _resolve(session: Session, ref: str | None) -> CatalogVersion:
    """``None`` → the default catalog (:func:`default_catalog_key`); ``ID`` → its version
    loaded last; ``ID@VERSION`` exactly."""
    stmt = select(CatalogVersion).order_by(col(CatalogVersion.id).desc())
    key, _, version = (ref or default_catalog_key(session)).partition("@")
    stmt = stmt.where(CatalogVersion.key == key)
    if version:
        stmt = stmt.where(CatalogVersion.version == version)
    record = session.exec(stmt).first()
    if record is None:
        raise NotFoundError(f"Katalog {ref or key!r} ist nicht geladen (spatz catalog list)")
    return record


def set_default_catalog(*, session: Session, actor: Actor, key: str) -> Catalog:
    """Make the catalog ``key`` (an id) the default catalog of reads and imports without
    one; returns its version loaded last. A catalog that is not loaded is refused, naming
    the loaded ones."""
    authorize(actor, Permission.manage_catalog)
    keys = loaded_catalog_ids(session)
    if key not in keys:
        loaded = ", ".join(keys) if keys else "keiner"
        raise NotFoundError(
            f"Katalog {key!r} ist nicht geladen (geladen: {loaded}); Standard kann nur ein "
            "geladener Katalog sein (ID ohne @VERSION)"
        )
    before = _default_key(session)
    setting = session.get(Setting, DEFAULT_CATALOG) or Setting(name=DEFAULT_CATALOG, value=key)
    setting.value = key
    session.add(setting)
    session.flush()
    audit(
        session,
        actor,
        "default",
        "catalog",
        key,
        before=None if before is None else {"default": before},
        after={"default": key},
    )
    return get_catalog(session=session, ref=key)


def get_catalog(*, session: Session, ref: str | None = None) -> Catalog:
    """Read a stored catalog version back into its validated form: from its document, or
    for a version stored without one, from its rows."""
    record = _resolve(session, ref)
    if record.document is not None:
        return parse_catalog(record.document, source=f"Katalog {record.key}@{record.version}")
    return _from_rows(session, record)


def _from_rows(session: Session, record: CatalogVersion) -> Catalog:
    """A catalog version as its rows hold it (levels, dimensions, measures)."""
    levels = session.exec(
        select(CatalogLevel)
        .where(CatalogLevel.catalog_id == record.id)
        .order_by(col(CatalogLevel.level))
    ).all()
    dims = session.exec(
        select(CatalogDimension)
        .where(CatalogDimension.catalog_id == record.id)
        .order_by(col(CatalogDimension.position))
    ).all()
    measures = session.exec(
        select(CatalogMeasure)
        .where(CatalogMeasure.catalog_id == record.id)
        .order_by(col(CatalogMeasure.position))
    ).all()
    by_dim: dict[int | None, list[Measure]] = {d.id: [] for d in dims}
    for m in measures:
        by_dim[m.dimension_id].append(
            Measure(
                id=m.key,
                level=m.level,
                title=m.title,
                description=m.description,
                weight=m.weight,
                mandatory=m.mandatory,
                valid_for_months=m.valid_for_months,
                source=m.source,
            )
        )
    return Catalog(
        id=record.key,
        version=record.version,
        name=record.name,
        description=record.description,
        threshold=record.threshold,
        levels=tuple(
            Level(level=lv.level, name=lv.name, description=lv.description) for lv in levels
        ),
        dimensions=tuple(
            Dimension(
                id=d.key,
                name=d.name,
                description=d.description,
                weight=d.weight,
                measures=tuple(by_dim[d.id]),
            )
            for d in dims
        ),
    )
