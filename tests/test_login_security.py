"""Logins under attack: parallel attempts, over-long names, enumeration, changed accounts.

Each test reproduces a way the login could be got round and runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from accounts import OPERATOR, PASSWORD, with_account
from pydantic import ValidationError
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

import spatz.services.users as users
from spatz.cli import app
from spatz.db import make_engine, session_scope
from spatz.errors import PermissionDenied
from spatz.model import AuditEntry, MeasureEventCreate, Role, UserAccount
from spatz.model.event import MAX_TEXT_LENGTH
from spatz.model.user import MAX_NAME_LENGTH
from spatz.services.users import (
    BUSY_MESSAGE,
    CHANGED_MESSAGE,
    MAX_FAILED_LOGINS,
    REFUSED_MESSAGE,
    VERIFICATION_SLOTS,
    add_user,
    change_password,
    lock_user,
    login,
    session_problem,
)
from spatz.store import Store

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"


@pytest.fixture
def url(database_url: str) -> str:
    return with_account(database_url)


def attempt(url: str, name: str, password: str) -> users.LoginOutcome:
    with session_scope(make_engine(url)) as session:
        return login(session=session, name=name, password=password)


def audit_rows(url: str, action: str | None = None) -> list[AuditEntry]:
    with Session(make_engine(url)) as session:
        query = select(AuditEntry).order_by(col(AuditEntry.id))
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(session.exec(query).all())


def account(url: str, name: str = "anna") -> UserAccount:
    with Session(make_engine(url)) as session:
        return session.exec(select(UserAccount).where(UserAccount.name == name)).one()


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` in threads released together; their results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# -- 6: the lockout holds under parallel attempts ---------------------------------------


def test_parallel_wrong_passwords_lock_the_account_and_are_all_logged(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users, "VERIFICATION_WAIT", 120.0)  # every attempt gets checked
    wrong = 29
    calls = [lambda: attempt(url, "anna", "falsch-falsch")] * wrong
    calls.append(lambda: attempt(url, "anna", PASSWORD))
    results = at_once(calls)
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert all(r.message == REFUSED_MESSAGE for r in results[:wrong])
    failed = audit_rows(url, "login_failed")
    logins = audit_rows(url, "login")
    assert len(failed) + len(logins) == wrong + 1  # every attempt is in the log
    assert len(logins) <= 1
    # Failures count while the account is open; the fifth locks it, later ones find it
    # locked. A success in between may reset the count once.
    counted = [e for e in failed if '"reason": "password"' in (e.after or "")]
    assert MAX_FAILED_LOGINS <= len(counted) < 2 * MAX_FAILED_LOGINS
    assert len(audit_rows(url, "lock")) == 1
    assert account(url).locked_until is not None
    assert account(url).version == 1  # counting failures is no change of the account


def test_the_right_password_does_not_open_a_locked_account_however_it_races(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users, "VERIFICATION_WAIT", 120.0)  # every attempt gets checked
    for _ in range(MAX_FAILED_LOGINS):
        assert attempt(url, "anna", "falsch-falsch").actor is None
    results = at_once([lambda: attempt(url, "anna", PASSWORD)] * 10)
    assert all(r.actor is None and r.message == REFUSED_MESSAGE for r in results)


def test_password_checks_run_at_most_a_few_at_once(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = 0
    most = 0
    lock = threading.Lock()
    verify = users._verify

    def counted(password_hash: str, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.05)
            return verify(password_hash, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(users, "_verify", counted)
    results = at_once([lambda: attempt(url, "niemand", PASSWORD)] * 60)
    assert not [r for r in results if isinstance(r, BaseException)]
    assert most == VERIFICATION_SLOTS
    assert {r.message for r in results} <= {REFUSED_MESSAGE, BUSY_MESSAGE}


def test_an_attempt_without_a_free_slot_is_refused_and_logged(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users, "VERIFICATION_WAIT", 0.01)
    monkeypatch.setattr(users, "_slots", threading.BoundedSemaphore(1))
    users._slots.acquire()  # the only slot is taken
    try:
        outcome = attempt(url, "anna", PASSWORD)
    finally:
        users._slots.release()
    assert outcome.actor is None and outcome.message == BUSY_MESSAGE
    assert [e.after for e in audit_rows(url, "login_refused")] == ['{"reason": "busy"}']
    assert account(url).failed_logins == 0  # not checked, so not counted


# -- 7: over-long input ----------------------------------------------------------------


def test_an_overlong_login_name_is_logged_cut_off_with_its_length(url: str) -> None:
    name = "x" * (5 * 1024 * 1024)
    outcome = attempt(url, name, PASSWORD)
    assert outcome.actor is None and outcome.message == REFUSED_MESSAGE
    (entry,) = audit_rows(url, "login_failed")
    assert len(entry.actor) == MAX_NAME_LENGTH and entry.actor.endswith("…")
    assert entry.entity_key == entry.actor
    assert entry.after == f'{{"name_length": {len(name)}, "reason": "unknown"}}'


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("x" * (MAX_NAME_LENGTH + 1), PASSWORD, "höchstens 100 Zeichen"),
        ("anna bernd", PASSWORD, "Ungültiger Anmeldename"),
        ("bernd", "p" * 1001, "höchstens 1000 Zeichen"),
    ],
)
def test_account_fields_have_limits_checked_in_the_service(
    url: str, name: str, password: str, message: str
) -> None:
    with session_scope(make_engine(url)) as session, pytest.raises(users.AccountError) as raised:
        add_user(
            session=session, actor=OPERATOR, name=name, role=Role.gast, org="A", password=password
        )
    assert message in str(raised.value)
    with Session(make_engine(url)) as session:
        assert len(session.exec(select(UserAccount)).all()) == 1


# -- 9: no account enumeration ---------------------------------------------------------


def test_unknown_locked_and_wrong_get_the_same_answer_and_the_same_work(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        attempt(url, "anna", "falsch-falsch")
    with session_scope(make_engine(url)) as session:
        add_user(
            session=session,
            actor=OPERATOR,
            name="bernd",
            role=Role.gast,
            org="A",
            password=PASSWORD,
        )
    checks: list[str] = []
    verify = users._verify

    def counted(password_hash: str, password: str) -> bool:
        checks.append(password_hash)
        return verify(password_hash, password)

    monkeypatch.setattr(users, "_verify", counted)
    answers = {
        "unknown": attempt(url, "niemand", PASSWORD).message,
        "locked, right password": attempt(url, "anna", PASSWORD).message,
        "locked, wrong password": attempt(url, "anna", "falsch-falsch").message,
        "wrong password": attempt(url, "bernd", "falsch-falsch").message,
    }
    assert set(answers.values()) == {REFUSED_MESSAGE}
    assert len(checks) == len(answers)


# -- 5: roles of an organisation without one see nothing --------------------------------


def test_an_account_without_its_organisation_sees_nothing(url: str) -> None:
    with make_engine(url).begin() as conn:
        conn.execute(
            sa.update(UserAccount.__table__)  # type: ignore[attr-defined]
            .where(sa.column("name") == "anna")
            .values(org_id=None)
        )
    outcome = attempt(url, "anna", PASSWORD)
    assert outcome.actor is not None and outcome.actor.scope == frozenset()
    store = Store(url, actor=outcome.actor)
    assert store.organisations().empty
    with pytest.raises(PermissionDenied):
        store.history("A")


@pytest.mark.parametrize("role", ["gast", "leitung", "bearbeiter"])
def test_user_add_refuses_a_role_of_an_organisation_without_one(url: str, role: str) -> None:
    result = CliRunner().invoke(
        app, ["--db", url, "user", "add", "neu", "--role", role], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 2
    assert "braucht eine Organisation" in result.output
    assert "Traceback" not in result.output


# -- 8: sessions end when the account changes -------------------------------------------


def test_a_changed_account_ends_its_sessions(url: str) -> None:
    actor = attempt(url, "anna", PASSWORD).actor
    assert actor is not None

    def problem() -> str | None:
        with session_scope(make_engine(url)) as session:
            return session_problem(session=session, actor=actor)

    assert problem() is None
    attempt(url, "anna", "falsch-falsch")  # somebody else's failure ends nothing
    assert attempt(url, "anna", PASSWORD).actor == actor  # nor another login
    assert problem() is None
    with session_scope(make_engine(url)) as session:
        change_password(session=session, actor=OPERATOR, name="anna", password="ganz-neu-123")
    assert problem() == CHANGED_MESSAGE


def test_lock_ends_the_sessions_until_a_new_password(url: str) -> None:
    result = CliRunner().invoke(app, ["--db", url, "user", "lock", "anna"])
    assert result.exit_code == 0, result.output
    assert attempt(url, "anna", PASSWORD).message == REFUSED_MESSAGE
    listing = CliRunner().invoke(app, ["--db", url, "user", "list"])
    assert "unbefristet" in listing.output
    with session_scope(make_engine(url)) as session:
        change_password(session=session, actor=OPERATOR, name="anna", password="ganz-neu-123")
    assert attempt(url, "anna", "ganz-neu-123").actor is not None
    assert len(audit_rows(url, "lock")) == 1


def test_the_dashboard_ends_a_session_whose_account_was_locked(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPATZ_DATABASE_URL", url)
    actor = attempt(url, "anna", PASSWORD).actor
    assert actor is not None
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["actor"] = actor
    at.session_state["login_since"] = at.session_state["login_seen"] = time.time()
    at.run()
    assert not at.exception
    assert "actor" in at.session_state
    with session_scope(make_engine(url)) as session:
        lock_user(session=session, actor=OPERATOR, name="anna")
    at.run()
    assert not at.exception
    assert "actor" not in at.session_state
    assert CHANGED_MESSAGE in [info.value for info in at.info]
    reasons = [e.after for e in audit_rows(url, "logout")]
    assert reasons == ['{"reason": "account_changed"}']


@pytest.mark.parametrize("field", ["note", "evidence"])
def test_a_note_or_evidence_has_the_same_limit_on_every_database(field: str) -> None:
    fields: dict[str, Any] = {
        "org": "A",
        "measure_id": "STR-1-01",
        "status": "completed",
        "date": "2024-01-01",
    }
    MeasureEventCreate.model_validate({**fields, field: "x" * MAX_TEXT_LENGTH})
    with pytest.raises(ValidationError, match=f"at most {MAX_TEXT_LENGTH} characters"):
        MeasureEventCreate.model_validate({**fields, field: "x" * (MAX_TEXT_LENGTH + 1)})
