"""The list "Wer hat es schon umgesetzt?": only organisations that agreed are named to others."""

from __future__ import annotations

from pathlib import Path

import pytest

import spatz
import spatz.store
from spatz.errors import DataImportError, NotFoundError
from spatz.io.reader import read_table
from spatz.land import LAND
from spatz.model.common import OrgKind
from spatz.services.land import ADOPTER_COLUMNS

HALLE = "15002000"
DAY = "2024-12-31"


def _named(url: str) -> dict[str, bool]:
    from sqlmodel import Session, select

    from spatz.db import make_engine
    from spatz.model import Organisation

    with Session(make_engine(url)) as session:
        return {o.key: o.named_in_comparison for o in session.exec(select(Organisation))}


def _done_by(store: spatz.Store, measure_id: str) -> set[str]:
    states = store.explain(DAY)
    return set(states[(states["measure_id"] == measure_id) & states["done"]]["org"])


def _measure_done_by_many(store: spatz.Store) -> str:
    states = store.explain(DAY)
    counts = states[states["done"]].groupby("measure_id")["org"].nunique()
    return str(counts.idxmax())


def test_the_land_kind_is_the_vocabulary_s() -> None:
    assert OrgKind.land.value == LAND


def test_others_see_only_the_organisations_that_agreed(demo_url: str) -> None:
    admin = spatz.open(demo_url)
    measure = _measure_done_by_many(admin)
    named = _named(demo_url)
    done = _done_by(admin, measure)
    assert {o for o in done if named[o]} and {o for o in done if not named[o]}
    leitung = spatz.store.login(demo_url, "leitung.halle", "spatz-leitung-demo").actor
    assert leitung is not None and leitung.scope is not None
    listed = spatz.open(demo_url, actor=leitung).adopters(measure, DAY)
    assert list(listed.columns) == ADOPTER_COLUMNS
    expected = {o for o in done if named[o] or o in leitung.scope}
    assert set(listed["org"]) == expected
    assert listed["date"].is_monotonic_increasing
    # The administration sees every organisation's measures anyway.
    assert set(admin.adopters(measure, DAY)["org"]) == done


def test_an_unknown_measure_is_named(demo_url: str) -> None:
    with pytest.raises(NotFoundError, match="Maßnahme 'XYZ' gibt es im Katalog"):
        spatz.open(demo_url).adopters("XYZ", DAY)


def test_the_organisation_list_sets_and_keeps_the_agreement(database: str, tmp_path: Path) -> None:
    store = spatz.open(database)
    before = _named(database)
    assert before[HALLE] and not before["15081000"]
    # Without the column (or with an empty cell) the agreement stays as stored.
    path = tmp_path / "orgs.csv"
    path.write_text(
        "org,name,kind,land,ags,parent\n"
        "15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,15002000,15000000\n",
        encoding="utf-8",
    )
    assert store.import_table("organisations", read_table(path)).existing == 1
    path.write_text(
        "org,name,kind,land,ags,parent,named\n"
        "15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,15002000,15000000,\n"
        "15081000,Altmarkkreis Salzwedel,Landkreis,Sachsen-Anhalt,15081000,15000000,ja\n"
        "15003000,Landeshauptstadt Magdeburg,kreisfreie Stadt,Sachsen-Anhalt,15003000,15000000,"
        "nein\n",
        encoding="utf-8",
    )
    summary = store.import_table("organisations", read_table(path))
    assert (summary.existing, summary.updated) == (1, 2)
    after = _named(database)
    assert (after[HALLE], after["15081000"], after["15003000"]) == (True, True, False)
    audit = store.audit()
    assert "named_in_comparison" in " ".join(map(str, audit["after"].tolist()))


def test_a_wrong_agreement_value_names_line_and_column(database: str, tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text("org,name,kind,named\n15099999,Neustadt,Stadt,vielleicht\n", encoding="utf-8")
    with pytest.raises(DataImportError) as info:
        spatz.open(database).import_table("organisations", read_table(path))
    assert "orgs.csv:2" in str(info.value)
    assert "named" in str(info.value)
    assert "weder ja noch nein: 'vielleicht' (erlaubt: ja, nein)" in str(info.value)
    assert "15099999" not in set(spatz.open(database).organisations()["org"])
