"""Catalog and event builders, a plain-Python reference implementation of the rule, and
hypothesis strategies for the scoring tests."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from spatz.catalog import Catalog, Measure

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""Hypothesis settings of these tests (also registered as profile ``scoring``)."""
MODEL2_PROFILE = settings(PROFILE, max_examples=80)
"""Fewer examples for the larger catalogs of :func:`model2_catalogs`."""

Event = tuple[str, str, str, dt.date]
"""(org, measure_id, status, date)."""


@dataclass(frozen=True)
class M:
    """A measure in a test catalog."""

    id: str
    level: int
    weight: float = 1.0
    mandatory: bool = False
    valid_for_months: int | None = None
    answers: str | None = None
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class G:
    """A group in a test catalog."""

    id: str
    weight: float = 1.0
    parent: str | None = None


def make_catalog(
    dimensions: Mapping[str, Sequence[M]],
    *,
    n_levels: int = 2,
    threshold: float = 1.0,
    dimension_weights: dict[str, float] | None = None,
    level_zero: bool = False,
    rule: str = "gated",
    groups: Sequence[G] = (),
    dimension_groups: Mapping[str, str] | None = None,
    answers: Sequence[tuple[str, float]] = (),
    answer_scales: Mapping[str, Sequence[tuple[str, float]]] | None = None,
) -> Catalog:
    """A catalog with the given dimensions (in order) and measures; ``answers`` and
    ``answer_scales`` as (key, credit) pairs."""
    weights = dimension_weights or {}
    in_group = dimension_groups or {}
    data: dict[str, Any] = {
        "id": "test",
        "version": "1",
        "name": "Test",
        "threshold": threshold,
        "levels": [
            {"level": i, "name": f"L{i}"} for i in range(0 if level_zero else 1, n_levels + 1)
        ],
        "dimensions": [
            {
                "id": dim_id,
                "name": dim_id.upper(),
                "weight": weights.get(dim_id, 1.0),
                **({"group": in_group[dim_id]} if dim_id in in_group else {}),
                "measures": [
                    {
                        "id": m.id,
                        "level": m.level,
                        "title": f"Title {m.id}",
                        "weight": m.weight,
                        "mandatory": m.mandatory,
                        "valid_for_months": m.valid_for_months,
                        **({"answers": m.answers} if m.answers else {}),
                        **({"depends_on": list(m.depends_on)} if m.depends_on else {}),
                    }
                    for m in measures
                ],
            }
            for dim_id, measures in dimensions.items()
        ],
    }
    if rule != "gated":
        data["rule"] = rule
    if groups:
        data["groups"] = [
            {"id": g.id, "name": g.id.upper(), "weight": g.weight, "parent": g.parent}
            for g in groups
        ]
    if answers:
        data["answers"] = [_answer(key, credit) for key, credit in answers]
    if answer_scales:
        data["answer_scales"] = {
            scale: [_answer(key, credit) for key, credit in scale_answers]
            for scale, scale_answers in answer_scales.items()
        }
    return Catalog.model_validate(data)


def _answer(key: str, credit: float) -> dict[str, Any]:
    return {"key": key, "label": key.capitalize(), "credit": credit}


def frame(events: Iterable[Event | tuple[str, str, str, str]]) -> pd.DataFrame:
    """An events frame from (org, measure_id, status, date) tuples."""
    return pd.DataFrame(list(events), columns=["org", "measure_id", "status", "date"])


def by_key(result: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float, int, int]]:
    """Result rows as {(org, dimension_id): (level, score, completed, total)}."""
    columns: list[list[Any]] = [
        result[c].tolist()
        for c in ("org", "dimension_id", "level", "score", "measures_completed", "measures_total")
    ]
    return {
        (str(org), str(dim)): (int(level), float(value), int(completed), int(total))
        for org, dim, level, value, completed, total in zip(*columns, strict=True)
    }


