"""Importers of published maturity models: each turns a source into a SPATZ catalog.

:func:`import_model` reads a source in one of :data:`FORMATS`; what every importer shares
(the result with its summary, reading the source file, refusals at a key path, ids and
comment lines) is in :mod:`spatz.interop.common`.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line reads FORMATS without loading the importers
    from spatz.interop.common import ImportedCatalog
    from spatz.io.limits import FileLimits

FORMATS: dict[str, str] = {
    "ciso-assistant": "spatz.interop.ciso_assistant",
    "dsomm": "spatz.interop.dsomm",
    "samm": "spatz.interop.samm",
}
"""The formats :func:`import_model` reads, each with the module whose ``read`` reads it."""


def import_model(
    source_format: str, source: str | Path, limits: FileLimits | None = None
) -> ImportedCatalog:
    """Read ``source`` in ``source_format`` (a key of :data:`FORMATS`) as a catalog; raise
    :class:`~spatz.errors.CatalogError` naming the file and the place of the first problem."""
    read: Callable[[str | Path, FileLimits | None], ImportedCatalog] = import_module(
        FORMATS[source_format]
    ).read
    return read(source, limits)
