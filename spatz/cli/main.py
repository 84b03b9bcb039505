"""The ``spatz`` command: a thin layer over :mod:`spatz.services` and :mod:`spatz.io`.

Every command opens the database, makes one library call, and turns SPATZ's named errors
into a message on standard error and exit code 2.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table as RichTable

from spatz.cli.backup import backup, restore
from spatz.cli.catalog import catalog_app
from spatz.cli.common import (
    STICHTAG_HELP,
    CatalogOpt,
    cell,
    echo,
    err,
    migrated_engine,
    out,
    parse_day,
    print_notices,
    run,
    state,
    user_errors,
)
from spatz.cli.export import export_app
from spatz.cli.german import Typer
from spatz.cli.imports import import_app
from spatz.cli.land import land_app
from spatz.cli.users import user_app
from spatz.config import (
    DEFAULT_DATABASE_URL,
    ENV_DATABASE_URL,
    URL_EXAMPLES,
    database_url,
)
from spatz.io.limits import FileLimits
from spatz.resources import resource_dir

app = Typer(
    name="spatz",
    help="SPATZ – Reifegrad der digitalen Verwaltung aus umgesetzten Maßnahmen.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(catalog_app, name="catalog")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(land_app, name="land")
app.command()(backup)
app.command()(restore)
app.add_typer(user_app, name="user")


@app.callback()
def main(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help=f"Datenbank-URL, z. B. {URL_EXAMPLES} (sonst ${ENV_DATABASE_URL}, sonst "
            f"{DEFAULT_DATABASE_URL})",
            show_default=False,
        ),
    ] = None,
) -> None:
    state.db = db


def warn_if_open_to_others() -> None:
    """A SQLite file that others may read exposes the password hashes: say so (its mode
    is the operator's choice and is kept)."""
    from spatz.db import DATABASE_FILE_MODE, open_to_others

    found = open_to_others(state.db)
    if found is not None:
        path, mode = found
        echo(
            f"Warnung: {path} ist auch für Gruppe oder andere zugänglich (Rechte "
            f"{mode:04o}) und enthält die Passwort-Hashes der Konten; empfohlen: "
            f"chmod {DATABASE_FILE_MODE:o} {path}",
            err=True,
        )


@app.command()
def init() -> None:
    """Datenbank anlegen bzw. auf den neuesten Stand migrieren (beliebig wiederholbar)."""
    from spatz.db import make_engine, migrate

    with user_errors():
        url = database_url(state.db)
        migrate(url)
        shown = make_engine(url).url.render_as_string(hide_password=True)
        echo(f"Datenbank bereit: {shown}")
        warn_if_open_to_others()


@app.command()
def demo() -> None:
    """Datenbank einrichten und Standardkatalog plus Beispieldaten Sachsen-Anhalt laden."""
    from spatz.db import migrate
    from spatz.services.demo import DEMO_STEPS, load_demo

    with user_errors():
        migrate(database_url(state.db))
        with Progress(
            TextColumn("{task.description}"), BarColumn(), console=err, transient=True
        ) as progress:
            task = progress.add_task("Katalog", total=len(DEMO_STEPS))

            def step(label: str) -> None:
                progress.update(task, description=label, advance=1)

            outcome = run(load_demo, on_step=step)
        for summary in outcome.summaries:
            echo(summary)
        if outcome.accounts:
            typer.echo("Demo-Konten (nur zum Ausprobieren, Passwörter sind veröffentlicht):")
            for account in outcome.accounts:
                org = f", {account.org}" if account.org else ""
                echo(f"  {account.name:<18} {account.password:<24} ({account.role}{org})")
        else:
            typer.echo("Die Demo-Konten bestehen bereits (Liste: spatz user list).")
        typer.echo("Demo-Daten geladen. Dashboard starten: spatz dashboard")
        warn_if_open_to_others()


class ScoreFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def score(
    org: Annotated[
        list[str] | None, typer.Option("--org", metavar="ORG", help="nur diese Organisation(en)")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATUM", help=STICHTAG_HELP),
    ] = None,
    output: Annotated[
        ScoreFormat, typer.Option("--format", help="table, csv (Landesexport) oder json")
    ] = ScoreFormat.table,
    catalog: CatalogOpt = None,
) -> None:
    """Reifegrad je Organisation und Dimension am Stichtag."""
    import pandas as pd

    from spatz.io.land import land_csv
    from spatz.services.land import land_export

    day = parse_day(as_of)
    with user_errors():
        rows = run(land_export, catalog_id=catalog, as_of=day, orgs=org or None)
        print_notices(catalog, org or None)
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
                cell(f"{record['organisation']} ({record['org']})"),
                cell(record["dimension"]),
                str(record["level"]),
                f"{record['score']:.2f}".replace(".", ","),
                str(record["target_level"]) if has_target else "",
                record["target_date"].strftime("%d.%m.%Y") if has_target else "",
            )
        out.print(table)
        if len(rows):
            typer.echo(f"Stichtag: {rows['as_of'].iloc[0]:%d.%m.%Y}")


@app.command()
def dashboard(
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="Port des Dashboards")] = 8501,
    address: Annotated[
        str, typer.Option("--address", metavar="ADRESSE", help="Adresse")
    ] = "localhost",
) -> None:
    """Das Dashboard (Streamlit) starten."""
    with user_errors():
        migrated_engine().dispose()  # no connection is handed to the server
        max_upload = FileLimits.from_environment().max_file_mb
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
        "--server.maxUploadSize",
        str(max_upload),
    ]
    # Streamlit takes over this process: signals (SIGTERM from a service manager, Ctrl-C)
    # reach the server itself, and no server outlives the command.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)
