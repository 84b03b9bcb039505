"""Small shared queries: organisations by key, and the lock of an organisation."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from spatz.errors import NotFoundError
from spatz.model import Organisation


def org_ids_by_key(session: Session) -> dict[str, int]:
    rows = session.exec(select(Organisation.key, Organisation.id)).all()
    return {key: oid for key, oid in rows if oid is not None}


def require_org(session: Session, key: str) -> Organisation:
    org = session.exec(select(Organisation).where(Organisation.key == key)).first()
    if org is None:
        raise NotFoundError(f"Organisation {key!r} gibt es nicht (spatz import organisations)")
    return org


def lock_organisation(session: Session, org_id: int) -> None:
    """Hold the organisation's lock until the unit of work ends, so that a check and the
    write that depends on it happen for one writer after the other.

    PostgreSQL locks the row (``SELECT … FOR UPDATE``). SQLite has no row locks and ignores
    ``FOR UPDATE``; an UPDATE that changes nothing takes its database write lock instead
    (the other writers wait for it). On SQLite this must be the first write of the unit.
    """
    if session.get_bind().dialect.name == "sqlite":
        statement = sa.text("UPDATE organisation SET id = id WHERE id = :id")
        session.execute(statement, {"id": org_id})
    else:
        session.exec(select(Organisation.id).where(Organisation.id == org_id).with_for_update())