def reference_states(
    events: Sequence[Event], as_of: dt.date
) -> dict[tuple[str, str], tuple[str, dt.date]]:
    """Clause 1: the state event (status, date) of each (org, measure) with one."""
    state: dict[tuple[str, str], tuple[str, dt.date]] = {}
    for org, measure_id, status, date in events:
        if date <= as_of:
            current = state.get((org, measure_id))
            if current is None or date >= current[1]:
                state[(org, measure_id)] = (status, date)
    return state


def reference_credit(
    catalog: Catalog, measure: Measure, state: tuple[str, dt.date] | None, as_of: dt.date
) -> float | None:
    """Clauses 2–3: the credit of a measure's state (``None``: excluded); open is 0, an
    expired answer 0."""
    if state is None:
        return 0.0
    status, date = state
    credit = catalog.credits(measure)[status]
    if (
        credit is not None
        and credit > 0
        and measure.valid_for_months is not None
        and not pd.Timestamp(as_of)
        < pd.Timestamp(date) + pd.DateOffset(months=measure.valid_for_months)
    ):
        return 0.0
    return credit


def reference_score(
    catalog: Catalog, events: Sequence[Event], as_of: dt.date
) -> dict[tuple[str, str], tuple[int, float, int, int]]:
    """The rule, written as plainly as possible (dicts and loops)."""
    state = reference_states(events, as_of)
    n = catalog.n_levels
    result: dict[tuple[str, str], tuple[int, float, int, int]] = {}
    for org in sorted({e[0] for e in events}):
        rows: dict[str, tuple[int, float, int, int]] = {}
        for dim in catalog.dimensions:
            f: dict[int, float] = {}
            fulfilled: dict[int, bool] = {}
            completed = total = 0
            for level in range(1, n + 1):
                credit_weight = open_weight = 0.0
                mandatory_ok = True
                for m in dim.measures:
                    if m.level != level:
                        continue
                    credit = reference_credit(catalog, m, state.get((org, m.id)), as_of)
                    if credit is None:
                        continue
                    total += 1
                    open_weight += m.weight
                    credit_weight += m.weight * credit
                    if credit == 1:
                        completed += 1
                    elif m.mandatory:
                        mandatory_ok = False
                f[level] = credit_weight / open_weight if open_weight else 1.0
                fulfilled[level] = f[level] >= catalog.threshold - 1e-12 and mandatory_ok
            if catalog.rule == "additive":
                shares = [
                    f[lv] for lv in range(1, n + 1) if any(m.level == lv for m in dim.measures)
                ]
                value = n * (sum(shares) / len(shares))
                reached = math.floor(value + 1e-12)
            else:
                reached = 0
                while reached < n and fulfilled[reached + 1]:
                    reached += 1
                value = float(n) if reached == n else reached + min(f[reached + 1], 0.99)
            rows[dim.id] = (reached, value, completed, total)

        reference_groups(catalog, rows)
        for row_id in [*(d.id for d in catalog.dimensions), *(g.id for g in catalog.groups)]:
            result[(org, row_id)] = rows[row_id]
        result[(org, "overall")] = rows["overall"]
    return result


def reference_groups(catalog: Catalog, rows: dict[str, tuple[int, float, int, int]]) -> None:
    """Clauses 10–11: add the rows of the groups and ``overall`` to the dimensions' rows."""

    def combine(members: list[tuple[str, float]]) -> tuple[int, float, int, int]:
        weighted = 0.0
        for member, weight in members:
            weighted += weight * rows[member][1]
        return (
            min(rows[member][0] for member, _ in members),
            weighted / sum(weight for _, weight in members),
            sum(rows[member][2] for member, _ in members),
            sum(rows[member][3] for member, _ in members),
        )

    def members_of(parent: str | None) -> list[tuple[str, float]]:
        dims = [(d.id, d.weight) for d in catalog.dimensions if d.group == parent]
        return dims + [(g.id, g.weight) for g in catalog.groups if g.parent == parent]

    def group_row(group_id: str) -> None:
        for child in catalog.groups:
            if child.parent == group_id:
                group_row(child.id)
        rows[group_id] = combine(members_of(group_id))

    for group in catalog.groups:
        if group.parent is None:
            group_row(group.id)
    rows["overall"] = combine(members_of(None))


