"""Targets (Soll): the level an organisation wants to reach in a dimension by a date."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from spatz.model.common import tz_datetime, utcnow


class TargetBase(SQLModel):
    dimension_id: str = Field(max_length=100)
    target_level: int = Field(ge=0)
    target_date: dt.date


class Target(TargetBase, table=True):
    """History is kept: the target in force is the one recorded last for (org, dimension)."""

    __table_args__ = (sa.Index("ix_target_org_dimension", "org_id", "catalog_key", "dimension_id"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    catalog_key: str = Field(max_length=100)
    recorded_by: str = Field(max_length=100)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_type=tz_datetime())


class TargetCreate(TargetBase):
    org: str = Field(max_length=50)


class TargetPublic(TargetBase):
    id: int
    org: str
    catalog_key: str
    recorded_by: str
    recorded_at: dt.datetime
