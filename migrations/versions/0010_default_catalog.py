"""a default catalog per database

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

An organisation may be assessed against several catalogs at once. The table ``setting``
holds values of the database as a whole; ``default_catalog`` names the catalog (its id)
that reads and imports without a catalog use. The upgrade sets it to the id of the
version loaded last, which every read used before, so that an existing database behaves
as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    setting = op.create_table(
        "setting",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    catalog = sa.table("catalog", sa.column("id", sa.Integer()), sa.column("key", sa.String()))
    last = op.get_bind().execute(
        sa.select(catalog.c.key).order_by(catalog.c.id.desc()).limit(1)
    ).scalar()
    if last is not None:
        op.bulk_insert(setting, [{"name": "default_catalog", "value": last}])


def downgrade() -> None:
    op.drop_table("setting")
