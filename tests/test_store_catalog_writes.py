"""A store opened for a catalog (``catalog_id``) writes in that catalog: a recorded
measure, a target and an imported table, while another catalog is the default catalog."""

from __future__ import annotations

import datetime as dt

import pytest
from model2_data import ADMIN, ORG, fill_model2_database

import spatz
from spatz.catalog import default_catalog
from spatz.db import make_engine, session_scope
from spatz.io.reader import read_table_bytes
from spatz.model import MeasureEventCreate, TargetCreate
from spatz.services.catalogs import set_default_catalog, store_catalog

MODEL2 = "model2"


@pytest.fixture
def url(tmp_path: pytest.TempPathFactory) -> str:
    """The model2 database with the shipped catalog loaded after it and made the default."""
    url = f"sqlite:///{tmp_path}/writes.db"
    fill_model2_database(url)
    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=ADMIN, catalog=default_catalog())
        set_default_catalog(session=session, actor=ADMIN, key=default_catalog().id)
    assert spatz.open(url, actor=ADMIN).catalog().id == default_catalog().id
    return url


def test_a_measure_is_recorded_in_the_stores_catalog(url: str) -> None:
    event = MeasureEventCreate(
        org=ORG, measure_id="ORP.1.A1", status="teilweise", date=dt.date(2024, 5, 1)
    )
    recorded = spatz.open(url, catalog_id=MODEL2, actor=ADMIN).record_event(event)
    assert (recorded.catalog_key, recorded.status) == (MODEL2, "teilweise")


def test_a_target_is_set_and_read_in_the_stores_catalog(url: str) -> None:
    store = spatz.open(url, catalog_id=MODEL2, actor=ADMIN)
    before = store.target(ORG, "isms")
    assert before is None
    target = TargetCreate(
        org=ORG, dimension_id="isms", target_level=2, target_date=dt.date(2026, 6, 30)
    )
    store.set_target(target, expected_id=None)
    now = store.target(ORG, "isms")
    assert now is not None
    assert (now.catalog_key, now.target_level) == (MODEL2, 2)
    # The default catalog has no dimension "isms" and knows nothing of the target.
    assert spatz.open(url, actor=ADMIN).targets().query("dimension_id == 'isms'").empty


def test_an_imported_progress_table_goes_to_the_stores_catalog(url: str) -> None:
    table = read_table_bytes(
        b"org,measure_id,status,date\nS,NET.1.1.A4,teilweise,2024-06-01\n", "p.csv"
    )
    summary = spatz.open(url, catalog_id=MODEL2, actor=ADMIN).import_table("progress", table)
    assert summary.new == 1
    history = spatz.open(url, catalog_id=MODEL2, actor=ADMIN).history(ORG, "NET.1.1.A4")
    assert list(history["status"]) == ["teilweise"]
