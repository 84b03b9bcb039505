"""The dashboard over several catalogs: the sidebar's choice, a row of catalog cards, and a
catalog of 300 dimensions in 15 groups that the pages show group by group."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from apptest import dashboard_as
from ozg_data import OZG_ID, SERVICES_PER_FIELD, THEMENFELDER, demo_with_ozg
from rendered import visible
from streamlit.testing.v1 import AppTest

import spatz
from spatz.catalog import default_catalog
from spatz.db import make_engine, migrate, session_scope
from spatz.io.reader import read_table
from spatz.resources import resource_dir
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor

HALLE = "15002000"
DEFAULT = "spatz-kommunal"
AS_OF = dt.date(2024, 12, 31)
OPERATOR = Actor.operator("tester")


@pytest.fixture(scope="module")
def two_catalogs(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo database (its two catalogs) with the OZG catalog loaded as well and events
    of every demo organisation in it."""
    return demo_with_ozg(demo_url, tmp_path_factory.mktemp("catalogs"))


def _app(url: str, monkeypatch: pytest.MonkeyPatch, **state: object) -> AppTest:
    return dashboard_as(url, monkeypatch, OPERATOR, HALLE, AS_OF, **state)


def _metrics(at: AppTest) -> dict[str, str]:
    return {visible(m.label): str(m.value) for m in at.metric}


def _levels(url: str, catalog_id: str) -> dict[str, int]:
    frame = spatz.open(url, catalog_id=catalog_id).score(AS_OF, org=HALLE)
    return dict(zip(frame["dimension_id"], frame["level"].astype(int), strict=True))


@pytest.fixture
def one_catalog(tmp_path: Path) -> str:
    """A database with the shipped catalog only and the demo's organisations."""
    url = f"sqlite:///{tmp_path}/one.db"
    migrate(url)
    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=OPERATOR, catalog=default_catalog())
    organisations = resource_dir("sample_data") / "organisations.csv"
    spatz.open(url, actor=OPERATOR).import_table("organisations", read_table(organisations))
    return url


