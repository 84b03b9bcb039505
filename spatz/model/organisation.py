"""Organisations: Land, Landkreise, Städte, Gemeinden, Behörden and their units."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from spatz.model.common import OrgKind, enum_column_type, tz_datetime, utcnow

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
AGS_PATTERN = r"^[0-9]{8}$"


class OrganisationBase(SQLModel):
    key: str = Field(max_length=50, regex=KEY_PATTERN, unique=True, index=True)
    name: str = Field(min_length=1, max_length=200)
    kind: OrgKind = Field(sa_type=enum_column_type(OrgKind, "org_kind"))
    land: str = Field(default="", max_length=100)
    ags: str | None = Field(default=None, regex=AGS_PATTERN, max_length=8)
    named_in_comparison: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    """Whether others may see this organisation named as having done a measure."""

    @field_validator("name", "land")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


_VERSION = sa.Column("version", sa.Integer, nullable=False)


class Organisation(OrganisationBase, table=True):
    """``version`` rises with every change, so that a stale edit is refused."""

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _VERSION}

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=tz_datetime())
    updated_by: str = Field(max_length=100)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=tz_datetime())
    version: int = Field(default=1, sa_column=_VERSION)


class OrganisationCreate(OrganisationBase):
    """An organisation as a user names it: the parent by its key; ``named_in_comparison``
    ``None`` keeps what is stored (``False`` for a new organisation)."""

    parent: str | None = Field(default=None, max_length=50)
    named_in_comparison: bool | None = None  # type: ignore[assignment]


class OrganisationPublic(OrganisationBase):
    id: int
    parent: str | None = None
    version: int
