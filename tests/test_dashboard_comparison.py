"""The Landesvergleich page: the matrix reads top-down in alphabetical order with the values
in its cells, the Land is not a compared row, the quartile note is not a list."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from apptest import dashboard_as
from rendered import visible
from streamlit.testing.v1 import AppTest

import spatz
import spatz.store
from spatz.services.common import Actor

HALLE = "15002000"
DAY = dt.date(2024, 12, 31)


def _comparison(demo_url: str, org: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = dashboard_as(demo_url, monkeypatch, Actor.operator("tester"), org, DAY)
    at.run()
    at.switch_page("views/comparison.py").run()
    assert not at.exception
    return at


def _signed_in(
    demo_url: str, monkeypatch: pytest.MonkeyPatch, actor: Actor, **state: Any
) -> AppTest:
    """The dashboard as ``actor`` sees it first, Halle at 31.12.2024 selected."""
    at = dashboard_as(demo_url, monkeypatch, actor, HALLE, DAY, **state)
    at.run()
    assert not at.exception
    return at


def _heatmap(at: AppTest) -> dict[str, Any]:
    figure: dict[str, Any] = json.loads(at.get("plotly_chart")[0].proto.spec)
    return figure


def test_the_matrix_reads_alphabetically_from_the_top_with_values(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _comparison(demo_url, HALLE, monkeypatch)
    figure = _heatmap(at)
    rows = figure["data"][0]["y"]
    assert rows == sorted(rows, key=str.casefold)
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"
    assert figure["data"][0]["texttemplate"] == "%{z:.2f}"
    assert figure["layout"]["separators"] == ",."
    matrix = at.dataframe[0].value
    assert list(matrix.index) == rows


def test_the_land_is_not_a_row_of_the_comparison(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    orgs = spatz.open(demo_url).organisations()
    lands = orgs[orgs["kind"] == "Land"]
    assert len(lands) == 1
    at = _comparison(demo_url, str(lands["org"].iloc[0]), monkeypatch)
    matrix = at.dataframe[0].value
    assert lands["name"].iloc[0] not in matrix.index
    kommunen = orgs[~orgs["kind"].isin(["Land", "Organisationseinheit"])]
    assert sorted(matrix.index) == sorted(kommunen["name"])
    assert any("nicht das Land" in info.value for info in at.info)


def test_the_quartile_note_shows_as_written(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _comparison(demo_url, HALLE, monkeypatch)
    notes = [visible(c.value) for c in at.caption if "Quartil" in c.value]
    assert notes == [
        "Kasten: 1. bis 3. Quartil, Strich: Median.",
        "1. Quartil: unteres Viertel, 4. Quartil: oberes Viertel aller Organisationen.",
    ]


@pytest.mark.parametrize(
    ("name", "password"),
    [("leitung.halle", "spatz-leitung-demo"), ("gast.halle", "spatz-gast-demo")],
)
def test_a_kommune_sees_its_position_on_the_overview(
    demo_url: str, monkeypatch: pytest.MonkeyPatch, name: str, password: str
) -> None:
    actor = spatz.store.login(demo_url, name, password).actor
    assert actor is not None and actor.scope is not None
    at = _signed_in(demo_url, monkeypatch, actor)
    assert "Einordnung im Land" in [s.value for s in at.header]
    table = next(t.value for t in at.dataframe if "Quartil" in t.value.columns)
    expected = spatz.open(demo_url).position(HALLE, "2024-12-31")
    assert list(table.columns) == [
        "Dimension",
        "eigener Punktwert",
        "1. Quartil",
        "Median",
        "3. Quartil",
        "Quartil",
    ]
    assert list(table["Quartil"]) == [f"{q}. Quartil" for q in expected["quartile"]]
    # Nothing names another organisation: only the own one appears anywhere.
    others = spatz.open(demo_url).organisations()
    others = others[~others["org"].isin(actor.scope)]
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info])
    shown += " ".join(" ".join(map(str, t.value.to_numpy().ravel())) for t in at.dataframe)
    assert [n for n in others["name"] if n in shown] == []


def test_the_land_and_admin_see_the_comparison_page_instead(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _comparison(demo_url, HALLE, monkeypatch)
    assert len(at.dataframe[0].value) > 5
    at.switch_page("views/overview.py").run()
    assert "Einordnung im Land" not in [s.value for s in at.header]


def test_a_kommune_sees_who_did_an_open_measure_among_those_that_agreed(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = spatz.store.login(demo_url, "leitung.halle", "spatz-leitung-demo").actor
    assert actor is not None and actor.scope is not None
    admin = spatz.open(demo_url)
    mine = spatz.open(demo_url, actor=actor)
    # An open measure of Halle that organisations that agreed and others have done.
    candidates = [
        (dimension.id, measure, listed)
        for dimension in admin.catalog().dimensions
        for measure in mine.roadmap(HALLE, dimension.id, "2024-12-31")["measure_id"]
        if len(listed := mine.adopters(measure, "2024-12-31")) >= 1
        and len(admin.adopters(measure, "2024-12-31")) > len(listed)
    ]
    dimension_id, measure, listed = candidates[0]
    at = _signed_in(demo_url, monkeypatch, actor, dimension=dimension_id)
    at.switch_page("views/dimension.py").run()
    assert not at.exception
    assert "Wer hat es schon umgesetzt?" in [h.value for h in at.header]
    at.selectbox(key=f"adopters_{HALLE}").select(measure).run()
    assert not at.exception
    table = next(t.value for t in at.dataframe if "umgesetzt am" in t.value.columns)
    assert list(table["Organisation"]) == list(listed["organisation"])
    hidden = admin.adopters(measure, "2024-12-31")
    hidden = hidden[~hidden["org"].isin(listed["org"])]
    assert not set(hidden["organisation"]) & set(table["Organisation"])
