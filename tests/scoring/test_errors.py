"""Invalid events and targets: the message names the offending value and its row."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from spatz.errors import ArgumentError, NotFoundError, SpatzError
from spatz.scoring import EventsError, TargetsError, explain, forecast, roadmap, score, trend

from .helpers import M, frame, make_catalog

CATALOG = make_catalog({"d": [M("a", 1), M("b", 2)]})
GOOD = ("o", "a", "completed", "2024-01-01")


def events_with(row: tuple[object, ...], at: int = 2) -> pd.DataFrame:
    rows: list[tuple[object, ...]] = [GOOD] * 4
    rows.insert(at, row)
    return pd.DataFrame(rows, columns=["org", "measure_id", "status", "date"])


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ("o", "zz", "completed", "2024-01-01"),
            "Ereignisse, Zeile 2, Spalte measure_id: unbekannter Wert 'zz'",
        ),
        (
            ("o", "a", "done", "2024-01-01"),
            "Ereignisse, Zeile 2, Spalte status: unbekannter Wert 'done' (erlaubt:",
        ),
        (("o", "a", "Completed", "2024-01-01"), "Spalte status: unbekannter Wert 'Completed'"),
        (
            ("o", "a", "completed", "2024-13-45"),
            "Ereignisse, Zeile 2, Spalte date: kein Datum: '2024-13-45'",
        ),
        (
            ("o", "a", "completed", "someday"),
            "Ereignisse, Zeile 2, Spalte date: kein Datum: 'someday'",
        ),
        (("o", "a", "completed", None), "Ereignisse, Zeile 2, Spalte date: Wert fehlt"),
        ((None, "a", "completed", "2024-01-01"), "Ereignisse, Zeile 2, Spalte org: Wert fehlt"),
        (
            ("o", None, "completed", "2024-01-01"),
            "Ereignisse, Zeile 2, Spalte measure_id: Wert fehlt",
        ),
        (("o", "a", np.nan, "2024-01-01"), "Ereignisse, Zeile 2, Spalte status: Wert fehlt"),
    ],
)
def test_bad_value_named_with_row(row: tuple[object, ...], message: str) -> None:
    with pytest.raises(EventsError) as info:
        score(CATALOG, events_with(row), "2024-06-01")
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_first_offending_row_is_reported() -> None:
    events = frame(
        [GOOD, ("o", "x1", "completed", "2024-01-01"), GOOD, ("o", "x2", "planned", "2024-01-01")]
    )
    with pytest.raises(
        EventsError, match=r"Ereignisse, Zeile 1, Spalte measure_id: unbekannter Wert 'x1'"
    ):
        score(CATALOG, events, "2024-06-01")


def test_row_is_position_not_index_label() -> None:
    events = events_with(("o", "zz", "completed", "2024-01-01"), at=3).set_axis([9, 8, 7, 6, 5])
    with pytest.raises(
        EventsError, match=r"Ereignisse, Zeile 3, Spalte measure_id: unbekannter Wert 'zz'"
    ):
        score(CATALOG, events, "2024-06-01")


def test_datetime_column_with_missing_value() -> None:
    events = frame([GOOD, GOOD]).assign(
        date=pd.to_datetime(pd.Series(["2024-01-01", None], dtype=object))
    )
    with pytest.raises(EventsError, match=r"Ereignisse, Zeile 1, Spalte date: Wert fehlt"):
        score(CATALOG, events, "2024-06-01")


def test_unknown_category_of_a_categorical_column() -> None:
    events = frame([GOOD, ("o", "zz", "completed", "2024-01-01")]).astype(
        {"measure_id": "category"}
    )
    with pytest.raises(
        EventsError, match=r"Ereignisse, Zeile 1, Spalte measure_id: unbekannter Wert 'zz'"
    ):
        score(CATALOG, events, "2024-06-01")


@pytest.mark.parametrize("column", ["org", "measure_id", "status", "date"])
def test_missing_column(column: str) -> None:
    with pytest.raises(EventsError, match=rf"Ereignisse: Spalte\(n\) '{column}' fehlen"):
        score(CATALOG, frame([GOOD]).drop(columns=column), "2024-06-01")


def test_every_function_validates_events() -> None:
    bad = events_with(("o", "a", "finished", "2024-01-01"))
    targets = pd.DataFrame(
        {"org": ["o"], "dimension_id": ["d"], "target_level": [2], "target_date": ["2025-01-01"]}
    )
    calls: list[Callable[[], object]] = [
        lambda: trend(CATALOG, bad, ["2024-01-01"]),
        lambda: explain(CATALOG, bad, "2024-01-01"),
        lambda: roadmap(CATALOG, bad, "o", "d", "2024-01-01"),
        lambda: forecast(CATALOG, bad, targets, "2024-01-01"),
    ]
    for call in calls:
        with pytest.raises(
            EventsError, match="Ereignisse, Zeile 2, Spalte status: unbekannter Wert 'finished'"
        ):
            call()


def test_bad_due_date() -> None:
    events = frame([GOOD, GOOD]).assign(due_date=["2024-05-01", "bald"])
    with pytest.raises(
        EventsError, match="Ereignisse, Zeile 1, Spalte due_date: kein Datum: 'bald'"
    ):
        roadmap(CATALOG, events, "o", "d", "2024-01-01")


def test_bad_as_of() -> None:
    with pytest.raises(ValueError, match="Stichtag: kein Datum: 'gestern'"):
        score(CATALOG, frame([GOOD]), "gestern")


def test_roadmap_arguments() -> None:
    with pytest.raises(NotFoundError, match="unbekannte Dimension 'nope'"):
        roadmap(CATALOG, frame([GOOD]), "o", "nope", "2024-01-01")
    with pytest.raises(ValueError, match=r"Zielstufe 3 ist keine Stufe 1\.\.2"):
        roadmap(CATALOG, frame([GOOD]), "o", "d", "2024-01-01", target_level=3)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"dimension_id": "x"}, "Ziele, Zeile 1, Spalte dimension_id: unbekannte Dimension 'x'"),
        ({"target_level": 0}, "Ziele, Zeile 1, Spalte target_level: 0 ist keine Stufe 1..2"),
        ({"target_level": 1.5}, "Ziele, Zeile 1, Spalte target_level: 1.5 ist keine Stufe 1..2"),
        ({"target_level": "2"}, "Ziele, Zeile 1, Spalte target_level: '2' ist keine Stufe 1..2"),
        ({"target_date": "bald"}, "Ziele, Zeile 1, Spalte target_date: kein Datum: 'bald'"),
        ({"target_date": None}, "Ziele, Zeile 1, Spalte target_date: kein Datum: None"),
        ({"org": None}, "Ziele, Zeile 1, Spalte org: Wert fehlt"),
    ],
)
def test_bad_targets(row: dict[str, object], message: str) -> None:
    good = {"org": "o", "dimension_id": "d", "target_level": 1, "target_date": "2025-01-01"}
    targets = pd.DataFrame([good, {**good, **row}], dtype=object)
    with pytest.raises(TargetsError) as info:
        forecast(CATALOG, frame([GOOD]), targets, "2024-01-01")
    assert message in str(info.value)


def test_targets_missing_column() -> None:
    targets = pd.DataFrame({"org": ["o"], "dimension_id": ["d"], "target_level": [1]})
    with pytest.raises(TargetsError, match=r"Ziele: Spalte\(n\) 'target_date' fehlen"):
        forecast(CATALOG, frame([GOOD]), targets, "2024-01-01")


def test_bad_arguments_are_spatz_errors() -> None:
    """A Stichtag that is no date and a level the catalog lacks end in the one hierarchy."""
    calls: list[tuple[Callable[[], object], str]] = [
        (lambda: score(CATALOG, frame([GOOD]), "gestern"), "Stichtag: kein Datum: 'gestern'"),
        (
            lambda: trend(CATALOG, frame([GOOD]), ["2024-01-01", "morgen"]),
            "Stichtag: kein Datum: 'morgen'",
        ),
        (
            lambda: roadmap(CATALOG, frame([GOOD]), "o", "d", "2024-01-01", target_level=0),
            "Zielstufe 0 ist keine Stufe 1..2",
        ),
    ]
    for call, message in calls:
        with pytest.raises(ArgumentError) as info:
            call()
        assert isinstance(info.value, SpatzError)
        assert str(info.value) == message
