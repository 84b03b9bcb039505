"""What every command shares: the database option, the acting user, the one way to call
the library (:func:`run`), error handling.

The command modules import the library (pandas, SQLAlchemy, the services) inside their
command functions, so that ``spatz --help`` and every command's help load none of it;
``tests/test_cli_start.py`` holds them to that.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeGuard, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from spatz.errors import SpatzError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import OperationalError

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
    """The acting user: ``$SPATZ_USER`` or the login name (:meth:`Actor.from_environment`)."""
    from spatz.services.common import Actor

    return Actor.from_environment()


@contextmanager
def user_errors() -> Iterator[None]:
    """Print SPATZ errors as plain messages and exit with code 2; never a traceback."""
    try:
        yield
    except SpatzError as exc:
        echo(exc, err=True)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except Exception as exc:
        if not _unreachable(exc):
            raise
        echo(f"Datenbank nicht erreichbar: {exc.orig}", err=True)
        raise typer.Exit(EXIT_USER_ERROR) from None


def _unreachable(exc: Exception) -> TypeGuard[OperationalError]:
    """Whether SQLAlchemy could not reach the database (it is loaded if it raised)."""
    from sqlalchemy.exc import OperationalError

    return isinstance(exc, OperationalError)


def migrated_engine() -> Engine:
    """The engine of ``--db``; refuses a database that ``spatz init`` has not migrated."""
    from spatz.db import make_engine, require_current_schema

    engine = make_engine(state.db)
    require_current_schema(engine)
    return engine


_R = TypeVar("_R")


def run(service: Callable[..., _R], /, **arguments: Any) -> _R:
    """The one library call of a command, on the database of ``--db`` (migrated, see
    :func:`migrated_engine`), for the acting user if the service acts for somebody. A
    service that runs its own transactions gets the engine, any other one a session: one
    unit of work, committed on success."""
    from spatz.db import session_scope

    engine = migrated_engine()
    parameters = inspect.signature(service).parameters
    if "actor" in parameters:
        arguments["actor"] = actor()
    if "engine" in parameters:
        return service(engine=engine, **arguments)
    with session_scope(engine) as session:
        return service(session=session, **arguments)


FileArg = Annotated[Path, typer.Argument(metavar="DATEI", help="CSV- oder XLSX-Datei")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="nur prüfen, nichts schreiben")]
Sheet = Annotated[
    str | None, typer.Option("--sheet", metavar="BLATT", help="Tabellenblatt einer XLSX-Datei")
]
STICHTAG_HELP = (
    "Stichtag (TT.MM.JJJJ oder JJJJ-MM-TT), sonst der Datenstand: das Datum des letzten "
    "erfassten Ereignisses, höchstens heute"
)
OrgOpt = Annotated[str, typer.Option("--org", metavar="ORG", help="Schlüssel der Organisation")]
CatalogOpt = Annotated[
    str | None,
    typer.Option(
        "--catalog",
        metavar="KATALOG",
        help="Katalog (ID oder ID@VERSION); sonst der Standardkatalog",
    ),
]


def print_notices(catalog: str | None, orgs: list[str] | None = None) -> None:
    """Say on standard error what reads with ``catalog`` (about ``orgs``, else all in
    scope) leave out: events and targets that the catalog version does not contain
    (:func:`spatz.services.scores.notices`)."""
    from spatz.services.scores import notices

    for line in run(notices, catalog_id=catalog, orgs=orgs):
        echo(f"Hinweis: {line}", err=True)


def parse_day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    from spatz.io.values import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
