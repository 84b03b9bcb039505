"""Catalog versions in the database: load, list, read back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, select

from spatz.catalog import OVERALL, Catalog, Dimension, Level, Measure, parse_catalog
from spatz.errors import CatalogError, NotFoundError
from spatz.model import (
    CatalogDimension,
    CatalogLevel,
    CatalogMeasure,
    CatalogVersion,
    MeasureEvent,
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


@dataclass(frozen=True)
class CatalogGaps:
    """What a catalog version lacks of the data recorded against its catalog id."""

    measures: tuple[str, ...]
    """Measures with recorded events that are not in the version, sorted."""
    dimensions: tuple[str, ...]
    """Dimensions with targets that are not in the version, sorted."""

    def __bool__(self) -> bool:
        return bool(self.measures or self.dimensions)


def catalog_gaps(session: Session, catalog: Catalog) -> CatalogGaps:
    """The measures with events and the dimensions with targets (of any organisation,
    recorded against ``catalog.id``) that ``catalog`` does not contain."""
    recorded = session.exec(
        select(MeasureEvent.measure_id).where(MeasureEvent.catalog_key == catalog.id).distinct()
    ).all()
    targeted = session.exec(
        select(Target.dimension_id).where(Target.catalog_key == catalog.id).distinct()
    ).all()
    measures = {m.id for _, m in catalog.measures()}
    dimensions = {d.id for d in catalog.dimensions} | {OVERALL}
    return CatalogGaps(
        measures=tuple(sorted(set(recorded) - measures)),
        dimensions=tuple(sorted(set(targeted) - dimensions)),
    )


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


def store_catalog(*, session: Session, actor: Actor, catalog: Catalog) -> LoadOutcome:
    """Store a catalog version.

    The same content again changes nothing, but keeps the document of a version stored
    without one (before it was kept). Different content under an existing version is
    refused once measures were recorded against the catalog: a change is a new version.
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
        session.delete(existing)
        session.flush()
        outcome = LoadOutcome.replaced
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
    return outcome


@dataclass(frozen=True)
class CatalogLoad:
    """What loading a catalog version did, and what the version lacks."""

    outcome: LoadOutcome
    gaps: CatalogGaps


def load_catalog_version(*, session: Session, actor: Actor, catalog: Catalog) -> CatalogLoad:
    """:func:`store_catalog`, and the :func:`catalog_gaps` of the stored version: while it is
    the newest, scoring needs the measures and dimensions it lacks."""
    outcome = store_catalog(session=session, actor=actor, catalog=catalog)
    return CatalogLoad(outcome, catalog_gaps(session, catalog))


def list_catalogs(*, session: Session) -> list[CatalogInfo]:
    count_stmt = sa.select(col(CatalogMeasure.catalog_id), sa.func.count()).group_by(
        col(CatalogMeasure.catalog_id)
    )
    counts = {catalog_id: n for catalog_id, n in session.execute(count_stmt).all()}
    used = set(session.exec(select(MeasureEvent.catalog_key).distinct()).all())
    rows = session.exec(select(CatalogVersion).order_by(col(CatalogVersion.id))).all()
    return [
        CatalogInfo(
            id=r.key,
            version=r.version,
            name=r.name,
            measures=counts.get(r.id or 0, 0),
            loaded_by=r.loaded_by,
            loaded_at=local_time(r.loaded_at).strftime("%d.%m.%Y %H:%M"),
            in_use=r.key in used,
        )
        for r in rows
    ]


def _resolve(session: Session, ref: str | None) -> CatalogVersion:
    """``None`` → the version loaded last; ``ID`` → its version loaded last; ``ID@VERSION``."""
    stmt = select(CatalogVersion).order_by(col(CatalogVersion.id).desc())
    if ref:
        key, _, version = ref.partition("@")
        stmt = stmt.where(CatalogVersion.key == key)
        if version:
            stmt = stmt.where(CatalogVersion.version == version)
    record = session.exec(stmt).first()
    if record is None:
        if ref:
            raise NotFoundError(f"Katalog {ref!r} ist nicht geladen (spatz catalog list)")
        raise NotFoundError("Es ist noch kein Katalog geladen (spatz catalog load DATEI)")
    return record


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
