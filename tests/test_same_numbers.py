"""Without a Stichtag every interface takes the Datenstand: the dashboard's Überblick and
``spatz score`` show the same numbers for the same organisation."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from rendered import visible
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

import spatz
from spatz.cli import app as cli
from spatz.services.demo import DEMO_ACCOUNTS, HALLE
from spatz.store import login

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"


@pytest.fixture
def db(demo_url: str, tmp_path: Path) -> str:
    """A copy of the demo database (logins are logged)."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def score_command(url: str) -> tuple[list[tuple[str, str]], str]:
    """(Stufe, Punktwert) of each row of ``spatz score --org HALLE``, and its Stichtag."""
    result = CliRunner().invoke(cli, ["--db", url, "score", "--org", HALLE])
    assert result.exit_code == 0, result.output
    rows = []
    for line in result.stdout.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) == 8 and re.fullmatch(r"\d+", cells[3]):
            rows.append((cells[3], cells[4]))
    stichtag = re.search(r"^Stichtag: (\d\d\.\d\d\.\d{4})$", result.stdout, re.MULTILINE)
    assert stichtag is not None, result.stdout
    return rows, stichtag.group(1)


def overview_page(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[str, str]], str]:
    """The same numbers on the Überblick of Halle for the admin account, in catalog order
    with the overall level last, and the Stichtag the page names."""
    monkeypatch.setenv("SPATZ_DATABASE_URL", url)
    admin = next(a for a in DEMO_ACCOUNTS if a.name == "admin")
    actor = login(url, admin.name, admin.password).actor
    assert actor is not None
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["org"] = HALLE
    at.session_state["actor"] = actor
    at.session_state["login_since"] = at.session_state["login_seen"] = time.time()
    at.run()
    assert not at.exception
    names = [d.name for d in spatz.open(url).catalog().dimensions]
    shown_numbers: dict[str, tuple[str, str]] = {}
    for column in at.columns:  # each card: the level as a metric, the score in its caption
        metrics = [m for m in column.metric if visible(m.label) in [*names, "Gesamtreifegrad"]]
        if not metrics:
            continue  # a card of the row of catalogs
        scores = [
            found.group(1)
            for c in column.caption
            if (found := re.search(r"Punktwert (\d+,\d\d)", visible(c.value)))
        ]
        for metric, score in zip(metrics, scores, strict=True):
            shown_numbers[visible(metric.label)] = (str(metric.value).removeprefix("Stufe "), score)
    rows = [shown_numbers[n] for n in [*names, "Gesamtreifegrad"]]
    shown = re.search(
        r"Stichtag (\d\d\.\d\d\.\d{4})", " ".join(visible(c.value) for c in at.caption)
    )
    assert shown is not None
    return rows, shown.group(1)


def test_the_overview_and_the_score_command_agree_without_a_stichtag(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    command_rows, command_day = score_command(db)
    page_rows, page_day = overview_page(db, monkeypatch)
    assert command_day == page_day == f"{spatz.open(db).stichtag():%d.%m.%Y}"
    assert len(command_rows) == 9
    assert command_rows == page_rows
