"""mapping sets between catalogs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

A mapping set pairs measures of one catalog with measures of another (``spatz catalog map``);
a measure done in the source catalog counts for the target measures it is ``equal`` to or
a ``superset`` of. Each loaded version is kept with its document; the version loaded last
of each id is in force.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source_catalog", sa.String(length=100), nullable=False),
        sa.Column("target_catalog", sa.String(length=100), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "version", name="uq_catalog_mapping_key_version"),
    )
    with op.batch_alter_table("catalog_mapping") as batch:
        batch.create_index(batch.f("ix_catalog_mapping_key"), ["key"], unique=False)
        batch.create_index(
            batch.f("ix_catalog_mapping_target_catalog"), ["target_catalog"], unique=False
        )


def downgrade() -> None:
    op.drop_table("catalog_mapping")
