"""Invalid events and targets: the message names the offending value and its row."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from spatz.errors import NotFoundError
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
        (("o", "zz", "completed", "2024-01-01"), "events row 2: unknown measure_id 'zz'"),
        (("o", "a", "done", "2024-01-01"), "events row 2: unknown status 'done' (expected one of"),
        (("o", "a", "Completed", "2024-01-01"), "unknown status 'Completed'"),
        (("o", "a", "completed", "2024-13-45"), "events row 2: cannot read date '2024-13-45'"),
        (("o", "a", "completed", "someday"), "events row 2: cannot read date 'someday'"),
        (("o", "a", "completed", None), "events row 2: date is missing"),
        ((None, "a", "completed", "2024-01-01"), "events row 2: org is missing"),
        (("o", None, "completed", "2024-01-01"), "events row 2: measure_id is missing"),
        (("o", "a", np.nan, "2024-01-01"), "events row 2: status is missing"),
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
    with pytest.raises(EventsError, match=r"events row 1: unknown measure_id 'x1'"):
        score(CATALOG, events, "2024-06-01")


def test_row_is_position_not_index_label() -> None:
    events = events_with(("o", "zz", "completed", "2024-01-01"), at=3).set_axis([9, 8, 7, 6, 5])
    with pytest.raises(EventsError, match=r"events row 3: unknown measure_id 'zz'"):
        score(CATALOG, events, "2024-06-01")


def test_datetime_column_with_missing_value() -> None:
    events = frame([GOOD, GOOD]).assign(
        date=pd.to_datetime(pd.Series(["2024-01-01", None], dtype=object))
    )
    with pytest.raises(EventsError, match=r"events row 1: date is missing"):
        score(CATALOG, events, "2024-06-01")


def test_unknown_category_of_a_categorical_column() -> None:
    events = frame([GOOD, ("o", "zz", "completed", "2024-01-01")]).astype(
        {"measure_id": "category"}
    )
    with pytest.raises(EventsError, match=r"events row 1: unknown measure_id 'zz'"):
        score(CATALOG, events, "2024-06-01")


@pytest.mark.parametrize("column", ["org", "measure_id", "status", "date"])
def test_missing_column(column: str) -> None:
    with pytest.raises(EventsError, match=rf"events: missing column\(s\) '{column}'"):
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
        with pytest.raises(EventsError, match="events row 2: unknown status 'finished'"):
            call()


def test_bad_due_date() -> None:
    events = frame([GOOD, GOOD]).assign(due_date=["2024-05-01", "bald"])
    with pytest.raises(EventsError, match="events row 1: cannot read due_date 'bald'"):
        roadmap(CATALOG, events, "o", "d", "2024-01-01")


def test_bad_as_of() -> None:
    with pytest.raises(ValueError, match="cannot read 'gestern' as a date"):
        score(CATALOG, frame([GOOD]), "gestern")


def test_roadmap_arguments() -> None:
    with pytest.raises(NotFoundError, match="unknown dimension 'nope'"):
        roadmap(CATALOG, frame([GOOD]), "o", "nope", "2024-01-01")
    with pytest.raises(ValueError, match=r"target_level 3 is not a level 1\.\.2"):
        roadmap(CATALOG, frame([GOOD]), "o", "d", "2024-01-01", target_level=3)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"dimension_id": "x"}, "targets row 1: unknown dimension_id 'x'"),
        ({"target_level": 0}, "targets row 1: target_level 0 is not a level 1..2"),
        ({"target_level": 1.5}, "targets row 1: target_level 1.5 is not a level 1..2"),
        ({"target_level": "2"}, "targets row 1: target_level '2' is not a level 1..2"),
        ({"target_date": "bald"}, "targets row 1: cannot read target_date 'bald'"),
        ({"target_date": None}, "targets row 1: cannot read target_date None"),
        ({"org": None}, "targets row 1: org is missing"),
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
    with pytest.raises(TargetsError, match=r"targets: missing column\(s\) 'target_date'"):
        forecast(CATALOG, frame([GOOD]), targets, "2024-01-01")
