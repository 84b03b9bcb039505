"""The table imports by kind: one entry for the dashboard's upload and the Store."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from spatz.errors import ArgumentError
from spatz.io.reader import Table
from spatz.services.catalogs import get_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.organisations import import_organisations
from spatz.services.progress import import_progress
from spatz.services.projects import import_milestones, import_projects
from spatz.services.targets import import_targets

IMPORTERS: dict[str, Callable[..., ImportSummary]] = {
    "organisations": import_organisations,
    "progress": import_progress,
    "targets": import_targets,
    "projects": import_projects,
    "milestones": import_milestones,
}
"""The imports by kind; ``projects`` and ``milestones`` belong to one organisation."""


def import_table(
    *,
    session: Session,
    actor: Actor,
    kind: str,
    table: Table,
    org: str | None = None,
    catalog: str | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Check (``dry_run``) or import a table of one of the :data:`IMPORTERS` kinds; each
    import checks the actor's permission for every row. Progress, targets, projects and
    milestones belong to the catalog ``catalog`` (``ID`` or ``ID@VERSION``; default: the
    default catalog)."""
    if kind not in IMPORTERS:
        raise ArgumentError(f"unbekannte Importart {kind!r} (erlaubt: {', '.join(IMPORTERS)})")
    extra: dict[str, object] = {"org": org} if kind in ("projects", "milestones") else {}
    if kind != "organisations":
        extra["catalog"] = get_catalog(session=session, ref=catalog)
    return IMPORTERS[kind](session=session, actor=actor, table=table, dry_run=dry_run, **extra)
