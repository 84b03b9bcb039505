"""Hostile text typed in by users is stored and shown verbatim, and does no harm.

A note or evidence may contain HTML, a spreadsheet formula or SQL; an organisation name
too. SPATZ stores such text byte for byte (SQL only ever through bound parameters), the
HTML report escapes it, the XLSX export writes it as text cells, the Land export in the
``excel-de`` dialect neutralises cells that a spreadsheet would run as formulas, and the
dashboard renders it as text, never as HTML.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet
from postgres import temporary_database
from rendered import dashboard_formatting, visible
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Html, Markdown, Node

import spatz
from spatz.catalog import load_catalog
from spatz.db import make_engine, migrate, session_scope
from spatz.errors import NotFoundError
from spatz.io.land import FORMULA_PREFIXES, Dialect, land_csv
from spatz.io.reader import read_table_bytes
from spatz.io.xlsx import MEASURES, OVERVIEW
from spatz.model import MeasureEventCreate, Status
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor
from spatz.services.demo import HALLE, load_demo
from spatz.services.organisations import import_organisations

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
DATA = Path(__file__).parent / "data"

SCRIPT = "<script>alert(1)</script>"
FORMULA = "=cmd|'/c calc'!A1"
SQL = "'; DROP TABLE measure_event; --"
PAYLOADS = (SCRIPT, FORMULA, SQL)

AS_OF = dt.date(2024, 12, 31)
RECORDED_ON = dt.date(2024, 12, 20)
"""After every demo event of these measures: the hostile events are their state."""
HOSTILE_EVENTS = {
    measure_id: (note, evidence)
    for measure_id, note, evidence in zip(
        ("STR-4-01", "STR-4-02", "STR-4-03"), PAYLOADS, (*PAYLOADS[1:], PAYLOADS[0]), strict=True
    )
}
"""Measure id: (note, evidence); every payload is once a note and once evidence."""
SCRIPT_ORG = "15088006"
HOSTILE_ORGS = {
    "15088001": (FORMULA, "Sachsen-Anhalt"),
    "15088002": ("+cmd|'/c calc'!A1", "-Sachsen-Anhalt"),
    "15088003": ("-2+3+cmd|'/c calc'!A1", "@SUM(1+1)*cmd|'/c calc'!A0"),
    "15088004": ("@SUM(1+1)*cmd|'/c calc'!A1", "Sachsen-Anhalt"),
    "15088005": ("''=cmd|'/c calc'!A1", "Sachsen-Anhalt"),
    SCRIPT_ORG: (f"{SCRIPT} {SQL}", "Sachsen-Anhalt"),
}
"""Organisation key: (name, land), as entered in an organisations file."""


@dataclass(frozen=True)
class Hostile:
    """A demo database with the hostile organisations and events."""

    url: str
    demo_events: int
    """The number of events stored before the hostile ones."""


def organisations_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["org", "name", "kind", "land", "ags", "parent"])
    for key, (name, land) in HOSTILE_ORGS.items():
        writer.writerow([key, name, "Gemeinde", land, "", "15000000"])
    return buffer.getvalue().encode()


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def hostile(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hostile]:
    """The demo database (either backend) with the hostile organisations and events, shared
    by the tests of this module, which only read it."""
    if request.param == "postgresql":
        server: str = request.getfixturevalue("postgres_server")
        with temporary_database(server) as url:
            migrate(url)
            load_demo(engine=make_engine(url), actor=Actor.operator("demo"))
            yield _fill(url)
    else:
        demo_url: str = request.getfixturevalue("demo_url")
        path = tmp_path_factory.mktemp("injection") / "spatz.db"
        shutil.copy(demo_url.removeprefix("sqlite:///"), path)
        yield _fill(f"sqlite:///{path}")


def _fill(url: str) -> Hostile:
    """Add the hostile organisations and events to the demo database at ``url``."""
    demo_events = _event_rows(url)
    store = spatz.open(url, actor=Actor.operator("tester"))
    store.import_table("organisations", read_table_bytes(organisations_csv(), "orgs.csv"))
    for measure_id, (note, evidence) in HOSTILE_EVENTS.items():
        store.record_event(
            MeasureEventCreate(
                org=HALLE,
                measure_id=measure_id,
                status=Status.in_progress,
                date=RECORDED_ON,
                note=note,
                evidence=evidence,
            ),
            expected_last_id=_latest_id(store, measure_id),
        )
    return Hostile(url, demo_events)


def _event_rows(url: str) -> int:
    with make_engine(url).connect() as conn:
        rows: int = conn.execute(sa.text("SELECT count(*) FROM measure_event")).scalar_one()
    return rows


def _latest_id(store: spatz.Store, measure_id: str) -> int | None:
    ids = store.history(HALLE, measure_id)["id"]
    return int(ids.max()) if len(ids) else None


# -- storage --------------------------------------------------------------------------------


def test_notes_come_back_byte_for_byte_and_the_sql_did_nothing(hostile: Hostile) -> None:
    store = spatz.open(hostile.url)
    for measure_id, (note, evidence) in HOSTILE_EVENTS.items():
        newest = store.history(HALLE, measure_id).iloc[0]
        assert (newest["note"], newest["evidence"]) == (note, evidence)
        assert newest["note"].encode() == note.encode()
        assert newest["recorded_by"] == "tester"
    assert sa.inspect(make_engine(hostile.url)).has_table("measure_event")
    assert hostile.demo_events > 0
    assert _event_rows(hostile.url) == hostile.demo_events + len(HOSTILE_EVENTS)
    assert len(store.history(HALLE)) > len(HOSTILE_EVENTS)
    # The scoring frame and the state details carry the same text.
    events = store.events()
    assert set(events["note"]) >= {note for note, _ in HOSTILE_EVENTS.values()}
    details = store.state_details(AS_OF).query("org == @HALLE").set_index("measure_id")
    for measure_id, (note, evidence) in HOSTILE_EVENTS.items():
        assert (details.loc[measure_id, "note"], details.loc[measure_id, "evidence"]) == (
            note,
            evidence,
        )
    names = store.organisations().set_index("org")["name"]
    for key, (name, _) in HOSTILE_ORGS.items():
        assert names[key] == name


def test_sql_in_a_key_is_only_a_value(hostile: Hostile) -> None:
    store = spatz.open(hostile.url)
    with pytest.raises(NotFoundError):
        store.history(f"{HALLE}' OR '1'='1")
    assert store.history(HALLE, "STR-4-01' OR '1'='1").empty


# -- exports --------------------------------------------------------------------------------


def test_report_escapes_user_text(hostile: Hostile) -> None:
    store = spatz.open(hostile.url)
    for org in (HALLE, SCRIPT_ORG):
        page = store.report(org, AS_OF)
        assert SCRIPT not in page
        assert "<script>alert" not in page
    page = store.report(SCRIPT_ORG, AS_OF)
    assert html.escape(HOSTILE_ORGS[SCRIPT_ORG][0]) in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _rows(sheet: Worksheet) -> list[dict[str, Cell]]:
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def test_xlsx_has_hostile_text_as_text_cells(hostile: Hostile) -> None:
    data = spatz.open(hostile.url).workbook_bytes(AS_OF, [HALLE, *HOSTILE_ORGS])
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        formulas = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
        assert formulas == [], sheet.title

    measures = _rows(workbook[MEASURES.title])
    headers = {c.key: str(c.header) for c in MEASURES.columns}
    shown = {
        str(row[headers["measure_id"]].value): row
        for row in measures
        if row[headers["org"]].value == HALLE
    }
    for measure_id, (note, evidence) in HOSTILE_EVENTS.items():
        for header, text in ((headers["note"], note), (headers["evidence"], evidence)):
            cell = shown[measure_id][header]
            assert (cell.value, cell.data_type) == (text, "s")

    overview = _rows(workbook[OVERVIEW.title])
    columns = {c.key: str(c.header) for c in OVERVIEW.columns}
    for key, (name, _) in HOSTILE_ORGS.items():
        cells = [r[columns["organisation"]] for r in overview if r[columns["org"]].value == key]
        assert cells
        assert {(c.value, c.data_type) for c in cells} == {(name, "s")}


def test_land_csv_for_spreadsheets_neutralises_formulas(hostile: Hostile, tmp_path: Path) -> None:
    rows = spatz.open(hostile.url).land_export(AS_OF, HOSTILE_ORGS)
    data = land_csv(rows, Dialect.excel_de)
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, body = table[0], table[1:]
    assert len(body) == len(rows)
    for line in body:
        for column, cell in zip(header, line, strict=True):
            assert not cell.startswith(FORMULA_PREFIXES), (column, cell)
    written = {
        (line[header.index("org")], line[header.index("organisation")], line[header.index("land")])
        for line in body
    }
    expected = {
        (key, _neutralised(name), _neutralised(land)) for key, (name, land) in HOSTILE_ORGS.items()
    }
    assert written == expected

    # Reading the file back removes exactly the added quote.
    path = tmp_path / "land.csv"
    path.write_bytes(data)
    back = spatz.read_land(path)
    assert set(zip(back["org"], back["organisation"], back["land"], strict=True)) == {
        (key, name, land) for key, (name, land) in HOSTILE_ORGS.items()
    }

    # The machine dialect keeps every text as it is.
    plain = list(csv.reader(io.StringIO(land_csv(rows).decode(), newline="")))
    assert {(line[0], line[2]) for line in plain[1:]} == {
        (key, name) for key, (name, _) in HOSTILE_ORGS.items()
    }


def _neutralised(text: str) -> str:
    """A text as the ``excel-de`` dialect writes it: a leading ``'`` before a formula,
    also before one that already starts with quotes."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_PREFIXES) else text


