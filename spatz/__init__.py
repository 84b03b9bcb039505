"""SPATZ – the maturity level of a public administration, derived from completed measures.

The notebook interface::

    import spatz
    catalog = spatz.load_catalog("spatz/catalogs/spatz-kommunal.yaml")
    levels = spatz.score(catalog, events, as_of="2024-12-31")
    store = spatz.open("sqlite:///spatz.db")
    store.score()

Every name of :data:`_LAZY` loads its module on first use: ``import spatz`` (and with it
the command line's ``--help``) loads neither pandas nor the database layer, the pure parts
(catalog, scoring, ``land_summary``) load without the database layer, and ``spatz.open``,
``spatz.Store``, ``spatz.read_land`` and the schemas, permissions and file formats the
dashboard uses load it when they are first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from spatz.errors import CatalogError, DataImportError, NotFoundError, SpatzError

if TYPE_CHECKING:
    from spatz.catalog import OVERALL, Catalog, load_catalog
    from spatz.io.land import Dialect, land_csv, read_land
    from spatz.io.reader import read_table_bytes
    from spatz.land import MIN_GROUP, land_summary
    from spatz.mapping import MappingSet, load_mapping
    from spatz.model.common import (
        MEASURE_STATUS_LABELS,
        OPEN,
        TARGET_STATUS_LABELS,
        Status,
        TargetStatus,
    )
    from spatz.model.event import MAX_TEXT_LENGTH, MeasureEventCreate
    from spatz.model.target import TargetCreate
    from spatz.scoring import (
        Cover,
        EventsError,
        TargetsError,
        explain,
        forecast,
        roadmap,
        score,
        trend,
    )
    from spatz.services.auth import Permission
    from spatz.store import Store, open

_LAZY = {
    "OVERALL": "spatz.catalog",
    "Catalog": "spatz.catalog",
    "load_catalog": "spatz.catalog",
    "MIN_GROUP": "spatz.land",
    "land_summary": "spatz.land",
    "MappingSet": "spatz.mapping",
    "load_mapping": "spatz.mapping",
    "Cover": "spatz.scoring",
    "EventsError": "spatz.scoring",
    "TargetsError": "spatz.scoring",
    "explain": "spatz.scoring",
    "forecast": "spatz.scoring",
    "roadmap": "spatz.scoring",
    "score": "spatz.scoring",
    "trend": "spatz.scoring",
    "open": "spatz.store",
    "Store": "spatz.store",
    "read_land": "spatz.io.land",
    "land_csv": "spatz.io.land",
    "Dialect": "spatz.io.land",
    "read_table_bytes": "spatz.io.reader",
    "MEASURE_STATUS_LABELS": "spatz.model.common",
    "OPEN": "spatz.model.common",
    "TARGET_STATUS_LABELS": "spatz.model.common",
    "Status": "spatz.model.common",
    "TargetStatus": "spatz.model.common",
    "MAX_TEXT_LENGTH": "spatz.model.event",
    "MeasureEventCreate": "spatz.model.event",
    "TargetCreate": "spatz.model.target",
    "Permission": "spatz.services.auth",
}
"""Public names whose modules load pandas or the database layer: imported on first use."""

__all__ = [
    "MAX_TEXT_LENGTH",
    "MEASURE_STATUS_LABELS",
    "MIN_GROUP",
    "OPEN",
    "OVERALL",
    "TARGET_STATUS_LABELS",
    "Catalog",
    "CatalogError",
    "Cover",
    "DataImportError",
    "Dialect",
    "EventsError",
    "MappingSet",
    "MeasureEventCreate",
    "NotFoundError",
    "Permission",
    "SpatzError",
    "Status",
    "Store",
    "TargetCreate",
    "TargetStatus",
    "TargetsError",
    "explain",
    "forecast",
    "land_csv",
    "land_summary",
    "load_catalog",
    "load_mapping",
    "open",
    "read_land",
    "read_table_bytes",
    "roadmap",
    "score",
    "trend",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # the next access finds it without this function
        return value
    raise AttributeError(f"module 'spatz' has no attribute {name!r}")
