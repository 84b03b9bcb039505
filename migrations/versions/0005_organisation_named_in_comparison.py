"""organisations say whether others may see them named as having done a measure

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

A Kommune that agrees is listed to others under "Wer hat es schon umgesetzt?"; nobody is
named without agreeing, so existing organisations start with ``false``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "named_in_comparison", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("named_in_comparison")
