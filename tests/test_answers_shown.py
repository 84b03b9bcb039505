"""An answer of a catalog's scale ("teilweise umgesetzt", 50 %) is offered where a person
records a measure, stored under its key, and reads as its label wherever a state is shown."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from apptest import dashboard_as
from model2_data import ADMIN, ORG, fill_model2_database
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

import spatz
from spatz.catalog import Catalog
from spatz.io.catalog_text import state_labels
from spatz.model import MeasureEventCreate

AS_OF = dt.date(2024, 12, 31)
PARTIAL = "teilweise umgesetzt (50 %)"


@pytest.fixture
def url(tmp_path: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path}/answers.db"
    fill_model2_database(url)
    return url


def _record_page(url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = dashboard_as(url, monkeypatch, ADMIN, ORG, AS_OF)
    at.run()
    at.switch_page("views/record.py").run()
    assert not at.exception
    return at


def test_the_record_page_offers_the_scale_and_stores_the_answer_by_its_key(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _record_page(url, monkeypatch)
    measure_id = next(box for box in at.selectbox if box.label == "Maßnahme").value
    radio = at.radio[0]
    assert PARTIAL in radio.options
    radio.set_value("teilweise")
    at.button(key=f"FormSubmitter:record-{ORG}-{measure_id}-Speichern").click().run()
    assert not at.exception
    assert not at.error
    history = spatz.open(url, actor=ADMIN).history(ORG)
    mine = history[history["measure_id"] == measure_id]
    assert "teilweise" in set(mine["status"])
    shown = at.dataframe[-1].value
    assert "teilweise umgesetzt" in list(shown["Stand"])


def test_the_workbook_names_the_answer_by_its_label(url: str) -> None:
    store = spatz.open(url, actor=ADMIN)
    store.record_event(
        MeasureEventCreate(
            org=ORG, measure_id="ORP.1.A1", status="teilweise", date=dt.date(2024, 5, 1)
        )
    )
    sheet = load_workbook(io.BytesIO(store.workbook_bytes(AS_OF)))["Maßnahmen"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    rows = [
        dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)
    ]
    row = next(r for r in rows if r["Maßnahme"] == "ORP.1.A1")
    assert row["Status"] == "teilweise umgesetzt"
    assert next(r for r in rows if r["Maßnahme"] == "ISMS.1.A1")["Status"] == "umgesetzt"


def test_state_labels_read_answers_statuses_and_unknown_measures(url: str) -> None:
    catalog: Catalog = spatz.open(url, actor=ADMIN).catalog()
    assert state_labels(
        catalog,
        ["ORP.1.A1", "ORP.1.A1", "ORP.1.A1", "NOT-IN-CATALOG", "NOT-IN-CATALOG"],
        ["teilweise", "completed", "open", "planned", "teilweise"],
    ) == ["teilweise umgesetzt", "umgesetzt", "offen", "geplant", "teilweise"]
