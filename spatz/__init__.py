"""SPATZ – the maturity level of a public administration, derived from completed measures.

The notebook interface::

    import spatz
    catalog = spatz.load_catalog("spatz/catalogs/spatz-kommunal.yaml")
    levels = spatz.score(catalog, events, as_of="2024-12-31")
    store = spatz.open("sqlite:///spatz.db")
    store.score()

``spatz.open``, ``spatz.Store`` and ``spatz.read_land`` load the database layer on first
use, so that the pure parts (catalog, scoring, ``land_summary``) import without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spatz.catalog import Catalog, load_catalog
from spatz.errors import CatalogError, DataImportError, NotFoundError, SpatzError
from spatz.land import land_summary
from spatz.scoring import EventsError, TargetsError, explain, forecast, roadmap, score, trend

if TYPE_CHECKING:
    from spatz.io.land import read_land
    from spatz.store import Store, open

__all__ = [
    "Catalog",
    "CatalogError",
    "DataImportError",
    "EventsError",
    "NotFoundError",
    "SpatzError",
    "Store",
    "TargetsError",
    "explain",
    "forecast",
    "land_summary",
    "load_catalog",
    "open",
    "read_land",
    "roadmap",
    "score",
    "trend",
]


def __getattr__(name: str) -> Any:
    if name in ("open", "Store"):
        from spatz import store

        return getattr(store, name)
    if name == "read_land":
        from spatz.io.land import read_land

        return read_land
    raise AttributeError(f"module 'spatz' has no attribute {name!r}")