def reference_explain(
    catalog: Catalog, events: Sequence[Event], as_of: dt.date
) -> dict[tuple[str, str], tuple[bool, bool, float, str]]:
    """Per (org, measure): done, excluded, credit (NaN when excluded) and the open
    prerequisites of a done measure, as :func:`spatz.scoring.explain` gives them."""
    state = reference_states(events, as_of)
    result: dict[tuple[str, str], tuple[bool, bool, float, str]] = {}
    for org in sorted({e[0] for e in events}):
        credits = {
            m.id: reference_credit(catalog, m, state.get((org, m.id)), as_of)
            for _, m in catalog.measures()
        }
        for _, m in catalog.measures():
            credit = credits[m.id]
            done = credit == 1
            missing = [p for p in m.depends_on if credits[p] != 1] if done else []
            result[(org, m.id)] = (
                done,
                credit is None,
                math.nan if credit is None else credit,
                ", ".join(missing),
            )
    return result


START = dt.date(2022, 12, 20)
"""First date of generated events (so that month ends, 31 January, February are hit)."""
SPAN_DAYS = 160


@st.composite
def catalogs(draw: st.DrawFn, *, expiring: bool = True) -> Catalog:
    """Small random catalogs: 1–3 dimensions, 2–3 levels, 1–3 measures per level."""
    n_levels = draw(st.integers(2, 3))
    dims: dict[str, list[M]] = {}
    weights: dict[str, float] = {}
    counter = 0
    for d in range(draw(st.integers(1, 3))):
        measures = []
        for level in range(1, n_levels + 1):
            for _ in range(draw(st.integers(1, 3))):
                counter += 1
                measures.append(
                    M(
                        id=f"m{counter}",
                        level=level,
                        weight=draw(st.sampled_from([0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0])),
                        mandatory=draw(st.booleans()),
                        valid_for_months=draw(st.sampled_from([None, None, 1, 2, 3]))
                        if expiring
                        else None,
                    )
                )
        dims[f"d{d}"] = measures
        weights[f"d{d}"] = draw(st.sampled_from([0.5, 1.0, 2.0, 3.0]))
    threshold = draw(st.sampled_from([0.3, 0.5, 0.6, 0.75, 0.9, 1.0]))
    return make_catalog(dims, n_levels=n_levels, threshold=threshold, dimension_weights=weights)


MONTH_EDGES = [
    dt.date(2023, month, day)
    for month in range(1, 6)
    for day in (1, 15, 28, 29, 30, 31)
    if not (month == 2 and day > 28) and not (month == 4 and day == 31)
]
"""Dates on which completions made a few months earlier expire exactly (also clipped)."""


def dates() -> st.SearchStrategy[dt.date]:
    """Dates in a short range, often month ends, so that expiries hit Stichtage exactly."""
    return st.one_of(
        st.sampled_from(MONTH_EDGES),
        st.integers(0, SPAN_DAYS).map(lambda k: START + dt.timedelta(days=k)),
    )


def event_lists(catalog: Catalog) -> st.SearchStrategy[list[Event]]:
    ids = [m.id for _, m in catalog.measures()]
    return st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from(ids),
            st.sampled_from(["planned", "in_progress", "completed", "not_applicable"]),
            dates(),
        ),
        max_size=40,
    )


def as_frame(events: Sequence[Event], **extra: Any) -> pd.DataFrame:
    """An events frame with ``date`` as datetime64 (as the database layer delivers it)."""
    result = frame(events)
    result["date"] = pd.to_datetime(result["date"])
    for name, values in extra.items():
        result[name] = values
    return result


SCALE = (("teilweise", 0.5), ("wenig", 0.2))
"""The catalog-wide answer scale of :func:`model2_catalogs`."""
OWN_SCALE = (("einige", 0.25), ("haelfte", 0.5), ("meiste", 1.0))
"""The scale ``samm`` that some measures of :func:`model2_catalogs` have instead."""


