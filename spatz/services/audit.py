"""The audit log: every write with who, when, what, and the values before and after.

Entries are only ever added; the database refuses to change or delete them (triggers of
migration 0003). ``admin`` reads all of them, ``leitung`` those of its organisations.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from spatz.model import AuditEntry
from spatz.model.common import BERLIN, utcnow
from spatz.services.auth import Permission, authorize
from spatz.services.common import Actor

AUDIT_COLUMNS = ["at", "actor", "action", "entity", "entity_key", "org", "before", "after"]


def _json(values: dict[str, Any] | None) -> str | None:
    if values is None:
        return None
    return json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)


def cut_off(text: str, length: int) -> str:
    """``text`` within a column of ``length`` characters: cut off with ``…`` where longer."""
    return text if len(text) <= length else text[: length - 1] + "…"


def audit(
    session: Session,
    actor: Actor | str,
    action: str,
    entity: str,
    key: str,
    *,
    org: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Add an entry to the log in the caller's unit of work (written with its commit)."""
    session.add(
        AuditEntry(
            at=at or utcnow(),
            actor=actor if isinstance(actor, str) else actor.name,
            action=action,
            entity=entity,
            entity_key=cut_off(key, 300),
            org=org,
            before=_json(before),
            after=_json(after),
        )
    )


def list_audit(*, session: Session, actor: Actor, limit: int = 1000) -> list[AuditEntry]:
    """The newest entries first, as far as ``actor`` may see them: ``leitung`` sees the
    entries about its organisations."""
    authorize(actor, Permission.view_audit)
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if actor.scope is not None:
        query = query.where(col(AuditEntry.org).in_(sorted(actor.scope)))
    return list(session.exec(query).all())


def audit_frame(*, session: Session, actor: Actor, limit: int = 1000) -> pd.DataFrame:
    """:func:`list_audit` as a frame: :data:`AUDIT_COLUMNS`, ``at`` in German time."""
    entries = list_audit(session=session, actor=actor, limit=limit)
    frame = pd.DataFrame([e.model_dump() for e in entries], columns=AUDIT_COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_convert(BERLIN)
    return frame
