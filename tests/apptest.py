"""The dashboard under Streamlit's AppTest, signed in as the login form leaves it."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from spatz.services.common import Actor

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"


def log_in(at: AppTest, actor: Actor) -> None:
    """As the login form does after a correct password."""
    at.session_state["actor"] = actor
    at.session_state["login_since"] = at.session_state["login_seen"] = time.time()


def dashboard_as(
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    actor: Actor,
    org: str,
    as_of: dt.date,
    **state: Any,
) -> AppTest:
    """The dashboard over ``url`` for ``actor``, with ``org`` and the Stichtag ``as_of``
    selected and ``state`` set in the session; not run yet."""
    monkeypatch.setenv("SPATZ_DATABASE_URL", url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["org"] = org
    at.session_state["as_of"] = as_of
    for key, value in state.items():
        at.session_state[key] = value
    log_in(at, actor)
    return at
