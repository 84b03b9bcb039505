"""Where a person reads the catalog (Katalog and Dimension pages, workbook, report), the
elements of the second format generation show: named level 0, groups, levels without
measures, answer scales, prerequisites and references."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from apptest import dashboard_as
from developer_text import developer_sentences, normalised
from markdown_it import MarkdownIt
from model2_data import ADMIN, ORG, fill_model2_database
from openpyxl import load_workbook
from rendered import dashboard_formatting, visible
from streamlit.testing.v1 import AppTest

import spatz
from spatz.io.catalog_text import EMPTY_LEVEL, percent
from spatz.model import MeasureEventCreate, Status

AS_OF = dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def model2_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('model2')}/model2.db"
    fill_model2_database(url)
    return url


def _app(url: str, monkeypatch: pytest.MonkeyPatch, page: str, **state: Any) -> AppTest:
    at = dashboard_as(url, monkeypatch, ADMIN, state.pop("org", ORG), AS_OF, **state)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def _html(markdown: str) -> str:
    """``markdown`` as HTML, without the line breaks between the tags."""
    html: str = MarkdownIt("commonmark").render(markdown)
    return html.replace("\n", "")


def _texts(element: Any) -> list[str]:
    """What a reader sees of the Markdown and captions inside ``element``."""
    return [visible(str(m.value)) for m in [*element.markdown, *element.caption]]


def test_percent_is_german() -> None:
    assert [percent(x) for x in (0.25, 0.125, 1.0, 0.0, 1 / 3)] == [
        "25 %",
        "12,5 %",
        "100 %",
        "0 %",
        "33,3 %",
    ]


def test_catalog_page_shows_level_0_and_the_groups_as_a_tree(
    model2_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(model2_url, monkeypatch, "views/catalog.py")
    levels = next(e for e in at.expander if e.label == "Die Stufen")
    assert _texts(levels)[0] == "Stufe 0 – Ausgangslage: vor der ersten Stufe"
    assert [visible(h.value) for h in at.header] == ["Gliederung", "Maßnahmen"]
    groups = [e for e in at.expander if e.label.startswith("Gruppe ")]
    assert [visible(e.label) for e in groups] == ["Gruppe Organisation", "Gruppe Technik"]
    organisation, technik = (_html(e.markdown[0].value) for e in groups)
    assert organisation == (
        "<ul><li>Sicherheitsmanagement (4 Maßnahmen)</li><li>Organisation (2 Maßnahmen)</li></ul>"
    )
    assert technik == (
        "<ul><li>Gruppe Netze<ul><li>Netzarchitektur (2 Maßnahmen)</li></ul></li></ul>"
    )
    shown = [m.value for m in at.markdown]
    after = shown[shown.index("**ohne Gruppe**") + 1]
    assert _html(after) == "<ul><li>Betrieb (1 Maßnahme)</li></ul>"


def _rows(url: str) -> dict[str, dict[str, Any]]:
    frame = spatz.open(url).score(AS_OF, org=ORG).set_index("dimension_id")
    return {str(key): dict(row) for key, row in frame.iterrows()}


def _card(row: dict[str, Any], names: dict[int, str]) -> str:
    score = f"{row['score']:.2f}".replace(".", ",")
    return f"Stufe {row['level']} – {names[int(row['level'])]} · Punktwert {score}"


def test_overview_shows_the_top_level_members_of_nested_groups_as_cards(
    model2_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(model2_url, monkeypatch, "views/overview.py")
    rows = _rows(model2_url)
    names = {lv.level: lv.name for lv in spatz.open(model2_url).catalog().levels}
    assert "Gruppen und Dimensionen" in [visible(h.value) for h in at.header]
    cards = {visible(m.label): str(m.value) for m in at.metric}
    # Betrieb has no group; Organisation and Technik are the top-level groups.
    for label, member in [("Betrieb", "ops"), ("Organisation", "org"), ("Technik", "technik")]:
        assert cards[label] == f"Stufe {rows[member]['level']}"
    assert not {"Sicherheitsmanagement", "Netzarchitektur", "Netze"} & set(cards)
    technik = next(e for e in at.expander if visible(e.label) == "1 Dimension der Gruppe Technik")
    net, netz = rows["net1"], rows["netz"]
    assert _html(technik.markdown[0].value) == (
        f"<ul><li>Gruppe Netze: {_card(netz, names)}"
        f"<ul><li>Netzarchitektur: {_card(net, names)}</li></ul></li></ul>"
    )
    assert [visible(e.label) for e in at.expander if "der Gruppe" in e.label] == [
        "2 Dimensionen der Gruppe Organisation",
        "1 Dimension der Gruppe Technik",
    ]


def test_dimension_page_shows_the_group_of_the_dimension_with_its_members(
    model2_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(model2_url, monkeypatch, "views/dimension.py", dimension="org1")
    chooser = at.selectbox(key="dimension")
    assert chooser.options == [
        "Organisation › Sicherheitsmanagement",
        "Organisation › Organisation",
        "Technik › Netze › Netzarchitektur",
        "Betrieb",
    ]
    rows = _rows(model2_url)
    names = {lv.level: lv.name for lv in spatz.open(model2_url).catalog().levels}
    tree = next(e for e in at.expander if visible(e.label).startswith("Gruppe "))
    assert visible(tree.label) == "Gruppe Organisation: 2 Dimensionen"
    assert _html(tree.markdown[0].value) == (
        f"<ul><li>Sicherheitsmanagement: {_card(rows['isms'], names)}</li>"
        f"<li>Organisation (diese Dimension): {_card(rows['org1'], names)}</li></ul>"
    )


def test_a_dimension_without_a_group_has_no_group_to_open(
    model2_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(model2_url, monkeypatch, "views/dimension.py", dimension="ops")
    assert not [e for e in at.expander if e.label.startswith("Gruppe ")]


def test_bullets_escape_each_item() -> None:
    fmt = dashboard_formatting()
    items = [(0, "a *b*"), (1, "[c](http://x)"), (0, "1. d")]
    assert _html(fmt.bullets(items)) == (
        "<ul><li>a *b*<ul><li>[c](http:\u2060//x)</li></ul></li><li>1. d</li></ul>"
    )


def test_catalog_page_shows_answers_prerequisites_and_references(
    model2_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(model2_url, monkeypatch, "views/catalog.py")
    table = at.dataframe[0].value.set_index("ID")
    assert len(table) == 9
    assert table.loc["NET.1.1.A1", "Gruppe"] == "Technik › Netze"
    assert table.loc["OPS.1.1.2.A2", "Gruppe"] == ""
    assert table.loc["ISMS.1.A9", "Antworten"] == (
        "ja, für einige (25 %); ja, für mindestens die Hälfte (50 %); ja, für die meisten (100 %)"
    )
    assert table.loc["ORP.1.A1", "Antworten"] == "teilweise umgesetzt (50 %)"
    assert table.loc["ISMS.1.A2", "Voraussetzung"] == "ISMS.1.A1 Übernahme der Gesamtverantwortung"
    assert table.loc["ISMS.1.A1", "Voraussetzung"] == ""
    assert table.loc["ISMS.1.A15", "Bezüge"] == "bsi-grundschutz ISMS.1.A15; BSI-Standard 200-2"
    assert at.multiselect[1].options == ["1 – Basis", "2 – Standard", "3 – Erhöht"]
    at.text_input[0].input("200-2").run()
    assert list(at.dataframe[0].value["ID"]) == ["ISMS.1.A15"]


def test_a_catalog_without_the_additions_shows_its_page_as_before(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(demo_url, monkeypatch, "views/catalog.py", org="15002000")
    assert not at.header
    assert not [e for e in at.expander if e.label.startswith("Gruppe ")]
    columns = set(at.dataframe[0].value.columns)
    assert not columns & {"Gruppe", "Antworten", "Voraussetzung", "Bezüge"}


def _ladder(at: AppTest) -> dict[str, Any]:
    return {visible(e.label): e for e in at.expander if e.label.startswith("Stufe ")}


def test_dimension_page_shows_levels_without_measures_as_such(
    model2_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(model2_url, monkeypatch, "views/dimension.py", dimension="ops")
    ladder = _ladder(at)
    assert list(ladder) == [
        f"Stufe 3 – Erhöht: {EMPTY_LEVEL}",
        "Stufe 2 – Standard: noch nicht erreicht · 0 von 1 umgesetzt",
        f"Stufe 1 – Basis: {EMPTY_LEVEL}",
    ]
    assert _texts(ladder[f"Stufe 1 – Basis: {EMPTY_LEVEL}"]) == [
        f"Diese Dimension hat {EMPTY_LEVEL}."
    ]
    assert not ladder[f"Stufe 1 – Basis: {EMPTY_LEVEL}"].dataframe
    assert not [c for c in at.caption if "›" in c.value], "a dimension without a group"


def test_dimension_page_shows_the_group_path_above_the_title(
    model2_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(model2_url, monkeypatch, "views/dimension.py", dimension="net1")
    kinds = [type(node).__name__ for node in at.main]
    shown = [k for k in kinds if k in {"Caption", "Title", "Selectbox"}]
    assert shown[:3] == ["Caption", "Title", "Selectbox"]
    assert visible(at.caption[0].value) == "Technik › Netze"
    assert visible(at.title[0].value) == "Netzarchitektur – Stadt S"
    level = next(label for label in _ladder(at) if label.startswith("Stufe 1"))
    table = _ladder(at)[level].dataframe[0].value.set_index("ID")
    assert table.loc["NET.1.1.A4", "Voraussetzung"] == "NET.1.1.A1 Sicherheitsrichtlinie Netz"
    assert "Bezüge" not in table.columns


def test_dimension_page_names_level_0_and_shows_references(
    model2_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(model2_url, monkeypatch, "views/dimension.py", dimension="org1")
    assert {m.label: m.value for m in at.metric}["Stufe"] == "0 – Ausgangslage"
    assert not [label for label in _ladder(at) if label.startswith("Stufe 0")]
    assert f"Stufe 2 – Standard: {EMPTY_LEVEL}" in _ladder(at)
    at = _app(model2_url, monkeypatch, "views/dimension.py", dimension="isms")
    table = _ladder(at)["Stufe 3 – Erhöht: noch nicht erreicht · 0 von 1 umgesetzt"]
    references = table.dataframe[0].value["Bezüge"]
    assert list(references) == ["bsi-grundschutz ISMS.1.A15; BSI-Standard 200-2"]


@pytest.mark.parametrize("page", ["views/catalog.py", "views/dimension.py"])
def test_the_pages_of_model2_show_no_developer_text(
    page: str, model2_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(model2_url, monkeypatch, page, dimension="org1")
    texts = [str(e.value) for e in [*at.markdown, *at.caption, *at.text]]
    texts += [str(e.label) for e in at.expander]
    shown = normalised(" ".join(texts))
    assert [s for s in developer_sentences() if s in shown] == []


def test_workbook_lists_levels_without_measures_and_the_new_columns(model2_url: str) -> None:
    book = load_workbook(io.BytesIO(spatz.open(model2_url).workbook_bytes(AS_OF)))
    sheet = book["Maßnahmen"]
    header = [c.value for c in sheet[1]]
    assert header[-3:] == ["Voraussetzungen", "Bezüge", "umgesetzt, aber Voraussetzung offen"]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    organisation = [
        (r["Stufe"], r["Maßnahme"], r["Titel"]) for r in rows if r["Dimension"] == "Organisation"
    ]
    assert organisation == [
        (1, "ORP.1.A1", "Festlegung von Verantwortlichkeiten"),
        (2, None, EMPTY_LEVEL),
        (3, "ORP.1.A8", "Betriebsmittel"),
    ]
    betrieb = [(r["Stufe"], r["Maßnahme"]) for r in rows if r["Dimension"] == "Betrieb"]
    assert betrieb == [(1, None), (2, "OPS.1.1.2.A2"), (3, None)]
    empty = next(r for r in rows if r["Titel"] == EMPTY_LEVEL)
    assert {k: v for k, v in empty.items() if v is not None} == {
        "Schlüssel": ORG,
        "Organisation": "Stadt S",
        "Dimension": "Organisation",
        "Stufe": 2,
        "Titel": EMPTY_LEVEL,
    }
    by_measure = {r["Maßnahme"]: r for r in rows if r["Maßnahme"]}
    assert len(by_measure) == 9
    assert by_measure["ISMS.1.A2"]["Voraussetzungen"] == (
        "ISMS.1.A1 Übernahme der Gesamtverantwortung"
    )
    assert by_measure["ISMS.1.A15"]["Bezüge"] == "bsi-grundschutz ISMS.1.A15; BSI-Standard 200-2"
    assert by_measure["ORP.1.A1"]["Status"] == "offen"
    assert by_measure["ISMS.1.A1"]["zählt als umgesetzt"] == "ja"


def test_report_says_so_where_the_roadmap_passes_a_level_without_measures(
    model2_url: str,
) -> None:
    page = spatz.open(model2_url).report(ORG, AS_OF)
    section = page[page.index("<h3>Organisation</h3>") :]
    table = section[: section.index("</table>")]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in table.split("<tr>")[2:]]
    assert [row[:2] for row in cells] == [
        ["ORP.1.A1 Festlegung von Verantwortlichkeiten", "1"],
        [EMPTY_LEVEL, "2"],
        ["ORP.1.A8 Betriebsmittel", "3"],
    ]


def test_a_measure_done_while_its_prerequisite_is_open_is_pointed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/model2.db"
    fill_model2_database(url)
    store = spatz.open(url)
    # NET.1.1.A4 needs NET.1.1.A1: done first, then A1 reopened after a review.
    for measure_id, status, day in [
        ("NET.1.1.A4", Status.completed, dt.date(2024, 6, 1)),
        ("NET.1.1.A1", Status.in_progress, dt.date(2024, 9, 1)),
    ]:
        store.record_event(
            MeasureEventCreate(org=ORG, measure_id=measure_id, status=status, date=day)
        )
    at = _app(url, monkeypatch, "views/dimension.py", dimension="net1")
    assert [visible(str(w.value)) for w in at.warning] == [
        "Plausibilität: NET.1.1.A4 ist als umgesetzt erfasst, die Voraussetzung NET.1.1.A1 "
        "aber noch nicht."
    ]
    # The level counts it as done all the same: shown, never corrected.
    assert store.explain(AS_OF).set_index("measure_id").loc["NET.1.1.A4", "done"]
    book = load_workbook(io.BytesIO(store.workbook_bytes(AS_OF)))
    sheet = book["Maßnahmen"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    flagged = {
        r["Maßnahme"]: r["umgesetzt, aber Voraussetzung offen"]
        for r in rows
        if r["umgesetzt, aber Voraussetzung offen"]
    }
    assert flagged == {"NET.1.1.A4": "NET.1.1.A1"}
    roadmap = store.roadmap(ORG, "net1", AS_OF)
    assert roadmap["measure_id"].tolist()[0] == "NET.1.1.A1"
