"""Catalog and event builders, a plain-Python reference implementation of the rule, and
hypothesis strategies for the scoring tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from spatz.catalog import Catalog

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""Hypothesis settings of these tests (also registered as profile ``scoring``)."""

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


def make_catalog(
    dimensions: Mapping[str, Sequence[M]],
    *,
    n_levels: int = 2,
    threshold: float = 1.0,
    dimension_weights: dict[str, float] | None = None,
) -> Catalog:
    """A catalog with the given dimensions (in order) and measures."""
    weights = dimension_weights or {}
    return Catalog.model_validate(
        {
            "id": "test",
            "version": "1",
            "name": "Test",
            "threshold": threshold,
            "levels": [{"level": i, "name": f"L{i}"} for i in range(1, n_levels + 1)],
            "dimensions": [
                {
                    "id": dim_id,
                    "name": dim_id.upper(),
                    "weight": weights.get(dim_id, 1.0),
                    "measures": [
                        {
                            "id": m.id,
                            "level": m.level,
                            "title": f"Title {m.id}",
                            "weight": m.weight,
                            "mandatory": m.mandatory,
                            "valid_for_months": m.valid_for_months,
                        }
                        for m in measures
                    ],
                }
                for dim_id, measures in dimensions.items()
            ],
        }
    )


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


def reference_score(
    catalog: Catalog, events: Sequence[Event], as_of: dt.date
) -> dict[tuple[str, str], tuple[int, float, int, int]]:
    """The rule, written as plainly as possible (dicts and loops)."""
    state: dict[tuple[str, str], tuple[str, dt.date]] = {}
    for org, measure_id, status, date in events:
        if date <= as_of:
            current = state.get((org, measure_id))
            if current is None or date >= current[1]:
                state[(org, measure_id)] = (status, date)
    n = catalog.n_levels
    result: dict[tuple[str, str], tuple[int, float, int, int]] = {}
    for org in sorted({e[0] for e in events}):
        levels: list[int] = []
        weighted = 0.0
        completed_all = total_all = 0
        for dim in catalog.dimensions:
            f: dict[int, float] = {}
            fulfilled: dict[int, bool] = {}
            completed = total = 0
            for level in range(1, n + 1):
                done_weight = open_weight = 0.0
                mandatory_ok = True
                for m in dim.measures:
                    if m.level != level:
                        continue
                    status, date = state.get((org, m.id), ("open", as_of))
                    excluded = status == "not_applicable"
                    done = status == "completed" and (
                        m.valid_for_months is None
                        or pd.Timestamp(as_of)
                        < pd.Timestamp(date) + pd.DateOffset(months=m.valid_for_months)
                    )
                    if excluded:
                        continue
                    total += 1
                    open_weight += m.weight
                    if done:
                        completed += 1
                        done_weight += m.weight
                    elif m.mandatory:
                        mandatory_ok = False
                f[level] = done_weight / open_weight if open_weight else 1.0
                fulfilled[level] = f[level] >= catalog.threshold - 1e-12 and mandatory_ok
            reached = 0
            while reached < n and fulfilled[reached + 1]:
                reached += 1
            value = float(n) if reached == n else reached + min(f[reached + 1], 0.99)
            result[(org, dim.id)] = (reached, value, completed, total)
            levels.append(reached)
            weighted += dim.weight * value
            completed_all += completed
            total_all += total
        overall = weighted / sum(d.weight for d in catalog.dimensions)
        result[(org, "overall")] = (min(levels), overall, completed_all, total_all)
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
