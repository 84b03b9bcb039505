"""``score``, ``trend`` and ``explain``: the rule applied to an events frame."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from spatz.catalog import Catalog
from spatz.scoring._catalog import CompiledCatalog, compile_catalog
from spatz.scoring._covers import Cover, apply_covers, cover_texts, prepare
from spatz.scoring._engine import (
    Table,
    effective_codes,
    evaluate_at,
    evaluate_dates,
    expiries,
    last_states,
    state_codes,
)
from spatz.scoring._events import (
    NO_DAY,
    OPEN,
    OPEN_LABEL,
    DateLike,
    EncodedEvents,
    day_values,
    encode_events,
    to_day,
)

RESULT_COLUMNS: tuple[str, ...] = (
    "org",
    "dimension_id",
    "level",
    "score",
    "measures_completed",
    "measures_total",
)
"""Columns of :func:`score`; :func:`trend` adds ``as_of`` after them."""

EXPLAIN_COLUMNS: tuple[str, ...] = (
    "org",
    "dimension_id",
    "level",
    "measure_id",
    "status",
    "date",
    "done",
    "excluded",
    "credit",
    "expires",
    "open_prerequisites",
    "covered_by",
    "partly_covered_by",
)
"""Columns of :func:`explain`."""


def _encoded(cc: CompiledCatalog, events: pd.DataFrame) -> EncodedEvents | None:
    return None if events.empty else encode_events(cc, events)


def score(
    catalog: Catalog,
    events: pd.DataFrame,
    as_of: DateLike | None = None,
    covers: Sequence[Cover] = (),
) -> pd.DataFrame:
    """Maturity level and score of every organisation in ``events`` at Stichtag ``as_of``.

    ``events`` has the columns ``org``, ``measure_id``, ``status`` and ``date`` (more are
    ignored); ``as_of`` defaults to today. The rule, for levels 1..N (a named level 0 is
    where an organisation stands before level 1), threshold θ:

    1. The state of (organisation, measure) is its event with the greatest date
       ``<= as_of``; among events of one date the later row wins; no such event: open.
    2. The credit of a measure is the credit of its state's status in its answer scale
       (``planned``, ``in_progress`` 0, ``completed`` 1, ``not_applicable`` none, the
       catalog's ``answers`` or the measure's ``answer_scales`` entry with their credit);
       open: 0. A credit > 0 of a measure with ``valid_for_months`` is 0 unless
       ``as_of < date of the state event + valid_for_months`` calendar months, the day
       clipped to the month's end (2023-01-31 + 1 month = 2023-02-28, from which day on it
       no longer counts).
    3. A measure whose status has no credit (``not_applicable``) is excluded: neither done
       nor open. A measure is done iff its credit is 1.
    4. f(d, l) = Σ weight · credit / Σ weight over the non-excluded measures of dimension d
       on level l; 1.0 when there are none (all excluded, or no measures on the level).

    ``rule: gated`` (the default):

    5. Level l of d is fulfilled iff ``f(d, l) >= θ`` (compared as ``f >= θ - 1e-12``, see
       :data:`~spatz.scoring.TOLERANCE`) and every mandatory non-excluded measure of d on
       level l is done.
    6. level(d) = the largest l in 0..N with levels 1..l all fulfilled.
    7. score(d) = N if level(d) = N, else ``level(d) + min(f(d, level(d) + 1), 0.99)``; so
       ``floor(score) == level``.

    ``rule: additive``:

    8. score(d) = N · (mean of f(d, l) over the levels l on which d has measures, excluded
       or not); level(d) = ``floor(score(d) + 1e-12)``. θ and ``mandatory`` do not apply.

    Both rules:

    9. measures_completed = number of done measures, measures_total = number of
       non-excluded measures.
    10. A group's members are its dimensions (catalog order), then its child groups (order
        of ``groups``): level = minimum of the members' levels, score = mean of their
        scores weighted by their weights, measures_completed and measures_total = sums.
    11. overall: the same over the top-level members, the dimensions without a group and
        then the groups without a parent (without groups: all dimensions).

    Mappings (``covers``, :class:`~spatz.scoring.Cover`):

    12. A measure y that is not excluded is done (credit 1) when a measure x of a cover's
        catalog with a pair (x, y) is done at ``as_of`` by x's own state in its own
        catalog (clauses 1–3 there). Only the source catalogs' own states count
        (mappings are not transitive); ``hints`` change nothing.

    Returns one row per organisation of ``events`` or of a cover's events of a paired
    measure (whatever its event dates) and dimension
    in catalog order, then one per group in the order of ``catalog.groups``, then a row
    with ``dimension_id == "overall"``; columns :data:`RESULT_COLUMNS` (str, str, int64,
    float64, int64, int64), sorted by organisation, index 0..n-1. Raises
    :class:`~spatz.scoring.EventsError` for an invalid events frame (also for a status
    that is not an answer of the row's measure).
    """
    cc = compile_catalog(catalog)
    day = to_day(as_of)
    ev, prepared = prepare(cc, _encoded(cc, events), covers)
    if ev is None:
        return empty_frame(RESULT_COLUMNS)
    return _result_frame(cc, ev.orgs, evaluate_at(cc, ev, day, prepared))


def trend(
    catalog: Catalog,
    events: pd.DataFrame,
    dates: Iterable[DateLike],
    covers: Sequence[Cover] = (),
) -> pd.DataFrame:
    """:func:`score` at each of ``dates``, in the given order, in one pass over the events.

    Equals ``pd.concat([score(catalog, events, d).assign(as_of=d) for d in dates])`` with
    a fresh index: the columns of :func:`score`, then ``as_of`` (``datetime64[us]``, the
    Stichtag at midnight) last. Dates may repeat and need not be sorted.
    """
    cc = compile_catalog(catalog)
    days = np.array([to_day(d) for d in dates], dtype=np.int64)
    columns = (*RESULT_COLUMNS, "as_of")
    ev, prepared = prepare(cc, _encoded(cc, events), covers)
    if ev is None or not len(days):
        return empty_frame(columns)
    unique_days, position = np.unique(days, return_inverse=True)
    table = evaluate_dates(cc, ev, unique_days, prepared)
    if len(unique_days) < len(days) or (position != np.arange(len(days))).any():
        table = (table[0][position], table[1][position], table[2][position], table[3][position])
    return _result_frame(cc, ev.orgs, table, day_values(days))


def month_ends(first: DateLike, until: DateLike) -> list[pd.Timestamp]:
    """The dates of a monthly :func:`trend`: every month's end from ``first`` that lies
    before the Stichtag ``until``, then the Stichtag itself (at midnight)."""
    end = pd.Timestamp(until).normalize()
    return [*(d for d in pd.date_range(pd.Timestamp(first), end, freq="ME") if d < end), end]


def explain(
    catalog: Catalog,
    events: pd.DataFrame,
    as_of: DateLike | None = None,
    covers: Sequence[Cover] = (),
) -> pd.DataFrame:
    """The state behind :func:`score`: one row per organisation of ``events`` and measure.

    Organisations sorted, measures in catalog order. Columns :data:`EXPLAIN_COLUMNS`:
    ``status`` is the status of the state event (clause 1 of the rule) or ``"open"``,
    ``date`` its date (NaT when open), ``done`` and ``excluded`` clause 3, ``credit`` the
    credit of clause 2 (after expiry; NaN when excluded), ``expires`` the first day on
    which the credit no longer counts (NaT if the status has no credit > 0 or the measure
    does not expire; a date on or before ``as_of`` means expired), and
    ``open_prerequisites`` the ids of the measure's prerequisites (``depends_on``) that
    are not done while it is done, separated by ", " ("" otherwise): a plausibility note,
    the rule does not use it. With ``covers``, ``done`` and ``credit`` include clause 12;
    ``covered_by`` names the done source measures that make a measure done where its own
    state does not (``"STR-3-01 (SPATZ Kommunal)"``, several separated by ", "), and
    ``partly_covered_by`` the done ones that cover it in part (the ``hints``); "" else.
    """
    cc = compile_catalog(catalog)
    day = to_day(as_of)
    ev, prepared = prepare(cc, _encoded(cc, events), covers)
    if ev is None:
        return empty_frame(EXPLAIN_COLUMNS)
    n_orgs, n_measures = ev.n_orgs, cc.n_measures
    status = np.full(n_orgs * n_measures, OPEN, dtype=np.int64)
    start = np.full(n_orgs * n_measures, NO_DAY, dtype=np.int64)
    if ev.n_rows:
        pairs, state_status, state_start = last_states(cc, ev, day)
        status[pairs] = state_status
        start[pairs] = state_start
    measure = np.tile(np.arange(n_measures), n_orgs)
    own = effective_codes(cc, status, start, measure, day)
    codes = own.reshape(n_orgs, n_measures).copy()
    via = partly = np.full(n_orgs * n_measures, "", dtype=object)
    if prepared:
        sources = [state_codes(p.cc, p.ev, day) for p in prepared]
        own_flat = cc.m_offset[measure] + own
        texts = cover_texts(
            cc,
            (cc.credit[own_flat] == 1.0).reshape(n_orgs, n_measures),
            cc.excluded[own_flat].reshape(n_orgs, n_measures),
            prepared,
            sources,
        )
        via, partly = (t.reshape(-1) for t in texts)
        apply_covers(cc, codes, prepared, sources)
    flat = cc.m_offset[measure] + codes.reshape(-1)
    credit = cc.credit[flat]
    done = credit == 1.0
    labels = pd.array([*cc.status_keys, OPEN_LABEL], dtype="str")
    return pd.DataFrame(
        {
            "org": pd.array(ev.orgs, dtype="str").take(np.repeat(np.arange(n_orgs), n_measures)),
            "dimension_id": pd.array(cc.dimension_ids, dtype="str").take(cc.m_dim[measure]),
            "level": cc.m_level[measure],
            "measure_id": pd.array(cc.measure_ids, dtype="str").take(measure),
            "status": labels.take(np.where(status == OPEN, cc.n_keys, status)),
            "date": day_values(start),
            "done": done,
            "excluded": cc.excluded[flat],
            "credit": credit,
            "expires": day_values(expiries(cc, status, start, measure)),
            "open_prerequisites": open_prerequisites(cc, done.reshape(n_orgs, n_measures)),
            "covered_by": pd.array(via, dtype="str"),
            "partly_covered_by": pd.array(partly, dtype="str"),
        }
    )


def open_prerequisites(cc: CompiledCatalog, done: npt.NDArray[np.bool_]) -> Any:
    """Per (organisation, measure) of the grid ``done`` (O, M), row-major: the ids of the
    prerequisites that are not done while the measure is done, comma-separated ("" else)."""
    texts = np.full(done.shape, "", dtype=object)
    for m, needed in enumerate(cc.prerequisites):
        if not needed:
            continue
        noted = done[:, m] & ~done[:, list(needed)].all(axis=1)
        for o in np.flatnonzero(noted).tolist():
            texts[o, m] = ", ".join(cc.measure_ids[p] for p in needed if not done[o, p])
    return pd.array(texts.reshape(-1), dtype="str")


def _result_frame(
    cc: CompiledCatalog,
    orgs: npt.NDArray[np.object_],
    table: Table,
    as_of: npt.NDArray[np.datetime64] | None = None,
) -> pd.DataFrame:
    """Result rows from the arrays of ``table``, shape ([B,] O, D + 1), row-major; with
    ``as_of`` (one per B) the column ``as_of`` too.

    The ``org`` and ``dimension_id`` columns of the B blocks are one block of strings
    repeated (Arrow chunks sharing their buffers), not B copies."""
    per_org = cc.n_rows
    blocks = table[0].size // (len(orgs) * per_org)
    org = pd.array(orgs, dtype="str").take(np.repeat(np.arange(len(orgs)), per_org))
    dimension = pd.array(cc.row_ids, dtype="str").take(np.tile(np.arange(per_org), len(orgs)))
    level, value, completed, total = table
    columns: dict[str, Any] = {
        "org": _repeated(org, blocks),
        "dimension_id": _repeated(dimension, blocks),
        "level": level.reshape(-1).astype(np.int64, copy=False),
        "score": value.reshape(-1).astype(np.float64, copy=False),
        "measures_completed": completed.reshape(-1).astype(np.int64, copy=False),
        "measures_total": total.reshape(-1).astype(np.int64, copy=False),
    }
    if as_of is not None:
        columns["as_of"] = np.repeat(as_of, len(orgs) * per_org)
    # The arrays are fresh: no copy (and no consolidation into 2-D blocks) needed.
    return pd.DataFrame(columns, copy=False)


def _repeated(values: Any, times: int) -> Any:
    """``values`` (a ``str`` array) ``times`` times in a row."""
    if times == 1:
        return values
    if isinstance(values, pd.arrays.ArrowExtensionArray):
        import pyarrow as pa  # type: ignore[import-untyped]

        data = values.__arrow_array__()
        return pd.array(pa.chunked_array(data.chunks * times, type=data.type), dtype=values.dtype)
    return values.take(np.tile(np.arange(len(values)), times))


_DTYPES = {
    "org": "str",
    "dimension_id": "str",
    "measure_id": "str",
    "status": "str",
    "level": "int64",
    "score": "float64",
    "measures_completed": "int64",
    "measures_total": "int64",
    "done": "bool",
    "excluded": "bool",
    "credit": "float64",
    "open_prerequisites": "str",
    "covered_by": "str",
    "partly_covered_by": "str",
    "reason": "str",
    "date": "datetime64[us]",
    "expires": "datetime64[us]",
    "as_of": "datetime64[us]",
    "title": "str",
    "mandatory": "bool",
    "weight": "float64",
    "due_date": "datetime64[us]",
    "f_gain": "float64",
    "score_gain": "float64",
}


def empty_frame(columns: Iterable[str]) -> pd.DataFrame:
    """A frame without rows with the dtypes the functions of this package use."""
    return pd.DataFrame({c: pd.Series(dtype=_DTYPES[c]) for c in columns})
