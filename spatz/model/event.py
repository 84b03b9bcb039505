"""Measure events: the append-only history of a measure's status for an organisation."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from spatz.model.common import tz_datetime, utcnow

MAX_TEXT_LENGTH = 4000
"""Characters of a note or of evidence, checked alike on every database and in imports."""


class MeasureEventBase(SQLModel):
    measure_id: str = Field(max_length=100)
    status: str = Field(max_length=100)
    """A :class:`~spatz.model.common.Status` or an answer key of the measure's scale."""
    date: dt.date
    due_date: dt.date | None = None
    note: str = Field(default="", max_length=MAX_TEXT_LENGTH, sa_type=sa.Text)
    evidence: str = Field(default="", max_length=MAX_TEXT_LENGTH, sa_type=sa.Text)


class MeasureEvent(MeasureEventBase, table=True):
    """Never updated in place: a correction is a new event."""

    __tablename__ = "measure_event"
    __table_args__ = (
        sa.Index("ix_measure_event_org_measure_date", "org_id", "measure_id", "date"),
        sa.Index("ix_measure_event_catalog_date", "catalog_key", "date"),
        sa.Index("ix_measure_event_org_catalog_date", "org_id", "catalog_key", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    catalog_key: str = Field(max_length=100)
    recorded_by: str = Field(max_length=100)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_type=tz_datetime())


class MeasureEventCreate(MeasureEventBase):
    org: str = Field(max_length=50)

    @field_validator("note", "evidence")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        # PostgreSQL cannot store NUL in text; refused alike on every database.
        if "\x00" in value:
            raise ValueError("darf kein NUL-Zeichen enthalten")
        return value


class MeasureEventPublic(MeasureEventBase):
    id: int
    org: str
    catalog_key: str
    recorded_by: str
    recorded_at: dt.datetime
