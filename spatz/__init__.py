"""SPATZ – the maturity level of a public administration, derived from completed measures."""

from spatz.catalog import Catalog, load_catalog
from spatz.errors import CatalogError, DataImportError, NotFoundError, SpatzError

__all__ = [
    "Catalog",
    "CatalogError",
    "DataImportError",
    "NotFoundError",
    "SpatzError",
    "load_catalog",
]
