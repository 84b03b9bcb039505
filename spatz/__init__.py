"""SPATZ – the maturity level of a public administration, derived from completed measures.

The notebook interface::

    import spatz
    catalog = spatz.load_catalog("spatz/catalogs/spatz-kommunal.yaml")
    levels = spatz.score(catalog, events, as_of="2024-12-31")
    store = spatz.open("sqlite:///spatz.db")
    store.score()

``spatz.open``, ``spatz.Store``, ``spatz.read_land`` and the other names of
:data:`_LAZY` (the schemas, permissions and file formats the dashboard uses) load the
database layer on first use, so that the pure parts (catalog, scoring, ``land_summary``)
import without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from spatz.catalog import OVERALL, Catalog, load_catalog
from spatz.errors import CatalogError, DataImportError, NotFoundError, SpatzError
from spatz.land import MIN_GROUP, land_summary
from spatz.scoring import EventsError, TargetsError, explain, forecast, roadmap, score, trend

if TYPE_CHECKING:
    from spatz.io.land import Dialect, land_csv, read_land
    from spatz.io.reader import read_table_bytes
    from spatz.model.common import (
        MEASURE_STATUS_LABELS,
        OPEN,
        TARGET_STATUS_LABELS,
        Status,
        TargetStatus,
    )
    from spatz.model.event import MAX_TEXT_LENGTH, MeasureEventCreate
    from spatz.model.target import TargetCreate
    from spatz.services.auth import Permission
    from spatz.store import Store, open

_LAZY = {
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
"""Public names whose modules load the database layer: imported on first use."""

__all__ = [
    "MAX_TEXT_LENGTH",
    "MEASURE_STATUS_LABELS",
    "MIN_GROUP",
    "OPEN",
    "OVERALL",
    "TARGET_STATUS_LABELS",
    "Catalog",
    "CatalogError",
    "DataImportError",
    "Dialect",
    "EventsError",
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
    "open",
    "read_land",
    "read_table_bytes",
    "roadmap",
    "score",
    "trend",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'spatz' has no attribute {name!r}")
