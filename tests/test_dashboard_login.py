"""The dashboard requires a login; sessions expire; every role sees the pages it may use
and the organisations of its scope."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import spatz
from spatz.services.demo import DEMO_ACCOUNTS, HALLE
from spatz.store import login, login_single_sign_on

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
PASSWORDS = {a.name: a.password for a in DEMO_ACCOUNTS}


@pytest.fixture
def url(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A private copy of the demo database (logins write to the audit log) for the app."""
    shutil.copy(demo_url.removeprefix("sqlite:///"), tmp_path / "demo.db")
    copy = f"sqlite:///{tmp_path}/demo.db"
    monkeypatch.setenv("SPATZ_DATABASE_URL", copy)
    return copy


@pytest.fixture
def at(url: str) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def logged_in(at: AppTest, url: str, name: str) -> AppTest:
    """The state the login form leaves after a correct password (the form itself is driven
    in the browser test: AppTest runs only the page script once the pages are registered)."""
    outcome = login(url, name, PASSWORDS[name])
    assert outcome.actor is not None, outcome.message
    at.session_state["actor"] = outcome.actor
    at.session_state["login_since"] = at.session_state["login_seen"] = time.time()
    return at.run()


def test_nothing_is_shown_without_a_login(at: AppTest) -> None:
    at.run()
    assert not at.exception
    assert at.title[0].value == "SPATZ – Anmeldung"
    assert not at.metric
    assert "org" not in at.session_state


def test_after_login_the_most_active_organisation_is_shown(at: AppTest, url: str) -> None:
    logged_in(at, url, "admin")
    assert not at.exception
    events = spatz.open(url).events()
    assert at.session_state["org"] == events["org"].value_counts().idxmax()
    assert at.session_state["as_of"] == min(dt.date.today(), events["date"].max().date())
    assert at.sidebar.caption[0].value == "Angemeldet: admin (Administration)"


def test_an_account_of_an_organisation_starts_there(at: AppTest, url: str) -> None:
    logged_in(at, url, "leitung.halle")
    assert at.session_state["org"] == HALLE


def test_an_idle_session_expires(url: str) -> None:
    admin = login(url, "admin", PASSWORDS["admin"]).actor
    for idle, expired in ((29 * 60, False), (31 * 60, True)):
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.session_state["actor"] = admin
        at.session_state["login_since"] = time.time() - idle
        at.session_state["login_seen"] = time.time() - idle
        at.run()
        assert not at.exception
        assert (at.title[0].value == "SPATZ – Anmeldung") == expired
        assert ("actor" in at.session_state) != expired
    assert "abgelaufen" in at.info[0].value
    log = spatz.open(url).audit()
    assert (log["action"].iloc[0], log["after"].iloc[0]) == ("logout", '{"reason": "expired"}')


@pytest.mark.parametrize(
    ("name", "pages", "orgs"),
    [
        ("admin", {"record", "audit", "comparison", "dimension"}, 24),
        ("leitung.halle", {"audit", "dimension"}, 5),
        ("bearbeitung.halle", {"record", "dimension"}, 5),
        ("land.lsa", {"comparison"}, 24),
        ("gast.halle", set(), 1),
    ],
)
def test_each_role_sees_its_pages_and_organisations(
    at: AppTest, url: str, name: str, pages: set[str], orgs: int
) -> None:
    logged_in(at, url, name)
    assert not at.exception
    assert len(at.sidebar.selectbox[0].options) == orgs
    # Pages the role may not use are not even registered.
    for page in {"record", "audit", "comparison", "dimension"} - pages:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"views/{page}.py")
    for page in sorted(pages):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, page


def test_single_sign_on_logs_in_an_existing_account_only(url: str) -> None:
    actor = login_single_sign_on(url, "bearbeitung.halle").actor
    assert actor is not None and actor.org == HALLE
    assert actor.scope is not None and HALLE in actor.scope
    refused = login_single_sign_on(url, "fremd@example.org")
    assert refused.actor is None and "kein SPATZ-Konto" in refused.message
    log = spatz.open(url).audit()
    assert list(log["action"][:2]) == ["login_failed", "login"]
