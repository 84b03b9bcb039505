"""comparison rows say whether they describe a dimension, a group or the overall level

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Land exports of format version 2 have rows for the groups of a catalog. The column
``row_kind`` keeps what the file said, so that the stored rows are written out again as
they came in. Rows imported before are of version 1: ``overall`` for the overall row,
``dimension`` for every other. Going back deletes the group rows, which the schema before
cannot tell from rows of dimensions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("land_row", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "row_kind",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="dimension",
            )
        )
    land_row = sa.table("land_row", sa.column("dimension_id"), sa.column("row_kind"))
    op.execute(
        land_row.update().where(land_row.c.dimension_id == "overall").values(row_kind="overall")
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM land_row WHERE row_kind = 'group'"))
    with op.batch_alter_table("land_row", schema=None) as batch_op:
        batch_op.drop_column("row_kind")
