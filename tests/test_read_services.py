"""A composite read is one snapshot: one connection in one transaction, the catalog loaded
once, whatever the read combines."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlmodel import Session

import spatz
from spatz.catalog import Catalog
from spatz.services.catalogs import get_catalog
from spatz.services.demo import HALLE
from spatz.store import Store

READS: dict[str, Callable[[Store], object]] = {
    "score": lambda s: s.score(),
    "roadmap": lambda s: s.roadmap(HALLE, "strategie"),
    "target status": lambda s: s.target_status(),
    "land export": lambda s: s.land_export(),
    "land summary": lambda s: s.land_summary(),
    "report": lambda s: s.report(HALLE),
    "workbook": lambda s: s.workbook(orgs=[HALLE]),
}


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_a_read_uses_one_connection_and_loads_the_catalog_once(
    read: Callable[[Store], object], demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = spatz.open(demo_url)
    checkouts: list[object] = []

    def on_checkout(*args: object) -> None:
        checkouts.append(args)

    sa.event.listen(store.engine, "checkout", on_checkout)
    loads: list[str | None] = []

    def counted(*, session: Session, ref: str | None = None) -> Catalog:
        loads.append(ref)
        return get_catalog(session=session, ref=ref)

    monkeypatch.setattr("spatz.services.scores.get_catalog", counted)
    try:
        read(store)
    finally:
        sa.event.remove(store.engine, "checkout", on_checkout)
    assert len(checkouts) == 1
    assert loads == [None]


def test_without_a_stichtag_a_read_takes_the_datenstand(demo_url: str) -> None:
    store = spatz.open(demo_url)
    day = store.stichtag()
    assert day == store.activity()["last"].max().date()
    assert store.score().equals(store.score(day))
    assert (store.land_export()["as_of"] == str(day)).all()
    assert store.workbook(orgs=[HALLE]).as_of == day
    assert store.land_summary().attrs["as_of"] == day
