"""The representation of the string columns does not change any result or error.

``org``, ``measure_id`` and ``status`` may come as pandas' default ``str`` (Arrow-backed),
as Python objects, as categoricals or as other string dtypes; Arrow-backed columns take
their own encoding path (and threads for large frames), the others pandas' factorisation.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from spatz.scoring import EventsError, explain, score, trend
from spatz.scoring._score import _repeated

from .helpers import M, frame, make_catalog

CATALOG = make_catalog(
    {
        "d": [M("a", 1, valid_for_months=1), M("b", 1, mandatory=True), M("c", 2)],
        "e": [M("x", 1, weight=2.0), M("y", 2)],
    },
    threshold=0.5,
)
ROWS = [
    ("o2", "a", "completed", "2023-01-31"),
    ("o1", "x", "not_applicable", "2023-01-15"),
    ("o2", "b", "completed", "2023-01-10"),
    ("o1", "b", "in_progress", "2023-03-01"),
    ("o3", "c", "completed", "2023-05-01"),
    ("o1", "b", "completed", "2023-03-01"),
    ("o2", "y", "planned", "2023-02-01"),
    ("o3", "a", "completed", "2023-04-30"),
]
COLUMNS = ("org", "measure_id", "status")
DTYPES: dict[str, Callable[[pd.Series], pd.Series]] = {
    "str": lambda s: s.astype("str"),
    "object": lambda s: s.astype(object),
    "category": lambda s: s.astype("category"),
    "string[python]": lambda s: s.astype("string[python]"),
    "string[pyarrow]": lambda s: s.astype("string[pyarrow]"),
    "arrow string": lambda s: s.astype(pd.ArrowDtype(pa.string())),
    "arrow large_string": lambda s: s.astype(pd.ArrowDtype(pa.large_string())),
}
DATES = ["2023-02-27", "2023-01-31", "2023-06-30", "2023-02-28", "2023-01-31"]


def as_dtype(events: pd.DataFrame, dtype: str) -> pd.DataFrame:
    return events.assign(**{c: DTYPES[dtype](events[c].astype(object)) for c in COLUMNS})


def results(events: pd.DataFrame) -> list[pd.DataFrame]:
    return [
        score(CATALOG, events, "2023-03-15"),
        score(CATALOG, events, "2023-02-28"),
        trend(CATALOG, events, DATES),
        trend(CATALOG, events, sorted(set(DATES))),
        explain(CATALOG, events, "2023-03-15"),
    ]


@pytest.fixture(params=[False, True], ids=["inline", "threads"])
def threads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Encode the columns in threads even for small frames (if Arrow-backed)."""
    if request.param:
        monkeypatch.setattr("spatz.scoring._events.PARALLEL_MIN_ROWS", 0)
        monkeypatch.setattr("spatz.scoring._events.os.cpu_count", lambda: 2)
    return bool(request.param)


def test_the_default_str_dtype_is_arrow_backed() -> None:
    # Else the Arrow path would not be exercised by "str" below.
    assert isinstance(frame(ROWS)["org"].array, pd.arrays.ArrowStringArray)


