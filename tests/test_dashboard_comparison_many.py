"""The Landesvergleich with many organisations: instead of a heatmap of every row, a table to
search and page through, 50 rows a page in alphabetical order; the distributions and the
own position stay. A small comparison (the demo) keeps its heatmap."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from apptest import dashboard_as
from rendered import visible
from streamlit.testing.v1 import AppTest

from spatz.catalog import default_catalog
from spatz.db import make_engine, migrate, session_scope
from spatz.model import MeasureEvent, Organisation
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor

N_ORGS = 600
OWN = "15000042"
SPECIAL = 417
"""The one organisation with a name of its own."""
DAY = dt.date(2024, 12, 31)


def _key(i: int) -> str:
    return f"{15000000 + i:08d}"


def _name(i: int) -> str:
    return "Lutherstadt Wittenberg" if i == SPECIAL else f"Gemeinde {i:03d}"


@pytest.fixture(scope="module")
def many_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database with the default catalog and :data:`N_ORGS` Gemeinden and Städte,
    each with a few completed measures (bulk inserts through the model's tables)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('many')}/many.db"
    migrate(url)
    engine = make_engine(url)
    catalog = default_catalog()
    actor = Actor.operator("tester")
    with session_scope(engine) as session:
        store_catalog(session=session, actor=actor, catalog=catalog)
    now = dt.datetime(2025, 1, 15, 8, tzinfo=dt.UTC)
    measures = [m.id for _, m in catalog.measures()]
    rng = np.random.default_rng(600)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Organisation),
            [
                {
                    "id": i + 1,
                    "key": _key(i),
                    "name": _name(i),
                    "kind": "Stadt" if i % 3 == 0 else "Gemeinde",
                    "land": "Sachsen-Anhalt",
                    "ags": _key(i),
                    "parent_id": None,
                    "created_at": now,
                    "updated_by": "tester",
                    "updated_at": now,
                    "version": 1,
                }
                for i in range(N_ORGS)
            ],
        )
        conn.execute(
            sa.insert(MeasureEvent),
            [
                {
                    "org_id": i + 1,
                    "measure_id": measure,
                    "status": "completed",
                    "date": dt.date(2023, 1, 1) + dt.timedelta(days=int(rng.integers(600))),
                    "due_date": None,
                    "note": "",
                    "evidence": "",
                    "catalog_key": catalog.id,
                    "recorded_by": "tester",
                    "recorded_at": now,
                }
                for i in range(N_ORGS)
                for measure in rng.choice(measures, int(rng.integers(1, 30)), replace=False)
            ],
        )
    engine.dispose()
    return url


def _comparison(url: str, monkeypatch: pytest.MonkeyPatch, org: str = OWN) -> AppTest:
    at = dashboard_as(url, monkeypatch, Actor.operator("tester"), org, DAY)
    at.run()
    at.switch_page("views/comparison.py").run()
    assert not at.exception
    return at


def _heatmaps(at: AppTest) -> list[dict[str, object]]:
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return [c for c in charts if any(trace["type"] == "heatmap" for trace in c["data"])]


def _table(at: AppTest) -> pd.DataFrame:
    return next(t.value for t in at.dataframe if "Schlüssel" in t.value.columns)


def _sorted_names() -> list[str]:
    return sorted((_name(i) for i in range(N_ORGS)), key=str.casefold)


def test_many_organisations_show_as_a_table_instead_of_a_heatmap(
    many_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _comparison(many_url, monkeypatch)
    assert _heatmaps(at) == []
    table = _table(at)
    assert list(table.columns) == [
        "Organisation",
        "Schlüssel",
        *(d.name for d in default_catalog().dimensions),
        "Gesamt",
    ]
    assert list(table["Organisation"]) == _sorted_names()[:50]
    cells = table.drop(columns=["Organisation", "Schlüssel"]).to_numpy().ravel()
    assert all(re.fullmatch(r"\d,\d\d", cell) for cell in cells)
    assert at.selectbox(key="comparison_page").value == 1
    assert "Seite 1 von 12" in at.selectbox(key="comparison_page").options
    assert "600 Organisationen, sortiert nach Name." in [visible(c.value) for c in at.caption]


def test_the_second_page_shows_the_next_fifty_and_stays_chosen(
    many_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _comparison(many_url, monkeypatch)
    at.selectbox(key="comparison_page").select(2).run()
    assert not at.exception
    assert list(_table(at)["Organisation"]) == _sorted_names()[50:100]
    # The choice holds on the next run (a widget without a key would snap back).
    at.run()
    assert at.selectbox(key="comparison_page").value == 2
    assert list(_table(at)["Organisation"]) == _sorted_names()[50:100]


def test_the_search_finds_an_organisation_by_part_of_its_name_or_key(
    many_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _comparison(many_url, monkeypatch)
    at.text_input(key="comparison_search").input("WITTENB").run()
    assert not at.exception
    table = _table(at)
    assert list(table["Organisation"]) == ["Lutherstadt Wittenberg"]
    assert list(table["Schlüssel"]) == [_key(SPECIAL)]
    assert "1 von 600 Organisationen passen zur Suche, sortiert nach Name." in [
        visible(c.value) for c in at.caption
    ]
    at.text_input(key="comparison_search").input("1500012").run()
    assert list(_table(at)["Schlüssel"]) == [_key(i) for i in range(120, 130)]


def test_a_new_search_starts_on_the_first_page(
    many_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _comparison(many_url, monkeypatch)
    at.selectbox(key="comparison_page").select(2).run()
    at.text_input(key="comparison_search").input("gemeinde 1").run()
    assert not at.exception
    assert at.selectbox(key="comparison_page").value == 1
    assert at.selectbox(key="comparison_page").options == ["Seite 1 von 2", "Seite 2 von 2"]
    assert list(_table(at)["Organisation"]) == [f"Gemeinde {i}" for i in range(100, 150)]


def test_a_search_without_a_match_says_so(many_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _comparison(many_url, monkeypatch)
    at.text_input(key="comparison_search").input("Magdeburg").run()
    assert not at.exception
    assert not any("Schlüssel" in t.value.columns for t in at.dataframe)
    assert [visible(i.value) for i in at.info] == ["Keine Organisation passt zu „Magdeburg“."]


def test_distributions_and_the_own_position_stay(
    many_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _comparison(many_url, monkeypatch)
    headers = [visible(h.value) for h in at.header]
    assert "Verteilung nach Art der Organisation" in headers
    assert f"Position von Gemeinde {int(OWN) - 15000000:03d}" in headers
    position = next(t.value for t in at.dataframe if "eigener Punktwert" in t.value.columns)
    assert len(position) == len(default_catalog().dimensions) + 1
    boxes = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert [trace["type"] for trace in boxes[0]["data"]] == ["box", "box"]


def test_the_demo_keeps_its_heatmap(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _comparison(demo_url, monkeypatch, "15002000")
    assert len(_heatmaps(at)) == 1
    assert not any("Schlüssel" in t.value.columns for t in at.dataframe)
    assert [t for t in at.text_input if t.label == "Suche"] == []
