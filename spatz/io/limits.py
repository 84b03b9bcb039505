"""How large a file SPATZ reads may be, and how much of its content a message quotes.

One place for the bounds that every import (CLI, dashboard upload, :func:`spatz.read_land`)
checks before the work they bound: the size of the file, the rows below the header, the
columns, the characters of one cell. Each can be set by an environment variable (a whole
number from 1 on), read when a file is read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from spatz.errors import SpatzError

MEBIBYTE = 1024 * 1024
QUOTED_CHARS = 80
"""A value from a file is quoted in a message up to this many characters, then ``…``."""

ENVIRONMENT = {
    "max_file_mb": "SPATZ_MAX_FILE_MB",
    "max_rows": "SPATZ_MAX_ROWS",
    "max_columns": "SPATZ_MAX_COLUMNS",
    "max_cell_chars": "SPATZ_MAX_CELL_CHARS",
    "max_cells": "SPATZ_MAX_CELLS",
}
"""The environment variable of each limit."""

UNPACKED_FACTOR = 4
"""An XLSX file may hold this many times its size limit, unpacked (all members together)."""
MAX_COMPRESSION_RATIO = 100
"""A member of an XLSX archive may unpack to at most this many times its packed size ..."""
RATIO_EXEMPT_BYTES = MEBIBYTE
"""... unless it unpacks to less than this."""
METADATA_BYTES = 10 * MEBIBYTE
"""An XML part of an XLSX archive that openpyxl reads whole (all but the sheets and the
shared strings) may unpack to at most this."""
MAX_ARCHIVE_MEMBERS = 10_000
MAX_DIRECTORY_BYTES = 2 * MEBIBYTE
"""The size of an archive's table of contents: ample for :data:`MAX_ARCHIVE_MEMBERS`."""


@dataclass(frozen=True)
class FileLimits:
    """The bounds of one read; :meth:`from_environment` gives the ones in force."""

    max_file_mb: int = 50
    max_rows: int = 200_000
    """Rows below the header (blank ones included)."""
    max_columns: int = 100
    max_cell_chars: int = 10_000
    max_cells: int = 2_000_000
    """Rows below the header times the header's columns: what a table holds in memory."""

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * MEBIBYTE

    @property
    def max_unpacked_bytes(self) -> int:
        """All members of an XLSX archive together, unpacked; also the shared strings'
        limit is :attr:`max_file_bytes` (they are held in memory as a whole)."""
        return UNPACKED_FACTOR * self.max_file_bytes

    @property
    def max_record_chars(self) -> int:
        """The longest CSV record within the limits: every cell full and quoted."""
        return self.max_columns * (2 * self.max_cell_chars + 3)

    def rows_for(self, columns: int) -> int:
        """How many rows below a header of ``columns`` columns a file may have."""
        return min(self.max_rows, self.max_cells // max(columns, 1))

    def too_many_rows(self, columns: int) -> str:
        """The message for a row beyond :meth:`rows_for`."""
        rows = self.rows_for(columns)
        if rows == self.max_rows:
            return f"mehr als {number(rows)} Zeilen unter der Kopfzeile (bitte die Datei aufteilen)"
        return (
            f"mehr als {number(self.max_cells)} Zellen: bei {columns} Spalten höchstens "
            f"{number(rows)} Zeilen unter der Kopfzeile (bitte die Datei aufteilen)"
        )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> FileLimits:
        """The limits set in ``environ`` (default: the process environment), else defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for item in fields(cls):
            variable = ENVIRONMENT[item.name]
            text = env.get(variable, "").strip()
            if not text:
                continue
            try:
                value = int(text)
            except ValueError:
                value = 0
            if value < 1:
                raise SpatzError(
                    f"{variable}={shorten(text)!r} ist ungültig: erwartet eine ganze Zahl ab 1 "
                    f"(Standard {item.default})"
                )
            values[item.name] = value
        return cls(**values)


def shorten(text: str, limit: int = QUOTED_CHARS) -> str:
    """``text`` up to ``limit`` characters, then ``…``."""
    return text if len(text) <= limit else text[:limit] + "…"


def quote(text: str) -> str:
    """A value from a file as a message quotes it: shortened, in quotes, control characters
    escaped."""
    return repr(shorten(text))


def number(value: int) -> str:
    """A count as written in German: ``200.000``."""
    return f"{value:,}".replace(",", ".")