@st.composite
def model2_catalogs(draw: st.DrawFn, *, rule: str | None = None, expiring: bool = True) -> Catalog:
    """Random catalogs with every addition: a named level 0, sparse levels, nested groups,
    answer scales (catalog-wide and per measure), either rule, and cells of 1–60
    measures."""
    n_levels = draw(st.integers(1, 3))
    level_zero = n_levels == 1 or draw(st.booleans())
    n_dims = draw(st.integers(1, 4))
    dims: dict[str, list[M]] = {}
    weights: dict[str, float] = {}
    counter = 0
    for d in range(n_dims):
        measures: list[M] = []
        sizes = [draw(st.sampled_from([1, 0, 2, 3])) for _ in range(n_levels)]
        if d == 0 and draw(st.booleans()):
            sizes[draw(st.integers(0, n_levels - 1))] = draw(st.integers(49, 60))
        if not any(sizes):
            sizes[-1] = 1
        for level, size in enumerate(sizes, start=1):
            for _ in range(size):
                counter += 1
                earlier = [m.id for ms in dims.values() for m in ms] + [m.id for m in measures]
                measures.append(
                    M(
                        id=f"m{counter}",
                        level=level,
                        weight=draw(st.sampled_from([0.1, 0.3, 0.5, 1.0, 2.0])),
                        mandatory=draw(st.booleans()),
                        valid_for_months=draw(st.sampled_from([None, None, 1, 2]))
                        if expiring
                        else None,
                        answers=draw(st.sampled_from([None, None, "samm"])),
                        depends_on=tuple(
                            draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True))
                        )
                        if earlier
                        else (),
                    )
                )
        dims[f"d{d}"] = measures
        weights[f"d{d}"] = draw(st.sampled_from([0.5, 1.0, 2.0]))
    n_groups = draw(st.integers(0, min(3, n_dims)))
    groups = []
    for g in range(n_groups):
        parent = draw(st.sampled_from([None, *(f"g{p}" for p in range(g))]))
        groups.append(G(id=f"g{g}", weight=draw(st.sampled_from([0.5, 1.0, 3.0])), parent=parent))
    leaves = [g.id for g in groups if not any(h.parent == g.id for h in groups)]
    dimension_groups: dict[str, str] = {}
    for d, dim_id in enumerate(dims):
        if d < len(leaves):
            dimension_groups[dim_id] = leaves[d]
        else:
            choice = draw(st.sampled_from([None, *(g.id for g in groups)]))
            if choice is not None:
                dimension_groups[dim_id] = choice
    return make_catalog(
        dims,
        n_levels=n_levels,
        threshold=draw(st.sampled_from([0.3, 0.5, 0.75, 1.0])),
        dimension_weights=weights,
        level_zero=level_zero,
        rule=rule or draw(st.sampled_from(["gated", "additive"])),
        groups=groups,
        dimension_groups=dimension_groups,
        answers=SCALE,
        answer_scales={"samm": OWN_SCALE},
    )


def model2_events(catalog: Catalog) -> st.SearchStrategy[list[Event]]:
    """Events whose status is one of the answers of their measure."""
    keys = {m.id: sorted(catalog.credits(m)) for _, m in catalog.measures()}

    def event(measure_id: str) -> st.SearchStrategy[Event]:
        return st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.just(measure_id),
            st.sampled_from(keys[measure_id]),
            dates(),
        )

    return st.lists(st.sampled_from(sorted(keys)).flatmap(event), max_size=40)


def assert_trend_is_score_per_date(
    catalog: Catalog, events: Sequence[Event], stichtage: Sequence[dt.date]
) -> None:
    """``trend`` equals ``score`` at each Stichtag, concatenated (exactly)."""
    from spatz.scoring import score, trend

    frame = as_frame(events)
    result = trend(catalog, frame, stichtage)
    if events and stichtage:
        expected = pd.concat(
            [score(catalog, frame, d).assign(as_of=pd.Timestamp(d)) for d in stichtage],
            ignore_index=True,
        )
        expected["as_of"] = expected["as_of"].astype("datetime64[us]")
        pd.testing.assert_frame_equal(result, expected, check_exact=True)
    else:
        assert result.empty
