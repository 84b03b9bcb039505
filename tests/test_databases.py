"""Smoke tests for the database fixtures in conftest.py."""

from __future__ import annotations

import sqlalchemy as sa


def test_database_url_accepts_connections(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
            if engine.dialect.name == "postgresql":
                version = conn.execute(sa.text("SHOW server_version")).scalar_one()
                assert int(str(version).split(".")[0]) >= 13
                tables = conn.execute(
                    sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                ).scalar_one()
                assert tables == 0
    finally:
        engine.dispose()


def test_database_url_is_fresh_per_test(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            assert "smoke" not in sa.inspect(conn).get_table_names()
            conn.execute(sa.text("CREATE TABLE smoke (id INTEGER PRIMARY KEY)"))
    finally:
        engine.dispose()
