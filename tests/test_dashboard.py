"""Every dashboard page renders over the demo data; the Stichtag changes what it shows."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

import spatz
from spatz.catalog import DEFAULT_CATALOG_PATH
from spatz.cli import app as cli
from spatz.io.land import land_csv
from spatz.model import Status
from spatz.services.common import Actor

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
HALLE = "15002000"


@pytest.fixture
def app(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SPATZ_DATABASE_URL", demo_url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["org"] = HALLE
    at.session_state["as_of"] = dt.date(2024, 12, 31)
    at.session_state["actor"] = Actor("tester")
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: str(m.value) for m in at.metric}


def test_overview_shows_the_levels_of_the_scoring_engine(app: AppTest, demo_url: str) -> None:
    app.run()
    assert not app.exception
    assert app.title[0].value == "Digitale Reife – Stadt Halle (Saale)"
    expected = spatz.open(demo_url).score("2024-12-31")
    halle = {
        str(row["dimension_id"]): int(row["level"])
        for row in expected[expected["org"] == HALLE].to_dict("records")
    }
    catalog = spatz.open(demo_url).catalog()
    metrics = _metrics(app)
    for dim in catalog.dimensions:
        assert metrics[dim.name] == f"Stufe {halle[dim.id]}"
    assert metrics["Gesamtreifegrad"] == f"Stufe {halle['overall']}"


def test_moving_the_stichtag_back_shows_the_past(app: AppTest) -> None:
    app.run()
    now = _metrics(app)
    app.session_state["as_of"] = dt.date(2021, 1, 1)
    app.run()
    assert not app.exception
    past = _metrics(app)
    assert past["Digitalisierungsstrategie"] == "Stufe 0"
    assert past != now


def test_default_selection_is_the_most_active_organisation(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPATZ_DATABASE_URL", demo_url)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    events = spatz.open(demo_url).events()
    assert at.session_state["org"] == events["org"].value_counts().idxmax()
    assert at.session_state["as_of"] == min(dt.date.today(), events["date"].max().date())


def test_catalog_page_searches_measures(app: AppTest) -> None:
    app.switch_page("pages/catalog.py").run()
    assert not app.exception
    assert app.title[0].value == "Katalog"
    app.text_input[0].input("Notfall").run()
    table = app.dataframe[0].value
    total = sum(1 for _ in spatz.load_catalog(DEFAULT_CATALOG_PATH).measures())
    assert 0 < len(table) < total
    text = table["Maßnahme"] + table["Beschreibung"] + table["Quelle"]
    assert text.str.contains("notfall", case=False).all()


def test_dimension_page_shows_the_ladder_and_the_roadmap(app: AppTest, demo_url: str) -> None:
    app.session_state["dimension"] = "strategie"
    app.switch_page("pages/dimension.py").run()
    assert not app.exception
    store = spatz.open(demo_url)
    level = int(
        store.score("2024-12-31")
        .query("org == @HALLE and dimension_id == 'strategie'")["level"]
        .iloc[0]
    )
    metrics = _metrics(app)
    assert metrics["Stufe"].startswith(f"{level} – ")
    ladder = [e.label for e in app.expander]
    assert len(ladder) == store.catalog().n_levels
    assert ladder[-1].startswith("Stufe 1 – Initial: erreicht")
    level_one = app.dataframe[-1].value
    assert (level_one["Stand"] == "umgesetzt").all()
    assert (level_one["erfasst von"] == "demo").all()
    assert (level_one["Nachweis"] != "").any()
    roadmap = store.roadmap(HALLE, "strategie", "2024-12-31")
    assert len(app.dataframe[0].value) == len(roadmap)


def test_projects_page_shows_halles_projektliste_and_the_milestones(app: AppTest) -> None:
    app.switch_page("pages/projects.py").run()
    assert not app.exception
    tables = [t.value for t in app.dataframe]
    projects = next(t for t in tables if "Projekt" in t.columns)
    assert len(projects) == 15
    assert "WLAN in städtischen Gebäuden" in set(projects["Projekt"])
    milestones = next(t for t in tables if "Meilenstein" in t.columns)
    assert len(milestones) == 9
    assert milestones["fällig"].iloc[0] == "Q1 2023"


def test_comparison_page_respects_the_minimum_group_size(app: AppTest) -> None:
    app.switch_page("pages/comparison.py").run()
    assert not app.exception
    assert any("zu kleine Gruppe" in c.value for c in app.caption)
    position = next(t.value for t in app.dataframe if "Quartil" in t.value.columns)
    assert len(position) == 9


def test_exchange_page_offers_the_downloads(app: AppTest) -> None:
    app.switch_page("pages/exchange.py").run()
    assert not app.exception
    labels = [getattr(b, "label", "") for b in app.get("download_button")]
    assert labels == [
        "Landesexport (CSV)",
        "Landesexport (Excel, deutsch)",
        "Bericht für den Stadtrat (HTML)",
    ]


def test_recording_a_measure_shows_the_level_change(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_db = tmp_path / "demo.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), own_db)
    url = f"sqlite:///{own_db}"
    monkeypatch.setenv("SPATZ_DATABASE_URL", url)
    store = spatz.open(url)
    plan = store.roadmap(HALLE, "strategie", "2024-12-31")
    assert len(plan) == 1, "the demo data leaves one measure between Halle and strategy level 3"
    missing = str(plan["measure_id"].iloc[0])
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["org"] = HALLE
    at.session_state["as_of"] = dt.date(2024, 12, 31)
    at.session_state["actor"] = Actor("tester")
    at.switch_page("pages/record.py").run()
    at.selectbox[0].set_value("strategie").run()
    at.selectbox[1].set_value(missing).run()
    at.radio[0].set_value(Status.completed.value)
    at.date_input[0].set_value(dt.date(2024, 12, 20))
    at.text_area[0].input("Beschluss des Verwaltungsvorstands")
    at.button[0].click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [
        "Gespeichert. Digitalisierungsstrategie am 20.12.2024: Stufe 2 → 3."
    ]
    history = store.history(HALLE, missing)
    assert history["recorded_by"].iloc[0] == "tester"
    assert history["note"].iloc[0] == "Beschluss des Verwaltungsvorstands"


def test_comparison_includes_imported_land_exports(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_db = tmp_path / "demo.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), own_db)
    url = f"sqlite:///{own_db}"
    foreign = spatz.open(url).land_export("2024-06-30", ["15002000"])
    foreign = foreign.assign(org="15099999", ags="15099999", organisation="Gemeinde Nachbarort")
    export = tmp_path / "nachbarort.csv"
    export.write_bytes(land_csv(foreign))
    result = CliRunner().invoke(cli, ["--db", url, "land", "import", str(export)])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("SPATZ_DATABASE_URL", url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["org"] = HALLE
    at.session_state["as_of"] = dt.date(2024, 12, 31)
    at.session_state["actor"] = Actor("tester")
    at.switch_page("pages/comparison.py").run()
    assert not at.exception
    matrix = at.dataframe[0].value
    assert "Gemeinde Nachbarort" in matrix.index
