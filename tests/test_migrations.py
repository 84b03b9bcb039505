"""The schema comes only from migrations, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlmodel import SQLModel

from spatz.db import alembic_config, make_engine, migrate, schema_is_current


def test_upgrade_head_leaves_nothing_for_autogenerate(database_url: str) -> None:
    engine = make_engine(database_url)
    assert not schema_is_current(engine)
    migrate(database_url)
    command.check(alembic_config(database_url))  # raises if the models and the schema differ
    assert schema_is_current(engine)
    assert set(SQLModel.metadata.tables) <= set(sa.inspect(engine).get_table_names())


def test_migrate_is_safe_to_repeat(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)
    assert schema_is_current(make_engine(database_url))


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    config = alembic_config(database_url)
    migrate(database_url)
    command.downgrade(config, "base")
    tables = set(sa.inspect(make_engine(database_url)).get_table_names())
    assert not tables & set(SQLModel.metadata.tables)
    migrate(database_url)
    assert schema_is_current(make_engine(database_url))