def test_the_sidebar_offers_every_catalog_and_preselects_the_default(
    two_catalogs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(two_catalogs, monkeypatch)
    at.run()
    assert not at.exception
    chooser = at.sidebar.selectbox(key="sidebar_catalog")
    assert chooser.label == "Katalog"
    assert chooser.options == [
        "SPATZ Kommunal (spatz-kommunal)",
        "IT-Grundschutz kompakt (Demo) (bsi-kompakt)",
        "OZG-Reifegrad (ozg)",
    ]
    assert chooser.value == spatz.open(two_catalogs).catalog().id == DEFAULT
    assert at.session_state["catalog"] == chooser.value
    assert at.query_params["catalog"] == chooser.value


def test_switching_the_catalog_changes_the_shown_scores_each_time(
    two_catalogs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(two_catalogs, monkeypatch)
    at.run()
    spatz_catalog = spatz.open(two_catalogs).catalog(DEFAULT)
    ozg_catalog = spatz.open(two_catalogs).catalog(OZG_ID)
    for chosen in (DEFAULT, OZG_ID, DEFAULT):
        at.sidebar.selectbox(key="sidebar_catalog").select(chosen).run()
        assert not at.exception
        assert at.session_state["catalog"] == chosen
        assert at.query_params["catalog"] == chosen
        levels = _levels(two_catalogs, chosen)
        metrics = _metrics(at)
        assert metrics["Gesamtreifegrad"] == f"Stufe {levels['overall']}"
        shown = spatz_catalog if chosen == DEFAULT else ozg_catalog
        hidden = ozg_catalog if chosen == DEFAULT else spatz_catalog
        members = shown.groups or shown.dimensions
        for member in members:
            assert metrics[member.name] == f"Stufe {levels[member.id]}"
        assert not {m.name for m in hidden.groups or hidden.dimensions} & set(metrics)
        name = shown.name
        assert visible(at.caption[0].value).startswith(f"Stichtag 31.12.2024 · Katalog {name}")


def test_a_link_names_the_catalog(two_catalogs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    other = OZG_ID
    at = _app(two_catalogs, monkeypatch)
    at.query_params["catalog"] = other
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="sidebar_catalog").value == other
    assert at.session_state["catalog"] == other


def test_a_link_to_a_catalog_the_database_lacks_shows_the_default(
    two_catalogs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(two_catalogs, monkeypatch)
    at.query_params["catalog"] = "bsi-grundschutz"
    at.run()
    assert not at.exception
    default = spatz.open(two_catalogs).catalog().id
    assert at.sidebar.selectbox(key="sidebar_catalog").value == default
    assert at.query_params["catalog"] == default


def test_the_overview_shows_each_catalogs_overall_level_and_marks_the_selected(
    two_catalogs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(two_catalogs, monkeypatch, catalog=DEFAULT)
    at.run()
    assert "Kataloge" in [visible(h.value) for h in at.header]
    metrics = _metrics(at)
    for catalog_id in (DEFAULT, OZG_ID):
        catalog = spatz.open(two_catalogs).catalog(catalog_id)
        overall = spatz.open(two_catalogs, catalog_id=catalog_id).score(AS_OF, org=HALLE)
        row = overall[overall["dimension_id"] == "overall"].iloc[0]
        assert metrics[catalog.name] == f"Stufe {row['level']}"
        level_name = {lv.level: lv.name for lv in catalog.levels}[int(row["level"])]
        score = f"{row['score']:.2f}".replace(".", ",")
        card = f"{level_name} · Punktwert {score}"
        captions = [visible(c.value) for c in at.caption]
        marked = f"{card} · ausgewählt"
        assert (marked if catalog_id == DEFAULT else card) in captions
        assert (card if catalog_id == DEFAULT else marked) not in captions


def test_with_one_catalog_there_is_no_choice_and_no_row_of_catalogs(
    one_catalog: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(one_catalog, monkeypatch)
    at.run()
    assert not at.exception
    assert "Katalog" not in [s.label for s in at.sidebar.selectbox]
    assert "Kataloge" not in [visible(h.value) for h in at.header]
    assert "catalog" not in at.query_params


def test_a_catalog_of_300_dimensions_shows_its_15_groups_as_cards(
    two_catalogs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(two_catalogs, monkeypatch, catalog=OZG_ID)
    at.run()
    assert not at.exception
    assert "Gruppen" in [visible(h.value) for h in at.header]
    catalog = spatz.open(two_catalogs).catalog(OZG_ID)
    assert len(catalog.dimensions) == 300
    levels = _levels(two_catalogs, OZG_ID)
    metrics = _metrics(at)
    # Three catalog cards, the overall level, four target counts, one card per group.
    assert len(metrics) == 3 + 1 + 4 + len(THEMENFELDER)
    for group in catalog.groups:
        assert metrics[group.name] == f"Stufe {levels[group.id]}"
    assert not {d.name for d in catalog.dimensions} & set(metrics)
    expanders = {visible(e.label): e for e in at.expander}
    first = catalog.groups[0]
    listing = expanders[f"{SERVICES_PER_FIELD} Dimensionen der Gruppe {first.name}"]
    items = visible(listing.markdown[0].value).splitlines()
    members = [d for d in catalog.dimensions if d.group == first.id]
    assert len(items) == len(members) == SERVICES_PER_FIELD
    names = {lv.level: lv.name for lv in catalog.levels}
    for item, dimension in zip(items, members, strict=True):
        level = levels[dimension.id]
        assert item.startswith(f"{dimension.name}: Stufe {level} – {names[level]} · Punktwert ")


def test_the_charts_of_a_catalog_with_groups_show_the_groups(
    two_catalogs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(two_catalogs, monkeypatch, catalog=OZG_ID)
    at.run()
    groups = [g.name for g in spatz.open(two_catalogs).catalog(OZG_ID).groups]
    levels, trend = (json.loads(chart.proto.spec) for chart in at.get("plotly_chart"))
    bars = next(t for t in levels["data"] if t["type"] == "bar")
    assert bars["y"] == groups
    lines = [t["name"] for t in trend["data"] if t.get("mode") == "lines+markers"]
    assert lines == groups
    assert all(len(t["x"]) > 1 for t in trend["data"] if t.get("mode") == "lines+markers")
    highlight = at.selectbox(key="trend_highlight")
    assert highlight.options == ["alle gleich", *groups, "Gesamt"]


def test_the_dimension_page_chooses_by_group_and_shows_the_group_of_the_dimension(
    two_catalogs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = spatz.open(two_catalogs).catalog(OZG_ID)
    chosen = catalog.dimensions[23]  # the fourth service of the second Themenfeld
    group = catalog.group(str(chosen.group))
    at = _app(two_catalogs, monkeypatch, catalog=OZG_ID, dimension=chosen.id)
    at.switch_page("views/dimension.py").run()
    assert not at.exception
    chooser = at.selectbox(key="dimension")
    assert chooser.options[23] == f"{group.name} › {chosen.name}"
    assert len(chooser.options) == 300
    tree = next(e for e in at.expander if visible(e.label).startswith("Gruppe "))
    assert visible(tree.label) == f"Gruppe {group.name}: {SERVICES_PER_FIELD} Dimensionen"
    items = visible(tree.markdown[0].value).splitlines()
    assert len(items) == SERVICES_PER_FIELD
    level = _levels(two_catalogs, OZG_ID)[chosen.id]
    assert items[3].startswith(f"{chosen.name} (diese Dimension): Stufe {level} – ")
    assert sum("(diese Dimension)" in item for item in items) == 1


def test_switching_the_catalog_on_the_dimension_page_shows_one_of_the_new_catalog(
    two_catalogs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(two_catalogs, monkeypatch, catalog=DEFAULT, dimension="personal")
    at.switch_page("views/dimension.py").run()
    assert visible(at.title[0].value).startswith("Personal & Kompetenzen – ")
    at.sidebar.selectbox(key="sidebar_catalog").select(OZG_ID).run()
    assert not at.exception
    first = spatz.open(two_catalogs).catalog(OZG_ID).dimensions[0]
    assert at.selectbox(key="dimension").value == first.id
    assert visible(at.title[0].value).startswith(f"{first.name} – ")


def test_the_catalog_page_shows_the_selected_catalog(
    two_catalogs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(two_catalogs, monkeypatch, catalog=DEFAULT)
    at.switch_page("views/catalog.py").run()
    assert visible(at.caption[0].value).startswith("SPATZ Kommunal · Version ")
    at.sidebar.selectbox(key="sidebar_catalog").select(OZG_ID).run()
    assert not at.exception
    assert visible(at.caption[0].value).startswith("OZG-Reifegrad · Version 1")
    assert len(at.expander) >= len(THEMENFELDER)
