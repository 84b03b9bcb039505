"""Test helpers for databases: a private copy of the demo, a fingerprint of all content,
row counts."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from spatz.db import make_engine


def demo_copy(demo_url: str, folder: Path) -> str:
    """A private copy of the shared demo database in ``folder``, for tests that write."""
    copy = folder / "demo.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def row_counts(url: str) -> dict[str, int]:
    with make_engine(url).connect() as conn:
        return {
            name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def fingerprint(url: str) -> str:
    """A hash over every row of every table: equal content, equal fingerprint."""
    digest = hashlib.sha256()
    with make_engine(url).connect() as conn:
        for name in sorted(SQLModel.metadata.tables):
            table = SQLModel.metadata.tables[name]
            rows = conn.execute(sa.select(table)).all()
            for row in sorted(repr(tuple(r)) for r in rows):
                digest.update(f"{name}:{row}\n".encode())
    return digest.hexdigest()
