"""Small shared queries: organisations by key."""

from __future__ import annotations

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
