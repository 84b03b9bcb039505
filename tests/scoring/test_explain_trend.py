"""``explain`` (the state behind the numbers) and ``trend`` (score at many Stichtage)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from spatz.scoring import EXPLAIN_COLUMNS, RESULT_COLUMNS, explain, month_ends, score, trend

from .helpers import M, frame, make_catalog

CATALOG = make_catalog(
    {"d": [M("a", 1, valid_for_months=1), M("b", 2)], "e": [M("c", 1), M("x", 2)]}
)
EVENTS = frame(
    [
        ("o", "a", "completed", "2023-01-31"),
        ("o", "c", "not_applicable", "2023-01-15"),
        ("o", "x", "planned", "2023-01-10"),
        ("o", "x", "in_progress", "2023-03-01"),
        ("p", "b", "completed", "2023-05-01"),
    ]
)


def test_explain_rows_and_values() -> None:
    result = explain(CATALOG, EVENTS, "2023-02-28")
    assert tuple(result.columns) == EXPLAIN_COLUMNS
    assert list(result["org"]) == ["o"] * 4 + ["p"] * 4
    assert list(result["measure_id"]) == ["a", "b", "c", "x"] * 2
    assert list(result["dimension_id"]) == ["d", "d", "e", "e"] * 2
    assert list(result["level"]) == [1, 2, 1, 2] * 2
    assert (
        list(result["status"]) == ["completed", "open", "not_applicable", "planned"] + ["open"] * 4
    )
    assert (
        list(result["date"])
        == [
            pd.Timestamp("2023-01-31"),
            pd.NaT,
            pd.Timestamp("2023-01-15"),
            pd.Timestamp("2023-01-10"),
        ]
        + [pd.NaT] * 4
    )
    assert list(result["done"]) == [False] * 8  # expired on 28 Feb
    assert list(result["excluded"]) == [False, False, True, False] + [False] * 4
    assert list(result["expires"])[:2] == [pd.Timestamp("2023-02-28"), pd.NaT]
    assert result["expires"].isna().sum() == 7


def test_explain_done_before_expiry_and_agrees_with_score() -> None:
    result = explain(CATALOG, EVENTS, "2023-02-27")
    assert bool(result.loc[0, "done"])
    scored = score(CATALOG, EVENTS, "2023-02-27")
    completed = result.groupby(["org", "dimension_id"])["done"].sum()
    counted = (~result["excluded"]).groupby([result["org"], result["dimension_id"]]).sum()
    per_dim = scored[scored["dimension_id"] != "overall"].set_index(["org", "dimension_id"])
    assert (per_dim["measures_completed"] == completed).all()
    assert (per_dim["measures_total"] == counted).all()


def test_explain_empty() -> None:
    result = explain(CATALOG, frame([]), "2023-02-27")
    assert result.empty
    assert tuple(result.columns) == EXPLAIN_COLUMNS
    assert str(result["done"].dtype) == "bool"


def test_trend_equals_score_per_date_in_given_order() -> None:
    dates = ["2023-03-01", "2023-01-31", "2023-02-27", "2023-02-28", "2023-01-31", "2022-01-01"]
    result = trend(CATALOG, EVENTS, dates)
    assert tuple(result.columns) == (*RESULT_COLUMNS, "as_of")
    assert str(result["as_of"].dtype) == "datetime64[us]"
    expected = pd.concat(
        [score(CATALOG, EVENTS, d).assign(as_of=pd.Timestamp(d)) for d in dates],
        ignore_index=True,
    )
    expected["as_of"] = expected["as_of"].astype("datetime64[us]")
    pd.testing.assert_frame_equal(result, expected, check_exact=True)


@pytest.mark.parametrize("events", [EVENTS, frame([])])
def test_trend_without_dates_or_events(events: pd.DataFrame) -> None:
    for dates in ([], ["2023-01-01"]) if events.empty else ([],):
        result = trend(CATALOG, events, dates)
        assert result.empty
        assert tuple(result.columns) == (*RESULT_COLUMNS, "as_of")


def test_trend_in_blocks_equals_score(monkeypatch: pytest.MonkeyPatch) -> None:
    # Force one Stichtag per block so that the carry between blocks is exercised.
    monkeypatch.setattr("spatz.scoring._engine.BLOCK_ELEMENTS", 1)
    dates = pd.date_range("2023-01-01", "2023-06-30", freq="7D")
    result = trend(CATALOG, EVENTS, dates)
    expected = pd.concat(
        [score(CATALOG, EVENTS, d).assign(as_of=d) for d in dates], ignore_index=True
    )
    expected["as_of"] = expected["as_of"].astype("datetime64[us]")
    pd.testing.assert_frame_equal(result, expected, check_exact=True)


def test_many_measures_per_level_use_several_mask_words() -> None:
    # 60 measures on one level: more than one lookup chunk and more than one mask word.
    many = [M(f"m{i}", 1, weight=1.0 + i % 3, mandatory=i == 55) for i in range(60)]
    catalog = make_catalog({"d": [*many, M("z", 2)]}, threshold=0.9)
    rows = [("o", f"m{i}", "completed", "2024-01-01") for i in range(0, 60, 2)]
    rows += [("o", f"m{i}", "not_applicable", "2024-01-01") for i in (1, 3, 55)]
    rows += [("o", "m57", "completed", "2024-03-01")]
    events = frame(rows)
    weights = {f"m{i}": 1.0 + i % 3 for i in range(60)}
    done = sum(weights[f"m{i}"] for i in range(0, 60, 2))
    counted = sum(weights.values()) - weights["m1"] - weights["m3"] - weights["m55"]
    result = score(catalog, events, "2024-02-01")
    assert result.loc[0, "level"] == 0
    assert result.loc[0, "score"] == pytest.approx(done / counted)
    assert result.loc[0, "measures_completed"] == 30
    assert result.loc[0, "measures_total"] == 58
    dates = ["2023-12-31", "2024-02-01", "2024-03-01"]
    expected = pd.concat(
        [score(catalog, events, d).assign(as_of=pd.Timestamp(d)) for d in dates],
        ignore_index=True,
    )
    expected["as_of"] = expected["as_of"].astype("datetime64[us]")
    pd.testing.assert_frame_equal(trend(catalog, events, dates), expected, check_exact=True)


@pytest.mark.parametrize(
    ("first", "until", "expected"),
    [
        ("2024-01-15", "2024-03-31", ["2024-01-31", "2024-02-29", "2024-03-31"]),
        ("2024-01-15", "2024-03-15", ["2024-01-31", "2024-02-29", "2024-03-15"]),
        ("2024-05-01", "2024-03-15", ["2024-03-15"]),
        (pd.Timestamp("2024-03-15"), dt.date(2024, 3, 15), ["2024-03-15"]),
    ],
)
def test_month_ends_run_to_the_stichtag_and_end_with_it(
    first: str | pd.Timestamp, until: str | dt.date, expected: list[str]
) -> None:
    assert month_ends(first, until) == [pd.Timestamp(day) for day in expected]
