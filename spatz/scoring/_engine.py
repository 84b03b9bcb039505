"""The rule on arrays: state codes at a Stichtag (clauses 1–3) and their one evaluation
(clauses 4–11, :func:`evaluate`).

Shapes: ``O`` organisations, ``M`` measures, ``D`` dimensions, ``N`` levels, ``R`` result
rows (the dimensions, the groups, overall). A *code grid* has shape (L, M): per lead row
(an organisation, or an organisation at one of several Stichtage) and measure the code of
its state (see :mod:`spatz.scoring._catalog`), with expiry already applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spatz.scoring._catalog import (
    COUNT_SHIFT,
    NO_CREDIT,
    BoolArray,
    CompiledCatalog,
    FloatArray,
    IntArray,
)
from spatz.scoring._covers import Prepared, apply_covers
from spatz.scoring._events import NO_DAY, EncodedEvents

TOLERANCE = 1e-12
"""A level's share f counts as reaching the threshold θ when ``f >= θ - TOLERANCE``; the
additive rule's level is ``floor(score + TOLERANCE)``.

f is a quotient of float64 sums of weights, so e.g. weights 0.1 + 0.2 of 0.3 may land one
rounding step below a threshold they reach exactly on paper."""

SCORE_CAP = 0.99
"""The fraction added to a level below the maximum is at most this, so that
``floor(score) == level`` (gated rule)."""

BLOCK_ELEMENTS = 2_000_000
"""Code grid elements (Stichtage × organisations × measures) evaluated at once by
:func:`evaluate_dates`; at least one Stichtag per block."""

SORT_KEY_BITS = 63
"""Bits available for the packed sort keys of :func:`evaluate_dates` (non-negative int64)."""

Table = tuple[IntArray, FloatArray, IntArray, IntArray]
"""Level, score, measures_completed, measures_total, each of shape (..., R)."""


def add_months(days: IntArray, months: IntArray) -> IntArray:
    """``day + months`` calendar months, the day clipped to the month's end.

    Same as ``pandas.DateOffset(months=k)``: 2023-01-31 + 1 month = 2023-02-28.
    """
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    start = target.astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[D]") - start).astype(np.int64)
    result: IntArray = (start + np.minimum(day_of_month, length - 1)).astype(np.int64)
    return result


def expiry(cc: CompiledCatalog, days: IntArray, months: IntArray) -> IntArray:
    """:func:`add_months` for many days: looked up in a table per distinct month count."""
    if not len(days):
        return days.copy()
    first = int(days.min())
    span = np.arange(first, int(days.max()) + 1, dtype=np.int64)
    table = np.stack([add_months(span, np.full_like(span, k)) for k in cc.valid_months])
    return table[np.searchsorted(cc.valid_months, months), days - first]


def valid_from(cc: CompiledCatalog, day: int) -> IntArray:
    """Per measure, the earliest answer date whose credit still counts at Stichtag ``day``.

    ``add_months`` is monotone in the date, so ``day < date + k months`` holds exactly for
    the dates from some first day on; it is found by a search over the ``31 * (k + 1)``
    days before ``day``. :data:`NO_DAY` for measures that do not expire.
    """
    first = np.full(cc.n_measures, NO_DAY, dtype=np.int64)
    for k in cc.valid_months.tolist():
        span = np.arange(day - 31 * (k + 1), day + 1, dtype=np.int64)
        expires = add_months(span, np.full_like(span, k))
        first[cc.m_valid_months == k] = span[np.searchsorted(expires, day, side="right")]
    return first


def _expiring(cc: CompiledCatalog, status: IntArray, measure: IntArray) -> BoolArray:
    """Whether states (status codes, :data:`~spatz.scoring._events.OPEN` allowed) have a
    credit > 0 on a measure that expires (clause 2)."""
    flat = cc.m_offset[measure] + np.maximum(status, 0)
    expiring: BoolArray = (status >= 0) & cc.positive[flat] & (cc.m_valid_months[measure] > 0)
    return expiring


def effective_codes(
    cc: CompiledCatalog, status: IntArray, start: IntArray, measure: IntArray, day: int
) -> IntArray:
    """The codes the rule works with, of states at Stichtag ``day`` (clauses 1–2).

    ``status`` (a status code or :data:`~spatz.scoring._events.OPEN`), ``start`` (date of
    the state event) and ``measure`` are arrays of one shape. Open states and answers that
    have expired at ``day`` get :data:`~spatz.scoring._catalog.NO_CREDIT`.
    """
    expired = _expiring(cc, status, measure) & (start < valid_from(cc, day)[measure])
    codes: IntArray = np.where((status < 0) | expired, NO_CREDIT, status)
    return codes


def expiries(cc: CompiledCatalog, status: IntArray, start: IntArray, measure: IntArray) -> IntArray:
    """First day on which a state's credit no longer counts; :data:`NO_DAY` where its
    credit is 0 (or it is excluded or open) or the measure does not expire."""
    expires = np.full(status.shape, NO_DAY, dtype=np.int64)
    expiring = np.nonzero(_expiring(cc, status, measure))
    expires[expiring] = expiry(cc, start[expiring], cc.m_valid_months[measure[expiring]])
    return expires


def _last(
    cc: CompiledCatalog, ev: EncodedEvents, day: int, payload: IntArray, size: int, first: int
) -> tuple[IntArray, IntArray]:
    """The pairs (``org * M + measure``) that have an event on or before ``day``, and the
    key ``(date - first) * size + payload`` of their last such event: greatest date, among
    equal dates the greater row.

    ``payload`` (in ``[0, size)``) must increase with the row; ``first`` is the earliest
    date of ``ev``. A scatter-max of the key over the pair; no sort. The caller sees to it
    that the key fits in int64. ``ev`` is not empty.
    """
    key = ev.day - first
    key *= size
    key += payload
    if int(ev.day.max()) > day:
        key[ev.day > day] = -1
    best = np.full(ev.n_orgs * cc.n_measures, -1, dtype=np.int64)
    np.maximum.at(best, ev.pair, key)
    pairs = np.flatnonzero(best >= 0)
    return pairs, best[pairs]


def last_events(cc: CompiledCatalog, ev: EncodedEvents, day: int) -> tuple[IntArray, IntArray]:
    """The pairs with a state at ``day`` (clause 1) and the row of their state event.

    (pandas dates span less than 2**28 days, so the key of :func:`_last` with the row as
    payload fits in int64 for fewer than 2**35 rows.)"""
    first = int(ev.day.min())
    pairs, key = _last(cc, ev, day, np.arange(ev.n_rows), ev.n_rows, first)
    return pairs, key % ev.n_rows


def last_states(
    cc: CompiledCatalog, ev: EncodedEvents, day: int
) -> tuple[IntArray, IntArray, IntArray]:
    """The pairs with a state at ``day`` (clause 1), and the status and the date of their
    state event.

    Where the key of :func:`_last` can hold them, the status and the date are taken from
    the winning key itself (the status packed below the row), which spares reading them
    at the rows of the state events, scattered over the whole events arrays."""
    first = int(ev.day.min())
    span = int(ev.day.max()) - first + 1
    n, k = ev.n_rows, cc.n_keys
    if span * n * k >= 1 << SORT_KEY_BITS:
        pairs, rows = last_events(cc, ev, day)
        return pairs, ev.status[rows], ev.day[rows]
    payload = np.arange(n, dtype=np.int64)
    payload *= k
    payload += ev.status
    pairs, key = _last(cc, ev, day, payload, n * k, first)
    status = key % k
    key //= n * k
    key += first
    return pairs, status, key


def state_codes(cc: CompiledCatalog, ev: EncodedEvents, day: int) -> IntArray:
    """The code grid (O, M) of every organisation of ``ev`` at Stichtag ``day``."""
    codes = np.full(ev.n_orgs * cc.n_measures, NO_CREDIT, dtype=np.int64)
    if not ev.n_rows:
        return codes.reshape(ev.n_orgs, cc.n_measures)
    pairs, status, start = last_states(cc, ev, day)
    codes[pairs] = effective_codes(cc, status, start, pairs % cc.n_measures, day)
    return codes.reshape(ev.n_orgs, cc.n_measures)


@dataclass(frozen=True)
class Evaluation:
    """Clauses 4–11 for a code grid (L, M)."""

    open_weight: FloatArray
    """(L, D, N): Σ weight over the non-excluded measures of the cell."""
    level: IntArray
    """(L, R)."""
    score: FloatArray
    completed: IntArray
    total: IntArray

    def table(self) -> Table:
        return self.level, self.score, self.completed, self.total


def cell_index(cc: CompiledCatalog, n_lead: int) -> IntArray:
    """Per element of a code grid (n_lead, M), row-major: the index of its cell
    (``lead * D * N + cell``)."""
    size = n_lead * cc.n_cells
    cells: IntArray = (np.arange(0, size, cc.n_cells, dtype=np.int64)[:, None] + cc.m_cell).ravel()
    return cells


def evaluate(
    cc: CompiledCatalog, codes: npt.NDArray[np.integer[Any]], cells: IntArray | None = None
) -> Evaluation:
    """Clauses 4–11 of the rule for a code grid ``codes`` (L, M); ``cells`` is
    :func:`cell_index` for L (computed if not given).

    The sums per cell are ``np.bincount`` over the grid in row-major order, so each adds
    the values of a cell's measures in catalog order starting from 0.0, as a plain loop
    does.
    """
    n_lead = codes.shape[0]
    n_dims, n_levels = cc.n_dims, cc.n_levels
    shape = (n_lead, n_dims, n_levels)
    size = n_lead * cc.n_cells
    flat = (codes + cc.m_offset).ravel()
    if cells is None:
        cells = cell_index(cc, n_lead)
    done_weight = np.bincount(cells, cc.done_weight[flat], size)
    open_weight = np.bincount(cells, cc.open_weight[flat], size).astype(np.float64, copy=False)
    f = np.divide(done_weight, open_weight, out=np.ones(size), where=open_weight > 0)
    f = f.reshape(shape)
    if cc.additive:
        value, level = _additive(cc, f)
    else:
        mandatory_open = None
        if cc.m_mandatory.any():
            mandatory_open = np.bincount(cells, cc.mandatory_open[flat], size).reshape(shape) > 0
        value, level = _gated(cc, f, mandatory_open)
    counts = np.bincount(cells, cc.counts[flat], size).astype(np.int64).reshape(shape)
    dim_counts = counts[..., 0].copy()
    for higher in range(1, n_levels):
        dim_counts += counts[..., higher]
    rows = (n_lead, cc.n_rows)
    out = Evaluation(
        open_weight=open_weight.reshape(shape),
        level=np.empty(rows, dtype=np.int64),
        score=np.empty(rows, dtype=np.float64),
        completed=np.empty(rows, dtype=np.int64),
        total=np.empty(rows, dtype=np.int64),
    )
    out.level[:, :n_dims] = level
    out.score[:, :n_dims] = value
    out.completed[:, :n_dims] = dim_counts & ((1 << COUNT_SHIFT) - 1)
    out.total[:, :n_dims] = dim_counts >> COUNT_SHIFT
    _aggregate(cc, out)
    return out


def _gated(
    cc: CompiledCatalog, f: FloatArray, mandatory_open: BoolArray | None
) -> tuple[FloatArray, IntArray]:
    """Clauses 5–7: score and level per (L, D)."""
    n_levels = cc.n_levels
    fulfilled = f >= cc.threshold - TOLERANCE
    if mandatory_open is not None:
        fulfilled &= ~mandatory_open
    running = fulfilled[..., 0].copy()
    level = running.astype(np.int64)
    for higher in range(1, n_levels):
        running &= fulfilled[..., higher]
        level += running
    following = np.take_along_axis(f, np.minimum(level, n_levels - 1)[..., None], axis=-1)
    value = np.where(
        level == n_levels, float(n_levels), level + np.minimum(following[..., 0], SCORE_CAP)
    )
    return value, level


def _additive(cc: CompiledCatalog, f: FloatArray) -> tuple[FloatArray, IntArray]:
    """Clause 8: score = N · mean of f over the levels with measures, level = floor(score
    + TOLERANCE), per (L, D)."""
    total = np.zeros(f.shape[:-1], dtype=np.float64)
    for level in range(cc.n_levels):
        total += np.where(cc.has_measures[:, level], f[..., level], 0.0)
    value: FloatArray = cc.n_levels * (total / cc.levels_with_measures)
    return value, np.floor(value + TOLERANCE).astype(np.int64)


def _aggregate(cc: CompiledCatalog, out: Evaluation) -> None:
    """Clauses 10–11: the groups (children first) and the overall row from their members:
    level the minimum, score the mean weighted by the members' weights (added in member
    order), measures_completed and measures_total the sums."""
    for aggregate in cc.aggregates:
        members = list(aggregate.members)
        out.level[:, aggregate.row] = out.level[:, members].min(axis=1)
        out.completed[:, aggregate.row] = out.completed[:, members].sum(axis=1)
        out.total[:, aggregate.row] = out.total[:, members].sum(axis=1)
        weighted = np.zeros(len(out.score), dtype=np.float64)
        for member, weight in zip(members, aggregate.weights, strict=True):
            weighted += weight * out.score[:, member]
        out.score[:, aggregate.row] = weighted / sum(aggregate.weights)


def evaluate_at(
    cc: CompiledCatalog, ev: EncodedEvents, day: int, covers: Sequence[Prepared] = ()
) -> Table:
    """The result table (O, R) of every organisation of ``ev`` at Stichtag ``day``, with
    the measures the ``covers`` make done (clause 12; their events numbered like ``ev``'s
    organisations, see :func:`~spatz.scoring._covers.prepare`)."""
    codes = state_codes(cc, ev, day)
    if covers:
        apply_covers(cc, codes, covers, [state_codes(p.cc, p.ev, day) for p in covers])
    return evaluate(cc, codes).table()


def evaluate_dates(
    cc: CompiledCatalog, ev: EncodedEvents, days: IntArray, covers: Sequence[Prepared] = ()
) -> Table:
    """The result tables (len(days), O, R) at each of the sorted ``days``, with the
    ``covers`` as in :func:`evaluate_at`.

    The code grid is carried from one Stichtag to the next and changed only where an event
    becomes the state of its pair or an answer expires (:func:`state_changes`); so is the
    grid of each cover's source. The grids of a block of Stichtage
    (:data:`BLOCK_ELEMENTS`) are evaluated together. ``days`` is not empty.
    """
    n_days, n_orgs = len(days), ev.n_orgs
    starts, resets = state_changes(cc, ev, days)
    sources = [
        (p, *state_changes(p.cc, p.ev, days), np.full(n_orgs * p.cc.n_measures, NO_CREDIT))
        for p in covers
    ]
    code_type = np.int8 if cc.n_keys <= np.iinfo(np.int8).max else np.int64
    grid: npt.NDArray[np.integer[Any]] = np.full(n_orgs * cc.n_measures, NO_CREDIT, dtype=code_type)
    shape = (n_days, n_orgs, cc.n_rows)
    out: Table = (
        np.empty(shape, dtype=np.int64),
        np.empty(shape, dtype=np.float64),
        np.empty(shape, dtype=np.int64),
        np.empty(shape, dtype=np.int64),
    )
    step = max(1, BLOCK_ELEMENTS // len(grid))
    cells = cell_index(cc, min(step, n_days) * n_orgs)
    for lo in range(0, n_days, step):
        hi = min(lo + step, n_days)
        block: npt.NDArray[np.integer[Any]] = np.empty((hi - lo, len(grid)), dtype=code_type)
        for j in range(lo, hi):
            _step(grid, starts, resets, j)
            block[j - lo] = grid
            for _, source_starts, source_resets, source_grid in sources:
                _step(source_grid, source_starts, source_resets, j)
            if sources:
                apply_covers(
                    cc,
                    block[j - lo].reshape(n_orgs, cc.n_measures),
                    covers,
                    [g.reshape(n_orgs, p.cc.n_measures) for p, _, _, g in sources],
                )
        grids = block.reshape(-1, cc.n_measures)
        result = evaluate(cc, grids, cells if block.size == len(cells) else None).table()
        for target, values in zip(out, result, strict=True):
            target[lo:hi] = values.reshape(hi - lo, n_orgs, cc.n_rows)
    return out


def _step(grid: npt.NDArray[np.integer[Any]], starts: Changes, resets: Changes, j: int) -> None:
    """Carry a code grid to the Stichtag of index ``j``: expired answers reset, then the
    new states set."""
    a, b = resets.bounds[j], resets.bounds[j + 1]
    grid[resets.pair[a:b]] = NO_CREDIT
    a, b = starts.bounds[j], starts.bounds[j + 1]
    grid[starts.pair[a:b]] = starts.code[a:b]


@dataclass(frozen=True)
class Changes:
    """Code changes of the grid by Stichtag index: those of index j are at
    ``[bounds[j], bounds[j + 1])``; a pair occurs at most once per index."""

    pair: IntArray
    code: IntArray
    bounds: IntArray


def state_changes(
    cc: CompiledCatalog, ev: EncodedEvents, days: IntArray
) -> tuple[Changes, Changes]:
    """Where the code grid changes over the sorted ``days``: the events that become the
    state of their pair (with their code), and the answers whose credit expires (reset to
    :data:`~spatz.scoring._catalog.NO_CREDIT`; applied before the new states of the same
    index).

    Sorted by (pair, date, row), each event is the state of its pair for the Stichtage with
    index in ``[j(date), j(next date of the pair))``, where ``j(x) = searchsorted(days,
    x)``; an event followed by one of the same range is never a state (the later row
    wins). An expiring answer with credit > 0 counts up to ``j(expiry)`` if that comes
    first. Events after the last Stichtag are dropped first.
    """
    n_days = len(days)
    pair, day, status = ev.pair, ev.day, ev.status
    if len(day) and int(day.max()) > int(days[-1]):
        keep = np.flatnonzero(day <= days[-1])
        pair, day, status = pair[keep], day[keep], status[keep]
    if not len(day):
        nothing = np.zeros(0, dtype=np.int64)
        empty = Changes(nothing, nothing, np.zeros(n_days + 1, dtype=np.int64))
        return empty, empty
    first = int(day.min())
    span = int(day.max()) - first + 1
    n_pairs = ev.n_orgs * cc.n_measures
    pair, day, status = _sort_events(cc, pair, day - first, status, n_pairs, span)
    start = np.searchsorted(days, np.arange(first, first + span))[day]
    end = np.full(len(day), n_days, dtype=np.int64)
    end[:-1] = np.where(pair[1:] == pair[:-1], start[1:], n_days)
    live = np.flatnonzero(start < end)
    pair, day, status, start, end = pair[live], day[live], status[live], start[live], end[live]
    measure = pair % cc.n_measures
    stop = end.copy()
    expiring = np.flatnonzero(_expiring(cc, status, measure))
    expires = expiry(cc, day[expiring] + first, cc.m_valid_months[measure[expiring]])
    stop[expiring] = np.minimum(end[expiring], np.searchsorted(days, expires))
    code = np.where(stop > start, status, NO_CREDIT)
    ending = np.flatnonzero((start < stop) & (stop < end))
    return (
        _by_index(start, pair, code, n_days),
        _by_index(stop[ending], pair[ending], np.full(len(ending), NO_CREDIT), n_days),
    )


def _by_index(index: IntArray, pair: IntArray, code: IntArray, n_days: int) -> Changes:
    order = np.argsort(index.astype(np.min_scalar_type(n_days)), kind="stable")
    return Changes(
        pair=pair[order],
        code=code[order],
        bounds=np.searchsorted(index[order], np.arange(n_days + 1)),
    )


def _sort_events(
    cc: CompiledCatalog,
    pair: IntArray,
    offset: IntArray,
    status: IntArray,
    n_pairs: int,
    span: int,
) -> tuple[IntArray, IntArray, IntArray]:
    """``pair``, ``offset`` (day - first day, below ``span``) and ``status`` sorted by
    (pair, offset, row).

    If pair, offset, row and status fit into :data:`SORT_KEY_BITS` bits together, they are
    packed into one key each, which is distinct per row, so that a plain sort of the keys
    does it (much faster than a stable argsort); else a stable argsort of
    ``pair * span + offset``.
    """
    n = len(pair)
    day_bits, row_bits = (span - 1).bit_length(), (n - 1).bit_length()
    status_bits = (cc.n_keys - 1).bit_length()
    if (n_pairs - 1).bit_length() + day_bits + row_bits + status_bits > SORT_KEY_BITS:
        order = np.argsort(pair * span + offset, kind="stable")
        return pair[order], offset[order], status[order]
    low = row_bits + status_bits
    key = pair << (day_bits + low)
    key |= offset << low
    key |= np.arange(n, dtype=np.int64) << status_bits
    key |= status
    key.sort()
    sorted_status = key & ((1 << status_bits) - 1)
    key >>= low
    sorted_offset = key & ((1 << day_bits) - 1)
    key >>= day_bits
    return key, sorted_offset, sorted_status
