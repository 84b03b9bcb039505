"""``spatz backup`` and ``spatz restore``: the whole database as one portable file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from spatz.cli.common import echo, run, user_errors
from spatz.cli.export import progress_bar


@contextmanager
def table_progress(description: str) -> Iterator[Callable[[str], None]]:
    """A progress bar over the tables; yields the callback that advances it."""
    from spatz.io.bundle import BACKUP_TABLES

    with progress_bar() as progress:
        task = progress.add_task(description, total=len(BACKUP_TABLES))

        def on_table(name: str) -> None:
            progress.update(task, description=f"Tabelle {name}", advance=1)

        yield on_table


KeyFile = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        metavar="DATEI",
        help="Datei mit dem Sicherungsschlüssel (mindestens 32 Bytes): signiert bzw. prüft",
    ),
]


def backup(
    file: Annotated[Path, typer.Argument(metavar="DATEI", help="Zieldatei der Sicherung (.zip)")],
    key_file: KeyFile = None,
) -> None:
    """Die ganze Datenbank in eine Sicherungsdatei schreiben (SQLite und PostgreSQL gleich)."""
    from spatz.io.bundle import read_key_file
    from spatz.services.backup import write_backup

    with user_errors():
        key = read_key_file(key_file) if key_file is not None else None
        with table_progress("Sicherung wird geschrieben …") as on_table:
            summary = run(write_backup, path=file, key=key, on_table=on_table)
    echo(summary)


def restore(
    file: Annotated[Path, typer.Argument(metavar="DATEI", help="Sicherungsdatei (spatz backup)")],
    force: Annotated[
        bool,
        typer.Option("--force", help="vorhandene Daten vorher löschen (alle Tabellen)"),
    ] = False,
    key_file: KeyFile = None,
) -> None:
    """Eine Sicherung in eine eingerichtete, leere Datenbank einspielen (alles oder nichts)."""
    from spatz.io.bundle import read_key_file
    from spatz.services.backup import restore_backup

    with user_errors():
        key = read_key_file(key_file) if key_file is not None else None
        with table_progress("Sicherung wird geprüft …") as on_table:
            summary = run(restore_backup, path=file, force=force, key=key, on_table=on_table)
    echo(summary)
    if summary.warning:
        echo(summary.warning, err=True)
