"""Accounts, logins and the audit log; versions refuse stale edits.

Table-driven where the rules are a table: account rules, the lockout sequence.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from accounts import OPERATOR, ORGS, PASSWORD, with_account
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select
from typer.testing import CliRunner

import spatz
import spatz.store
from spatz.cli import app
from spatz.db import make_engine, session_scope
from spatz.errors import ConcurrentChangeError, NotFoundError, PermissionDenied
from spatz.io.reader import read_table_bytes
from spatz.model import AuditEntry, Organisation, Role, TargetCreate, UserAccount
from spatz.services.common import Actor
from spatz.services.organisations import import_organisations
from spatz.services.users import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    REFUSED_MESSAGE,
    AccountError,
    add_user,
    change_password,
    login,
)


@pytest.fixture
def url(database_url: str) -> str:
    return with_account(database_url)


def audit_actions(url: str, key: str) -> list[str]:
    with Session(make_engine(url)) as session:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.entity_key == key).order_by(col(AuditEntry.id))
        ).all()
    return [r.action for r in rows]


@pytest.mark.parametrize(
    ("name", "role", "org", "password", "message"),
    [
        ("anna", Role.gast, "A", PASSWORD, "gibt es schon"),
        ("bernd", Role.leitung, None, PASSWORD, "braucht eine Organisation"),
        ("bernd", Role.land, "A", PASSWORD, "gehört zu keiner Organisation"),
        ("bernd", Role.gast, "A", "kurz", "mindestens 10 Zeichen"),
    ],
)
def test_account_rules(
    url: str, name: str, role: Role, org: str | None, password: str, message: str
) -> None:
    with session_scope(make_engine(url)) as session, pytest.raises(AccountError, match=message):
        add_user(session=session, actor=OPERATOR, name=name, role=role, org=org, password=password)


def test_an_unknown_organisation_is_named(url: str) -> None:
    with session_scope(make_engine(url)) as session, pytest.raises(NotFoundError, match="'B'"):
        add_user(
            session=session, actor=OPERATOR, name="b", role=Role.gast, org="B", password=PASSWORD
        )


def test_passwords_are_stored_as_argon2_hashes(url: str) -> None:
    with Session(make_engine(url)) as session:
        user = session.exec(select(UserAccount).where(UserAccount.name == "anna")).one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def attempt(url: str, password: str, now: dt.datetime) -> str | None:
    with session_scope(make_engine(url)) as session:
        outcome = login(session=session, name="anna", password=password, now=now)
    return None if outcome.actor else outcome.message


def locked_until(url: str) -> dt.datetime | None:
    with Session(make_engine(url)) as session:
        user = session.exec(select(UserAccount).where(UserAccount.name == "anna")).one()
    return None if user.locked_until is None else user.locked_until.replace(tzinfo=dt.UTC)


def test_repeated_failures_lock_the_account_for_a_while(url: str) -> None:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    for i in range(MAX_FAILED_LOGINS - 1):
        assert attempt(url, "falsch", start + dt.timedelta(seconds=i)) == REFUSED_MESSAGE
    assert locked_until(url) is None
    # The lock is not announced: the refusal reads as for any other failure.
    assert attempt(url, "falsch", start + dt.timedelta(seconds=10)) == REFUSED_MESSAGE
    assert locked_until(url) == start + dt.timedelta(seconds=10) + LOCKOUT
    # While locked, the right password does not help either.
    assert attempt(url, PASSWORD, start + LOCKOUT - dt.timedelta(seconds=1)) == REFUSED_MESSAGE
    assert attempt(url, PASSWORD, start + LOCKOUT + dt.timedelta(seconds=11)) is None
    actions = audit_actions(url, "anna")
    assert actions.count("login_failed") == MAX_FAILED_LOGINS + 1
    assert actions[-2:] == ["login_failed", "login"] and "lock" in actions


def test_a_success_resets_the_count(url: str) -> None:
    now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    for _ in range(2):
        for _ in range(MAX_FAILED_LOGINS - 1):
            assert attempt(url, "falsch", now) is not None
        assert attempt(url, PASSWORD, now) is None


def test_an_unknown_name_fails_like_a_wrong_password(url: str) -> None:
    outcome = spatz.store.login(url, "niemand", PASSWORD)
    assert outcome.actor is None and outcome.message == REFUSED_MESSAGE
    assert audit_actions(url, "niemand") == ["login_failed"]


def test_the_actor_of_a_login_sees_its_organisation_and_units(url: str) -> None:
    outcome = spatz.store.login(url, "anna", PASSWORD)
    assert outcome.actor == Actor(
        name="anna", role=Role.bearbeiter, org="A", scope=frozenset({"A", "A-1"}), account_version=1
    )


def test_everybody_may_change_their_own_password_but_only_admin_others(url: str) -> None:
    anna = spatz.store.login(url, "anna", PASSWORD).actor
    assert anna is not None
    engine = make_engine(url)
    with session_scope(engine) as session:
        add_user(
            session=session, actor=OPERATOR, name="carl", role=Role.gast, org="A", password=PASSWORD
        )
    with session_scope(engine) as session:
        change_password(session=session, actor=anna, name="anna", password="neu-und-lang")
    with session_scope(engine) as session, pytest.raises(PermissionDenied):
        change_password(session=session, actor=anna, name="carl", password="neu-und-lang")
    assert spatz.store.login(url, "anna", "neu-und-lang").actor is not None


def test_a_stale_password_change_is_refused(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        seen = session.exec(select(UserAccount).where(UserAccount.name == "anna")).one().version
    with session_scope(engine) as session:
        change_password(
            session=session,
            actor=OPERATOR,
            name="anna",
            password="zwischendurch",
            expected_version=seen,
        )
    with (
        session_scope(engine) as session,
        pytest.raises(ConcurrentChangeError, match="inzwischen geändert"),
    ):
        change_password(
            session=session,
            actor=OPERATOR,
            name="anna",
            password="veraltet-123",
            expected_version=seen,
        )
    assert spatz.store.login(url, "anna", "zwischendurch").actor is not None


def test_organisation_rows_carry_a_version_that_refuses_a_stale_write(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as first, Session(engine) as second:
        a = first.exec(select(Organisation).where(Organisation.key == "A")).one()
        b = second.exec(select(Organisation).where(Organisation.key == "A")).one()
        version = a.version
        a.name = "Stadt A (neu)"
        first.commit()
        b.name = "Stadt A (veraltet)"
        with pytest.raises(StaleDataError):
            second.commit()
    assert spatz.open(url).organisations().set_index("org").loc["A", "version"] == version + 1


def test_a_stale_target_is_refused(url: str) -> None:
    from spatz.catalog import default_catalog
    from spatz.services.catalogs import store_catalog

    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=OPERATOR, catalog=default_catalog())
    store = spatz.open(url)

    def goal(level: int) -> TargetCreate:
        return TargetCreate(
            org="A", dimension_id="strategie", target_level=level, target_date=dt.date(2027, 12, 31)
        )

    first = store.set_target(goal(3), expected_id=None)
    with pytest.raises(ConcurrentChangeError, match=r"Stufe 3 bis 31\.12\.2027"):
        store.set_target(goal(4), expected_id=None)  # saw no target: somebody was faster
    assert store.set_target(goal(3), expected_id=first.id).id == first.id  # same again: nothing
    assert store.set_target(goal(4), expected_id=first.id).target_level == 4
    log = store.audit()
    entry = log[log["entity"] == "target"].iloc[0]
    assert (entry["before"], entry["after"]) == (
        '{"target_date": "2027-12-31", "target_level": 3}',
        '{"target_date": "2027-12-31", "target_level": 4}',
    )


AUDIT_OVERWRITE = (
    "INTO audit_entry (id, at, actor, action, entity, entity_key) "
    "VALUES (:id, :at, 'x', 'x', 'x', 'x')"
)


def test_the_audit_log_is_append_only(url: str) -> None:
    """Neither changed, deleted, replaced, upserted nor (PostgreSQL) truncated."""
    statements = [
        "UPDATE audit_entry SET actor = 'x'",
        "DELETE FROM audit_entry",
        f"INSERT {AUDIT_OVERWRITE} ON CONFLICT (id) DO UPDATE SET actor = excluded.actor",
    ]
    if url.startswith("sqlite"):
        statements += [f"INSERT OR REPLACE {AUDIT_OVERWRITE}", f"REPLACE {AUDIT_OVERWRITE}"]
    else:
        statements += ["TRUNCATE audit_entry"]
    read = sa.text("SELECT * FROM audit_entry ORDER BY id")
    with make_engine(url).connect() as conn:
        with conn.begin():
            log = conn.execute(read).all()
        assert log
        for statement in statements:
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), conn.begin():
                conn.execute(sa.text(statement), {"id": log[0].id, "at": log[0].at})
        assert conn.execute(read).all() == log


def test_every_import_is_in_the_audit_log_with_before_and_after(url: str) -> None:
    changed = ORGS.replace(b"Stadt A,", b"Stadt A-Dorf,")
    with session_scope(make_engine(url)) as session:
        import_organisations(
            session=session, actor=OPERATOR, table=read_table_bytes(changed, "o.csv")
        )
    log = spatz.open(url).audit()
    entry = log[(log["entity_key"] == "A") & (log["action"] == "import")].iloc[0]
    assert '"name": "Stadt A"' in entry["before"] and '"name": "Stadt A-Dorf"' in entry["after"]
    assert entry["actor"] == "op"


def test_leitung_sees_only_the_audit_entries_of_its_organisations(url: str) -> None:
    with session_scope(make_engine(url)) as session:
        add_user(
            session=session,
            actor=OPERATOR,
            name="lea",
            role=Role.leitung,
            org="A-1",
            password=PASSWORD,
        )
    lea = spatz.store.login(url, "lea", PASSWORD).actor
    log = spatz.open(url, actor=lea).audit()
    assert set(log["org"]) == {"A-1"}


runner = CliRunner()


def test_cli_user_add_reads_the_password_twice_from_standard_input(url: str) -> None:
    result = runner.invoke(
        app,
        ["--db", url, "user", "add", "dora", "--role", "leitung", "--org", "A"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Konto dora angelegt (Verwaltungsleitung)" in result.output
    listed = runner.invoke(app, ["--db", url, "user", "list"])
    assert "dora" in listed.output and "leitung" in listed.output
    result = runner.invoke(
        app, ["--db", url, "user", "passwd", "dora"], input="neu-neu-neu\nanders-anders\n"
    )
    assert result.exit_code == 2 and "stimmen nicht überein" in result.output
    result = runner.invoke(
        app, ["--db", url, "user", "passwd", "dora"], input="neu-neu-neu\nneu-neu-neu\n"
    )
    assert result.exit_code == 0 and spatz.store.login(url, "dora", "neu-neu-neu").actor is not None


def test_cli_refuses_a_bad_account_without_a_traceback(url: str) -> None:
    result = runner.invoke(
        app,
        ["--db", url, "user", "add", "eva", "--role", "gast"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 2
    assert "braucht eine Organisation" in result.output and "Traceback" not in result.output
