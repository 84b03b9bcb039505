"""measure events indexed by organisation and catalog

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Reads about one organisation ask for its events of one catalog, often up to a Stichtag.
The index on (org_id, catalog_key, date) answers them from that organisation's entries
alone, however many other organisations the database holds; without it SQLite takes the
index on (catalog_key, date) and reads the events of all of them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_measure_event_org_catalog_date"


def upgrade() -> None:
    with op.batch_alter_table("measure_event", schema=None) as batch_op:
        batch_op.create_index(INDEX, ["org_id", "catalog_key", "date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("measure_event", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
