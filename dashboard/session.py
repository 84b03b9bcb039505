"""The login session of the dashboard: sign in and out, expiry, the logged-in account."""

from __future__ import annotations

import time

import streamlit as st

from spatz.config import database_url
from spatz.services.auth import Permission, allows
from spatz.services.common import Actor
from spatz.services.users import LogoutReason
from spatz.store import login, login_single_sign_on, logout, session_problem

SESSION_IDLE = 30 * 60
"""Seconds without any interaction after which a login expires."""
SESSION_MAX = 10 * 60 * 60
"""Seconds after which a login expires in any case (a working day)."""


def current_actor() -> Actor | None:
    """The logged-in account, or ``None`` (also when its session has expired: then
    :func:`login_notice` says so)."""
    actor: Actor | None = st.session_state.get("actor")
    if actor is None:
        return None
    now = time.time()
    since = st.session_state.get("login_since", 0.0)
    seen = st.session_state.get("login_seen", 0.0)
    if now - seen > SESSION_IDLE or now - since > SESSION_MAX:
        sign_out(reason="expired")
        st.session_state["login_notice"] = "Die Sitzung ist abgelaufen; bitte neu anmelden."
        return None
    problem = session_problem(database_url(), actor)
    if problem is not None:
        sign_out(reason="account_changed")
        st.session_state["login_notice"] = problem
        return None
    st.session_state["login_seen"] = now
    return actor


def _start_session(actor: Actor) -> None:
    st.session_state["actor"] = actor
    st.session_state["login_since"] = st.session_state["login_seen"] = time.time()
    st.session_state.pop("login_notice", None)


def sign_in(name: str, password: str) -> str | None:
    """Log in with a local account; the message if that failed (failures count towards the
    account's lockout and are in the audit log)."""
    outcome = login(database_url(), name.strip(), password)
    if outcome.actor is None:
        return outcome.message
    _start_session(outcome.actor)
    return None


def sign_in_sso(name: str) -> str | None:
    """Log in the account that single sign-on named; the message if there is none."""
    outcome = login_single_sign_on(database_url(), name)
    if outcome.actor is None:
        return outcome.message
    _start_session(outcome.actor)
    return None


def single_sign_on_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` configures an OpenID Connect provider ([auth])."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def single_sign_on_name() -> str:
    """The account name single sign-on stands for: the e-mail address the provider gives."""
    return str(st.user.get("email") or "")


def sign_out(*, reason: LogoutReason = "user") -> None:
    """End the session (logged with ``reason``); a session the user ends, or whose account
    changed, ends at the single sign-on provider too."""
    actor: Actor | None = st.session_state.get("actor")
    for key in ("actor", "login_since", "login_seen", "org", "catalog"):
        st.session_state.pop(key, None)
    if actor is not None:
        logout(database_url(), actor, reason=reason)
    if reason != "expired" and single_sign_on_configured() and st.user.is_logged_in:
        st.logout()


def login_notice() -> str | None:
    notice: str | None = st.session_state.get("login_notice")
    return notice


def actor() -> Actor:
    """The logged-in account (the frame has checked that there is one)."""
    result: Actor = st.session_state["actor"]
    return result


def can(permission: Permission, org: str | None = None) -> bool:
    """Whether the logged-in account holds ``permission`` (for ``org``)."""
    return allows(actor(), permission, org)
