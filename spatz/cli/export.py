"""``spatz export``: the Land export (CSV, format version 1), the XLSX workbook and the
report for the Stadtrat (PDF or HTML)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from spatz.cli.common import (
    STICHTAG_HELP,
    CatalogOpt,
    echo,
    err,
    parse_day,
    print_notices,
    run,
    user_errors,
)
from spatz.cli.german import Typer
from spatz.errors import SpatzError, os_reason
from spatz.io.dialect import Dialect

export_app = Typer(
    help="Landesexport (CSV), Arbeitsmappe (XLSX) und Bericht (PDF, HTML) schreiben.",
    no_args_is_help=True,
)

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", metavar="DATUM", help=STICHTAG_HELP),
]
Orgs = Annotated[
    list[str] | None,
    typer.Option("--org", metavar="ORG", help="nur diese Organisation(en); mehrfach angebbar"),
]


def progress_bar() -> Progress:
    """A progress display on standard error (a terminal only) that disappears when done."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


@contextmanager
def spinner(text: str) -> Iterator[None]:
    with progress_bar() as progress:
        progress.add_task(text, total=None)
        yield


def write_file(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise SpatzError(f"{path}: nicht schreibbar ({os_reason(exc)})") from None


@export_app.command("land")
def export_land(
    as_of: AsOf = None,
    org: Orgs = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="DATEI", help="in diese Datei statt auf die Standardausgabe"),
    ] = None,
    dialect: Annotated[
        Dialect,
        typer.Option(
            "--dialect",
            help="rfc4180: Komma, UTF-8; excel-de: Semikolon, Dezimalkomma, für Excel",
        ),
    ] = Dialect.rfc4180,
    include_imported: Annotated[
        bool,
        typer.Option(
            "--include-imported",
            help="auch die importierten Zeilen anderer Organisationen (spatz land import)",
        ),
    ] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Landesexport im Austauschformat: eine Zeile je Organisation und Dimension (Version 1),
    bei einem Katalog mit Gruppen auch je Gruppe (Version 2)."""
    from spatz.io.land import land_csv
    from spatz.services.land import land_comparison

    day = parse_day(as_of)
    with user_errors():
        with spinner("Landesexport wird berechnet …"):
            rows = run(
                land_comparison,
                catalog_id=catalog,
                as_of=day,
                orgs=org or None,
                include_imported=include_imported,
            )
        print_notices(catalog, org or None)
        data = land_csv(rows, dialect)
        if out is None:
            typer.echo(data, nl=False)
            return
        write_file(out, data)
    days = [day.strftime("%d.%m.%Y") for day in sorted(set(rows["as_of"]))]
    named = f", Stichtag {days[0]}" if len(days) == 1 else f", Stichtage {', '.join(days)}"
    summary = f"{out}: {len(rows)} Zeilen, {rows['org'].nunique()} Organisationen"
    echo(summary + (named if days else ""))


@export_app.command("xlsx")
def export_xlsx(
    file: Annotated[Path, typer.Argument(metavar="DATEI", help="Zieldatei (.xlsx)")],
    org: Orgs = None,
    as_of: AsOf = None,
    catalog: CatalogOpt = None,
) -> None:
    """Arbeitsmappe mit Übersicht, Maßnahmen, Verlauf, Projekten und Meilensteinen."""
    from spatz.io.xlsx import SHEET_TITLES, workbook_xlsx
    from spatz.services.exports import workbook

    day = parse_day(as_of)
    with user_errors():
        if file.suffix.lower() != ".xlsx":
            raise SpatzError(
                f"{file}: eine Arbeitsmappe wird als .xlsx geschrieben, nicht als "
                f"{file.suffix or 'Datei ohne Endung'} (z. B. {file.with_suffix('.xlsx')})"
            )
        with progress_bar() as progress:
            task = progress.add_task("Daten werden gesammelt …", total=1 + len(SHEET_TITLES))
            data = run(workbook, catalog_id=catalog, as_of=day, orgs=org or None)

            def on_sheet(title: str) -> None:
                progress.update(task, description=f"Blatt {title}", advance=1)

            content = workbook_xlsx(data, on_sheet=on_sheet)
        write_file(file, content)
        print_notices(catalog, org or None)
    organisations = data.overview["org"].nunique()
    echo(f"{file}: {organisations} Organisationen, Stichtag {data.as_of.strftime('%d.%m.%Y')}")


REPORT_FORMATS = (".pdf", ".html")


@export_app.command("report")
def export_report(
    file: Annotated[Path, typer.Argument(metavar="DATEI", help="Zieldatei (.pdf oder .html)")],
    org: Annotated[
        str | None,
        typer.Option(
            "--org", metavar="ORG", help="Organisation des Berichts; nötig, wenn es mehrere gibt"
        ),
    ] = None,
    as_of: AsOf = None,
    catalog: CatalogOpt = None,
) -> None:
    """Bericht für den Stadtrat: Stufen, Ziele, Diagramme, nächste Maßnahmen, Projekte."""
    from spatz.services.exports import report_file

    day = parse_day(as_of)
    with user_errors():
        suffix = file.suffix.lower()
        if suffix not in REPORT_FORMATS:
            raise SpatzError(
                f"{file}: ein Bericht wird als .pdf oder .html geschrieben, nicht als "
                f"{file.suffix or 'Datei ohne Endung'} (z. B. {file.with_suffix('.pdf')})"
            )
        with spinner("Bericht wird erstellt …"):
            report = run(report_file, catalog_id=catalog, org=org, as_of=day, pdf=suffix == ".pdf")
        write_file(file, report.content)
        print_notices(catalog, [report.org])
    echo(f"{file}: Bericht für {report.org}, Stichtag {report.as_of.strftime('%d.%m.%Y')}")
