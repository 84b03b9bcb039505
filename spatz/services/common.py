"""What every service shares: the acting user and the result of an import."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from spatz.errors import SpatzError
from spatz.model.user import MAX_NAME_LENGTH, Role

ENV_USER = "SPATZ_USER"


@dataclass(frozen=True)
class Actor:
    """Who does something; recorded with every write and checked by
    :func:`spatz.services.auth.authorize`.

    ``org`` is the organisation of the account; ``scope`` the organisations it may see
    (its own and, for ``leitung`` and ``bearbeiter``, every unit below), ``None`` meaning
    all of them. ``account_version`` is the version of the account a login stands for
    (``None`` for the operator): a session whose account changed since ends.
    """

    name: str
    role: Role
    org: str | None = None
    scope: frozenset[str] | None = None
    account_version: int | None = None

    @classmethod
    def operator(cls, name: str) -> Actor:
        """Whoever runs the CLI or opens the database from Python: holding the database
        credentials, they can do everything anyway, so they act as ``admin``."""
        return cls(name=name, role=Role.admin)

    @classmethod
    def from_environment(cls) -> Actor:
        """The operator as the environment names them: ``$SPATZ_USER``, else the login
        name (recorded with every write, so no longer than an account name)."""
        name = os.environ.get(ENV_USER) or getpass.getuser()
        if len(name) > MAX_NAME_LENGTH:
            raise SpatzError(
                f"{ENV_USER} darf höchstens {MAX_NAME_LENGTH} Zeichen haben (nicht {len(name)})"
            )
        return cls.operator(name)


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (or, with ``dry_run``, would do)."""

    file: str
    rows: int
    new: int
    existing: int
    updated: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        new = f"{self.new} würden neu importiert" if self.dry_run else f"{self.new} neu importiert"
        text = f"{self.file}: {self.rows} Zeilen geprüft, {new}, {self.existing} bereits vorhanden"
        if self.updated:
            text += f", {self.updated} aktualisiert"
        if self.dry_run:
            text += " (Probelauf, nichts geschrieben)"
        return text
