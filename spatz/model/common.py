"""Value types shared by the tables: statuses, kinds of organisation, timestamps.

The one vocabulary of statuses and their German labels: every part of SPATZ (dashboard,
report, workbook, import) takes its labels from here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import SQLModel

# Named constraints, so that migrations can alter them (SQLite batch mode needs names).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Status(StrEnum):
    """Status of a measure for an organisation, as recorded in a measure event."""

    planned = "planned"
    in_progress = "in_progress"
    completed = "completed"
    not_applicable = "not_applicable"


STATUS_LABELS: dict[Status, str] = {
    Status.planned: "geplant",
    Status.in_progress: "in Umsetzung",
    Status.completed: "umgesetzt",
    Status.not_applicable: "nicht relevant",
}
"""German labels, as shown in the dashboard and accepted on import."""

OPEN = "open"
"""The state of a measure without any recorded event (not a :class:`Status`)."""

MEASURE_STATUS_LABELS: dict[str, str] = {OPEN: "offen"} | {
    status.value: label for status, label in STATUS_LABELS.items()
}
"""German labels of the state of a measure at a Stichtag: a :class:`Status` or ``open``."""


class TargetStatus(StrEnum):
    """How a target stands at the Stichtag, as :func:`spatz.scoring.target_status` says."""

    achieved = "achieved"
    on_track = "on_track"
    at_risk = "at_risk"
    overdue = "overdue"


TARGET_STATUS_LABELS: dict[TargetStatus, str] = {
    TargetStatus.achieved: "erreicht",
    TargetStatus.on_track: "im Plan",
    TargetStatus.at_risk: "gefährdet",
    TargetStatus.overdue: "überfällig",
}
"""German labels, in the order from best to worst (dashboard, report, workbook)."""


class OrgKind(StrEnum):
    """Kind of organisation; the value is the German term."""

    land = "Land"
    landkreis = "Landkreis"
    kreisfreie_stadt = "kreisfreie Stadt"
    stadt = "Stadt"
    gemeinde = "Gemeinde"
    verbandsgemeinde = "Verbandsgemeinde"
    behoerde = "Behörde"
    organisationseinheit = "Organisationseinheit"


def enum_column_type(enum: type[StrEnum], name: str) -> sa.Enum:
    """A portable enum column: VARCHAR plus CHECK constraint, storing the enum's values."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


BERLIN = ZoneInfo("Europe/Berlin")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_time(moment: datetime) -> datetime:
    """A stored timestamp in German local time (SQLite returns naive UTC values)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BERLIN)


def tz_datetime() -> Any:
    """Column type for timestamps: timezone-aware where the database supports it."""
    return sa.DateTime(timezone=True)
