"""Due dates that come from planning: the end of a linked project, the due date of a linked
milestone that is not done yet."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import col

from spatz.model import Milestone, MilestoneMeasure, Organisation, Project, ProjectMeasure
from spatz.queries.frames import rows_frame


def linked_due_dates(conn: Connection, orgs: Collection[str] | None = None) -> pd.DataFrame:
    """Per (org, measure_id) the earliest end of a linked project or open milestone; of
    the organisations ``orgs`` (keys) only, if given."""
    projects = (
        sa.select(
            col(Organisation.key),
            col(ProjectMeasure.measure_id),
            col(Project.end),
        )
        .join(Project, col(Project.id) == col(ProjectMeasure.project_id))
        .join(Organisation, col(Organisation.id) == col(Project.org_id))
    )
    milestones = (
        sa.select(
            col(Organisation.key),
            col(MilestoneMeasure.measure_id),
            col(Milestone.due),
        )
        .join(Milestone, col(Milestone.id) == col(MilestoneMeasure.milestone_id))
        .join(Organisation, col(Organisation.id) == col(Milestone.org_id))
        .where(col(Milestone.done_date).is_(None))
    )
    if orgs is not None:
        keys = sorted(orgs)
        projects = projects.where(col(Organisation.key).in_(keys))
        milestones = milestones.where(col(Organisation.key).in_(keys))
    rows = conn.execute(sa.union_all(projects, milestones)).all()
    frame = rows_frame(rows, ["org", "measure_id", "due"])
    frame["due"] = pd.to_datetime(frame["due"])
    return frame.groupby(["org", "measure_id"], as_index=False).agg(due=("due", "min"))


def with_planned_due_dates(events: pd.DataFrame, linked: pd.DataFrame) -> pd.DataFrame:
    """Fill missing ``due_date`` of events from linked projects and milestones."""
    if linked.empty or events.empty:
        return events
    merged = events.merge(linked, on=["org", "measure_id"], how="left")
    merged["due_date"] = merged["due_date"].fillna(merged["due"])
    return merged.drop(columns=["due"])
