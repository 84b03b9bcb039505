"""Test helpers for accounts: a database with organisations and one account."""

from __future__ import annotations

from spatz.db import make_engine, migrate, session_scope
from spatz.io.reader import read_table_bytes
from spatz.model import Role
from spatz.services.common import Actor
from spatz.services.organisations import import_organisations
from spatz.services.users import add_user

OPERATOR = Actor.operator("op")
PASSWORD = "richtig-richtig"
ORGS = (
    b"org,name,kind,land,ags,parent\n"
    b"A,Stadt A,Stadt,Sachsen-Anhalt,,\n"
    b"A-1,FB 1,Organisationseinheit,,,A\n"
)


def with_account(url: str) -> str:
    """``url`` migrated, with the organisations A and its unit A-1 and the account
    ``anna`` (``bearbeiter`` of A, password :data:`PASSWORD`)."""
    migrate(url)
    with session_scope(make_engine(url)) as session:
        import_organisations(session=session, actor=OPERATOR, table=read_table_bytes(ORGS, "o.csv"))
        add_user(
            session=session,
            actor=OPERATOR,
            name="anna",
            role=Role.bearbeiter,
            org="A",
            password=PASSWORD,
        )
    return url
