"""``spatz catalog``: load, list and export catalog versions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from spatz.cli.common import EXIT_USER_ERROR, cell, echo, out, run, user_errors
from spatz.cli.export import write_file
from spatz.cli.german import Typer
from spatz.interop import FORMATS

catalog_app = Typer(
    help="Kataloge laden, auflisten, exportieren und den Standardkatalog wählen.",
    no_args_is_help=True,
)

LOAD_WORDS = {
    "new": "geladen",
    "unchanged": "unverändert (bereits geladen)",
    "replaced": "ersetzt",
}
"""What loading a catalog version did, by :class:`~spatz.services.catalogs.LoadOutcome`."""


@catalog_app.command("load")
def catalog_load(
    file: Annotated[Path, typer.Argument(metavar="DATEI", help="Katalogdatei (YAML oder JSON)")],
    accept_dropped: Annotated[
        bool,
        typer.Option(
            "--accept-dropped",
            help="auch laden, wenn die Version Maßnahmen mit Ereignissen (oder Dimensionen "
            "mit Zielen) entfernt oder verschiebt",
        ),
    ] = False,
) -> None:
    """Einen Katalog laden; eine geänderte Fassung braucht eine neue Version.

    Entfernt oder verschiebt die neue Version Maßnahmen, zu denen Ereignisse erfasst sind,
    wird sie nur mit --accept-dropped geladen.
    """
    from spatz.catalog import load_catalog
    from spatz.services.catalogs import load_catalog_version

    with user_errors():
        catalog = load_catalog(file)
        loaded = run(load_catalog_version, catalog=catalog, accept_dropped=accept_dropped)
        echo(
            f"Katalog {catalog.key}: {LOAD_WORDS[loaded.outcome.value]}, "
            f"{sum(1 for _ in catalog.measures())} Maßnahmen",
        )
        if loaded.changes:
            echo(
                f"Warnung: Katalog {catalog.key} entfernt oder verschiebt Maßnahmen, zu denen "
                "Ereignisse erfasst sind (oder Dimensionen mit Zielen); was diese Version "
                "nicht enthält, bleibt bei ihren Auswertungen unberücksichtigt:",
                err=True,
            )
            for line in loaded.changes:
                echo(f"  {line}", err=True)


@catalog_app.command("import")
def catalog_import(
    source: Annotated[
        Path,
        typer.Argument(
            metavar="QUELLE", help="die veröffentlichte Datei (oder der Ordner) des Modells"
        ),
    ],
    source_format: Annotated[
        str,
        typer.Option("--from", metavar="FORMAT", help=f"Format der Quelle: {', '.join(FORMATS)}"),
    ],
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="DATEI", help="Katalog in diese Datei schreiben statt auf die Ausgabe"
        ),
    ] = None,
    load: Annotated[bool, typer.Option("--load", help="den Katalog auch laden")] = False,
) -> None:
    """Ein veröffentlichtes Reifegradmodell als SPATZ-Katalog (YAML) übernehmen.

    Auf der Fehlerausgabe steht, was übernommen wurde und was nicht (und warum).
    """
    from spatz.interop import import_model
    from spatz.services.catalogs import load_catalog_version

    if source_format not in FORMATS:
        echo(
            f"--from {source_format}: unbekanntes Format; möglich: {', '.join(FORMATS)}",
            err=True,
        )
        raise typer.Exit(EXIT_USER_ERROR)
    with user_errors():
        imported = import_model(source_format, source)
        loaded = run(load_catalog_version, catalog=imported.catalog) if load else None
        if out_file is None:
            sys.stdout.write(imported.to_yaml())
        else:
            write_file(out_file, imported.to_yaml().encode("utf-8"))
    for line in imported.summary():
        echo(line, err=True)
    if loaded is not None:
        echo(f"Katalog {imported.catalog.key}: {LOAD_WORDS[loaded.outcome.value]}", err=True)


@catalog_app.command("map")
def catalog_map(
    file: Annotated[
        Path, typer.Argument(metavar="DATEI", help="Zuordnung zwischen zwei Katalogen (YAML)")
    ],
) -> None:
    """Eine Zuordnung laden: Maßnahmen eines Katalogs, die Maßnahmen eines anderen abdecken.

    Eine umgesetzte Maßnahme des Quellkatalogs zählt dann für die Maßnahmen des
    Zielkatalogs, denen sie entspricht oder die sie ganz umfasst.
    """
    from spatz.mapping import load_mapping
    from spatz.services.mappings import load_mapping_set

    with user_errors():
        mapping = load_mapping(file)
        outcome = run(load_mapping_set, mapping=mapping)
    echo(
        f"Zuordnung {mapping.key} ({mapping.source} → {mapping.target}): "
        f"{LOAD_WORDS[outcome.value]}, {len(mapping.pairs)} Paare"
    )


@catalog_app.command("list")
def catalog_list() -> None:
    """Die geladenen Katalogversionen und Zuordnungen auflisten."""
    from spatz.services.catalogs import list_catalogs
    from spatz.services.mappings import list_mappings

    with user_errors():
        infos = run(list_catalogs)
        mappings = run(list_mappings)
    table = RichTable(
        "ID", "Version", "Name", "Maßnahmen", "geladen", "von", "in Gebrauch", "Standard"
    )
    for info in infos:
        table.add_row(
            cell(info.id),
            cell(info.version),
            cell(info.name),
            str(info.measures),
            info.loaded_at,
            cell(info.loaded_by),
            "ja" if info.in_use else "nein",
            "ja" if info.default else "",
        )
    out.print(table)
    if not mappings:
        return
    mapping_table = RichTable(
        "Zuordnung", "Version", "Name", "Quelle → Ziel", "Paare", "geladen", "von", "gilt"
    )
    for mapping in mappings:
        mapping_table.add_row(
            cell(mapping.id),
            cell(mapping.version),
            cell(mapping.name),
            cell(f"{mapping.source} → {mapping.target}"),
            str(mapping.pairs),
            mapping.loaded_at,
            cell(mapping.loaded_by),
            "ja" if mapping.in_force else "nein",
        )
    out.print(mapping_table)


@catalog_app.command("export")
def catalog_export(
    ref: Annotated[
        str | None,
        typer.Argument(metavar="KATALOG", help="ID oder ID@VERSION; ohne: der Standardkatalog"),
    ] = None,
) -> None:
    """Einen geladenen Katalog im Dateiformat (YAML) ausgeben."""
    from spatz.services.catalogs import get_catalog

    with user_errors():
        catalog = run(get_catalog, ref=ref)
    sys.stdout.write(catalog.to_yaml())


@catalog_app.command("default")
def catalog_default(
    key: Annotated[str, typer.Argument(metavar="ID", help="ID eines geladenen Katalogs")],
) -> None:
    """Den Standardkatalog wählen: ihn nehmen Auswertungen, Importe und Exporte ohne --catalog."""
    from spatz.services.catalogs import set_default_catalog

    with user_errors():
        catalog = run(set_default_catalog, key=key)
    echo(f"Standardkatalog: {catalog.id} (Version {catalog.version}, {catalog.name})")
