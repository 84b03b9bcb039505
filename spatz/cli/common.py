"""What every command shares: the database option, the acting user, error handling."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy.engine import Engine

from spatz.db import make_engine, schema_is_current
from spatz.errors import SpatzError
from spatz.io.values import parse_date
from spatz.model.user import MAX_NAME_LENGTH
from spatz.services.common import Actor

EXIT_USER_ERROR = 2

out = Console()
err = Console(stderr=True)


class State:
    """The global options of the current invocation."""

    db: str | None = None


state = State()


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters: C0 except tab and newline, DEL, C1 (ESC starts ANSI and OSC 8
sequences, CSI is its one-character C1 form, CR overwrites the line)."""


def terminal(text: object) -> str:
    """User text (names, keys, file contents, messages quoting them) as the terminal shows
    it: without control characters, so that no escape sequence reaches the terminal."""
    return _CONTROL.sub("", str(text))


def cell(text: object) -> Text:
    """User text for a Rich table or ``out.print``: taken literally (no markup, no emoji
    codes, no highlighting) and without control characters."""
    return Text(terminal(text))


def echo(text: object, *, err: bool = False) -> None:
    """Print a line of (or with) user text: :func:`terminal` applied."""
    typer.echo(terminal(text), err=err)


def actor() -> Actor:
    """The acting user: ``$SPATZ_USER`` or the login name (recorded with every write, so
    no longer than an account name)."""
    name = os.environ.get("SPATZ_USER") or getpass.getuser()
    if len(name) > MAX_NAME_LENGTH:
        raise SpatzError(
            f"SPATZ_USER darf höchstens {MAX_NAME_LENGTH} Zeichen haben (nicht {len(name)})"
        )
    return Actor.operator(name)


@contextmanager
def user_errors() -> Iterator[None]:
    """Print SPATZ errors as plain messages and exit with code 2; never a traceback."""
    try:
        yield
    except SpatzError as exc:
        echo(exc, err=True)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except sa.exc.OperationalError as exc:
        echo(f"Datenbank nicht erreichbar: {exc.orig}", err=True)
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


FileArg = Annotated[Path, typer.Argument(metavar="DATEI", help="CSV- oder XLSX-Datei")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="nur prüfen, nichts schreiben")]
Sheet = Annotated[
    str | None, typer.Option("--sheet", metavar="BLATT", help="Tabellenblatt einer XLSX-Datei")
]
OrgOpt = Annotated[str, typer.Option("--org", metavar="ORG", help="Schlüssel der Organisation")]


def parse_day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
