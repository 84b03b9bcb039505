"""``spatz import``: organisations, progress, targets, projects and milestones from CSV/XLSX."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from spatz.cli.common import (
    CatalogOpt,
    DryRun,
    FileArg,
    OrgOpt,
    Sheet,
    echo,
    run,
    user_errors,
)
from spatz.cli.german import Typer

if TYPE_CHECKING:
    from spatz.services.common import ImportSummary

import_app = Typer(help="Daten aus CSV/XLSX importieren.", no_args_is_help=True)


def _run_import(
    file: Path,
    sheet: str | None,
    dry_run: bool,
    importer: Callable[..., ImportSummary],
    **extra: object,
) -> None:
    from spatz.io.reader import read_table

    with user_errors():
        table = read_table(file, sheet=sheet)
        summary = run(importer, table=table, dry_run=dry_run, **extra)
        echo(summary)


@import_app.command("organisations")
def import_organisations_cmd(file: FileArg, dry_run: DryRun = False, sheet: Sheet = None) -> None:
    """Organisationen: Spalten org,name,kind,land,ags,parent, optional named (ja/nein)."""
    from spatz.services.organisations import import_organisations

    _run_import(file, sheet, dry_run, import_organisations)


@import_app.command("progress")
def import_progress_cmd(
    file: FileArg, dry_run: DryRun = False, sheet: Sheet = None, catalog: CatalogOpt = None
) -> None:
    """Maßnahmenstände: Spalten org,measure_id,status,date[,due_date,note,evidence]."""
    from spatz.services.imports import import_table

    _run_import(file, sheet, dry_run, import_table, kind="progress", catalog=catalog)


@import_app.command("targets")
def import_targets_cmd(
    file: FileArg, dry_run: DryRun = False, sheet: Sheet = None, catalog: CatalogOpt = None
) -> None:
    """Ziele (Soll): Spalten org,dimension_id,target_level,target_date."""
    from spatz.services.imports import import_table

    _run_import(file, sheet, dry_run, import_table, kind="targets", catalog=catalog)


@import_app.command("projects")
def import_projects_cmd(
    file: FileArg, org: OrgOpt, dry_run: DryRun = False, sheet: Sheet = None
) -> None:
    """Projektliste: Spalten GB, R, Projektname, Projektbeschreibung, Start, Dauer, Ende."""
    from spatz.services.projects import import_projects

    _run_import(file, sheet, dry_run, import_projects, org=org)


@import_app.command("milestones")
def import_milestones_cmd(
    file: FileArg, org: OrgOpt, dry_run: DryRun = False, sheet: Sheet = None
) -> None:
    """Meilensteine: Spalten title,due,done_date,measures (due auch als Quartal, z. B. Q3 2024)."""
    from spatz.services.projects import import_milestones

    _run_import(file, sheet, dry_run, import_milestones, org=org)
