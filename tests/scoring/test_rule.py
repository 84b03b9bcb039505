"""Table-driven tests of each clause of the rule, through :func:`spatz.scoring.score`."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from spatz.catalog import Catalog
from spatz.scoring import RESULT_COLUMNS, score

from .helpers import M, by_key, frame, make_catalog

D = dt.date

# One dimension, two levels: a (L1), b (L1, weight 3), c (L2).
SIMPLE = make_catalog({"d": [M("a", 1), M("b", 1, weight=3.0), M("c", 2)]})


Result = dict[tuple[str, str], tuple[int, float, int, int]]


def key(events: list[tuple[str, str, str, str]], as_of: str, catalog: Catalog = SIMPLE) -> Result:
    return by_key(score(catalog, frame(events), as_of))


@pytest.mark.parametrize(
    ("events", "as_of", "expected"),
    [
        pytest.param([], "2024-01-01", None, id="no-events"),
        pytest.param(
            [("o", "a", "completed", "2024-01-01"), ("o", "b", "completed", "2024-01-01")],
            "2024-01-01",
            (1, 1.0, 2, 3),
            id="event-on-stichtag-counts",
        ),
        pytest.param(
            [("o", "a", "completed", "2024-01-01"), ("o", "b", "completed", "2024-01-02")],
            "2024-01-01",
            (0, 0.25, 1, 3),
            id="event-after-stichtag-ignored",
        ),
        pytest.param(
            [
                ("o", "a", "completed", "2024-01-01"),
                ("o", "a", "planned", "2024-01-01"),
                ("o", "b", "completed", "2024-01-01"),
            ],
            "2024-02-01",
            (0, 0.75, 1, 3),
            id="tie-later-row-wins-planned",
        ),
        pytest.param(
            [
                ("o", "a", "planned", "2024-01-01"),
                ("o", "a", "completed", "2024-01-01"),
                ("o", "b", "completed", "2024-01-01"),
            ],
            "2024-02-01",
            (1, 1.0, 2, 3),
            id="tie-later-row-wins-completed",
        ),
        pytest.param(
            [
                ("o", "a", "planned", "2024-03-01"),
                ("o", "a", "completed", "2024-01-01"),
                ("o", "b", "completed", "2024-01-01"),
            ],
            "2024-04-01",
            (0, 0.75, 1, 3),
            id="greatest-date-wins-not-last-row",
        ),
        pytest.param(
            [
                ("o", "a", "completed", "2024-01-01"),
                ("o", "b", "completed", "2024-01-01"),
                ("o", "b", "planned", "2024-02-01"),
            ],
            "2024-03-01",
            (0, 0.25, 1, 3),
            id="reopened-completed-then-planned",
        ),
        pytest.param(
            [("o", "a", "in_progress", "2024-01-01")],
            "2024-03-01",
            (0, 0.0, 0, 3),
            id="in-progress-is-not-done",
        ),
    ],
)
def test_state_clause_1(
    events: list[tuple[str, str, str, str]],
    as_of: str,
    expected: tuple[int, float, int, int] | None,
) -> None:
    result = key(events, as_of)
    assert result.get(("o", "d")) == expected


@pytest.mark.parametrize(
    ("completed_on", "as_of", "done"),
    [
        ("2023-01-31", "2023-02-27", True),
        ("2023-01-31", "2023-02-28", False),  # 31 Jan + 1 month = 28 Feb: no longer done
        ("2024-01-31", "2024-02-28", True),  # leap year: expires on 29 Feb
        ("2024-01-31", "2024-02-29", False),
        ("2023-03-15", "2023-04-14", True),
        ("2023-03-15", "2023-04-15", False),  # expiry on the exact day
        ("2023-12-31", "2024-01-30", True),
        ("2023-12-31", "2024-01-31", False),
    ],
)
def test_expiry_clause_2(completed_on: str, as_of: str, done: bool) -> None:
    catalog = make_catalog({"d": [M("a", 1, valid_for_months=1), M("z", 2)]})
    level, _, completed, _ = key([("o", "a", "completed", completed_on)], as_of, catalog)[
        ("o", "d")
    ]
    assert (level, completed) == ((1, 1) if done else (0, 0))


def test_expiry_counts_from_the_state_event() -> None:
    catalog = make_catalog({"d": [M("a", 1, valid_for_months=12), M("z", 2)]})
    events = [
        ("o", "a", "completed", "2022-01-10"),
        ("o", "a", "completed", "2023-01-05"),  # renewed
    ]
    assert key(events, "2023-06-01", catalog)[("o", "d")][2] == 1
    assert key(events, "2024-01-04", catalog)[("o", "d")][2] == 1
    assert key(events, "2024-01-05", catalog)[("o", "d")][2] == 0


CATALOG_3 = make_catalog(
    {
        "d": [
            M("a", 1, weight=1.0),
            M("b", 1, weight=2.0, mandatory=True),
            M("c", 1, weight=1.0),
            M("x", 2),
        ]
    },
    threshold=0.75,
)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param(
            [("b", "completed"), ("a", "completed")], (1, 1.0, 2, 4), id="theta-met-3-of-4"
        ),
        pytest.param([("b", "completed")], (0, 0.5, 1, 4), id="theta-missed"),
        pytest.param([("a", "completed"), ("c", "completed")], (0, 0.5, 2, 4), id="mandatory"),
        pytest.param(
            [("b", "not_applicable"), ("a", "completed"), ("c", "completed")],
            (1, 1.0, 2, 3),
            id="mandatory-excluded",
        ),
        pytest.param(
            [("a", "not_applicable"), ("b", "completed")], (0, 2 / 3, 1, 3), id="excluded-2-of-3"
        ),
        pytest.param(
            [("a", "not_applicable"), ("b", "completed"), ("c", "completed")],
            (1, 1.0, 2, 3),
            id="excluded-then-all-done",
        ),
        pytest.param(
            [("a", "not_applicable"), ("b", "not_applicable"), ("c", "not_applicable")],
            (1, 1.0, 0, 1),
            id="all-excluded-f-is-1",
        ),
        pytest.param(
            [
                ("a", "not_applicable"),
                ("b", "not_applicable"),
                ("c", "not_applicable"),
                ("x", "not_applicable"),
            ],
            (2, 2.0, 0, 0),
            id="everything-excluded",
        ),
        pytest.param(
            [("a", "completed"), ("b", "completed"), ("x", "completed")],
            (2, 2.0, 3, 4),
            id="top-level",
        ),
        pytest.param([("x", "completed")], (0, 0.0, 1, 4), id="level-2-done-but-level-1-not"),
    ],
)
def test_weights_threshold_exclusion_clauses_3_to_7(
    events: list[tuple[str, str]], expected: tuple[int, float, int, int]
) -> None:
    rows = [("o", m, status, "2024-01-01") for m, status in events]
    level, value, completed, total = key(rows, "2024-02-01", CATALOG_3)[("o", "d")]
    assert level == expected[0]
    assert value == pytest.approx(expected[1])
    assert (completed, total) == expected[2:]


def test_score_fraction_is_capped_below_next_level() -> None:
    catalog = make_catalog({"d": [M("a", 1), M("b", 2, mandatory=True), M("c", 2, weight=9)]})
    events = [("o", "a", "completed", "2024-01-01"), ("o", "c", "completed", "2024-01-01")]
    level, value, _, _ = key(events, "2024-01-02", catalog)[("o", "d")]
    assert (level, value) == (1, 1.9)  # f(d, 2) = 0.9
    catalog = make_catalog(
        {"d": [M("a", 1), M("b", 2, mandatory=True, weight=0.001), M("c", 2, weight=9)]}
    )
    level, value, _, _ = key(events, "2024-01-02", catalog)[("o", "d")]
    assert level == 1
    assert value == pytest.approx(1.99)  # f = 0.9999 is capped


def test_threshold_reached_despite_float_rounding() -> None:
    # (0.1 + 0.7) / (0.1 + 0.7 + 0.2) is 0.8 on paper, one rounding step below in float64.
    catalog = make_catalog(
        {"d": [M("a", 1, weight=0.1), M("b", 1, weight=0.7), M("c", 1, weight=0.2), M("z", 2)]},
        threshold=0.8,
    )
    events = [("o", "a", "completed", "2024-01-01"), ("o", "b", "completed", "2024-01-01")]
    assert (0.1 + 0.7) / (0.1 + 0.7 + 0.2) < 0.8
    assert key(events, "2024-01-02", catalog)[("o", "d")][0] == 1


def test_overall_is_minimum_level_and_weighted_mean_score_clause_8_9() -> None:
    catalog = make_catalog(
        {"d": [M("a", 1), M("b", 2)], "e": [M("c", 1), M("x", 2)]},
        dimension_weights={"d": 3.0, "e": 1.0},
    )
    events = [
        ("o", "a", "completed", "2024-01-01"),
        ("o", "b", "completed", "2024-01-01"),
        ("o", "x", "not_applicable", "2024-01-01"),
    ]
    result = key(events, "2024-01-02", catalog)
    assert result[("o", "d")] == (2, 2.0, 2, 2)
    assert result[("o", "e")] == (0, 0.0, 0, 1)
    assert result[("o", "overall")] == (0, (3 * 2.0 + 1 * 0.0) / 4, 2, 3)


def test_org_with_only_future_events_appears_at_level_0() -> None:
    events = [
        ("late", "a", "completed", "2030-01-01"),
        ("early", "a", "completed", "2020-01-01"),
    ]
    result = score(SIMPLE, frame(events), "2024-01-01")
    assert list(result["org"]) == ["early"] * 2 + ["late"] * 2
    assert list(result["dimension_id"]) == ["d", "overall"] * 2
    late = by_key(result)[("late", "overall")]
    assert late == (0, 0.0, 0, 3)


def test_result_shape_dtypes_and_order() -> None:
    catalog = make_catalog({"z": [M("a", 1), M("b", 2)], "y": [M("c", 1), M("x", 2)]})
    events = [
        ("org-2", "a", "completed", "2024-01-01"),
        ("org-1", "c", "completed", "2024-01-01"),
        ("org-10", "x", "planned", "2024-01-01"),
    ]
    result = score(catalog, frame(events), pd.Timestamp("2024-01-05 13:45"))
    assert tuple(result.columns) == RESULT_COLUMNS
    assert [str(t) for t in result.dtypes] == ["str", "str", "int64", "float64", "int64", "int64"]
    assert list(result["org"]) == ["org-1"] * 3 + ["org-10"] * 3 + ["org-2"] * 3
    assert list(result["dimension_id"]) == ["z", "y", "overall"] * 3
    assert list(result.index) == list(range(9))


def test_empty_events_give_empty_result_with_dtypes() -> None:
    result = score(SIMPLE, frame([]), "2024-01-01")
    assert result.empty
    assert tuple(result.columns) == RESULT_COLUMNS
    assert [str(t) for t in result.dtypes] == ["str", "str", "int64", "float64", "int64", "int64"]


def test_inputs_of_other_kinds() -> None:
    base = [
        ("o", "a", "completed", "2024-01-01"),
        ("o", "b", "completed", "2024-01-03"),
    ]
    expected = by_key(score(SIMPLE, frame(base), "2024-01-03"))
    as_dates = frame(base).assign(date=[D(2024, 1, 1), D(2024, 1, 3)])
    assert by_key(score(SIMPLE, as_dates, D(2024, 1, 3))) == expected
    with_time = frame(base).assign(
        date=pd.to_datetime(["2024-01-01 08:00", "2024-01-03 23:59"]), extra=[1, 2]
    )
    assert by_key(score(SIMPLE, with_time, "2024-01-03")) == expected
    categorical = frame(base).astype(
        {"org": pd.CategoricalDtype(["o", "unused"]), "status": "category"}
    )
    assert by_key(score(SIMPLE, categorical, np.datetime64("2024-01-03"))) == expected
    with_index = frame(base).set_axis([10, 5])
    assert by_key(score(SIMPLE, with_index, "2024-01-03")) == expected


def test_org_values_are_strings_in_the_output() -> None:
    events = frame(
        [(7, "a", "completed", "2024-01-01"), ("7", "b", "completed", "2024-01-01")]  # type: ignore[list-item]
    )
    result = score(SIMPLE, events, "2024-01-02")
    assert list(result["org"]) == ["7", "7"]
    assert by_key(result)[("7", "d")] == (1, 1.0, 2, 3)


def test_default_as_of_is_today() -> None:
    today = dt.date.today()
    events = [
        ("o", "a", "completed", (today - dt.timedelta(days=1)).isoformat()),
        ("o", "b", "completed", today.isoformat()),
        ("o", "c", "completed", (today + dt.timedelta(days=1)).isoformat()),
    ]
    assert by_key(score(SIMPLE, frame(events)))[("o", "d")] == (1, 1.0, 2, 3)
