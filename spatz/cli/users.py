"""``spatz user``: local accounts of the dashboard."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table as RichTable

from spatz.cli.common import cell, echo, migrated_engine, out, run, user_errors
from spatz.cli.german import Typer
from spatz.errors import SpatzError
from spatz.roles import ROLE_LABELS, Role

user_app = Typer(
    help="Konten des Dashboards: anlegen, Passwort ändern, sperren, auflisten.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="Anmeldename")]


def read_new_password() -> str:
    """The new password, twice: at a hidden prompt on a terminal, else the first two lines
    of standard input (so that accounts can be set up by a script)."""
    if sys.stdin.isatty():
        password: str = typer.prompt("Passwort", hide_input=True, confirmation_prompt=True)
        return password
    lines = sys.stdin.read().splitlines()
    if len(lines) < 2:
        raise SpatzError("Bitte das Passwort zweimal angeben (zwei Zeilen auf der Eingabe)")
    if lines[0] != lines[1]:
        raise SpatzError("Die beiden Passwörter stimmen nicht überein; nichts geändert")
    return lines[0]


@user_app.command("add")
def user_add(
    name: NameArg,
    role: Annotated[Role, typer.Option("--role", help="Rolle des Kontos")],
    org: Annotated[
        str | None,
        typer.Option(
            "--org", metavar="ORG", help="Organisation (für leitung, bearbeiter und gast)"
        ),
    ] = None,
) -> None:
    """Konto anlegen; das Passwort wird zweimal verdeckt abgefragt."""
    from spatz.services.users import add_user

    with user_errors():
        migrated_engine()  # refused before the password is asked for, not after
        password = read_new_password()
        user = run(add_user, name=name, role=role, org=org, password=password)
    echo(f"Konto {user.name} angelegt ({ROLE_LABELS[user.role]})")


@user_app.command("passwd")
def user_passwd(name: NameArg) -> None:
    """Passwort eines Kontos ändern (entsperrt es auch)."""
    from spatz.services.users import change_password

    with user_errors():
        migrated_engine()  # refused before the password is asked for, not after
        password = read_new_password()
        run(change_password, name=name, password=password)
    echo(f"Passwort von {name} geändert")


@user_app.command("lock")
def user_lock(name: NameArg) -> None:
    """Konto sperren, bis `spatz user passwd` ein neues Passwort setzt; offene Sitzungen
    enden."""
    from spatz.services.users import lock_user

    with user_errors():
        run(lock_user, name=name)
    echo(f"Konto {name} gesperrt; offene Sitzungen enden mit der nächsten Aktion")


@user_app.command("list")
def user_list() -> None:
    """Alle Konten mit Rolle und Organisation."""
    from spatz.model.common import local_time
    from spatz.services.users import LOCKED_INDEFINITELY, list_users

    with user_errors():
        users = run(list_users)
    table = RichTable("Name", "Rolle", "Organisation", "gesperrt bis", "angelegt von")
    for user in users:
        locked = ""
        if user.locked_until is not None:
            until = local_time(user.locked_until)
            locked = "unbefristet" if until >= LOCKED_INDEFINITELY else f"{until:%d.%m.%Y %H:%M}"
        table.add_row(
            cell(user.name), user.role.value, cell(user.org or ""), locked, cell(user.created_by)
        )
    out.print(table)
