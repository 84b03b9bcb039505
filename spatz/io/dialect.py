"""The CSV dialects of the Land export, free of imports so that the command line offers
them (``spatz export land --dialect``) without loading pandas."""

from __future__ import annotations

from enum import StrEnum


class Dialect(StrEnum):
    """``rfc4180``: comma, UTF-8; ``excel-de``: semicolon and decimal comma, for Excel."""

    rfc4180 = "rfc4180"
    excel_de = "excel-de"
