"""Comparison rows: the Land exports of other Kommunen, imported for the Landesvergleich.

One row per organisation, catalog, Stichtag and dimension (or group, from files of format
version 2), with every column of the Land export format
(:data:`spatz.io.land.LAND_COLUMNS`) and the kind of the row. Importing a file again
replaces the rows of each (organisation, catalog, Stichtag) it contains.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from spatz.model.common import OrgKind, enum_column_type, tz_datetime, utcnow


class LandRowBase(SQLModel):
    """The columns of the Land export format, version 2 (without ``format_version``, a
    property of the file)."""

    org: str = Field(max_length=50)
    ags: str | None = Field(default=None, max_length=8)
    organisation: str = Field(max_length=200)
    kind: OrgKind = Field(sa_type=enum_column_type(OrgKind, "org_kind"))
    land: str = Field(default="", max_length=100)
    catalog_id: str = Field(max_length=100)
    catalog_version: str = Field(max_length=50)
    dimension_id: str = Field(max_length=100)
    dimension: str = Field(max_length=200)
    as_of: dt.date
    level: int = Field(ge=0)
    score: float = Field(ge=0)
    target_level: int | None = Field(default=None, ge=0)
    target_date: dt.date | None = None
    measures_completed: int = Field(ge=0)
    measures_total: int = Field(ge=0)
    row_kind: str = Field(
        default="dimension", max_length=20, sa_column_kwargs={"server_default": "dimension"}
    )
    """``dimension``, ``group`` or ``overall`` (format version 2; version 1 has no groups)."""


class LandRow(LandRowBase, table=True):
    """An imported comparison row; (org, catalog_id, as_of) is replaced as a whole."""

    __tablename__ = "land_row"
    __table_args__ = (
        sa.UniqueConstraint("org", "catalog_id", "as_of", "dimension_id", name="uq_land_row_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    position: int
    """The row's place in the catalog (dimensions, groups, ``overall``): the order of the
    format."""
    source: str = Field(max_length=255)
    """Name of the imported file."""
    recorded_by: str = Field(max_length=100)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_type=tz_datetime())
