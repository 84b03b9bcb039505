"""Every dashboard page renders over the demo data; the Stichtag changes what it shows."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from apptest import APP, dashboard_as, log_in
from rendered import visible
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

import spatz
import spatz.db
import spatz.store
from spatz.catalog import DEFAULT_CATALOG_PATH
from spatz.cli import app as cli
from spatz.config import ENV_ACCESSIBILITY_CONTACT
from spatz.io.land import land_csv
from spatz.model import MeasureEventCreate, Status, TargetCreate
from spatz.services.common import Actor

HALLE = "15002000"


@pytest.fixture
def app(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return dashboard_as(
        demo_url, monkeypatch, Actor.operator("tester"), HALLE, dt.date(2024, 12, 31)
    )


def _metrics(at: AppTest) -> dict[str, str]:
    return {visible(m.label): str(m.value) for m in at.metric}


def test_overview_shows_the_levels_of_the_scoring_engine(app: AppTest, demo_url: str) -> None:
    app.run()
    assert not app.exception
    assert visible(app.title[0].value) == "Digitale Reife – Stadt Halle (Saale)"
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


def test_catalog_page_searches_measures(app: AppTest) -> None:
    app.switch_page("views/catalog.py").run()
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
    app.switch_page("views/dimension.py").run()
    assert not app.exception
    kinds = [type(node).__name__ for node in app.main]
    assert kinds.index("Title") < kinds.index("Selectbox"), "the title stands above the selector"
    store = spatz.open(demo_url)
    level = int(
        store.score("2024-12-31")
        .query("org == @HALLE and dimension_id == 'strategie'")["level"]
        .iloc[0]
    )
    metrics = _metrics(app)
    assert metrics["Stufe"].startswith(f"{level} – ")
    ladder = [e.label for e in app.expander if e.label.startswith("Stufe ")]
    assert len(ladder) == store.catalog().n_levels
    assert ladder[-1].startswith("Stufe 1 – Initial: erreicht")
    level_one = app.dataframe[-1].value
    assert (level_one["Stand"] == "umgesetzt").all()
    assert (level_one["erfasst von"] == "demo").all()
    assert (level_one["Nachweis"] != "").any()
    roadmap = store.roadmap(HALLE, "strategie", "2024-12-31")
    assert len(app.dataframe[0].value) == len(roadmap)


def test_projects_page_shows_halles_projektliste_and_the_milestones(app: AppTest) -> None:
    app.switch_page("views/projects.py").run()
    assert not app.exception
    tables = [t.value for t in app.dataframe]
    projects = next(t for t in tables if "Projekt" in t.columns)
    assert len(projects) == 15
    assert "WLAN in städtischen Gebäuden" in set(projects["Projekt"])
    milestones = next(t for t in tables if "Meilenstein" in t.columns)
    assert len(milestones) == 9
    assert milestones["fällig"].iloc[0] == "Q1 2023"


def test_comparison_page_respects_the_minimum_group_size(app: AppTest) -> None:
    app.switch_page("views/comparison.py").run()
    assert not app.exception
    assert any("zu kleine Gruppe" in c.value for c in app.caption)
    position = next(t.value for t in app.dataframe if "Quartil" in t.value.columns)
    assert len(position) == 9


def test_exchange_page_offers_the_downloads(app: AppTest) -> None:
    app.switch_page("views/exchange.py").run()
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
    log_in(at, Actor.operator("tester"))
    at.switch_page("views/record.py").run()
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


def test_a_back_dated_entry_does_not_block_the_next_save(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The newest recorded event is not the one with the newest date: the form must still
    # name it as the state it saw.
    shutil.copy(demo_url.removeprefix("sqlite:///"), tmp_path / "demo.db")
    url = f"sqlite:///{tmp_path}/demo.db"
    monkeypatch.setenv("SPATZ_DATABASE_URL", url)
    store = spatz.open(url)
    newest = store.history(HALLE, "STR-4-01")["date"].max().date()
    store.record_event(
        MeasureEventCreate(
            org=HALLE,
            measure_id="STR-4-01",
            status=Status.planned,
            date=newest - dt.timedelta(days=30),
        )
    )
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["org"] = HALLE
    at.session_state["as_of"] = dt.date(2024, 12, 31)
    at.query_params["measure"] = "STR-4-01"
    log_in(at, Actor.operator("tester"))
    at.switch_page("views/record.py").run()
    at.radio[0].set_value(Status.in_progress.value)
    at.button[0].click().run()
    assert not at.error
    assert at.success[0].value.startswith("Gespeichert.")


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
    log_in(at, Actor.operator("tester"))
    at.switch_page("views/comparison.py").run()
    assert not at.exception
    matrix = at.dataframe[0].value
    assert "Gemeinde Nachbarort" in matrix.index


def test_leitung_sets_a_target_and_a_stale_form_is_refused(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(demo_url.removeprefix("sqlite:///"), tmp_path / "demo.db")
    url = f"sqlite:///{tmp_path}/demo.db"
    monkeypatch.setenv("SPATZ_DATABASE_URL", url)
    leitung = spatz.store.login(url, "leitung.halle", "spatz-leitung-demo").actor
    assert leitung is not None
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["org"] = HALLE
    at.session_state["as_of"] = dt.date(2024, 12, 31)
    at.session_state["dimension"] = "governance"
    log_in(at, leitung)
    at.switch_page("views/dimension.py").run()
    assert not at.exception
    at.number_input[0].set_value(5)
    at.button(key="FormSubmitter:target-Ziel speichern").click().run()
    assert at.success[0].value.startswith("Ziel gespeichert: Stufe 5 bis ")
    # The figure above the form shows the new target at once, its status without an arrow.
    (goal,) = [m for m in at.metric if m.label.startswith("Ziel bis ")]
    assert goal.value == "Stufe 5"
    assert goal.proto.direction == MetricProto.MetricDirection.NONE
    store = spatz.open(url)
    assert store.target(HALLE, "governance").target_level == 5  # type: ignore[union-attr]
    # Somebody else sets the target while the form still shows level 5.
    at.run()
    current = store.target(HALLE, "governance")
    store.set_target(
        TargetCreate(
            org=HALLE, dimension_id="governance", target_level=3, target_date=dt.date(2026, 6, 30)
        ),
        expected_id=current.id if current else None,
    )
    at.number_input[0].set_value(4)
    at.button(key="FormSubmitter:target-Ziel speichern").click().run()
    assert "Das Ziel wurde inzwischen geändert" in at.error[0].value
    assert store.target(HALLE, "governance").target_level == 3  # type: ignore[union-attr]


def test_the_accessibility_statement_names_the_contact(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_ACCESSIBILITY_CONTACT, "barrierefrei@halle.de, 0345 221-0")
    app.switch_page("views/accessibility.py").run()
    assert not app.exception
    assert app.title[0].value == "Erklärung zur Barrierefreiheit"
    assert "teilweise vereinbar" in " ".join(m.value for m in app.markdown)
    shown = [visible(m.value).replace("\u2060", "") for m in app.markdown]
    assert any("barrierefrei@halle.de, 0345 221-0" in text for text in shown)
    assert not app.warning


def test_without_a_contact_the_statement_says_who_must_set_it(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_ACCESSIBILITY_CONTACT, raising=False)
    app.switch_page("views/accessibility.py").run()
    assert [w.value for w in app.warning] == [
        "Für diese Installation ist noch keine Kontaktadresse hinterlegt. Der Betrieb trägt sie "
        "in der Umgebungsvariablen `SPATZ_ACCESSIBILITY_CONTACT` ein."
    ]


def test_the_accessibility_statement_is_open_before_the_login(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPATZ_DATABASE_URL", demo_url)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert at.title[0].value == "SPATZ – Anmeldung"
    at.switch_page("views/accessibility.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Erklärung zur Barrierefreiheit"]
    assert not at.text_input, "no login form on the statement"


def test_the_timeline_puts_milestones_on_their_own_row_and_names_each_end(app: AppTest) -> None:
    app.switch_page("views/projects.py").run()
    assert not app.exception
    (chart,) = app.get("plotly_chart")
    figure = json.loads(chart.proto.spec)
    bars = [t for t in figure["data"] if t["type"] == "bar"]
    (milestones,) = [t for t in figure["data"] if t["type"] == "scatter"]
    assert set(milestones["y"]) == {"Meilensteine"}
    assert not {"Meilensteine"} & {y for t in bars for y in t["y"]}
    assert all("%{customdata[1]} bis %{customdata[2]}" in t["hovertemplate"] for t in bars)
    ends = {row[2] for t in bars for row in t["customdata"]}
    assert ends and all(re.fullmatch(r"\d\d\.\d\d\.\d{4}", end) for end in ends)


def test_without_projects_the_page_points_to_the_upload(
    app: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    spatz.db.migrate(url)
    CliRunner().invoke(cli, ["--db", url, "catalog", "load", str(DEFAULT_CATALOG_PATH)])
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org,name,kind\nX,Stadt X,Stadt\n", encoding="utf-8")
    CliRunner().invoke(cli, ["--db", url, "import", "organisations", str(orgs)])
    monkeypatch.setenv("SPATZ_DATABASE_URL", url)
    app.session_state["org"] = "X"
    app.switch_page("views/projects.py").run()
    assert not app.exception
    assert [i.value for i in app.info] == [
        "Keine Projekte oder Meilensteine erfasst. Die Projektliste und die Meilensteine lädt "
        "die Digitalisierungskoordination unter „Import & Export“ hoch (CSV oder XLSX)."
    ]


@pytest.mark.parametrize("page", ["overview", "comparison", "projects"])
def test_every_chart_has_a_short_description(app: AppTest, page: str) -> None:
    app.switch_page(f"views/{page}.py").run()
    assert not app.exception
    charts = app.get("plotly_chart")
    described = [c.value for c in app.caption if "Kurz:" in visible(c.value)]
    assert charts and len(described) == len(charts)


def test_the_short_description_states_the_engines_numbers(app: AppTest, demo_url: str) -> None:
    app.switch_page("views/overview.py").run()
    scores = spatz.open(demo_url).score("2024-12-31").query("org == @HALLE")
    score_of = dict(zip(scores["dimension_id"], scores["score"], strict=True))
    catalog = spatz.open(demo_url).catalog()
    best = max(catalog.dimensions, key=lambda d: score_of[d.id])
    text = next(visible(c.value) for c in app.caption if "Kurz: Den höchsten" in visible(c.value))
    score = f"{score_of[best.id]:.2f}".replace(".", ",")
    assert f"Den höchsten Punktwert hat {best.name} ({score})" in text


def test_one_line_of_the_trend_can_be_brought_forward(app: AppTest) -> None:
    app.switch_page("views/overview.py").run()
    app.selectbox(key="trend_highlight").set_value("governance").run()
    assert not app.exception
    trend = json.loads(app.get("plotly_chart")[1].proto.spec)
    lines = {t["name"]: t for t in trend["data"] if t.get("mode") in ("lines", "lines+markers")}
    assert lines["IT-Governance"]["opacity"] == 1.0
    assert lines["IT-Governance"]["line"]["width"] == 4
    others = [t["opacity"] for name, t in lines.items() if name != "IT-Governance"]
    assert len(others) == 8 and set(others) == {0.25}
