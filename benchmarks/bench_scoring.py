"""Benchmark of the scoring engine at Germany scale.

11,000 organisations, a catalog of 150 measures (6 dimensions × 5 levels × 5 measures),
3.3 million events (2019–2024, fixed seed). Measures, in one run, for the events with
``str`` columns (as the store delivers them) and with categorical columns:

* a straightforward pandas implementation of the rule (filter by date, sort,
  drop_duplicates, organisation × measure grid via merge, groupby) — the baseline;
* :func:`spatz.scoring.score` (best of several runs) and the ratio to the baseline; for
  Arrow-backed ``str`` columns also with the columns encoded one after the other instead of
  in threads (:data:`spatz.scoring._events.PARALLEL_MIN_ROWS`), i.e. on one core;
* :func:`spatz.scoring.trend` over 60 month-ends and its ratio to one ``score``;
* ``score`` and ``trend`` for the same catalog with groups and answer scales, on the same
  events with partial answers (:func:`build_model2_catalog`);

and the peak memory of ``score``: ``resource.getrusage(...).ru_maxrss`` of a subprocess
that reads the events from Parquet and calls ``score`` once (the figure includes the
interpreter and the events frame, so it bounds the memory of ``score`` from above), and
the ``tracemalloc`` peak of the allocations made during the call.

The baseline, ``score`` and ``trend`` must agree (asserted); the targets (score ≥ 10× the
baseline, trend ≤ 10× score, memory < 1 GiB) are printed as met or not, timings on a shared
machine being too noisy to assert. Writes its section, the head of ``benchmarks/results.md``; the
sections of the other benchmarks, each between ``<!-- NAME:start -->`` and
``<!-- NAME:end -->`` markers, follow it and are kept.
Run: ``python benchmarks/bench_scoring.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import spatz.scoring._events as scoring_events
from spatz.catalog import OVERALL, Catalog
from spatz.scoring import STATUSES, score, trend

N_ORGS = 11_000
N_EVENTS = 3_300_000
N_DIMS = 6
N_LEVELS = 5
PER_LEVEL = 5
AS_OF = pd.Timestamp("2024-06-30")
SEED = 20240630
RESULTS = Path(__file__).with_name("results.md")
SECTION_START = re.compile(r"^<!-- [a-z]+:start -->$", re.MULTILINE)
"""Start marker of a section that another benchmark writes into the results file."""


def build_catalog() -> Catalog:
    """6 dimensions × 5 levels × 5 measures; some mandatory, some expiring, θ = 0.75."""
    rng = np.random.default_rng(SEED)
    dimensions = []
    for d in range(N_DIMS):
        measures = []
        for level in range(1, N_LEVELS + 1):
            for k in range(PER_LEVEL):
                measures.append(
                    {
                        "id": f"D{d}-L{level}-M{k}",
                        "level": level,
                        "title": f"Maßnahme {d}.{level}.{k}",
                        "weight": float(rng.choice([0.5, 1.0, 1.5, 2.0])),
                        "mandatory": k == 0,
                        "valid_for_months": [None, None, None, 36, 24][k],
                    }
                )
        dimensions.append(
            {"id": f"dim{d}", "name": f"Dimension {d}", "weight": 1.0 + d % 3, "measures": measures}
        )
    return Catalog.model_validate(
        {
            "id": "bench",
            "version": "1",
            "name": "Benchmark",
            "threshold": 0.75,
            "levels": [{"level": i, "name": f"Stufe {i}"} for i in range(1, N_LEVELS + 1)],
            "dimensions": dimensions,
        }
    )


def build_events(catalog: Catalog) -> pd.DataFrame:
    """3.3 million events: string columns, ``date`` as datetime64, mixed statuses.

    Each organisation has a maturity in 0..5.5; measures below it are mostly completed,
    those above it mostly planned or in progress, so that the levels spread over 0..5.
    """
    rng = np.random.default_rng(SEED)
    ids = np.array([m.id for _, m in catalog.measures()])
    levels = np.array([m.level for _, m in catalog.measures()])
    # Every (organisation, measure) pair gets one event; the rest are random updates.
    pairs = N_ORGS * len(ids)
    org = np.concatenate([np.arange(pairs) // len(ids), rng.integers(0, N_ORGS, N_EVENTS - pairs)])
    measure = np.concatenate(
        [np.arange(pairs) % len(ids), rng.integers(0, len(ids), N_EVENTS - pairs)]
    )
    maturity = rng.uniform(0.0, 5.5, N_ORGS)[org]
    p_completed = np.clip(0.5 + 0.6 * (maturity - levels[measure]), 0.02, 0.97)
    u = rng.random(N_EVENTS)
    status = np.select(
        [u < p_completed, u < p_completed + 0.02],
        [2, 3],
        default=rng.integers(0, 2, N_EVENTS),
    )
    start = np.datetime64("2019-01-01", "D")
    span = int((np.datetime64("2024-12-31", "D") - start).astype(np.int64)) + 1
    days = start + rng.integers(0, span, N_EVENTS).astype("timedelta64[D]")
    org_names = np.array([f"{9000000 + i:08d}" for i in range(N_ORGS)])
    return pd.DataFrame(
        {
            "org": pd.array(org_names[org], dtype="str"),
            "measure_id": pd.array(ids[measure], dtype="str"),
            "status": pd.array(np.array(STATUSES)[status], dtype="str"),
            "date": days.astype("datetime64[ns]"),
        }
    )


GROUPS = {"dim0": "org", "dim1": "org", "dim2": "tech", "dim3": "net", "dim4": "net"}
"""Groups of the dimensions in :func:`build_model2_catalog` (``dim5`` has none)."""


def build_model2_catalog() -> Catalog:
    """The benchmark catalog with groups (``net`` inside ``tech``), a catalog-wide answer
    ``teilweise`` (credit 0.5) and the scale ``samm`` on every fifth measure."""
    data = build_catalog().document()
    data["id"] = "bench-model2"
    data["groups"] = [
        {"id": "org", "name": "Organisation", "weight": 2.0},
        {"id": "tech", "name": "Technik"},
        {"id": "net", "name": "Netze", "parent": "tech"},
    ]
    data["answers"] = [{"key": "teilweise", "label": "teilweise", "credit": 0.5}]
    data["answer_scales"] = {
        "samm": [
            {"key": "einige", "label": "für einige", "credit": 0.25},
            {"key": "meiste", "label": "für die meisten", "credit": 1.0},
        ]
    }
    for dimension in data["dimensions"]:
        if dimension["id"] in GROUPS:
            dimension["group"] = GROUPS[dimension["id"]]
        for measure in dimension["measures"]:
            if measure["id"].endswith("-M4"):
                measure["answers"] = "samm"
    return Catalog.model_validate(data)


def model2_events(events: pd.DataFrame) -> pd.DataFrame:
    """The events with half of the ``in_progress`` ones a partial answer (``einige`` on
    measures of the scale ``samm``, else ``teilweise``)."""
    rng = np.random.default_rng(SEED + 1)
    status = events["status"].to_numpy(dtype=object)
    own_scale = events["measure_id"].str.endswith("-M4").to_numpy()
    partial = (status == "in_progress") & (rng.random(len(events)) < 0.5)
    status[partial & own_scale] = "einige"
    status[partial & ~own_scale] = "teilweise"
    return events.assign(status=pd.array(status, dtype="str"))


def baseline_score(catalog: Catalog, events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The rule in plain pandas, as one would write it first."""
    measures = pd.DataFrame(
        [
            {
                "measure_id": m.id,
                "dim_pos": d,
                "level": m.level,
                "weight": m.weight,
                "mandatory": m.mandatory,
                "valid_for_months": m.valid_for_months,
            }
            for d, dim in enumerate(catalog.dimensions)
            for m in dim.measures
        ]
    )
    ev = events[["org", "measure_id", "status", "date"]].copy()
    ev["date"] = pd.to_datetime(ev["date"]).dt.normalize()
    if not ev["measure_id"].isin(measures["measure_id"]).all():
        raise ValueError("unknown measure_id")
    if not ev["status"].isin(STATUSES).all():
        raise ValueError("unknown status")
    ev["row"] = np.arange(len(ev))
    orgs = pd.DataFrame({"org": np.sort(ev["org"].unique())})
    current = (
        ev[ev["date"] <= as_of]
        .sort_values(["org", "measure_id", "date", "row"])
        .drop_duplicates(["org", "measure_id"], keep="last")
    )
    grid = orgs.merge(measures, how="cross").merge(
        current[["org", "measure_id", "status", "date"]], on=["org", "measure_id"], how="left"
    )
    expiry = pd.Series(pd.NaT, index=grid.index, dtype="datetime64[ns]")
    for months in measures["valid_for_months"].dropna().unique():
        sel = grid["valid_for_months"] == months
        expiry[sel] = grid.loc[sel, "date"] + pd.DateOffset(months=int(months))
    done = (grid["status"] == "completed") & (grid["valid_for_months"].isna() | (as_of < expiry))
    excluded = grid["status"] == "not_applicable"
    grid["w_done"] = grid["weight"].where(done, 0.0)
    grid["w_open"] = grid["weight"].where(~excluded, 0.0)
    grid["mandatory_missing"] = grid["mandatory"] & ~done & ~excluded
    grid["done"] = done
    grid["counted"] = ~excluded
    cells = grid.groupby(["org", "dim_pos", "level"]).agg(
        w_done=("w_done", "sum"),
        w_open=("w_open", "sum"),
        mandatory_missing=("mandatory_missing", "any"),
        done=("done", "sum"),
        counted=("counted", "sum"),
    )
    cells["f"] = np.where(cells["counted"] == 0, 1.0, cells["w_done"] / cells["w_open"])
    cells["ok"] = (cells["f"] >= catalog.threshold - 1e-12) & ~cells["mandatory_missing"]
    ok = cells["ok"].unstack("level").astype(int)
    f = cells["f"].unstack("level")
    level = ok.cumprod(axis=1).sum(axis=1)
    n = catalog.n_levels
    following = f.to_numpy()[np.arange(len(f)), np.minimum(level.to_numpy(), n - 1)]
    dims = pd.DataFrame(
        {
            "level": level,
            "score": np.where(level == n, float(n), level + np.minimum(following, 0.99)),
            "measures_completed": cells["done"].groupby(level=[0, 1]).sum(),
            "measures_total": cells["counted"].groupby(level=[0, 1]).sum(),
        }
    ).reset_index()
    weights = np.array([d.weight for d in catalog.dimensions])
    dims["weighted"] = dims["score"] * weights[dims["dim_pos"]]
    overall = dims.groupby("org").agg(
        level=("level", "min"),
        weighted=("weighted", "sum"),
        measures_completed=("measures_completed", "sum"),
        measures_total=("measures_total", "sum"),
    )
    overall["score"] = overall["weighted"] / weights.sum()
    overall = overall.reset_index()
    overall["dim_pos"] = len(catalog.dimensions)
    result = pd.concat([dims, overall], ignore_index=True)
    result = result.sort_values(["org", "dim_pos"], ignore_index=True)
    names = [d.id for d in catalog.dimensions] + [OVERALL]
    result["dimension_id"] = np.array(names)[result["dim_pos"].to_numpy()]
    return result[["org", "dimension_id", "level", "score", "measures_completed", "measures_total"]]


