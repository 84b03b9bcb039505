"""``spatz land``: import other Kommunen's Land exports, summarise the Landesvergleich."""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable
from rich.text import Text

from spatz.cli.common import (
    CatalogOpt,
    DryRun,
    cell,
    echo,
    out,
    parse_day,
    print_notices,
    run,
    user_errors,
)
from spatz.cli.export import AsOf, progress_bar
from spatz.cli.german import Typer
from spatz.land import ALL, MIN_GROUP

if TYPE_CHECKING:
    import pandas as pd

land_app = Typer(
    help="Landesvergleich: Landesexporte anderer Kommunen importieren und auswerten.",
    no_args_is_help=True,
)


@land_app.command("import")
def land_import(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="DATEI", help="Landesexporte (CSV, Komma oder Semikolon)"),
    ],
    dry_run: DryRun = False,
) -> None:
    """Landesexporte als Vergleichsdaten importieren: alle Dateien oder keine.

    Was eine Datei über eine Organisation an einem Stichtag sagt, ersetzt, was dazu
    gespeichert war.
    """
    from spatz.io.land import read_land_tables
    from spatz.services.land import import_land

    with user_errors(), progress_bar() as progress:
        task = progress.add_task("Dateien werden gelesen …", total=len(files))

        def on_file(path: Path) -> None:
            progress.update(task, description=path.name, advance=1)

        tables, problems = read_land_tables(files, on_file=on_file)
        progress.update(task, description="Prüfen und Speichern …")
        summaries = run(import_land, tables=tables, problems=problems, dry_run=dry_run)
    for summary in summaries:
        echo(summary)


class By(StrEnum):
    kind = "kind"
    land = "land"


class SummaryFormat(StrEnum):
    table = "table"
    csv = "csv"


def _number(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _print_table(summary: pd.DataFrame, day: str, by: By | None, min_group: int) -> None:
    levels = [c for c in summary.columns if c.startswith("level_")]
    shown = summary[~summary["suppressed"]]
    several_catalogs = summary["catalog_id"].nunique() > 1
    header = ["Katalog"] if several_catalogs else []
    header += ["Gruppe"] if by is not None else []
    header += ["Dimension", "n", "Q1", "Median", "Q3"]
    header += [c.removeprefix("level_") for c in levels]
    title = f"Landesvergleich am {day}"
    if by is not None:
        title += " nach " + {"kind": "Art", "land": "Land"}[by.value]
    table = RichTable(
        *header,
        title=title,
        caption="n: Organisationen; Q1, Median, Q3: Quartile des Punktwerts; "
        "0 … N: Organisationen je Stufe",
    )
    for record in shown.to_dict("records"):
        cells: list[str | Text] = [cell(record["catalog_id"])] if several_catalogs else []
        cells += [cell(record["group"])] if by is not None else []
        cells += [
            cell(record["dimension"]),
            str(record["organisations"]),
            _number(record["q1"]),
            _number(record["median"]),
            _number(record["q3"]),
        ]
        cells += [str(record[c]) for c in levels]
        table.add_row(*cells)
    if len(shown):
        out.print(table)
    hidden = summary[summary["suppressed"]].drop_duplicates(["catalog_id", "group"])
    if len(hidden):
        groups = ", ".join(
            f"{'alle Organisationen' if g == ALL else g} ({n})"
            for g, n in zip(hidden["group"], hidden["organisations"], strict=True)
        )
        echo(f"Nicht ausgewertet (weniger als {min_group} Organisationen): {groups}")


@land_app.command("summary")
def land_summary_cmd(
    by: Annotated[
        By | None, typer.Option("--by", help="Gruppen nach Art (kind) oder Land (land)")
    ] = None,
    min_group: Annotated[
        int,
        typer.Option(
            "--min-group", min=1, metavar="ANZAHL", help="kleinere Gruppen werden nicht ausgewertet"
        ),
    ] = MIN_GROUP,
    as_of: AsOf = None,
    output: Annotated[
        SummaryFormat, typer.Option("--format", help="table oder csv")
    ] = SummaryFormat.table,
    catalog: CatalogOpt = None,
) -> None:
    """Verteilung von Punktwert und Stufe je Dimension: eigene und importierte Organisationen.

    Jede Organisation zählt mit ihrem letzten Stichtag bis zum Stichtag; Gruppen mit weniger
    als --min-group Organisationen werden nicht ausgewertet.
    """
    from spatz.services.land import land_summary

    day = parse_day(as_of)
    with user_errors():
        summary = run(
            land_summary,
            catalog_id=catalog,
            as_of=day,
            by=by.value if by is not None else None,
            min_group=min_group,
        )
        print_notices(catalog)
    if output is SummaryFormat.csv:
        buffer = io.StringIO()
        summary.to_csv(buffer, index=False, float_format="%.2f", lineterminator="\n")
        sys.stdout.write(buffer.getvalue())
        return
    if summary.empty:
        typer.echo("Keine Daten für den Landesvergleich (spatz land import DATEI …)")
        return
    _print_table(summary, f"{summary.attrs['as_of']:%d.%m.%Y}", by, min_group)
