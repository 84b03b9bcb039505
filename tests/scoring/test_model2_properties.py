"""Properties of the generalised rule (sparse levels, level 0, groups, answer scales, both
rules) on random catalogs that use every addition (hypothesis)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spatz.catalog import Catalog
from spatz.scoring import explain, score

from .helpers import (
    MODEL2_PROFILE,
    Event,
    as_frame,
    assert_trend_is_score_per_date,
    by_key,
    dates,
    model2_catalogs,
    model2_events,
    reference_credit,
    reference_explain,
    reference_score,
    reference_states,
)

Scenario = tuple[Catalog, list[Event], dt.date]


@st.composite
def scenarios(draw: st.DrawFn, *, rule: str | None = None, expiring: bool = True) -> Scenario:
    catalog = draw(model2_catalogs(rule=rule, expiring=expiring))
    return catalog, draw(model2_events(catalog)), draw(dates())


def assert_equal_results(
    result: dict[tuple[str, str], tuple[int, float, int, int]],
    expected: dict[tuple[str, str], tuple[int, float, int, int]],
) -> None:
    assert list(result) == list(expected)
    for key, (level, value, completed, total) in expected.items():
        assert result[key][0] == level, key
        assert result[key][1] == pytest.approx(value, abs=1e-12), key
        assert result[key][2:] == (completed, total), key


@MODEL2_PROFILE
@given(scenarios())
def test_agrees_with_reference_implementation(scenario: Scenario) -> None:
    catalog, events, as_of = scenario
    assert_equal_results(
        by_key(score(catalog, as_frame(events), as_of)), reference_score(catalog, events, as_of)
    )


@MODEL2_PROFILE
@given(scenarios())
def test_explain_agrees_with_reference_implementation(scenario: Scenario) -> None:
    catalog, events, as_of = scenario
    result = explain(catalog, as_frame(events), as_of)
    expected = reference_explain(catalog, events, as_of)
    columns = ("org", "measure_id", "done", "excluded", "credit", "open_prerequisites")
    rows = zip(*(result[c].tolist() for c in columns), strict=True)
    actual = {(str(o), str(m)): (bool(d), bool(x), float(c), str(p)) for o, m, d, x, c, p in rows}
    assert list(actual) == list(expected)
    for key, (done, excluded, credit, missing) in expected.items():
        assert actual[key][:2] == (done, excluded), key
        assert actual[key][2] == credit or (math.isnan(credit) and math.isnan(actual[key][2]))
        assert actual[key][3] == missing, key


@st.composite
def more_credit(draw: st.DrawFn, *, rule: str) -> tuple[Catalog, list[Event], list[Event], dt.date]:
    """A scenario without expiry, and the same events with one (org, measure) given an
    answer of at least the credit of its state (an event on the Stichtag, last)."""
    catalog, events, as_of = draw(scenarios(rule=rule, expiring=False))
    org = draw(st.sampled_from(["a", "b", "c"]))
    measure = draw(st.sampled_from([m for _, m in catalog.measures()]))
    state = reference_states(events, as_of).get((org, measure.id))
    current = reference_credit(catalog, measure, state, as_of)
    if current is None:  # excluding or not is no credit
        current = 0.0
        events = [e for e in events if (e[0], e[1]) != (org, measure.id)]
    higher = [k for k, c in catalog.credits(measure).items() if c is not None and c >= current]
    added = [*events, (org, measure.id, draw(st.sampled_from(sorted(higher))), as_of)]
    return catalog, events, added, as_of


@MODEL2_PROFILE
@given(more_credit(rule="gated"))
def test_more_credit_never_lowers_a_gated_level(
    scenario: tuple[Catalog, list[Event], list[Event], dt.date],
) -> None:
    catalog, events, added, as_of = scenario
    before = by_key(score(catalog, as_frame(events), as_of)) if events else {}
    after = by_key(score(catalog, as_frame(added), as_of))
    for key, (level, *_rest) in before.items():
        assert after[key][0] >= level, key


@MODEL2_PROFILE
@given(more_credit(rule="additive"))
def test_additive_score_is_monotone_in_every_credit(
    scenario: tuple[Catalog, list[Event], list[Event], dt.date],
) -> None:
    catalog, events, added, as_of = scenario
    before = by_key(score(catalog, as_frame(events), as_of)) if events else {}
    after = by_key(score(catalog, as_frame(added), as_of))
    for key, (level, value, *_rest) in before.items():
        assert after[key][1] >= value, key
        assert after[key][0] >= level, key


@MODEL2_PROFILE
@given(scenarios(), st.lists(dates(), max_size=6))
def test_trend_equals_score_per_date(scenario: Scenario, stichtage: list[dt.date]) -> None:
    catalog, events, _ = scenario
    assert_trend_is_score_per_date(catalog, events, stichtage)
