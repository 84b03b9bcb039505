"""Table tests of the clauses the second catalog model adds: empty levels, level 0, groups,
partial credit, expiry of any answer, the additive rule, prerequisites."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from spatz.catalog import Catalog
from spatz.scoring import EventsError, explain, forecast, roadmap, score
from spatz.scoring._catalog import compile_catalog

from .helpers import G, M, by_key, frame, make_catalog

Result = dict[tuple[str, str], tuple[int, float, int, int]]
Rows = list[tuple[str, str, str, str]]

SCALES = {"samm": (("einige", 0.25), ("meiste", 1.0))}


def key(catalog: Catalog, events: Rows, as_of: str = "2024-06-01") -> Result:
    return by_key(score(catalog, frame(events), as_of))


# Level 2 has no measures in "middle", level 3 none in "top".
SPARSE = make_catalog({"middle": [M("a", 1), M("c", 3)], "top": [M("p", 1), M("q", 2)]}, n_levels=3)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([], {"middle": (0, 0.0), "top": (0, 0.0)}, id="nothing-done"),
        pytest.param(
            [("o", "a", "completed", "2024-01-01"), ("o", "p", "completed", "2024-01-01")],
            {"middle": (2, 2.0), "top": (1, 1.0)},
            id="an-empty-level-in-the-middle-is-fulfilled",
        ),
        pytest.param(
            [("o", "q", "completed", "2024-01-01"), ("o", "p", "completed", "2024-01-01")],
            {"middle": (0, 0.0), "top": (3, 3.0)},
            id="an-empty-level-at-the-top-is-fulfilled",
        ),
        pytest.param(
            [("o", c, "completed", "2024-01-01") for c in "acpq"],
            {"middle": (3, 3.0), "top": (3, 3.0)},
            id="all-done",
        ),
    ],
)
def test_empty_levels_count_as_fulfilled(
    events: Rows, expected: dict[str, tuple[int, float]]
) -> None:
    if not events:
        events = [("o", "a", "planned", "2024-01-01")]
    result = key(SPARSE, events)
    for dimension, (level, value) in expected.items():
        assert result[("o", dimension)][:2] == (level, value), dimension


def test_a_named_level_0_is_where_an_organisation_starts() -> None:
    catalog = make_catalog({"d": [M("a", 1), M("b", 2)]}, level_zero=True)
    assert catalog.levels[0].level == 0
    assert catalog.n_levels == 2
    result = key(catalog, [("o", "b", "completed", "2024-01-01")])
    assert result[("o", "d")] == (0, 0.0, 1, 2)
    result = key(catalog, [("o", "a", "completed", "2024-01-01")])
    assert result[("o", "d")] == (1, 1.0, 1, 2)


def test_a_group_of_groups() -> None:
    catalog = make_catalog(
        {
            "a": [M("a1", 1), M("a2", 2)],
            "b": [M("b1", 1), M("b2", 2)],
            "c": [M("c1", 1), M("c2", 2)],
            "d": [M("d1", 1), M("d2", 2)],
        },
        dimension_weights={"a": 1.0, "b": 3.0, "c": 1.0, "d": 2.0},
        groups=[G("top", weight=2.0), G("inner", parent="top", weight=1.0)],
        dimension_groups={"a": "inner", "b": "inner", "c": "top"},
    )
    events = [
        ("o", "a1", "completed", "2024-01-01"),
        ("o", "a2", "completed", "2024-01-01"),  # a: 2.0
        ("o", "b1", "completed", "2024-01-01"),  # b: 1.0
        ("o", "c1", "completed", "2024-01-01"),
        ("o", "c2", "completed", "2024-01-01"),  # c: 2.0
    ]  # d: 0.0
    result = score(catalog, frame(events), "2024-06-01")
    assert list(result["dimension_id"]) == ["a", "b", "c", "d", "top", "inner", "overall"]
    rows = by_key(result)
    inner = (1.0 * 2.0 + 3.0 * 1.0) / 4.0  # 1.25
    top = (1.0 * 2.0 + 1.0 * inner) / 2.0  # members: c, then inner
    assert rows[("o", "inner")] == (1, inner, 3, 4)
    assert rows[("o", "top")] == (1, top, 5, 6)
    assert rows[("o", "overall")] == (0, (2.0 * 0.0 + 2.0 * top) / 4.0, 5, 8)


def test_without_groups_the_rows_are_the_dimensions_and_overall() -> None:
    result = score(SPARSE, frame([("o", "a", "completed", "2024-01-01")]), "2024-06-01")
    assert list(result["dimension_id"]) == ["middle", "top", "overall"]


PARTIAL = make_catalog(
    {
        "d": [
            M("x", 1, weight=2.0),
            M("y", 1),
            M("z", 1, answers="samm"),
            M("must", 2, mandatory=True),
            M("other", 2, weight=3.0),
        ]
    },
    answers=[("teilweise", 0.5)],
    answer_scales=SCALES,
)
PARTIAL_EVENTS = [
    ("o", "x", "teilweise", "2024-01-01"),
    ("o", "y", "completed", "2024-01-01"),
    ("o", "z", "einige", "2024-01-01"),
]


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        # f(d, 1) = (2 · 0.5 + 1 · 1 + 1 · 0.25) / 4 = 0.5625; only y is done.
        pytest.param(0.75, (0, 0.5625, 1, 5), id="below-threshold"),
        pytest.param(0.5, (1, 1.0, 1, 5), id="reaches-threshold"),
    ],
)
def test_partial_credit_with_weights_and_threshold(
    threshold: float, expected: tuple[int, float, int, int]
) -> None:
    catalog = PARTIAL.model_copy(update={"threshold": threshold})
    assert key(catalog, PARTIAL_EVENTS)[("o", "d")] == expected


def test_a_partial_answer_on_a_mandatory_measure_does_not_fulfil_the_level() -> None:
    catalog = PARTIAL.model_copy(update={"threshold": 0.5})
    events = [
        *PARTIAL_EVENTS,
        ("o", "must", "teilweise", "2024-01-01"),
        ("o", "other", "completed", "2024-01-01"),
    ]
    # f(d, 2) = (0.5 + 3) / 4 = 0.875 >= θ, but the mandatory measure is not done.
    assert key(catalog, events)[("o", "d")] == (1, 1.875, 2, 5)
    events.append(("o", "must", "completed", "2024-02-01"))
    assert key(catalog, events)[("o", "d")] == (2, 2.0, 3, 5)


def test_an_expired_partial_answer_has_no_credit() -> None:
    catalog = make_catalog(
        {"d": [M("x", 1, valid_for_months=1), M("y", 1), M("z", 2)]},
        answers=[("teilweise", 0.5)],
    )
    events = [("o", "x", "teilweise", "2023-01-31"), ("o", "y", "completed", "2023-01-01")]
    assert key(catalog, events, "2023-02-27")[("o", "d")] == (0, 0.75, 1, 3)
    assert key(catalog, events, "2023-02-28")[("o", "d")] == (0, 0.5, 1, 3)
    states = explain(catalog, frame(events), "2023-02-28").set_index("measure_id")
    assert states.loc["x", "status"] == "teilweise"
    assert states.loc["x", "credit"] == 0.0
    assert states.loc["x", "expires"] == pd.Timestamp("2023-02-28")
    assert states.loc["y", "credit"] == 1.0
    assert states["expires"].isna().tolist() == [False, True, True]  # y, z do not expire
    assert states.loc["z", "credit"] == 0.0


def test_additive_rule_with_a_sparse_dimension() -> None:
    catalog = make_catalog(
        {
            "sparse": [M("a", 1), M("b", 1), M("c", 3)],
            "dense": [M("p", 1), M("q", 2), M("r", 3)],
        },
        n_levels=3,
        rule="additive",
        answers=[("teilweise", 0.5)],
    )
    events = [
        ("o", "a", "completed", "2024-01-01"),
        ("o", "b", "teilweise", "2024-01-01"),
        ("o", "p", "completed", "2024-01-01"),
        ("o", "q", "completed", "2024-01-01"),
        ("o", "r", "teilweise", "2024-01-01"),
    ]
    result = key(catalog, events)
    # sparse: levels 1 and 3 have measures: 3 · (0.75 + 0) / 2; dense: 1 + 1 + 0.5.
    assert result[("o", "sparse")] == (1, 3 * (0.75 / 2), 1, 3)
    assert result[("o", "dense")] == (2, 2.5, 2, 3)
    assert result[("o", "overall")] == (1, (1.125 + 2.5) / 2, 3, 6)


def test_an_excluded_measure_leaves_the_additive_share_of_its_level() -> None:
    catalog = make_catalog({"d": [M("a", 1), M("b", 2)]}, rule="additive")
    events = [("o", "a", "not_applicable", "2024-01-01")]
    assert key(catalog, events)[("o", "d")] == (1, 1.0, 0, 1)


PREREQUISITES = make_catalog(
    {"d": [M("basis", 1), M("big", 1, weight=3.0, depends_on=("basis",)), M("next", 2)]},
)


def test_a_prerequisite_comes_first_in_the_roadmap_with_its_reason() -> None:
    events = frame([("o", "next", "planned", "2024-01-01")])
    result = roadmap(PREREQUISITES, events, "o", "d", "2024-06-01")
    assert list(result["measure_id"]) == ["basis", "big"]  # by weight: big first
    assert list(result["reason"]) == ["Voraussetzung für big", ""]
    assert tuple(result.columns)[-1] == "reason"


def test_a_done_measure_with_an_open_prerequisite_is_noted_in_explain() -> None:
    events = frame([("o", "big", "completed", "2024-01-01")])
    states = explain(PREREQUISITES, events, "2024-06-01").set_index("measure_id")
    assert list(states["open_prerequisites"]) == ["", "basis", ""]
    events = frame(
        [("o", "big", "completed", "2024-01-01"), ("o", "basis", "completed", "2024-01-02")]
    )
    states = explain(PREREQUISITES, events, "2024-06-01")
    assert list(states["open_prerequisites"]) == ["", "", ""]


def test_partial_credit_in_the_roadmap() -> None:
    events = frame(PARTIAL_EVENTS)
    result = roadmap(PARTIAL, events, "o", "d", "2024-06-01")
    assert list(result["measure_id"]) == ["x", "z"]
    assert list(result["status"]) == ["teilweise", "einige"]
    # What completing adds to f(d, 1): the missing share of the weight, of 4.
    assert list(result["f_gain"]) == [2 * 0.5 / 4, 0.75 / 4]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        pytest.param(
            [("o", "y", "completed", "2024-01-01"), ("o", "y", "einige", "2024-01-01")],
            "Ereignisse, Zeile 1, Spalte status: unbekannter Wert 'einige' (erlaubt: planned, "
            "in_progress, completed, not_applicable, teilweise)",
            id="key-of-another-scale",
        ),
        pytest.param(
            [("o", "z", "teilweise", "2024-01-01")],
            "Ereignisse, Zeile 0, Spalte status: unbekannter Wert 'teilweise' (erlaubt: planned, "
            "in_progress, completed, not_applicable, einige, meiste)",
            id="catalog-scale-on-a-measure-with-its-own",
        ),
        pytest.param(
            [("o", "z", "einige", "2024-01-01"), ("o", "x", "gar", "2024-01-01")],
            "Ereignisse, Zeile 1, Spalte status: unbekannter Wert 'gar' (erlaubt: planned, "
            "in_progress, completed, not_applicable, teilweise)",
            id="unknown-key",
        ),
    ],
)
def test_a_status_outside_the_measures_answers_is_refused(rows: Rows, message: str) -> None:
    with pytest.raises(EventsError) as error:
        score(PARTIAL, frame(rows), "2024-06-01")
    assert str(error.value) == message


def test_explain_gives_the_credit_of_every_state() -> None:
    states = explain(PARTIAL, frame(PARTIAL_EVENTS), "2024-06-01")
    credit = dict(zip(states["measure_id"], states["credit"], strict=True))
    assert credit == {"x": 0.5, "y": 1.0, "z": 0.25, "must": 0.0, "other": 0.0}
    excluded = explain(PARTIAL, frame([("o", "x", "not_applicable", "2024-01-01")]), "2024-06-01")
    assert math.isnan(excluded["credit"].iloc[0])


def test_a_target_may_name_a_group() -> None:
    catalog = make_catalog(
        {"a": [M("a1", 1), M("a2", 2)], "b": [M("b1", 1), M("b2", 2)]},
        groups=[G("g")],
        dimension_groups={"a": "g", "b": "g"},
    )
    events = frame(
        [("o", "a1", "completed", "2024-01-01"), ("o", "b1", "planned", "2024-01-01")]
    ).assign(due_date=pd.to_datetime(pd.Series([None, "2024-09-01"], dtype=object)))
    targets = pd.DataFrame(
        {
            "org": ["o", "o"],
            "dimension_id": ["g", "g"],
            "target_level": [1, 2],
            "target_date": ["2024-12-31", "2024-12-31"],
        }
    )
    result = forecast(catalog, events, targets, "2024-06-01")
    assert list(result["current_level"]) == [0, 0]
    assert list(result["forecast_level"]) == [1, 1]
    assert list(result["status"]) == ["on_track", "at_risk"]


def test_a_catalog_is_compiled_once_per_content() -> None:
    assert compile_catalog(PARTIAL) is compile_catalog(PARTIAL.model_copy(deep=True))
    assert compile_catalog(PARTIAL) is not compile_catalog(SPARSE)
