"""Accounts, their roles, and the audit log of every write."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from spatz.model.common import enum_column_type, tz_datetime, utcnow
from spatz.roles import ROLE_LABELS as ROLE_LABELS
from spatz.roles import Role as Role

USER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]*$"
MAX_NAME_LENGTH = 100
"""Characters of an account name, and of every column that records who acted."""


class UserBase(SQLModel):
    name: str = Field(max_length=MAX_NAME_LENGTH, regex=USER_NAME_PATTERN, unique=True, index=True)
    role: Role = Field(sa_type=enum_column_type(Role, "user_role"))


_VERSION = sa.Column("version", sa.Integer, nullable=False)


class UserAccount(UserBase, table=True):
    """A local account. ``org_id`` is the organisation the account belongs to (none for
    ``admin`` and ``land``); ``version`` rises with every change, so that a stale edit is
    refused."""

    __tablename__ = "user_account"
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _VERSION}

    id: int | None = Field(default=None, primary_key=True)
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    password_hash: str = Field(max_length=200)
    version: int = Field(default=1, sa_column=_VERSION)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=tz_datetime())
    created_by: str = Field(max_length=MAX_NAME_LENGTH)
    created_at: datetime = Field(default_factory=utcnow, sa_type=tz_datetime())


class UserPublic(UserBase):
    org: str | None
    version: int
    locked_until: datetime | None
    created_by: str
    created_at: datetime


class AuditEntry(SQLModel, table=True):
    """One write: who, when, what, and the values before and after (JSON objects, ``None``
    for a creation or a deletion). Append-only: the database refuses updates and deletes."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=tz_datetime(), index=True)
    actor: str = Field(max_length=MAX_NAME_LENGTH)
    action: str = Field(max_length=50)
    entity: str = Field(max_length=50)
    entity_key: str = Field(max_length=300)
    org: str | None = Field(default=None, max_length=50, index=True)
    before: str | None = Field(default=None)
    after: str | None = Field(default=None)
