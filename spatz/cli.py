"""The ``spatz`` command: a thin layer over :mod:`spatz.services` and :mod:`spatz.io`.

Every command opens the database, makes one library call, and turns SPATZ's named errors
into a message on standard error and exit code 2.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table as RichTable
from sqlalchemy.engine import Engine
from sqlmodel import Session

from spatz.catalog import load_catalog
from spatz.config import ENV_DATABASE_URL, database_url
from spatz.db import make_engine, migrate, schema_is_current, session_scope
from spatz.errors import SpatzError
from spatz.io.land import land_csv
from spatz.io.reader import read_table
from spatz.io.values import parse_date
from spatz.resources import resource_dir
from spatz.services.catalogs import get_catalog, list_catalogs, store_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.demo import DEMO_STEPS, load_demo
from spatz.services.organisations import import_organisations
from spatz.services.progress import import_progress
from spatz.services.projects import import_milestones, import_projects
from spatz.services.targets import import_targets
from spatz.store import Store

EXIT_USER_ERROR = 2

app = typer.Typer(
    name="spatz",
    help="SPATZ – Reifegrad der digitalen Verwaltung aus umgesetzten Maßnahmen.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help="Kataloge laden, auflisten und exportieren.", no_args_is_help=True)
import_app = typer.Typer(help="Daten aus CSV/XLSX importieren.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(import_app, name="import")

out = Console()
err = Console(stderr=True)


class State:
    db: str | None = None


state = State()


def _actor() -> Actor:
    return Actor(name=os.environ.get("SPATZ_USER") or getpass.getuser())


@contextmanager
def _user_errors() -> Iterator[None]:
    """Print SPATZ errors as plain messages and exit with code 2; never a traceback."""
    try:
        yield
    except SpatzError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except sa.exc.OperationalError as exc:
        typer.echo(f"Datenbank nicht erreichbar: {exc.orig}", err=True)
        raise typer.Exit(EXIT_USER_ERROR) from None


def _engine(*, migrated: bool = True) -> Engine:
    engine = make_engine(state.db)
    if migrated and not schema_is_current(engine):
        raise SpatzError(
            f"Die Datenbank {engine.url.render_as_string(hide_password=True)} ist nicht "
            "eingerichtet oder veraltet: bitte zuerst `spatz init` ausführen"
        )
    return engine


@app.callback()
def main(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help=f"Datenbank-URL (sonst ${ENV_DATABASE_URL}, sonst sqlite:///spatz.db)",
            show_default=False,
        ),
    ] = None,
) -> None:
    state.db = db


@app.command()
def init() -> None:
    """Datenbank anlegen bzw. auf den neuesten Stand migrieren (beliebig wiederholbar)."""
    with _user_errors():
        url = database_url(state.db)
        migrate(url)
        shown = make_engine(url).url.render_as_string(hide_password=True)
        typer.echo(f"Datenbank bereit: {shown}")


@app.command()
def demo() -> None:
    """Datenbank einrichten und Standardkatalog plus Beispieldaten Sachsen-Anhalt laden."""
    with _user_errors():
        migrate(database_url(state.db))
        engine = _engine()
        with Progress(
            TextColumn("{task.description}"), BarColumn(), console=err, transient=True
        ) as progress:
            task = progress.add_task("Katalog", total=len(DEMO_STEPS))

            def step(label: str) -> None:
                progress.update(task, description=label, advance=1)

            summaries = load_demo(engine=engine, actor=_actor(), on_step=step)
        for summary in summaries:
            typer.echo(str(summary))
        typer.echo("Demo-Daten geladen. Dashboard starten: spatz dashboard")


@catalog_app.command("load")
def catalog_load(
    file: Annotated[Path, typer.Argument(help="Katalogdatei (YAML oder JSON)")],
) -> None:
    """Einen Katalog laden; eine geänderte Fassung braucht eine neue Version."""
    with _user_errors():
        catalog = load_catalog(file)
        with session_scope(_engine()) as session:
            outcome = store_catalog(session=session, actor=_actor(), catalog=catalog)
        words = {
            "new": "geladen",
            "unchanged": "unverändert (bereits geladen)",
            "replaced": "ersetzt",
        }
        typer.echo(
            f"Katalog {catalog.key}: {words[outcome.value]}, "
            f"{sum(1 for _ in catalog.measures())} Maßnahmen",
        )


@catalog_app.command("list")
def catalog_list() -> None:
    """Die geladenen Katalogversionen auflisten."""
    with _user_errors(), Session(_engine()) as session:
        infos = list_catalogs(session=session)
    table = RichTable("ID", "Version", "Name", "Maßnahmen", "geladen", "von", "in Gebrauch")
    for info in infos:
        table.add_row(
            info.id,
            info.version,
            info.name,
            str(info.measures),
            info.loaded_at,
            info.loaded_by,
            "ja" if info.in_use else "nein",
        )
    out.print(table)


@catalog_app.command("export")
def catalog_export(
    ref: Annotated[
        str | None, typer.Argument(help="ID oder ID@VERSION; ohne: der zuletzt geladene")
    ] = None,
) -> None:
    """Einen geladenen Katalog im Dateiformat (YAML) ausgeben."""
    with _user_errors(), Session(_engine()) as session:
        catalog = get_catalog(session=session, ref=ref)
    sys.stdout.write(catalog.to_yaml())


FileArg = Annotated[Path, typer.Argument(help="CSV- oder XLSX-Datei")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="nur prüfen, nichts schreiben")]
Sheet = Annotated[str | None, typer.Option("--sheet", help="Tabellenblatt einer XLSX-Datei")]
OrgOpt = Annotated[str, typer.Option("--org", help="Schlüssel der Organisation")]


def _run_import(
    file: Path,
    sheet: str | None,
    dry_run: bool,
    run: Callable[..., ImportSummary],
    **extra: str,
) -> None:
    with _user_errors():
        table = read_table(file, sheet=sheet)
        with session_scope(_engine()) as session:
            summary = run(session=session, actor=_actor(), table=table, dry_run=dry_run, **extra)
        typer.echo(str(summary))


@import_app.command("organisations")
def import_organisations_cmd(file: FileArg, dry_run: DryRun = False, sheet: Sheet = None) -> None:
    """Organisationen: Spalten org,name,kind,land,ags,parent."""
    _run_import(file, sheet, dry_run, import_organisations)


@import_app.command("progress")
def import_progress_cmd(file: FileArg, dry_run: DryRun = False, sheet: Sheet = None) -> None:
    """Maßnahmenstände: Spalten org,measure_id,status,date[,due_date,note,evidence]."""
    _run_import(file, sheet, dry_run, import_progress)


@import_app.command("targets")
def import_targets_cmd(file: FileArg, dry_run: DryRun = False, sheet: Sheet = None) -> None:
    """Ziele (Soll): Spalten org,dimension_id,target_level,target_date."""
    _run_import(file, sheet, dry_run, import_targets)


@import_app.command("projects")
def import_projects_cmd(
    file: FileArg, org: OrgOpt, dry_run: DryRun = False, sheet: Sheet = None
) -> None:
    """Projektliste: Spalten GB, R, Projektname, Projektbeschreibung, Start, Dauer, Ende."""
    _run_import(file, sheet, dry_run, import_projects, org=org)


@import_app.command("milestones")
def import_milestones_cmd(
    file: FileArg, org: OrgOpt, dry_run: DryRun = False, sheet: Sheet = None
) -> None:
    """Meilensteine: Spalten title,due,done_date,measures (due auch als Quartal, z. B. Q3 2024)."""
    _run_import(file, sheet, dry_run, import_milestones, org=org)


class ScoreFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _parse_day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def score(
    org: Annotated[
        list[str] | None, typer.Option("--org", help="nur diese Organisation(en)")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Stichtag (TT.MM.JJJJ oder JJJJ-MM-TT), sonst heute"),
    ] = None,
    output: Annotated[
        ScoreFormat, typer.Option("--format", help="table, csv (Landesexport) oder json")
    ] = ScoreFormat.table,
) -> None:
    """Reifegrad je Organisation und Dimension am Stichtag."""
    day = _parse_day(as_of)
    with _user_errors():
        _engine()
        rows = Store(state.db).land_export(day, org or None)
    if output is ScoreFormat.csv:
        sys.stdout.write(land_csv(rows).decode("utf-8"))
    elif output is ScoreFormat.json:
        dates = {c: rows[c].dt.strftime("%Y-%m-%d") for c in ("as_of", "target_date")}
        typer.echo(rows.assign(**dates).to_json(orient="records", force_ascii=False, indent=2))
    else:
        table = RichTable("Organisation", "Dimension", "Stufe", "Punktwert", "Ziel", "bis")
        for record in rows.to_dict("records"):
            has_target = not pd.isna(record["target_level"])
            table.add_row(
                f"{record['organisation']} ({record['org']})",
                str(record["dimension"]),
                str(record["level"]),
                f"{record['score']:.2f}".replace(".", ","),
                str(record["target_level"]) if has_target else "",
                record["target_date"].strftime("%d.%m.%Y") if has_target else "",
            )
        out.print(table)


@app.command()
def dashboard(
    port: Annotated[int, typer.Option("--port", help="Port des Dashboards")] = 8501,
    address: Annotated[str, typer.Option("--address", help="Adresse")] = "localhost",
) -> None:
    """Das Dashboard (Streamlit) starten."""
    with _user_errors():
        _engine()
    env = {**os.environ, ENV_DATABASE_URL: database_url(state.db)}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(resource_dir("dashboard") / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    raise typer.Exit(subprocess.call(command, env=env))


if __name__ == "__main__":
    app()
