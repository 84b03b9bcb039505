"""audit log refuses REPLACE and TRUNCATE

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

The triggers of 0003 refuse UPDATE and DELETE on ``audit_entry``. Two ways around them are
closed here: on SQLite ``INSERT OR REPLACE`` with an existing id (REPLACE deletes the old
row without firing DELETE triggers), refused by a BEFORE INSERT trigger; on PostgreSQL
``TRUNCATE``, refused by a statement trigger calling the function of 0003.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "audit_entry is append-only"

SQLITE_TRIGGER = f"""CREATE TRIGGER audit_entry_no_replace BEFORE INSERT ON audit_entry
    WHEN EXISTS (SELECT 1 FROM audit_entry WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"""
POSTGRES_TRIGGER = """CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(SQLITE_TRIGGER if sqlite else POSTGRES_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_entry_no_replace")
    else:
        op.execute("DROP TRIGGER audit_entry_no_truncate ON audit_entry")
