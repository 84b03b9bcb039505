"""No English sentence of the dashboard's code reaches a page (Streamlit's "magic" is off)."""

from __future__ import annotations

import datetime as dt
import time
import tomllib

import pytest
from developer_text import DASHBOARD, developer_sentences, normalised
from streamlit.testing.v1 import AppTest

from spatz.services.common import Actor

APP = DASHBOARD / "app.py"
PAGES = sorted(f"views/{p.name}" for p in (DASHBOARD / "views").glob("*.py"))


def _shown(at: AppTest) -> str:
    """The text of every element that renders text, as one line."""
    texts = [str(getattr(element, "value", "")) for element in at.markdown]
    texts += [str(getattr(element, "value", "")) for element in at.caption]
    texts += [str(getattr(element, "value", "")) for element in at.text]
    return normalised(" ".join(texts))


def test_magic_is_off_in_the_dashboards_config() -> None:
    config = tomllib.loads((DASHBOARD / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["runner"]["magicEnabled"] is False


def test_the_scan_finds_the_sentences() -> None:
    sentences = developer_sentences()
    assert len(sentences) > 40
    assert any(s.startswith("Every page with the permission it needs") for s in sentences)


def test_the_login_page_shows_no_developer_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPATZ_DATABASE_URL", "sqlite://")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    shown = _shown(at)
    assert "Anmeldung" in normalised(" ".join(t.value for t in at.title))
    assert [s for s in developer_sentences() if s in shown] == []


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_developer_text(
    page: str, demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPATZ_DATABASE_URL", demo_url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["org"] = "15002000"
    at.session_state["as_of"] = dt.date(2024, 12, 31)
    at.session_state["actor"] = Actor.operator("tester")
    at.session_state["login_since"] = at.session_state["login_seen"] = time.time()
    at.run()
    frame = _shown(at)
    at.switch_page(page).run()
    assert not at.exception
    shown = f"{frame} {_shown(at)}"
    assert [s for s in developer_sentences() if s in shown] == []
