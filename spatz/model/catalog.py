"""Catalog versions as stored in the database.

The file format and its validation live in :mod:`spatz.catalog`; these tables keep every
loaded version so that history and exports can name the version they were computed with.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from spatz.model.common import tz_datetime, utcnow


class CatalogVersion(SQLModel, table=True):
    __tablename__ = "catalog"
    __table_args__ = (sa.UniqueConstraint("key", "version", name="uq_catalog_key_version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, index=True)
    version: str = Field(max_length=50)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    threshold: float
    content_hash: str = Field(max_length=64)
    loaded_by: str = Field(max_length=100)
    loaded_at: datetime = Field(default_factory=utcnow, sa_type=tz_datetime())
    document: str | None = Field(default=None, sa_type=sa.Text)
    """The catalog as the file format's data in JSON (:meth:`spatz.catalog.Catalog.document`);
    ``None`` for versions loaded before it was kept, which are read back from the rows."""


class CatalogLevel(SQLModel, table=True):
    __tablename__ = "catalog_level"

    catalog_id: int = Field(foreign_key="catalog.id", primary_key=True, ondelete="CASCADE")
    level: int = Field(primary_key=True)
    name: str = Field(max_length=100)
    description: str = Field(default="", sa_type=sa.Text)


class CatalogDimension(SQLModel, table=True):
    __tablename__ = "catalog_dimension"
    __table_args__ = (sa.UniqueConstraint("catalog_id", "key", name="uq_dimension_key"),)

    id: int | None = Field(default=None, primary_key=True)
    catalog_id: int = Field(foreign_key="catalog.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=100)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    weight: float
    position: int


class CatalogMeasure(SQLModel, table=True):
    __tablename__ = "catalog_measure"
    __table_args__ = (sa.UniqueConstraint("catalog_id", "key", name="uq_measure_key"),)

    id: int | None = Field(default=None, primary_key=True)
    catalog_id: int = Field(foreign_key="catalog.id", index=True, ondelete="CASCADE")
    dimension_id: int = Field(foreign_key="catalog_dimension.id", ondelete="CASCADE")
    key: str = Field(max_length=100)
    level: int
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=sa.Text)
    weight: float
    mandatory: bool
    valid_for_months: int | None = None
    source: str = Field(default="", sa_type=sa.Text)
    position: int


class CatalogMapping(SQLModel, table=True):
    """A loaded version of a mapping set (:class:`spatz.mapping.MappingSet`); the version
    loaded last of each id is in force."""

    __tablename__ = "catalog_mapping"
    __table_args__ = (sa.UniqueConstraint("key", "version", name="uq_catalog_mapping_key_version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, index=True)
    version: str = Field(max_length=50)
    name: str = Field(max_length=200)
    source_catalog: str = Field(max_length=100)
    target_catalog: str = Field(max_length=100, index=True)
    content_hash: str = Field(max_length=64)
    loaded_by: str = Field(max_length=100)
    loaded_at: datetime = Field(default_factory=utcnow, sa_type=tz_datetime())
    document: str = Field(sa_type=sa.Text)
    """The set as the file format's data in JSON (:meth:`spatz.mapping.MappingSet.document`)."""