def best_of(runs: int, func: Callable[[], Any]) -> tuple[float, Any]:
    """Shortest wall time of ``runs`` calls, and the last result."""
    best = float("inf")
    result: Any = None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def check_agreement(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    assert list(expected["org"]) == list(actual["org"]), "org order differs"
    assert list(expected["dimension_id"]) == list(actual["dimension_id"]), "dimensions differ"
    for column in ("level", "measures_completed", "measures_total"):
        assert np.array_equal(expected[column].to_numpy(), actual[column].to_numpy()), column
    assert np.allclose(expected["score"].to_numpy(), actual["score"].to_numpy(), atol=1e-9)


def measure_memory(path: str) -> None:
    """Subprocess mode: read the events (Parquet), call ``score`` once, print ru_maxrss in
    bytes before and after the call."""
    catalog = build_catalog()
    events = pd.read_parquet(path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    score(catalog, events, AS_OF)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(before * 1024, after * 1024)


@dataclass
class Figures:
    """Timings of one input representation, in seconds."""

    baseline: float
    score: float
    trend: float
    score_serial: float
    """``score`` with the columns encoded one after the other (no threads)."""

    @property
    def speedup(self) -> float:
        return self.baseline / self.score

    @property
    def trend_ratio(self) -> float:
        return self.trend / self.score


def measure(catalog: Catalog, events: pd.DataFrame, label: str) -> Figures:
    """Time baseline, score and trend on ``events``; check that they agree."""
    baseline_s, expected = best_of(2, lambda: baseline_score(catalog, events, AS_OF))
    score_s, actual = best_of(5, lambda: score(catalog, events, AS_OF))
    check_agreement(expected, actual)
    threshold = scoring_events.PARALLEL_MIN_ROWS
    scoring_events.PARALLEL_MIN_ROWS = sys.maxsize
    try:
        serial_s, serial = best_of(5, lambda: score(catalog, events, AS_OF))
    finally:
        scoring_events.PARALLEL_MIN_ROWS = threshold
    pd.testing.assert_frame_equal(serial, actual, check_exact=True)
    dates = pd.date_range("2020-01-31", periods=60, freq="ME")
    trend_s, trended = best_of(2, lambda: trend(catalog, events, dates))
    assert len(trended) == len(dates) * len(actual)
    last = trended[trended["as_of"] == dates[-1]].drop(columns="as_of").reset_index(drop=True)
    pd.testing.assert_frame_equal(last, score(catalog, events, dates[-1]), check_exact=True)
    figures = Figures(baseline_s, score_s, trend_s, serial_s)
    print(
        f"[{label}] baseline (pandas) {baseline_s:.3f} s | spatz.score {score_s:.3f} s "
        f"({figures.speedup:.1f}x faster; columns encoded one after the other {serial_s:.3f} s, "
        f"{baseline_s / serial_s:.1f}x) | spatz.trend, 60 month-ends {trend_s:.3f} s "
        f"({figures.trend_ratio:.1f}x one score)"
    )
    return figures


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def child_memory() -> tuple[int, int]:
    """ru_maxrss (bytes) before and after ``score`` in a fresh subprocess.

    Run before the benchmark builds anything: Linux keeps ru_maxrss across fork and exec,
    so the subprocesses must start from a small parent. One subprocess writes the events
    to Parquet, another reads them and calls ``score``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "events.parquet")
        subprocess.run([sys.executable, __file__, "--write", path], check=True)
        child = subprocess.run(
            [sys.executable, __file__, "--memory", path],
            capture_output=True,
            text=True,
            check=True,
        )
    before, after = (int(x) for x in child.stdout.split())
    return before, after


def write_results(text: str) -> None:
    """Replace the head of the results file by ``text``, keeping the other sections."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    first = SECTION_START.search(old)
    sections = old[first.start() :] if first else ""
    RESULTS.write_text(text + (f"\n{sections}" if sections else ""), encoding="utf-8")


def main() -> None:
    rss_before, rss_after = child_memory()
    catalog = build_catalog()
    start = time.perf_counter()
    events = build_events(catalog)
    print(f"events: {len(events):,} rows, built in {time.perf_counter() - start:.1f} s")
    levels = score(catalog, events, AS_OF).groupby("dimension_id")["level"].value_counts()
    print("levels per dimension:", levels.unstack(fill_value=0).to_dict("index"))

    plain = measure(catalog, events, "str columns")
    categorical = measure(
        catalog,
        events.astype({"org": "category", "measure_id": "category", "status": "category"}),
        "categorical columns",
    )

    model2 = build_model2_catalog()
    events2 = model2_events(events)
    model2_score_s, scored2 = best_of(5, lambda: score(model2, events2, AS_OF))
    # Per organisation 6 dimensions, 3 groups and overall.
    assert len(scored2) == N_ORGS * (N_DIMS + len(set(GROUPS.values())) + 1)
    dates = pd.date_range("2020-01-31", periods=60, freq="ME")
    model2_trend_s, trended2 = best_of(2, lambda: trend(model2, events2, dates))
    last2 = trended2[trended2["as_of"] == dates[-1]].drop(columns="as_of").reset_index(drop=True)
    pd.testing.assert_frame_equal(last2, score(model2, events2, dates[-1]), check_exact=True)
    print(
        f"[groups and answer scale] spatz.score {model2_score_s:.3f} s "
        f"({model2_score_s / plain.score:.2f}x the score of the plain catalog, "
        f"{plain.baseline / model2_score_s:.1f}x faster than the plain baseline) | spatz.trend, "
        f"60 month-ends {model2_trend_s:.3f} s ({model2_trend_s / model2_score_s:.1f}x one score)"
    )

    tracemalloc.start()
    score(catalog, events, AS_OF)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gib = 1024**3
    print(
        f"peak memory of score: ru_maxrss of a subprocess {rss_after / gib:.2f} GiB (whole "
        f"process, events read from Parquet; {rss_before / gib:.2f} GiB before the call), "
        f"tracemalloc peak of the call {traced_peak / gib:.2f} GiB"
    )
    for label, figures in (("str", plain), ("categorical", categorical)):
        print(
            f"targets [{label}]: score >= 10x baseline {verdict(figures.speedup >= 10)}, "
            f"trend <= 10x score {verdict(figures.trend_ratio <= 10)}"
        )
    print(f"target: peak memory < 1 GiB {verdict(rss_after < gib)}")

    rows = "".join(
        f"| {label} | {f.baseline:.3f} s | {f.score:.3f} s | {f.speedup:.1f}× "
        f"| {f.score_serial:.3f} s ({f.baseline / f.score_serial:.1f}×) "
        f"| {f.trend:.3f} s | {f.trend_ratio:.1f}× |\n"
        for label, f in (("`str` (as the store delivers)", plain), ("categorical", categorical))
    )
    write_results(
        "# Scoring benchmark\n\n"
        f"{dt.date.today().isoformat()}, {os.cpu_count()} CPU cores, Python "
        f"{sys.version.split()[0]}, pandas {pd.__version__}, numpy {np.__version__}. "
        f"{N_ORGS:,} organisations × {N_DIMS * N_LEVELS * PER_LEVEL} measures, "
        f"{len(events):,} events (`date` datetime64), Stichtag {AS_OF.date().isoformat()}. "
        "Run: `python benchmarks/bench_scoring.py`. Times are the best of several runs "
        "(baseline and trend 2, score 5); the baseline is a straightforward pandas "
        "implementation of the rule (in the benchmark). `score` encodes Arrow-backed string "
        "columns in threads at the same time (Arrow's kernels release the GIL), and hashes "
        "the 8-character `org` and `measure_id` values as 64-bit integers; the column "
        "*one thread* is `score` with the columns encoded one after the other. Categorical "
        "columns are encoded without threads (their codes are used as they are).\n\n"
        "| org, measure_id, status | baseline | `score` | speed-up | `score`, one thread "
        "| `trend` (60 month-ends) | `trend` / `score` |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        f"{rows}\n"
        "The same catalog with groups (three, one inside another) and answer scales (a "
        "catalog-wide partial answer, a scale of its own on every fifth measure; half of the "
        "`in_progress` events a partial answer), `str` columns: `score` "
        f"{model2_score_s:.3f} s ({plain.baseline / model2_score_s:.1f}× the baseline of the "
        f"plain catalog), `trend` (60 month-ends) {model2_trend_s:.3f} s "
        f"({model2_trend_s / model2_score_s:.1f}× `score`).\n\n"
        "Peak memory of `score` (`str` columns): "
        f"{rss_after / gib:.2f} GiB ru_maxrss of a subprocess that reads the events (Parquet) "
        f"and calls `score` once (whole process; {rss_before / gib:.2f} GiB before the call); "
        f"tracemalloc peak of the call {traced_peak / gib:.2f} GiB.\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        build_events(build_catalog()).to_parquet(sys.argv[2])
    elif sys.argv[1:2] == ["--memory"]:
        measure_memory(sys.argv[2])
    else:
        main()
