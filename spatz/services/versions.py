"""The data version: a cheap token that changes with every write to the data the reads show.

Readers that keep results (the dashboard's caches) key them by it, so that a result stays
valid as long as the data is unchanged and is recomputed after any write, in whatever
process it was made (the dashboard, the CLI, a restore).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from spatz.services.auth import Permission, authorize
from spatz.services.common import Actor

DATA_TABLES = (
    "measure_event",
    "target",
    "organisation",
    "catalog",
    "project",
    "milestone",
    "land_row",
)
"""The tables the reads show whose rows have an id: a new row raises its highest id."""
ACCOUNT_ENTITY = "user"
"""The audit entries about accounts (logins, logouts, locks, passwords): they change
nothing the reads show, so they leave the version alone."""


def _highest_ids() -> sa.Select[tuple[int | None, ...]]:
    tables = SQLModel.metadata.tables
    return sa.select(
        *(sa.select(sa.func.max(tables[name].c.id)).scalar_subquery() for name in DATA_TABLES)
    )


def _newest_write() -> sa.Select[tuple[int, dt.datetime]]:
    audit = SQLModel.metadata.tables["audit_entry"]
    return (
        sa.select(audit.c.id, audit.c.at)
        .where(audit.c.entity != ACCOUNT_ENTITY)
        .order_by(audit.c.id.desc())
        .limit(1)
    )


_OPEN_WRITERS = sa.text(
    "SELECT coalesce(string_agg(backend_xid::text, ',' ORDER BY backend_xid::text), '-')"
    " FROM pg_stat_activity WHERE datname = current_database()"
    " AND coalesce(backend_type, 'client backend') = 'client backend'"
    " AND backend_xid IS NOT NULL"
)
"""The open transactions of the database that write (``-``: none). A session whose type
the reader may not see (another role's, without pg_read_all_stats) counts as a client."""


def data_version(*, session: Session, actor: Actor) -> str:
    """A token that changes with every write to what the reads show, and with the day.

    It is made of the highest id of each of :data:`DATA_TABLES` (an index lookup each,
    also on millions of events), of the id and time of the newest audit entry that is not
    about an account (every write through the services logs one in its transaction; this
    catches changes in place, such as a renamed organisation, a re-imported project or the
    default catalog, and a restore, whose own entry has a time of its own), and of today's
    date, up to which reads without a Stichtag count (the Datenstand). A login, a logout
    or a locked account leaves it unchanged.

    On PostgreSQL an id is taken when a row is written, not when it is committed, so a
    long import may commit after a later write with higher ids: while transactions that
    write are open, the version names them, so that what is read meanwhile is not kept
    beyond their commit."""
    authorize(actor, Permission.view_overview)
    highest = session.execute(_highest_ids()).one()
    newest = session.execute(_newest_write()).first()
    parts = [f"{name}={value or 0}" for name, value in zip(DATA_TABLES, highest, strict=True)]
    parts.append("audit=" + ("0" if newest is None else f"{newest.id}@{newest.at}"))
    if session.get_bind().dialect.name == "postgresql":
        parts.append(f"open={session.execute(_OPEN_WRITERS).scalar()}")
    parts.append(f"day={dt.date.today().isoformat()}")
    return ";".join(parts)
