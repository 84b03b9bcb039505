"""catalog versions keep their whole document

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

``catalog.document`` holds the catalog as the file format's data (JSON): groups, answer
scales, the rule, dependencies and references, which the rows of ``catalog_level``,
``catalog_dimension`` and ``catalog_measure`` do not hold. Versions loaded before have no
document and are read back from those rows, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("catalog") as batch_op:
        batch_op.add_column(sa.Column("document", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalog") as batch_op:
        batch_op.drop_column("document")
