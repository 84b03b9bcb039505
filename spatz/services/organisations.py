"""Organisations: import from a table, list."""

from __future__ import annotations

import re

from pydantic import ValidationError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from spatz.errors import ConcurrentChangeError
from spatz.io.limits import quote
from spatz.io.reader import ProblemCollector, Table
from spatz.io.rows import rows_of
from spatz.io.values import parse_kind
from spatz.model import Organisation, OrganisationCreate, OrganisationPublic
from spatz.model.common import utcnow
from spatz.model.organisation import AGS_PATTERN, KEY_PATTERN
from spatz.services.audit import audit
from spatz.services.auth import Permission, authorize
from spatz.services.common import Actor, ImportSummary

ORGANISATION_COLUMNS = ("org", "name", "kind", "land", "ags", "parent")
_FIELDS = ("name", "kind", "land", "ags")


def parse_organisations(table: Table) -> list[tuple[int, OrganisationCreate]]:
    """Validate an organisations table (``org,name,kind,land,ags,parent``) row by row."""
    table.require(("org", "name", "kind"))
    problems = ProblemCollector()
    parsed: list[tuple[int, OrganisationCreate]] = []
    first_line: dict[str, int] = {}
    for r in rows_of(table, problems):
        key = r.text("org", max_length=50)
        if key and not re.match(KEY_PATTERN, key):
            r.error("org", f"ungültiger Schlüssel {quote(key)} (Buchstaben, Ziffern, . _ -)")
        elif key in first_line:
            r.error("org", f"{quote(key)} kommt doppelt vor (zuerst in Zeile {first_line[key]})")
        elif key:
            first_line[key] = r.row.line
        name = r.text("name", max_length=200)
        kind = r.parse("kind", parse_kind)
        ags = r.text("ags", required=False, max_length=8) or None
        if ags and not re.match(AGS_PATTERN, ags):
            r.error("ags", f"ein AGS hat 8 Ziffern, nicht {quote(ags)}")
        land = r.text("land", required=False, max_length=100)
        parent = r.text("parent", required=False, max_length=50) or None
        if parent is not None and parent == key:
            r.error("parent", "eine Organisation kann nicht ihre eigene übergeordnete sein")
        if r.ok and kind is not None:
            try:
                item = OrganisationCreate(
                    key=key, name=name, kind=kind, land=land, ags=ags, parent=parent
                )
            except ValidationError as exc:
                for err in exc.errors():
                    r.error(str(err["loc"][0]) if err["loc"] else None, err["msg"])
                continue
            parsed.append((r.row.line, item))
    problems.raise_if_any()
    return parsed


def import_organisations(
    *, session: Session, actor: Actor, table: Table, dry_run: bool = False
) -> ImportSummary:
    """Create new organisations and update changed ones; all or nothing."""
    authorize(actor, Permission.manage_organisations)
    parsed = parse_organisations(table)
    existing = {o.key: o for o in session.exec(select(Organisation)).all()}
    in_file = {item.key for _, item in parsed}
    problems = ProblemCollector()
    for line, item in parsed:
        if item.parent and item.parent not in in_file and item.parent not in existing:
            problems.add(
                table.problem(
                    line, "parent", f"übergeordnete Organisation {quote(item.parent)} fehlt"
                )
            )
    _check_cycles(table, parsed, existing, problems)
    problems.raise_if_any()

    new = updated = unchanged = 0
    records: dict[str, Organisation] = dict(existing)
    id_to_key = {o.id: o.key for o in existing.values()}
    changes: list[tuple[Organisation, OrganisationCreate]] = []
    before: dict[str, dict[str, object]] = {}
    for _, item in parsed:
        record = existing.get(item.key)
        if record is None:
            new += 1
            record = Organisation.model_validate(
                {**item.model_dump(exclude={"parent"}), "updated_by": actor.name}
            )
            records[item.key] = record
        else:
            current_parent = id_to_key.get(record.parent_id)
            if current_parent == item.parent and all(
                getattr(record, f) == getattr(item, f) for f in _FIELDS
            ):
                unchanged += 1
                continue
            updated += 1
            before[item.key] = {f: getattr(record, f) for f in _FIELDS} | {"parent": current_parent}
            for f in _FIELDS:
                setattr(record, f, getattr(item, f))
            record.updated_at = utcnow()
            record.updated_by = actor.name
        changes.append((record, item))
    summary = ImportSummary(table.file, len(parsed), new, unchanged, updated, dry_run)
    if dry_run:
        return summary
    try:
        for record, _ in changes:
            session.add(record)
        session.flush()
        for record, item in changes:
            record.parent_id = records[item.parent].id if item.parent else None
            session.add(record)
        session.flush()
    except StaleDataError as error:
        raise ConcurrentChangeError(
            "Organisationen wurden gleichzeitig von jemand anderem geändert; nichts "
            "geschrieben, bitte erneut importieren"
        ) from error
    for _, item in changes:
        after = {f: getattr(item, f) for f in _FIELDS} | {"parent": item.parent}
        old = before.get(item.key)
        audit(
            session,
            actor,
            "import",
            "organisation",
            item.key,
            org=item.key,
            before=old,
            after=after,
        )
    return summary


def _check_cycles(
    table: Table,
    parsed: list[tuple[int, OrganisationCreate]],
    existing: dict[str, Organisation],
    problems: ProblemCollector,
) -> None:
    id_to_key = {o.id: o.key for o in existing.values()}
    parent_of = {k: id_to_key.get(o.parent_id) for k, o in existing.items()}
    parent_of.update({item.key: item.parent for _, item in parsed})
    for line, item in parsed:
        seen = {item.key}
        node = item.parent
        while node is not None:
            if node in seen:
                problems.add(table.problem(line, "parent", f"Zyklus über {quote(node)}"))
                break
            seen.add(node)
            node = parent_of.get(node)


def list_organisations(*, session: Session, actor: Actor) -> list[OrganisationPublic]:
    """The organisations the actor may see, sorted by key."""
    authorize(actor, Permission.view_overview)
    rows = session.exec(select(Organisation).order_by(col(Organisation.key))).all()
    key_of = {o.id: o.key for o in rows}
    return [
        OrganisationPublic.model_validate(o, update={"parent": key_of.get(o.parent_id)})
        for o in rows
        if actor.scope is None or o.key in actor.scope
    ]
