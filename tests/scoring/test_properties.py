"""Properties of the rule, on random small catalogs and events (hypothesis)."""

from __future__ import annotations

import datetime as dt
import math
from random import Random

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spatz.catalog import Catalog
from spatz.scoring import score

from .helpers import (
    PROFILE,
    Event,
    as_frame,
    assert_trend_is_score_per_date,
    by_key,
    catalogs,
    dates,
    event_lists,
    reference_score,
)


@st.composite
def scenarios(draw: st.DrawFn, *, expiring: bool = True) -> tuple[Catalog, list[Event], dt.date]:
    """A catalog, events and a Stichtag."""
    catalog = draw(catalogs(expiring=expiring))
    events = draw(event_lists(catalog))
    expiring_completions = [
        (date, months)
        for _, measure_id, status, date in events
        if status == "completed" and (months := catalog.measure(measure_id).valid_for_months)
    ]
    if not expiring_completions or draw(st.booleans()):
        return catalog, events, draw(dates())
    # The Stichtag on which one of the completions expires.
    date, months = draw(st.sampled_from(expiring_completions))
    return catalog, events, (pd.Timestamp(date) + pd.DateOffset(months=months)).date()


@PROFILE
@given(scenarios())
def test_agrees_with_reference_implementation(
    scenario: tuple[Catalog, list[Event], dt.date],
) -> None:
    catalog, events, as_of = scenario
    result = by_key(score(catalog, as_frame(events), as_of))
    expected = reference_score(catalog, events, as_of)
    assert result.keys() == expected.keys()
    for key, (level, value, completed, total) in expected.items():
        assert result[key][0] == level, key
        assert result[key][1] == pytest.approx(value, abs=1e-12), key
        assert result[key][2:] == (completed, total), key


@PROFILE
@given(scenarios())
def test_floor_of_score_is_level(scenario: tuple[Catalog, list[Event], dt.date]) -> None:
    catalog, events, as_of = scenario
    result = score(catalog, as_frame(events), as_of)
    for dimension, level, value in zip(
        result["dimension_id"], result["level"], result["score"], strict=True
    ):
        if dimension == "overall":
            # The minimum of the levels is at most the weighted mean of the scores.
            assert level <= math.floor(value)
        else:
            assert math.floor(value) == level
        assert 0 <= value <= catalog.n_levels


@PROFILE
@given(scenarios(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter_with_distinct_dates(
    scenario: tuple[Catalog, list[Event], dt.date], random: Random
) -> None:
    catalog, events, as_of = scenario
    seen: set[tuple[str, str, dt.date]] = set()
    distinct = []
    for e in events:
        if (e[0], e[1], e[3]) not in seen:
            seen.add((e[0], e[1], e[3]))
            distinct.append(e)
    shuffled = list(distinct)
    random.shuffle(shuffled)
    pd.testing.assert_frame_equal(
        score(catalog, as_frame(distinct), as_of),
        score(catalog, as_frame(shuffled), as_of),
        check_exact=True,
    )


@PROFILE
@given(scenarios(expiring=False), st.data())
def test_a_completion_never_lowers_a_level(
    scenario: tuple[Catalog, list[Event], dt.date], data: st.DataObject
) -> None:
    catalog, events, as_of = scenario
    org = data.draw(st.sampled_from(["a", "b", "c"]))
    measure = data.draw(st.sampled_from([m.id for _, m in catalog.measures()]))
    position = data.draw(st.integers(0, len(events)))
    added = [
        *events[:position],
        (org, measure, "completed", data.draw(dates())),
        *events[position:],
    ]
    before = by_key(score(catalog, as_frame(events), as_of))
    after = by_key(score(catalog, as_frame(added), as_of))
    for key, (level, *_rest) in before.items():
        assert after[key][0] >= level, key


@PROFILE
@given(scenarios(), st.lists(dates(), max_size=6))
def test_trend_equals_score_per_date(
    scenario: tuple[Catalog, list[Event], dt.date], stichtage: list[dt.date]
) -> None:
    catalog, events, _ = scenario
    assert_trend_is_score_per_date(catalog, events, stichtage)


@PROFILE
@given(scenarios(), st.sampled_from([0.2, 0.5, 0.7, 0.9, 1.0]))
def test_a_lower_threshold_never_lowers_a_level(
    scenario: tuple[Catalog, list[Event], dt.date], other: float
) -> None:
    catalog, events, as_of = scenario
    low, high = sorted([catalog.threshold, other])
    frame = as_frame(events)
    at_low = score(catalog.model_copy(update={"threshold": low}), frame, as_of)
    at_high = score(catalog.model_copy(update={"threshold": high}), frame, as_of)
    assert (at_low["level"] >= at_high["level"]).all()