# -- dashboard ------------------------------------------------------------------------------


def _app(url: str, org: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SPATZ_DATABASE_URL", url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["org"] = org
    at.session_state["as_of"] = AS_OF
    at.session_state["actor"] = Actor.operator("tester")
    at.session_state["login_since"] = at.session_state["login_seen"] = time.time()
    return at


LANGUAGE_SCRIPT = dashboard_formatting().LANGUAGE_SCRIPT


def _no_html_rendered(at: AppTest) -> None:
    nodes: list[Node] = [*at.main, *at.sidebar]
    # The one HTML element is the frame's constant that declares the page German.
    assert [n.value for n in nodes if isinstance(n, Html)] == [LANGUAGE_SCRIPT]
    assert not [n.value for n in nodes if isinstance(n, Markdown) and n.proto.allow_html]
    assert [n for n in nodes if isinstance(n, Block)]  # the walk did reach the page


def test_dimension_page_shows_notes_as_text(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(hostile.url, HALLE, monkeypatch)
    at.session_state["dimension"] = "strategie"
    at.switch_page("views/dimension.py").run()
    assert not at.exception
    tables = [t.value for t in at.dataframe if "Notiz" in t.value.columns]
    shown = pd.concat(tables).set_index("ID")
    for measure_id, (note, evidence) in HOSTILE_EVENTS.items():
        assert (shown.loc[measure_id, "Notiz"], shown.loc[measure_id, "Nachweis"]) == (
            note,
            evidence,
        )
    _no_html_rendered(at)


def test_record_page_shows_the_history_as_text(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(hostile.url, HALLE, monkeypatch)
    at.query_params["measure"] = "STR-4-02"
    at.switch_page("views/record.py").run()
    assert not at.exception
    history = next(t.value for t in at.dataframe if "Notiz" in t.value.columns)
    note, evidence = HOSTILE_EVENTS["STR-4-02"]
    assert (history["Notiz"].iloc[0], history["Nachweis"].iloc[0]) == (note, evidence)
    _no_html_rendered(at)


def test_a_hostile_organisation_name_is_shown_as_text(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(hostile.url, SCRIPT_ORG, monkeypatch)
    at.switch_page("views/record.py").run()
    assert not at.exception
    name = HOSTILE_ORGS[SCRIPT_ORG][0]
    assert visible(at.title[0].value) == f"Maßnahmen erfassen – {name}"
    _no_html_rendered(at)


# -- any text -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('any_text')}/spatz.db"
    migrate(url)
    actor = Actor.operator("t")
    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=actor, catalog=load_catalog(DATA / "mini.yaml"))
        table = read_table_bytes(b"org,name,kind\nA,Stadt A,Stadt\n", "o.csv")
        import_organisations(session=session, actor=actor, table=table)
    return url


# Any text but NUL, which no database may store (refused on input, see test_record_event),
# and lone surrogates, which are no text at all (no file, form or terminal can send one).
TEXT = st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(note=st.text(TEXT, max_size=300), evidence=st.text(TEXT, max_size=60))
def test_any_text_round_trips(mini_url: str, note: str, evidence: str) -> None:
    store = spatz.open(mini_url, actor=Actor.operator("t"))
    stored = store.record_event(
        MeasureEventCreate(
            org="A",
            measure_id="STR-1-01",
            status=Status.planned,
            date=dt.date(2024, 1, 1),
            note=note,
            evidence=evidence,
        )
    )
    history = store.history("A", "STR-1-01").set_index("id")
    assert (history.loc[stored.id, "note"], history.loc[stored.id, "evidence"]) == (
        note,
        evidence,
    )
    last = store.events().iloc[-1]
    assert (last["note"], last["evidence"]) == (note, evidence)
