"""Where the database is: ``--db``, else ``SPATZ_DATABASE_URL``, else ``spatz.db`` here."""

from __future__ import annotations

import os

from spatz.errors import DatabaseUrlError

DEFAULT_DATABASE_URL = "sqlite:///spatz.db"
ENV_DATABASE_URL = "SPATZ_DATABASE_URL"
URL_EXAMPLES = "sqlite:///spatz.db oder postgresql://benutzer@host/spatz"
"""Valid URLs, named in every message about an unusable one."""

SUPPORTED_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg")
"""The URL schemes SPATZ accepts; PostgreSQL is always used through psycopg 3."""


def database_url(explicit: str | None = None) -> str:
    """The database URL in force, checked and normalised so that PostgreSQL uses psycopg 3.

    An unusable URL (no URL at all, an unknown scheme, another database system) raises
    :class:`~spatz.errors.DatabaseUrlError` naming the problem, where the URL came from
    and examples of valid ones.
    """
    if explicit is not None:
        return _checked(explicit, "")
    if ENV_DATABASE_URL in os.environ:
        return _checked(os.environ[ENV_DATABASE_URL], f" in {ENV_DATABASE_URL}")
    return DEFAULT_DATABASE_URL


def _checked(url: str, where: str) -> str:
    def refuse(problem: str) -> DatabaseUrlError:
        return DatabaseUrlError(
            f"Unbrauchbare Datenbank-URL{where}: {problem}; gültig sind z. B. {URL_EXAMPLES}"
        )

    if not url.strip():
        raise refuse("die URL ist leer")
    # SQLAlchemy on first use: the command line names the defaults above without loading it.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise refuse(f"{url!r} ist keine URL (Form: system://…)") from None
    except ValueError:  # e.g. a port that is not a number
        raise refuse(f"{url!r} ist keine gültige URL") from None
    scheme = parsed.drivername
    if scheme not in SUPPORTED_SCHEMES:
        backend = scheme.partition("+")[0]
        if backend in ("sqlite", "postgresql", "postgres"):
            problem = f"der Treiber {scheme!r} wird nicht unterstützt"
        else:
            problem = f"das Datenbanksystem {backend!r} wird nicht unterstützt"
        raise refuse(problem)
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


ENV_ACCESSIBILITY_CONTACT = "SPATZ_ACCESSIBILITY_CONTACT"
"""Where people report barriers (an e-mail address, a form, a phone number): named in the
dashboard's Erklärung zur Barrierefreiheit, as BITV 2.0 requires."""


def accessibility_contact() -> str | None:
    """The contact for barriers set by the operator, or ``None``."""
    return os.environ.get(ENV_ACCESSIBILITY_CONTACT, "").strip() or None
