"""Where the database is: ``--db``, else ``SPATZ_DATABASE_URL``, else ``spatz.db`` here."""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///spatz.db"
ENV_DATABASE_URL = "SPATZ_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    """The database URL in force, normalised so that PostgreSQL uses psycopg 3."""
    url = explicit or os.environ.get(ENV_DATABASE_URL) or DEFAULT_DATABASE_URL
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url
