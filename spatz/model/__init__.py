"""SQLModel tables and the pydantic schemas around them (Base / table / Create / Public)."""

from spatz.model.catalog import (
    CatalogDimension,
    CatalogLevel,
    CatalogMapping,
    CatalogMeasure,
    CatalogVersion,
)
from spatz.model.common import STATUS_LABELS, OrgKind, Status
from spatz.model.event import MeasureEvent, MeasureEventCreate, MeasureEventPublic
from spatz.model.land import LandRow, LandRowBase
from spatz.model.organisation import Organisation, OrganisationCreate, OrganisationPublic
from spatz.model.project import (
    Milestone,
    MilestoneCreate,
    MilestoneMeasure,
    MilestonePublic,
    Project,
    ProjectCreate,
    ProjectMeasure,
    ProjectPublic,
)
from spatz.model.setting import DEFAULT_CATALOG, Setting
from spatz.model.target import Target, TargetCreate, TargetPublic
from spatz.model.user import ROLE_LABELS, AuditEntry, Role, UserAccount, UserPublic

__all__ = [
    "DEFAULT_CATALOG",
    "ROLE_LABELS",
    "STATUS_LABELS",
    "AuditEntry",
    "CatalogDimension",
    "CatalogLevel",
    "CatalogMapping",
    "CatalogMeasure",
    "CatalogVersion",
    "LandRow",
    "LandRowBase",
    "MeasureEvent",
    "MeasureEventCreate",
    "MeasureEventPublic",
    "Milestone",
    "MilestoneCreate",
    "MilestoneMeasure",
    "MilestonePublic",
    "OrgKind",
    "Organisation",
    "OrganisationCreate",
    "OrganisationPublic",
    "Project",
    "ProjectCreate",
    "ProjectMeasure",
    "ProjectPublic",
    "Role",
    "Setting",
    "Status",
    "Target",
    "TargetCreate",
    "TargetPublic",
    "UserAccount",
    "UserPublic",
]
