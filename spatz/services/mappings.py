"""Mapping sets in the database: load, list, and the sets in force into a catalog.

A mapping set is loaded only when both its catalogs are loaded and every pair names
measures of their versions loaded last. Each version of a set is kept; the one loaded last
of each id is in force. A set in force whose catalogs later drop a paired measure keeps its
other pairs; :func:`covers_into` says which pairs it leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from spatz.catalog import Catalog
from spatz.errors import CatalogError
from spatz.mapping import MappingSet, parse_mapping
from spatz.model import CatalogMapping
from spatz.model.common import local_time
from spatz.services.audit import audit
from spatz.services.auth import Permission, authorize
from spatz.services.catalogs import LoadOutcome, get_catalog, loaded_catalog_ids
from spatz.services.common import Actor

MAX_LISTED_PAIRS = 20
"""How many refused pairs a refusal lists before it counts the rest."""


@dataclass(frozen=True)
class MappingInfo:
    id: str
    version: str
    name: str
    source: str
    target: str
    pairs: int
    loaded_by: str
    loaded_at: str
    in_force: bool
    """Whether this is the version of its id loaded last."""


def _catalog(session: Session, key: str, side: str, mapping: MappingSet) -> Catalog:
    if key not in loaded_catalog_ids(session):
        loaded = ", ".join(loaded_catalog_ids(session)) or "keiner"
        raise CatalogError(
            f"Zuordnung {mapping.key}: {side}katalog {key!r} ist nicht geladen (geladen: "
            f"{loaded}); bitte zuerst den Katalog laden"
        )
    return get_catalog(session=session, ref=key)


def _unknown_pairs(mapping: MappingSet, source: Catalog, target: Catalog) -> list[str]:
    """One line per pair that names a measure the catalogs do not contain."""
    source_ids = {m.id for _, m in source.measures()}
    target_ids = {m.id for _, m in target.measures()}
    lines = []
    for i, pair in enumerate(mapping.pairs):
        missing = []
        if pair.source not in source_ids:
            missing.append(f"{pair.source!r} ist keine Maßnahme von {source.key}")
        if pair.target not in target_ids:
            missing.append(f"{pair.target!r} ist keine Maßnahme von {target.key}")
        if missing:
            lines.append(f"pairs[{i}] ({pair.source} → {pair.target}): {'; '.join(missing)}")
    return lines


def load_mapping_set(*, session: Session, actor: Actor, mapping: MappingSet) -> LoadOutcome:
    """Store a version of a mapping set; the same content again changes nothing, other
    content under a stored version is refused (a change is a new version). Refused too
    when a catalog is not loaded or a pair names a measure its catalog does not contain."""
    authorize(actor, Permission.manage_catalog)
    source = _catalog(session, mapping.source, "Quell", mapping)
    target = _catalog(session, mapping.target, "Ziel", mapping)
    unknown = _unknown_pairs(mapping, source, target)
    if unknown:
        shown = unknown[:MAX_LISTED_PAIRS]
        more = len(unknown) - len(shown)
        raise CatalogError(
            f"Zuordnung {mapping.key}: {len(unknown)} "
            f"{'Paar nennt' if len(unknown) == 1 else 'Paare nennen'} Maßnahmen, die die "
            "Kataloge nicht enthalten:\n  "
            + "\n  ".join(shown)
            + (f"\n  und {more} weitere" if more else "")
        )
    existing = session.exec(
        select(CatalogMapping).where(
            CatalogMapping.key == mapping.id, CatalogMapping.version == mapping.version
        )
    ).first()
    if existing is not None:
        if existing.content_hash == mapping.content_hash():
            return LoadOutcome.unchanged
        raise CatalogError(
            f"Zuordnung {mapping.key} ist bereits geladen und unterscheidet sich von der "
            "Datei; Änderungen bitte als neue Version (Feld version) laden"
        )
    session.add(
        CatalogMapping(
            key=mapping.id,
            version=mapping.version,
            name=mapping.name,
            source_catalog=mapping.source,
            target_catalog=mapping.target,
            content_hash=mapping.content_hash(),
            loaded_by=actor.name,
            document=mapping.model_dump_json(),
        )
    )
    session.flush()
    audit(
        session,
        actor,
        "load",
        "mapping",
        mapping.key,
        after={
            "source": mapping.source,
            "target": mapping.target,
            "pairs": len(mapping.pairs),
            "content_hash": mapping.content_hash(),
        },
    )
    return LoadOutcome.new


def _in_force(session: Session) -> list[CatalogMapping]:
    """The version loaded last of every mapping set, by id."""
    rows = session.exec(select(CatalogMapping).order_by(col(CatalogMapping.id))).all()
    last = {row.key: row for row in rows}
    return sorted(last.values(), key=lambda row: row.key)


def list_mappings(*, session: Session) -> list[MappingInfo]:
    """Every loaded version of every mapping set, in loading order."""
    in_force = {row.id for row in _in_force(session)}
    rows = session.exec(select(CatalogMapping).order_by(col(CatalogMapping.id))).all()
    return [
        MappingInfo(
            id=row.key,
            version=row.version,
            name=row.name,
            source=row.source_catalog,
            target=row.target_catalog,
            pairs=len(_parsed(row).pairs),
            loaded_by=row.loaded_by,
            loaded_at=local_time(row.loaded_at).strftime("%d.%m.%Y %H:%M"),
            in_force=row.id in in_force,
        )
        for row in rows
    ]


def _parsed(row: CatalogMapping) -> MappingSet:
    return parse_mapping(row.document, source=f"Zuordnung {row.key}@{row.version}")


def mappings_into(session: Session, catalog_id: str) -> list[MappingSet]:
    """The mapping sets in force whose target is the catalog ``catalog_id``."""
    return [_parsed(row) for row in _in_force(session) if row.target_catalog == catalog_id]
