"""``spatz catalog``: load, list and export catalog versions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from spatz.cli.common import cell, echo, out, run, user_errors
from spatz.cli.german import Typer
from spatz.errors import catalog_gap_text

catalog_app = Typer(help="Kataloge laden, auflisten und exportieren.", no_args_is_help=True)


@catalog_app.command("load")
def catalog_load(
    file: Annotated[Path, typer.Argument(metavar="DATEI", help="Katalogdatei (YAML oder JSON)")],
) -> None:
    """Einen Katalog laden; eine geänderte Fassung braucht eine neue Version."""
    from spatz.catalog import load_catalog
    from spatz.services.catalogs import load_catalog_version

    with user_errors():
        catalog = load_catalog(file)
        loaded = run(load_catalog_version, catalog=catalog)
        gaps = loaded.gaps
        words = {
            "new": "geladen",
            "unchanged": "unverändert (bereits geladen)",
            "replaced": "ersetzt",
        }
        echo(
            f"Katalog {catalog.key}: {words[loaded.outcome.value]}, "
            f"{sum(1 for _ in catalog.measures())} Maßnahmen",
        )
        if gaps:
            echo(
                f"Warnung: {catalog_gap_text(catalog.key, gaps.measures, gaps.dimensions)}. "
                "Solange diese Version die neueste ist, sind keine Auswertungen möglich "
                "(spatz score, Exporte, Dashboard); bitte eine Version laden, die sie "
                "enthält. Die erfassten Daten bleiben gespeichert.",
                err=True,
            )


@catalog_app.command("list")
def catalog_list() -> None:
    """Die geladenen Katalogversionen auflisten."""
    from spatz.services.catalogs import list_catalogs

    with user_errors():
        infos = run(list_catalogs)
    table = RichTable("ID", "Version", "Name", "Maßnahmen", "geladen", "von", "in Gebrauch")
    for info in infos:
        table.add_row(
            cell(info.id),
            cell(info.version),
            cell(info.name),
            str(info.measures),
            info.loaded_at,
            cell(info.loaded_by),
            "ja" if info.in_use else "nein",
        )
    out.print(table)


@catalog_app.command("export")
def catalog_export(
    ref: Annotated[
        str | None,
        typer.Argument(metavar="KATALOG", help="ID oder ID@VERSION; ohne: der zuletzt geladene"),
    ] = None,
) -> None:
    """Einen geladenen Katalog im Dateiformat (YAML) ausgeben."""
    from spatz.services.catalogs import get_catalog

    with user_errors():
        catalog = run(get_catalog, ref=ref)
    sys.stdout.write(catalog.to_yaml())
