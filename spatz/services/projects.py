"""Projects (Halle's Projektliste format) and milestones, linked to catalog measures."""

from __future__ import annotations

import datetime as dt
import re
from typing import TypeVar

from sqlmodel import Session, col, select

from spatz.catalog import Catalog
from spatz.io.limits import quote, shorten
from spatz.io.reader import ProblemCollector, Table
from spatz.io.rows import RowReader, rows_of
from spatz.io.values import parse_date, parse_date_or_quarter, parse_id_list
from spatz.model import (
    Milestone,
    MilestoneCreate,
    MilestoneMeasure,
    MilestonePublic,
    Organisation,
    Project,
    ProjectCreate,
    ProjectMeasure,
    ProjectPublic,
)
from spatz.services.audit import audit
from spatz.services.auth import Permission, authorize
from spatz.services.catalogs import get_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.lookups import require_org

_Record = TypeVar("_Record", Project, Milestone)

PROJECT_COLUMNS = ("gb", "r", "projektname", "projektbeschreibung", "start", "dauer", "ende")
MILESTONE_COLUMNS = ("title", "due", "done_date", "measures")

_DURATION = re.compile(r"^(\d+)\s*Jahre?,?\s*(\d+)\s*Monate?,?\s*(\d+)\s*Tage?$", re.IGNORECASE)


def calendar_months(start: dt.date, end: dt.date) -> int:
    """Months from the start month to the end month, as the Projektliste counts them."""
    return (end.year - start.year) * 12 + end.month - start.month


def check_duration(text: str, start: dt.date, end: dt.date) -> str | None:
    """``Dauer`` is derived from Start and Ende; return a message if it does not fit."""
    match = _DURATION.match(" ".join(text.split()))
    if not match:
        return f"Dauer {quote(text)} nicht lesbar (erwartet z. B. '0 Jahre, 8 Monate 0 Tage')"
    years, months, days = (int(g) for g in match.groups())
    expected = calendar_months(start, end)
    if years * 12 + months != expected or days > 31:
        return (
            f"Dauer {quote(text)} passt nicht zu Start und Ende "
            f"({expected // 12} Jahre, {expected % 12} Monate)"
        )
    return None


def _measures(r: RowReader, column: str, measure_ids: set[str]) -> list[str]:
    items = parse_id_list(r.row.get(column))
    unknown = [m for m in items if m not in measure_ids]
    if unknown:
        r.error(column, f"unbekannte Maßnahme(n): {shorten(', '.join(map(quote, unknown)))}")
    return items


def parse_projects(table: Table, *, org: str, catalog: Catalog) -> list[tuple[int, ProjectCreate]]:
    """Validate a Projektliste: ``GB, R, Projektname, Projektbeschreibung, Start, Dauer, Ende``."""
    table.require(("projektname", "start", "ende"))
    measure_ids = {m.id for _, m in catalog.measures()}
    problems = ProblemCollector()
    parsed: list[tuple[int, ProjectCreate]] = []
    first_line: dict[str, int] = {}
    for r in rows_of(table, problems):
        name = r.text("projektname")
        if name in first_line:
            r.error(
                "projektname", f"Projekt kommt doppelt vor (zuerst in Zeile {first_line[name]})"
            )
        first_line.setdefault(name, r.row.line)
        start = r.parse("start", parse_date)
        end = r.parse("ende", parse_date)
        if start and end:
            if end < start:
                r.error("ende", f"Ende {end:%d.%m.%Y} liegt vor dem Start {start:%d.%m.%Y}")
            elif duration := r.row.get("dauer"):
                message = check_duration(duration, start, end)
                if message:
                    r.error("dauer", message)
        measures = _measures(r, "measures", measure_ids)
        business_unit = r.text("gb", required=False, max_length=50)
        responsible = r.text("r", required=False, max_length=100)
        description = r.text("projektbeschreibung", required=False, max_length=4000)
        if r.ok and start and end:
            parsed.append(
                (
                    r.row.line,
                    ProjectCreate(
                        org=org,
                        business_unit=business_unit,
                        responsible=responsible,
                        name=name,
                        description=description,
                        start=start,
                        end=end,
                        measures=measures,
                    ),
                )
            )
    problems.raise_if_any()
    return parsed


def _upsert(
    *,
    session: Session,
    actor: Actor,
    org_id: int,
    org: str,
    items: list[tuple[str, dict[str, object], list[str]]],
    model: type[_Record],
    link: type[ProjectMeasure] | type[MilestoneMeasure],
    dry_run: bool,
) -> tuple[int, int]:
    """Create or update records matched by name, with their measure links.

    ``items`` holds (name, fields, measure ids). Returns the numbers of new and updated records.
    """
    name_field = "name" if model is Project else "title"
    owner_field = "project_id" if link is ProjectMeasure else "milestone_id"
    stmt = select(model).where(model.org_id == org_id)
    existing: dict[str, _Record] = {getattr(r, name_field): r for r in session.exec(stmt)}
    owner = getattr(link, owner_field)
    links = _links(session, link, [r.id for r in existing.values()])
    new = updated = 0
    for name, fields, measures in items:
        record = existing.get(name)
        before = None
        if record is None:
            new += 1
        elif sorted(links.get(record.id, [])) == sorted(measures) and all(
            getattr(record, k) == v for k, v in fields.items()
        ):
            continue
        else:
            updated += 1
            before = {k: getattr(record, k) for k in fields} | {
                "measures": sorted(links.get(record.id, []))
            }
        if dry_run:
            continue
        after = fields | {"measures": sorted(measures)}
        entity = "project" if model is Project else "milestone"
        key = f"{org}/{name}"
        audit(session, actor, "import", entity, key, org=org, before=before, after=after)
        if record is None:
            record = model.model_validate(
                fields, update={"org_id": org_id, "recorded_by": actor.name}
            )
        else:
            record.sqlmodel_update(fields)
            record.recorded_by = actor.name
            for old in session.exec(select(link).where(owner == record.id)):
                session.delete(old)
        session.add(record)
        session.flush()
        session.add_all(
            link.model_validate({owner_field: record.id, "measure_id": m}) for m in measures
        )
    session.flush()
    return new, updated


