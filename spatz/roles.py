"""The roles of the dashboard's accounts and their German labels.

Free of imports, so that the command line offers them (``spatz user add --role``) without
loading the database layer; the tables (:mod:`spatz.model.user`) and the permissions
(:mod:`spatz.services.auth`) build on them.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What an account may do; enforced in :mod:`spatz.services.auth`."""

    admin = "admin"
    leitung = "leitung"
    bearbeiter = "bearbeiter"
    land = "land"
    gast = "gast"


ROLE_LABELS: dict[Role, str] = {
    Role.admin: "Administration",
    Role.leitung: "Verwaltungsleitung",
    Role.bearbeiter: "Bearbeitung",
    Role.land: "Land",
    Role.gast: "Gast",
}
"""German labels, as shown in the dashboard."""
