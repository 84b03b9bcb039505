"""measure event status holds any answer key of the measure's scale

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

A catalog may give its measures an answer scale with partial credit ("teilweise", 50 %).
The status of a measure event was an enum of the four built-in statuses, checked by the
database; it becomes a plain string of up to 100 characters (like measure_id), and the
services check it against the scale of the event's measure.

The downgrade restores the enum. It refuses while events carry an answer key that is
none of the four statuses: those events would have no meaning there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUILTIN_STATUSES = ("planned", "in_progress", "completed", "not_applicable")
ENUM = sa.Enum(*BUILTIN_STATUSES, name="measure_status", native_enum=False, create_constraint=True)


def upgrade() -> None:
    with op.batch_alter_table("measure_event", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=ENUM,
            type_=sqlmodel.sql.sqltypes.AutoString(length=100),
            existing_nullable=False,
        )


def downgrade() -> None:
    listed = ", ".join(f"'{status}'" for status in BUILTIN_STATUSES)
    others = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT status, count(*) FROM measure_event WHERE status NOT IN ({listed}) "
                "GROUP BY status ORDER BY status"
            )
        )
        .all()
    )
    if others:
        found = ", ".join(f"{status!r} ({count}×)" for status, count in others)
        raise RuntimeError(
            "Zurückstufen nicht möglich: Ereignisse mit Antworten, die kein fester Status "
            f"sind ({found}); erlaubt wären nur {', '.join(BUILTIN_STATUSES)}."
        )
    with op.batch_alter_table("measure_event", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=100),
            type_=ENUM,
            existing_nullable=False,
        )
