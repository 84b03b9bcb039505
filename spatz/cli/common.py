"""What every command shares: the database option, the acting user, error handling."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from spatz.db import make_engine, schema_is_current
from spatz.errors import SpatzError
from spatz.io.values import parse_date
from spatz.services.common import Actor

EXIT_USER_ERROR = 2

out = Console()
err = Console(stderr=True)


class State:
    """The global options of the current invocation."""

    db: str | None = None


state = State()


def actor() -> Actor:
    """The acting user: ``$SPATZ_USER`` or the login name."""
    return Actor.operator(os.environ.get("SPATZ_USER") or getpass.getuser())


@contextmanager
def user_errors() -> Iterator[None]:
    """Print SPATZ errors as plain messages and exit with code 2; never a traceback."""
    try:
        yield
    except SpatzError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except sa.exc.OperationalError as exc:
        typer.echo(f"Datenbank nicht erreichbar: {exc.orig}", err=True)
        raise typer.Exit(EXIT_USER_ERROR) from None


def migrated_engine() -> Engine:
    """The engine of ``--db``; refuses a database that ``spatz init`` has not migrated."""
    engine = make_engine(state.db)
    if not schema_is_current(engine):
        raise SpatzError(
            f"Die Datenbank {engine.url.render_as_string(hide_password=True)} ist nicht "
            "eingerichtet oder veraltet: bitte zuerst `spatz init` ausführen"
        )
    return engine


FileArg = Annotated[Path, typer.Argument(help="CSV- oder XLSX-Datei")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="nur prüfen, nichts schreiben")]
Sheet = Annotated[str | None, typer.Option("--sheet", help="Tabellenblatt einer XLSX-Datei")]
OrgOpt = Annotated[str, typer.Option("--org", help="Schlüssel der Organisation")]


def parse_day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