@pytest.mark.parametrize("dtype", DTYPES)
def test_same_results_for_every_dtype(dtype: str, threads: bool) -> None:
    expected = results(as_dtype(frame(ROWS), "object"))
    for actual, wanted in zip(results(as_dtype(frame(ROWS), dtype)), expected, strict=True):
        pd.testing.assert_frame_equal(actual, wanted, check_exact=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ("o1", "zz", "completed", "2024-01-01"),
            "Ereignisse, Zeile 3, Spalte measure_id: unbekannter Wert 'zz'",
        ),
        (
            ("o1", "a", "done", "2024-01-01"),
            "Ereignisse, Zeile 3, Spalte status: unbekannter Wert 'done' (erlaubt",
        ),
        (
            ("o1", "a", "Completed", "2024-01-01"),
            "Ereignisse, Zeile 3, Spalte status: unbekannter Wert 'Completed'",
        ),
        ((None, "a", "completed", "2024-01-01"), "Ereignisse, Zeile 3, Spalte org: Wert fehlt"),
        (
            ("o1", None, "completed", "2024-01-01"),
            "Ereignisse, Zeile 3, Spalte measure_id: Wert fehlt",
        ),
        (("o1", "a", None, "2024-01-01"), "Ereignisse, Zeile 3, Spalte status: Wert fehlt"),
        # Several bad columns: the first column in the order org, measure_id, status, date.
        (
            ("o1", "zz", "done", "2024-01-01"),
            "Ereignisse, Zeile 3, Spalte measure_id: unbekannter Wert 'zz'",
        ),
        ((None, "zz", "done", "someday"), "Ereignisse, Zeile 3, Spalte org: Wert fehlt"),
        (
            ("o1", "a", "done", "someday"),
            "Ereignisse, Zeile 3, Spalte status: unbekannter Wert 'done'",
        ),
    ],
)
def test_same_errors_for_every_dtype(
    dtype: str, row: tuple[str | None, ...], message: str, threads: bool
) -> None:
    # The bad row comes twice; the first one is named.
    rows: list[tuple[str | None, ...]] = [*ROWS[:3], row, ROWS[3], row, *ROWS[4:]]
    events = as_dtype(pd.DataFrame(rows, columns=["org", "measure_id", "status", "date"]), dtype)
    with pytest.raises(EventsError) as info:
        score(CATALOG, events, "2023-03-15")
    assert message in str(info.value)


@pytest.mark.parametrize("dtype", ["str", "object", "category"])
def test_large_frame_same_results_for_every_dtype(dtype: str) -> None:
    # Large enough for the threaded encoding of Arrow-backed columns.
    rng = np.random.default_rng(7)
    n = 250_000
    ids = np.array(["a", "b", "c", "x", "y"])
    statuses = np.array(["planned", "in_progress", "completed", "not_applicable"])
    events = pd.DataFrame(
        {
            "org": np.char.add("org", rng.integers(0, 500, n).astype(str)).astype(object),
            "measure_id": ids[rng.integers(0, len(ids), n)].astype(object),
            "status": statuses[rng.integers(0, len(statuses), n)].astype(object),
            "date": np.datetime64("2022-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]"),
        }
    )
    dates = ["2022-06-30", "2023-03-31", "2022-12-31"]
    converted = as_dtype(events, dtype)
    pd.testing.assert_frame_equal(
        score(CATALOG, converted, "2023-01-15"),
        score(CATALOG, as_dtype(events, "object"), "2023-01-15"),
        check_exact=True,
    )
    expected = pd.concat(
        [score(CATALOG, events, d).assign(as_of=pd.Timestamp(d)) for d in dates],
        ignore_index=True,
    )
    expected["as_of"] = expected["as_of"].astype("datetime64[us]")
    pd.testing.assert_frame_equal(trend(CATALOG, converted, dates), expected, check_exact=True)


def test_trend_without_packed_sort_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # Keys that would not fit: the events are ordered by a stable argsort instead.
    events = frame(ROWS)
    expected = trend(CATALOG, events, DATES)
    monkeypatch.setattr("spatz.scoring._engine.SORT_KEY_BITS", 4)
    pd.testing.assert_frame_equal(trend(CATALOG, events, DATES), expected, check_exact=True)


def test_score_and_explain_without_packed_state_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # The status and date of a state are then read at the state event's row.
    events = frame(ROWS)
    expected = [score(CATALOG, events, d) for d in DATES], explain(CATALOG, events, DATES[-1])
    monkeypatch.setattr("spatz.scoring._engine.SORT_KEY_BITS", 4)
    for day, result in zip(DATES, expected[0], strict=True):
        pd.testing.assert_frame_equal(score(CATALOG, events, day), result, check_exact=True)
    pd.testing.assert_frame_equal(explain(CATALOG, events, DATES[-1]), expected[1])


@pytest.mark.parametrize("dtype", ["str", "string[python]"])
def test_repeated_string_columns(dtype: str) -> None:
    values = DTYPES[dtype](pd.Series(["p", "q", "r"])).array
    repeated = _repeated(values, 3)
    assert repeated.dtype == values.dtype
    assert list(repeated) == ["p", "q", "r"] * 3
    assert _repeated(values, 1) is values
