"""land comparison: rows of other Kommunen's Land exports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORG_KINDS = (
    "Land",
    "Landkreis",
    "kreisfreie Stadt",
    "Stadt",
    "Gemeinde",
    "Verbandsgemeinde",
    "Behörde",
    "Organisationseinheit",
)


def upgrade() -> None:
    op.create_table(
        "land_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("ags", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("organisation", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*ORG_KINDS, name="org_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("land", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("catalog_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("catalog_version", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("dimension_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("dimension", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("target_level", sa.Integer(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("measures_completed", sa.Integer(), nullable=False),
        sa.Column("measures_total", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_land_row")),
        sa.UniqueConstraint("org", "catalog_id", "as_of", "dimension_id", name="uq_land_row_key"),
    )


def downgrade() -> None:
    op.drop_table("land_row")
