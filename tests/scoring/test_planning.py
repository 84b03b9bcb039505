"""``roadmap`` (what stands between an organisation and the next level) and ``forecast``."""

from __future__ import annotations

import pandas as pd
import pytest

from spatz.scoring import FORECAST_COLUMNS, ROADMAP_COLUMNS, forecast, roadmap, score

from .helpers import M, frame, make_catalog


def due(*values: str | None) -> pd.Series:
    """A ``due_date`` column; ``None`` for no due date."""
    return pd.to_datetime(pd.Series(list(values), dtype=object))


CATALOG = make_catalog(
    {
        "d": [
            M("a", 1, mandatory=True),
            M("b", 1, weight=2.0),
            M("c", 1),
            M("x", 2),
            M("y", 2, weight=0.5, mandatory=True),
            M("z3", 3),
            M("z", 3),
            M("z2", 3),
        ],
        "e": [M("p", 1), M("q", 2), M("r", 3, valid_for_months=1)],
    },
    n_levels=3,
    threshold=0.75,
)
EVENTS = frame(
    [
        ("o", "a", "completed", "2024-01-01"),
        ("o", "b", "planned", "2024-02-01"),
        ("o", "c", "in_progress", "2024-02-01"),
        ("o", "x", "not_applicable", "2024-02-01"),
        ("o", "z2", "planned", "2024-02-01"),
        ("o", "r", "completed", "2024-01-01"),
    ]
).assign(due_date=due(None, "2024-09-01", "2024-07-01", None, "2024-08-01", None))


def test_roadmap_next_level() -> None:
    result = roadmap(CATALOG, EVENTS, "o", "d", "2024-06-01")
    assert tuple(result.columns) == ROADMAP_COLUMNS
    assert list(result["measure_id"]) == ["b", "c"]  # weight before due date
    assert list(result["status"]) == ["planned", "in_progress"]
    assert list(result["due_date"]) == [pd.Timestamp("2024-09-01"), pd.Timestamp("2024-07-01")]
    assert list(result["title"]) == ["Title b", "Title c"]
    assert list(result["f_gain"]) == [0.5, 0.25]
    # Now f(d, 1) = 1/4, score 0.25. b alone fulfils level 1 (3/4); f(d, 2) is then 0.
    assert list(result["score_gain"]) == pytest.approx([0.75, 0.25])


def test_roadmap_up_to_target_level_ordering() -> None:
    result = roadmap(CATALOG, EVENTS, "o", "d", "2024-06-01", target_level=3)
    assert list(result["measure_id"]) == ["b", "c", "y", "z2", "z", "z3"]
    assert list(result["level"]) == [1, 1, 2, 3, 3, 3]
    assert list(result["mandatory"]) == [False, False, True, False, False, False]
    assert list(result["status"])[2:] == ["open", "planned", "open", "open"]
    assert result["due_date"].isna().tolist() == [False, False, True, False, True, True]
    # y is the only non-excluded measure of level 2 (x is not applicable).
    assert result.loc[2, "f_gain"] == 1.0
    assert result.loc[2, "score_gain"] == 0.0


def test_roadmap_lists_expired_completion_as_open_work() -> None:
    events = frame(
        [
            ("o", "p", "completed", "2024-01-01"),
            ("o", "q", "completed", "2024-01-01"),
            ("o", "r", "completed", "2024-01-01"),
        ]
    )
    assert score(CATALOG, events, "2024-01-15").loc[1, "level"] == 3
    result = roadmap(CATALOG, events, "o", "e", "2024-02-01")
    assert list(result["measure_id"]) == ["r"]
    assert list(result["status"]) == ["completed"]
    assert result["due_date"].isna().all()
    assert list(result["score_gain"]) == [1.0]
    assert roadmap(CATALOG, events, "o", "e", "2024-01-15").empty


def test_roadmap_of_unknown_org_starts_at_level_1() -> None:
    result = roadmap(CATALOG, EVENTS, "nobody", "d", "2024-06-01")
    assert list(result["measure_id"]) == ["a", "b", "c"]
    assert list(result["status"]) == ["open"] * 3
    result = roadmap(CATALOG, frame([]), "nobody", "d", "2024-06-01")
    assert list(result["measure_id"]) == ["a", "b", "c"]
    assert str(result["due_date"].dtype) == "datetime64[us]"


TARGETS = pd.DataFrame(
    [
        ("o", "e", 1, "2024-12-31", "achieved now"),
        ("o", "d", 1, "2024-05-01", "missed"),
        ("o", "d", 1, "2024-09-30", "b and c due in time"),
        ("o", "d", 1, "2024-08-15", "b due too late"),
        ("o", "d", 2, "2025-06-30", "y has no due date"),
        ("o", "overall", 1, "2024-12-31", "needs e too"),
        ("o", "e", 3, "2024-12-31", "r expires"),
        ("nobody", "d", 1, "2025-01-01", "no events"),
    ],
    columns=["org", "dimension_id", "target_level", "target_date", "note"],
)


def test_forecast_statuses() -> None:
    events: pd.DataFrame = pd.concat(
        [
            EVENTS,
            frame(
                [
                    ("o", "p", "completed", "2024-01-01"),
                    ("o", "q", "planned", "2024-01-01"),
                    ("o", "r", "planned", "2024-05-01"),
                ]
            ).assign(due_date=due(None, "2024-10-01", "2024-06-10")),
        ],
        ignore_index=True,
    )
    result = forecast(CATALOG, events, TARGETS, "2024-06-01")
    assert list(result.columns) == [*TARGETS.columns, *FORECAST_COLUMNS]
    assert list(result["note"]) == list(TARGETS["note"])
    assert list(result["status"]) == [
        "achieved",
        "overdue",
        "on_track",
        "at_risk",
        "at_risk",
        "on_track",
        "at_risk",
        "at_risk",
    ]
    assert list(result["current_level"]) == [1, 0, 0, 0, 0, 0, 1, 0]
    assert list(result["current_score"]) == pytest.approx(
        [1.0, 0.25, 0.25, 0.25, 0.25, 0.625, 1.0, 0.0]
    )
    # e at 2024-12-31: q completed 2024-10-01, r completed 2024-06-10 and expired 2024-07-10.
    assert list(result["forecast_level"]) == [1, 0, 1, 0, 1, 1, 2, 0]
    assert [str(t) for t in result.dtypes[-4:]] == ["int64", "float64", "int64", "str"]


def test_forecast_without_targets_or_events() -> None:
    result = forecast(CATALOG, EVENTS, TARGETS.iloc[:0], "2024-06-01")
    assert result.empty
    assert list(result.columns) == [*TARGETS.columns, *FORECAST_COLUMNS]
    result = forecast(CATALOG, frame([]), TARGETS.iloc[:2], "2024-06-01")
    assert list(result["status"]) == ["at_risk", "overdue"]
