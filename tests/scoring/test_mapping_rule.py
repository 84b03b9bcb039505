"""Clause 12: a measure done in another catalog counts for the measures a mapping set pairs
with it (relation equal or superset); subset and intersect are hints only."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spatz.catalog import Catalog
from spatz.errors import ArgumentError
from spatz.scoring import Cover, explain, forecast, roadmap, score, trend

from .helpers import (
    MODEL2_PROFILE,
    Event,
    M,
    as_frame,
    by_key,
    catalogs,
    dates,
    event_lists,
    frame,
    make_catalog,
)

Rows = list[tuple[str, str, str, str]]

SOURCE = make_catalog(
    {"s": [M("x1", 1), M("x2", 1, valid_for_months=12), M("x3", 2)]},
    answers=[("teilweise", 0.5)],
)
TARGET = make_catalog({"t": [M("y1", 1), M("y2", 1), M("y3", 2)]})
"""Both catalogs are built by the same helper; the source gets its own id and name."""
SOURCE = SOURCE.model_copy(update={"id": "quelle", "name": "Quelle"})


def scored(
    own: Rows,
    source: Rows,
    pairs: list[tuple[str, str]],
    hints: list[tuple[str, str]] | None = None,
    as_of: str = "2024-06-30",
) -> dict[tuple[str, str], tuple[int, float, int, int]]:
    cover = Cover(SOURCE, frame(source), pairs, hints or [])
    return by_key(score(TARGET, frame(own), as_of, [cover]))


@pytest.mark.parametrize(
    ("own", "source", "pairs", "hints", "level"),
    [
        pytest.param(
            [("o", "y1", "completed", "2024-01-01")],
            [("o", "x1", "completed", "2024-02-01")],
            [("x1", "y2")],
            [],
            1,
            id="equal-or-superset-counts",
        ),
        pytest.param(
            [("o", "y1", "completed", "2024-01-01")],
            [("o", "x1", "completed", "2024-02-01")],
            [],
            [("x1", "y2")],
            0,
            id="subset-or-intersect-changes-nothing",
        ),
        pytest.param(
            [("o", "y1", "completed", "2024-01-01")],
            [("o", "x2", "completed", "2023-01-01")],
            [("x2", "y2")],
            [],
            0,
            id="an-expired-source-does-not-count",
        ),
        pytest.param(
            [("o", "y1", "completed", "2024-01-01")],
            [("o", "x2", "completed", "2023-07-01")],
            [("x2", "y2")],
            [],
            1,
            id="a-source-within-its-validity-counts",
        ),
        pytest.param(
            [("o", "y1", "completed", "2024-01-01")],
            [("o", "x1", "teilweise", "2024-02-01")],
            [("x1", "y2")],
            [],
            0,
            id="a-partial-source-answer-does-not-count",
        ),
        pytest.param(
            [("o", "y1", "completed", "2024-01-01")],
            [("o", "x1", "completed", "2024-02-01"), ("o", "x1", "planned", "2024-03-01")],
            [("x1", "y2")],
            [],
            0,
            id="the-source-state-at-the-stichtag-counts",
        ),
        pytest.param(
            [("o", "y1", "completed", "2024-01-01")],
            [("o", "x1", "completed", "2024-07-01")],
            [("x1", "y2")],
            [],
            0,
            id="a-source-done-after-the-stichtag-does-not-count",
        ),
        pytest.param(
            [("o", "y1", "completed", "2024-01-01")],
            [("o", "x3", "completed", "2024-02-01")],
            [("x1", "y2"), ("x3", "y2")],
            [],
            1,
            id="one-of-two-sources-suffices",
        ),
        pytest.param(
            [("o", "y1", "completed", "2024-01-01")],
            [("p", "x1", "completed", "2024-02-01")],
            [("x1", "y2")],
            [],
            0,
            id="another-organisation-does-not-count",
        ),
    ],
)
def test_a_done_source_measure_makes_the_paired_measure_done(
    own: Rows, source: Rows, pairs: list[tuple[str, str]], hints: list[tuple[str, str]], level: int
) -> None:
    assert scored(own, source, pairs, hints)[("o", "t")][0] == level


def test_an_excluded_target_stays_excluded() -> None:
    own = [("o", "y1", "completed", "2024-01-01"), ("o", "y2", "not_applicable", "2024-01-01")]
    result = scored(own, [("o", "x1", "completed", "2024-02-01")], [("x1", "y2")])
    # y2 is neither done nor counted; y1 alone fulfils level 1.
    assert result[("o", "t")] == (1, 1.0, 1, 2)


def test_a_covered_measure_counts_as_completed() -> None:
    own = [("o", "y2", "in_progress", "2024-01-01")]
    source = [("o", "x1", "completed", "2024-02-01"), ("o", "x3", "completed", "2024-02-01")]
    result = scored(own, source, [("x1", "y1"), ("x1", "y2"), ("x3", "y3")])
    assert result[("o", "t")] == (2, 2.0, 3, 3)


def test_an_organisation_with_only_source_events_gets_its_rows() -> None:
    result = scored([], [("n", "x1", "completed", "2024-02-01")], [("x1", "y1"), ("x1", "y2")])
    assert result[("n", "t")] == (1, 1.0, 2, 3)
    assert result[("n", "overall")][0] == 1


def test_mappings_are_not_transitive() -> None:
    """A → B and B → C: what A gives B does not count for C."""
    middle = TARGET.model_copy(update={"id": "mitte", "name": "Mitte"})
    last = make_catalog({"z": [M("z1", 1)]})
    first = Cover(SOURCE, frame([("o", "x1", "completed", "2024-02-01")]), [("x1", "y1")])
    via_middle = Cover(middle, frame([]), [("y1", "z1")])
    assert by_key(score(middle, frame([]), "2024-06-30", [first]))[("o", "t")][2] == 1
    assert by_key(score(last, frame([]), "2024-06-30", [via_middle])) == {}


def test_two_source_catalogs_count_both() -> None:
    other = SOURCE.model_copy(update={"id": "andere", "name": "Andere"})
    covers = [
        Cover(SOURCE, frame([("o", "x1", "completed", "2024-02-01")]), [("x1", "y1")]),
        Cover(other, frame([("o", "x1", "completed", "2024-02-01")]), [("x1", "y2")]),
    ]
    assert by_key(score(TARGET, frame([]), "2024-06-30", covers))[("o", "t")][0] == 1


def test_explain_names_where_a_state_comes_from() -> None:
    own = [("o", "y1", "completed", "2024-01-01")]
    source = [("o", "x1", "completed", "2024-02-01"), ("o", "x3", "completed", "2024-02-01")]
    cover = Cover(SOURCE, frame(source), [("x1", "y1"), ("x1", "y2"), ("x3", "y2")], [("x3", "y3")])
    rows = explain(TARGET, frame(own), "2024-06-30", [cover])
    columns = ["measure_id", "status", "done", "credit", "covered_by", "partly_covered_by"]
    assert rows[columns].values.tolist() == [
        ["y1", "completed", True, 1.0, "", ""],
        ["y2", "open", True, 1.0, "x1 (Quelle), x3 (Quelle)", ""],
        ["y3", "open", False, 0.0, "", "x3 (Quelle)"],
    ]


def test_roadmap_leaves_out_what_a_mapping_covers() -> None:
    source = [("o", "x1", "completed", "2024-02-01"), ("o", "x3", "completed", "2024-08-01")]
    cover = Cover(SOURCE, frame(source), [("x1", "y1"), ("x3", "y2")])
    plan = roadmap(TARGET, frame([]), "o", "t", "2024-06-30", covers=[cover])
    assert plan["measure_id"].tolist() == ["y2"]


def test_forecast_counts_what_a_mapping_covers() -> None:
    cover = Cover(
        SOURCE, frame([("o", "x1", "completed", "2024-02-01")]), [("x1", "y1"), ("x1", "y2")]
    )
    targets = pd.DataFrame(
        {"org": ["o"], "dimension_id": ["t"], "target_level": [1], "target_date": ["2025-01-01"]}
    )
    result = forecast(TARGET, frame([]), targets, "2024-06-30", covers=[cover])
    assert result[["current_level", "status"]].values.tolist() == [[1, "achieved"]]


def test_a_pair_naming_an_unknown_measure_is_refused() -> None:
    cover = Cover(SOURCE, frame([("o", "x1", "completed", "2024-02-01")]), [("x1", "nope")])
    with pytest.raises(ArgumentError, match="Zielmaßnahme\\(n\\) nope nicht im Katalog test"):
        score(TARGET, frame([]), "2024-06-30", [cover])


@st.composite
def mapped(
    draw: st.DrawFn,
) -> tuple[Catalog, Catalog, list[Event], list[Event], list[tuple[str, str]]]:
    """A target and a source catalog (random), events of both and random pairs."""
    target = draw(catalogs())
    source = draw(catalogs()).model_copy(update={"id": "quelle", "name": "Quelle"})
    target_ids = [m.id for _, m in target.measures()]
    source_ids = [m.id for _, m in source.measures()]
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(source_ids), st.sampled_from(target_ids)), max_size=8)
    )
    return target, source, draw(event_lists(target)), draw(event_lists(source)), pairs


def reference(
    target: Catalog,
    source: Catalog,
    own: list[Event],
    source_events: list[Event],
    pairs: list[tuple[str, str]],
    day: dt.date,
) -> pd.DataFrame:
    """Clause 12 by hand: a ``completed`` event at the Stichtag, after all others, for every
    paired measure whose source is done there (by ``explain`` of the source) and whose own
    state does not exclude it; a ``planned`` event long before for each organisation with
    source events of a paired measure, so that it has rows (planned and open are alike)."""
    paired = {x for x, _ in pairs}
    states = explain(source, as_frame(source_events), day)
    own_states = explain(target, as_frame(own), day) if own else None
    excluded = (
        set()
        if own_states is None
        else set(
            zip(
                own_states["org"][own_states["excluded"]],
                own_states["measure_id"][own_states["excluded"]],
                strict=True,
            )
        )
    )
    done = states[states["done"]]
    added = [
        (org, y, "completed", day)
        for org, x in zip(done["org"], done["measure_id"], strict=True)
        for source_id, y in pairs
        if source_id == x and (org, y) not in excluded
    ]
    first_measure = next(m.id for _, m in target.measures())
    orgs = sorted({org for org, x, _, _ in source_events if x in paired})
    before = [(org, first_measure, "planned", dt.date(2000, 1, 1)) for org in orgs]
    return score(target, as_frame([*before, *own, *added]), day)


@MODEL2_PROFILE
@given(mapped(), dates())
def test_mapping_equals_completed_events_at_the_stichtag(
    case: tuple[Catalog, Catalog, list[Event], list[Event], list[tuple[str, str]]], day: dt.date
) -> None:
    target, source, own, source_events, pairs = case
    result = score(target, as_frame(own), day, [Cover(source, as_frame(source_events), pairs)])
    expected = reference(target, source, own, source_events, pairs, day)
    pd.testing.assert_frame_equal(result, expected, check_exact=True)


@MODEL2_PROFILE
@given(mapped(), dates(), st.data())
def test_an_equal_pair_never_lowers_a_level(
    case: tuple[Catalog, Catalog, list[Event], list[Event], list[tuple[str, str]]],
    day: dt.date,
    data: st.DataObject,
) -> None:
    target, source, own, source_events, pairs = case
    extra = data.draw(
        st.tuples(
            st.sampled_from([m.id for _, m in source.measures()]),
            st.sampled_from([m.id for _, m in target.measures()]),
        )
    )
    events = as_frame(source_events)
    before = by_key(score(target, as_frame(own), day, [Cover(source, events, pairs)]))
    after = by_key(score(target, as_frame(own), day, [Cover(source, events, [*pairs, extra])]))
    assert set(before) <= set(after)
    for key, (level, *_) in before.items():
        assert after[key][0] >= level


@MODEL2_PROFILE
@given(mapped(), dates())
def test_without_pairs_the_results_are_those_without_mappings(
    case: tuple[Catalog, Catalog, list[Event], list[Event], list[tuple[str, str]]], day: dt.date
) -> None:
    target, source, own, source_events, _ = case
    cover = Cover(source, as_frame(source_events), [])
    pd.testing.assert_frame_equal(
        score(target, as_frame(own), day, [cover]),
        score(target, as_frame(own), day),
        check_exact=True,
    )


@MODEL2_PROFILE
@given(mapped(), st.lists(dates(), min_size=1, max_size=5))
def test_trend_with_mappings_equals_score_per_date(
    case: tuple[Catalog, Catalog, list[Event], list[Event], list[tuple[str, str]]],
    stichtage: list[dt.date],
) -> None:
    target, source, own, source_events, pairs = case
    covers = [Cover(source, as_frame(source_events), pairs)]
    result = trend(target, as_frame(own), stichtage, covers)
    parts = [
        score(target, as_frame(own), d, covers).assign(as_of=pd.Timestamp(d)) for d in stichtage
    ]
    expected = pd.concat(parts, ignore_index=True)
    if expected.empty:
        assert result.empty
        return
    expected["as_of"] = expected["as_of"].astype("datetime64[us]")
    pd.testing.assert_frame_equal(result, expected, check_exact=True)
