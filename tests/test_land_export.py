"""The Land export format: exact header, order, formats, dialects, formula neutralisation."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

import spatz
from spatz.io.land import LAND_COLUMNS, Dialect, land_csv

HEADER = (
    "org,ags,organisation,kind,land,catalog_id,catalog_version,dimension_id,dimension,as_of,"
    "level,score,target_level,target_date,measures_completed,measures_total"
)


def _row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "org": "15002000",
        "ags": "15002000",
        "organisation": "Stadt Halle (Saale)",
        "kind": "kreisfreie Stadt",
        "land": "Sachsen-Anhalt",
        "catalog_id": "spatz-kommunal",
        "catalog_version": "1.0",
        "dimension_id": "strategie",
        "dimension": "Digitalisierungsstrategie",
        "as_of": pd.Timestamp("2024-12-31"),
        "level": 2,
        "score": 2.666666,
        "target_level": 3,
        "target_date": pd.Timestamp("2025-12-31"),
        "measures_completed": 9,
        "measures_total": 16,
    }
    row.update(changes)
    return row


def test_rfc4180_dialect() -> None:
    frame = pd.DataFrame([_row(), _row(target_level=pd.NA, target_date=pd.NaT, score=3.005)])
    assert land_csv(frame).decode("utf-8") == (
        HEADER + "\n"
        "15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,spatz-kommunal,"
        "1.0,strategie,Digitalisierungsstrategie,2024-12-31,2,2.67,3,2025-12-31,9,16\n"
        "15002000,15002000,Stadt Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,spatz-kommunal,"
        "1.0,strategie,Digitalisierungsstrategie,2024-12-31,2,3.00,,,9,16\n"
    )


def test_excel_de_dialect_neutralises_formulas() -> None:
    frame = pd.DataFrame([_row(organisation="=cmd|'/c calc'!A1", land="@SUMME(1)")])
    data = land_csv(frame, Dialect.excel_de)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == LAND_COLUMNS
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["organisation"] == "'=cmd|'/c calc'!A1"
    assert record["land"] == "'@SUMME(1)"
    assert record["score"] == "2,67"


def test_export_covers_every_organisation_in_catalog_order(demo_url: str) -> None:
    store = spatz.open(demo_url)
    rows = store.land_export("2024-12-31")
    catalog = store.catalog()
    orgs = store.organisations()["org"].tolist()
    dims = [d.id for d in catalog.dimensions] + ["overall"]
    assert list(rows.columns) == LAND_COLUMNS
    assert rows["org"].tolist() == [o for o in sorted(orgs) for _ in dims]
    assert rows["dimension_id"].tolist() == dims * len(orgs)
    scores = store.score("2024-12-31")
    merged = rows.merge(scores, on=["org", "dimension_id"], suffixes=("", "_engine"))
    assert (merged["level"] == merged["level_engine"]).all()
    assert (merged["score"] == merged["score_engine"]).all()


def test_export_of_selected_organisations(demo_url: str) -> None:
    rows = spatz.open(demo_url).land_export("2024-12-31", ["15003000", "15002000"])
    assert rows["org"].unique().tolist() == ["15002000", "15003000"]
    with pytest.raises(spatz.NotFoundError, match="XX"):
        spatz.open(demo_url).land_export("2024-12-31", ["XX"])
