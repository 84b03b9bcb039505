"""Projects (the Projektliste) and milestones, each linkable to catalog measures."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from spatz.model.common import tz_datetime, utcnow


class ProjectBase(SQLModel):
    business_unit: str = Field(default="", max_length=50)
    """Geschäftsbereich (GB), e.g. ``OB`` or ``ALL``."""
    responsible: str = Field(default="", max_length=100)
    """Verantwortlich (R): the responsible unit, e.g. ``37`` or ``Quer``."""
    name: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", sa_type=sa.Text)
    start: dt.date
    end: dt.date


class Project(ProjectBase, table=True):
    __table_args__ = (sa.UniqueConstraint("org_id", "name", name="uq_project_org_name"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    recorded_by: str = Field(max_length=100)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_type=tz_datetime())


class ProjectMeasure(SQLModel, table=True):
    __tablename__ = "project_measure"

    project_id: int = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    measure_id: str = Field(max_length=100, primary_key=True)


class ProjectCreate(ProjectBase):
    org: str = Field(max_length=50)
    measures: list[str] = Field(default_factory=list)


class ProjectPublic(ProjectBase):
    id: int
    org: str
    measures: list[str]


class MilestoneBase(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    due: dt.date
    """The due date; a quarter is stored as its last day."""
    due_label: str = Field(default="", max_length=50)
    """The due date as the user wrote it, e.g. ``Q3 2024``."""
    done_date: dt.date | None = None


class Milestone(MilestoneBase, table=True):
    __table_args__ = (sa.UniqueConstraint("org_id", "title", name="uq_milestone_org_title"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    recorded_by: str = Field(max_length=100)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_type=tz_datetime())


class MilestoneMeasure(SQLModel, table=True):
    __tablename__ = "milestone_measure"

    milestone_id: int = Field(foreign_key="milestone.id", primary_key=True, ondelete="CASCADE")
    measure_id: str = Field(max_length=100, primary_key=True)


class MilestoneCreate(MilestoneBase):
    org: str = Field(max_length=50)
    measures: list[str] = Field(default_factory=list)


class MilestonePublic(MilestoneBase):
    id: int
    org: str
    measures: list[str]