def import_projects(
    *,
    session: Session,
    actor: Actor,
    table: Table,
    org: str,
    catalog: Catalog | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Create or update an organisation's projects, matched by name."""
    record = require_org(session, org)
    parsed = parse_projects(table, org=org, catalog=catalog or get_catalog(session=session))
    items = [(p.name, p.model_dump(exclude={"org", "measures"}), p.measures) for _, p in parsed]
    return _import_linked(session, actor, table, record, items, Project, ProjectMeasure, dry_run)


def parse_milestones(
    table: Table, *, org: str, catalog: Catalog
) -> list[tuple[int, MilestoneCreate]]:
    """Validate a milestone table: ``title,due,done_date,measures`` (due may be a quarter)."""
    table.require(("title", "due"))
    measure_ids = {m.id for _, m in catalog.measures()}
    problems = ProblemCollector()
    parsed: list[tuple[int, MilestoneCreate]] = []
    first_line: dict[str, int] = {}
    for r in rows_of(table, problems):
        title = r.text("title")
        if title in first_line:
            r.error("title", f"Meilenstein kommt doppelt vor (zuerst in Zeile {first_line[title]})")
        first_line.setdefault(title, r.row.line)
        due = r.parse("due", parse_date_or_quarter)
        done = r.parse("done_date", parse_date, required=False)
        measures = _measures(r, "measures", measure_ids)
        if r.ok and due is not None:
            parsed.append(
                (
                    r.row.line,
                    MilestoneCreate(
                        org=org,
                        title=title,
                        due=due[0],
                        due_label=due[1],
                        done_date=done,
                        measures=measures,
                    ),
                )
            )
    problems.raise_if_any()
    return parsed


def import_milestones(
    *,
    session: Session,
    actor: Actor,
    table: Table,
    org: str,
    catalog: Catalog | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Create or update an organisation's milestones, matched by title."""
    record = require_org(session, org)
    parsed = parse_milestones(table, org=org, catalog=catalog or get_catalog(session=session))
    items = [(m.title, m.model_dump(exclude={"org", "measures"}), m.measures) for _, m in parsed]
    return _import_linked(
        session, actor, table, record, items, Milestone, MilestoneMeasure, dry_run
    )


def _import_linked(
    session: Session,
    actor: Actor,
    table: Table,
    org: Organisation,
    items: list[tuple[str, dict[str, object], list[str]]],
    model: type[_Record],
    link: type[ProjectMeasure] | type[MilestoneMeasure],
    dry_run: bool,
) -> ImportSummary:
    assert org.id is not None
    authorize(actor, Permission.plan_projects, org.key)
    new, updated = _upsert(
        session=session,
        actor=actor,
        org_id=org.id,
        org=org.key,
        items=items,
        model=model,
        link=link,
        dry_run=dry_run,
    )
    unchanged = len(items) - new - updated
    return ImportSummary(table.file, len(items), new, unchanged, updated, dry_run)


def _links(
    session: Session, link: type[ProjectMeasure] | type[MilestoneMeasure], ids: list[int | None]
) -> dict[int | None, list[str]]:
    owner = getattr(link, "project_id" if link is ProjectMeasure else "milestone_id")
    result: dict[int | None, list[str]] = {}
    for owner_id, measure_id in session.exec(
        select(owner, link.measure_id).where(col(owner).in_(ids))
    ):
        result.setdefault(owner_id, []).append(measure_id)
    return result


def list_projects(*, session: Session, actor: Actor, org: str) -> list[ProjectPublic]:
    authorize(actor, Permission.view_detail, org)
    record = require_org(session, org)
    projects = session.exec(
        select(Project)
        .where(Project.org_id == record.id)
        .order_by(col(Project.start), col(Project.name))
    ).all()
    links = _links(session, ProjectMeasure, [p.id for p in projects])
    return [
        ProjectPublic.model_validate(p, update={"org": org, "measures": links.get(p.id, [])})
        for p in projects
    ]


def list_milestones(*, session: Session, actor: Actor, org: str) -> list[MilestonePublic]:
    authorize(actor, Permission.view_detail, org)
    record = require_org(session, org)
    milestones = session.exec(
        select(Milestone)
        .where(Milestone.org_id == record.id)
        .order_by(col(Milestone.due), col(Milestone.title))
    ).all()
    links = _links(session, MilestoneMeasure, [m.id for m in milestones])
    return [
        MilestonePublic.model_validate(m, update={"org": org, "measures": links.get(m.id, [])})
        for m in milestones
    ]
