"""The rule on arrays: states at a Stichtag, done/excluded bitmasks, and their evaluation.

Shapes: ``O`` organisations, ``M`` measures, ``D`` dimensions, ``N`` levels, ``W`` mask
words (usually 1). A mask array has shape ``(W, *lead, D, N)``; bit ``b`` of word ``w``
of cell (d, l) is set when the measure in slot ``w * BITS + b`` of dimension d, level l is
done (or excluded). ``lead`` is (O,) for one Stichtag, (B, O) for a batch of Stichtage.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spatz.scoring._catalog import (
    BITS,
    CHUNK,
    CHUNKS_PER_WORD,
    BoolArray,
    CompiledCatalog,
    FloatArray,
    IntArray,
)
from spatz.scoring._events import COMPLETED, NO_DAY, NOT_APPLICABLE, EncodedEvents

TOLERANCE = 1e-12
"""A level's share f counts as reaching the threshold θ when ``f >= θ - TOLERANCE``.

f is a quotient of float64 sums of weights, so e.g. weights 0.1 + 0.2 of 0.3 may land one
rounding step below a threshold they reach exactly on paper."""

SCORE_CAP = 0.99
"""The fraction added to a level below the maximum is at most this, so that
``floor(score) == level``."""

BLOCK_ELEMENTS = 1_000_000
"""Cell states (or mask elements) built and evaluated at once by :func:`evaluate_dates`;
bounds the memory, and blocks of a few MB are faster than large ones (fewer fresh pages)."""


SORT_KEY_BITS = 63
"""Bits available for the packed sort keys of :func:`evaluate_dates` (non-negative int64)."""

Table = tuple[IntArray, FloatArray, IntArray, IntArray]
"""Level, score, measures_completed, measures_total (:meth:`Evaluation.table`)."""


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
    """Per measure, the earliest completion date that is still done at Stichtag ``day``.

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


def completion_state(
    cc: CompiledCatalog, status: IntArray, start: IntArray, measure: IntArray, day: int
) -> tuple[BoolArray, BoolArray]:
    """Done and excluded flags of states at Stichtag ``day`` (clauses 2 and 3).

    ``status``, ``start`` (date of the state event) and ``measure`` are arrays of one
    shape. A ``completed`` state is done while ``day < start + valid_for_months`` (always
    if the measure does not expire); a ``not_applicable`` state is excluded.
    """
    done = (status == COMPLETED) & (start >= valid_from(cc, day)[measure])
    return done, status == NOT_APPLICABLE


def expiries(cc: CompiledCatalog, status: IntArray, start: IntArray, measure: IntArray) -> IntArray:
    """First day on which a completion no longer counts; :data:`NO_DAY` where the state is
    not ``completed`` or the measure does not expire."""
    valid = cc.m_valid_months[measure]
    expires = np.full(status.shape, NO_DAY, dtype=np.int64)
    expiring = np.nonzero((status == COMPLETED) & (valid > 0))
    expires[expiring] = expiry(cc, start[expiring], valid[expiring])
    return expires


def _last(
    cc: CompiledCatalog, ev: EncodedEvents, day: int, payload: IntArray, size: int
) -> tuple[IntArray, IntArray]:
    """The pairs (``org * M + measure``) that have an event on or before ``day``, and the
    payload of their last such event: greatest date, among equal dates the greater row.

    ``payload`` (in ``[0, size)``) must increase with the row. A scatter-max of
    ``(date - first date) * size + payload`` over the pair; no sort. The key fits in int64
    (pandas dates span less than 2**28 days; ``size`` is a few times the row count).
    ``ev`` is not empty.
    """
    key = ev.day - ev.day.min()
    key *= size
    key += payload
    key[ev.day > day] = -1
    best = np.full(ev.n_orgs * cc.n_measures, -1, dtype=np.int64)
    np.maximum.at(best, ev.pair, key)
    pairs = np.flatnonzero(best >= 0)
    return pairs, best[pairs] % size


def last_events(cc: CompiledCatalog, ev: EncodedEvents, day: int) -> tuple[IntArray, IntArray]:
    """The pairs with a state at ``day`` (clause 1) and the row of their state event."""
    return _last(cc, ev, day, np.arange(ev.n_rows), ev.n_rows)


def masks(cc: CompiledCatalog, lead: IntArray, measure: IntArray, n_lead: int) -> IntArray:
    """Masks (W, n_lead, D, N) with the bits of the listed (lead index, measure) pairs set.

    Each pair must be listed at most once; the float64 sums are exact (see ``BITS``).
    """
    n_cells = cc.n_cells
    flat = (cc.m_word[measure] * n_lead + lead) * n_cells + cc.m_cell[measure]
    summed = np.bincount(
        flat, weights=cc.m_bit_value[measure], minlength=cc.n_words * n_lead * n_cells
    )
    return summed.astype(np.int64).reshape(cc.n_words, n_lead, cc.n_dims, cc.n_levels)


def grid_masks(cc: CompiledCatalog, flags: BoolArray) -> IntArray:
    """Masks (W, O, D, N) of per-(organisation, measure) flags of shape (O, M)."""
    lead, measure = np.nonzero(flags)
    return masks(cc, lead, measure, flags.shape[0])


@dataclass(frozen=True)
class Evaluation:
    """Rule results; arrays have the lead shape of the masks, then D (then N)."""

    open_weight: FloatArray
    """(…, D, N): weight of the non-excluded measures."""
    level: IntArray
    score: FloatArray
    completed: IntArray
    total: IntArray
    overall_level: IntArray
    overall_score: FloatArray

    def table(self) -> tuple[IntArray, FloatArray, IntArray, IntArray]:
        """Level, score, measures_completed, measures_total as (…, D + 1), overall last."""
        return (
            np.concatenate([self.level, self.overall_level[..., None]], axis=-1),
            np.concatenate([self.score, self.overall_score[..., None]], axis=-1),
            np.concatenate([self.completed, self.completed.sum(axis=-1)[..., None]], axis=-1),
            np.concatenate([self.total, self.total.sum(axis=-1)[..., None]], axis=-1),
        )


def evaluate(cc: CompiledCatalog, done: IntArray, excluded: IntArray) -> Evaluation:
    """Apply clauses 4–9 of the rule to done/excluded masks of shape (W, *lead, D, N).

    The weight sums come from the catalog's lookup tables, chunk by chunk, so they do not
    depend on the batch shape: :func:`evaluate_dates` and a single Stichtag agree exactly.
    With at most ``CHUNK`` measures per dimension and level they are also exactly the sums
    of a plain loop over the measures in catalog order.
    """
    n_levels = cc.n_levels
    expand = (cc.n_words,) + (1,) * (done.ndim - 3) + (cc.n_dims, n_levels)
    cell_base = (np.arange(cc.n_cells) << CHUNK).reshape(cc.n_dims, n_levels)
    done_weight = cc.done_table[0].take(cell_base + _chunk_bits(cc, done, 0))
    open_weight = cc.open_table[0].take(cell_base + _chunk_bits(cc, excluded, 0))
    for chunk in range(1, cc.n_chunks):
        done_weight += cc.done_table[chunk].take(cell_base + _chunk_bits(cc, done, chunk))
        open_weight += cc.open_table[chunk].take(cell_base + _chunk_bits(cc, excluded, chunk))
    # open_weight is exactly 0.0 iff all measures of the cell are excluded (weights > 0).
    f = np.divide(done_weight, open_weight, out=np.ones_like(done_weight), where=open_weight > 0)
    settled = done | excluded
    np.invert(settled, out=settled)
    settled &= cc.mandatory_mask.reshape(expand)
    mandatory_open = settled.any(axis=0)
    fulfilled = (f >= cc.threshold - TOLERANCE) & ~mandatory_open
    running = fulfilled[..., 0].copy()
    level = running.astype(np.int64)
    for higher in range(1, n_levels):
        running &= fulfilled[..., higher]
        level += running
    following = np.take_along_axis(f, np.minimum(level, n_levels - 1)[..., None], axis=-1)
    score = np.where(
        level == n_levels, float(n_levels), level + np.minimum(following[..., 0], SCORE_CAP)
    )
    completed = _count_bits(done)
    total = cc.dimension_count - _count_bits(excluded)
    return Evaluation(
        open_weight=open_weight,
        level=level,
        score=score,
        completed=completed,
        total=total,
        overall_level=level.min(axis=-1),
        overall_score=_overall_score(cc, score),
    )


def _count_bits(mask: IntArray) -> IntArray:
    """Set bits of masks (W, …, D, N) per (…, D); summed slice by slice, which is faster
    than a reduction over the short last axes."""
    counts = np.bitwise_count(mask)
    total = np.zeros(mask.shape[1:-1], dtype=np.int64)
    for word in range(mask.shape[0]):
        for level in range(mask.shape[-1]):
            total += counts[word, ..., level]
    return total


def _chunk_bits(cc: CompiledCatalog, mask: IntArray, chunk: int) -> IntArray:
    """The bits of slots ``chunk * CHUNK …`` of a mask (W, …) as numbers below 2**CHUNK."""
    word, part = divmod(chunk, CHUNKS_PER_WORD)
    bits: IntArray = mask[word] >> (part * CHUNK) if part else mask[word]
    if part < CHUNKS_PER_WORD - 1 and chunk < cc.n_chunks - 1:
        bits = bits & ((1 << CHUNK) - 1)
    return bits


def evaluate_at(cc: CompiledCatalog, ev: EncodedEvents, day: int) -> Table:
    """:meth:`Evaluation.table` for every organisation of ``ev`` at Stichtag ``day``:
    arrays (O, D + 1). ``ev`` is not empty.

    With at most :data:`CHUNK` measures per cell the cells are evaluated through
    :class:`StateTables`, as by :func:`evaluate_dates`; else through bitmasks and
    :func:`evaluate`.
    """
    flags = state_flags(cc, ev, day)
    out = _empty_table(1, ev.n_orgs, cc.n_dims)
    if cc.n_chunks == 1:
        tables = state_tables(cc)
        per_org = flags.reshape(ev.n_orgs, cc.n_measures)
        # Per cell, its measures by slot (padded with a column of zeros), in the plane
        # order (level, dimension) of the state codes.
        slots = np.full((cc.n_levels, cc.n_dims, tables.n_slots), cc.n_measures)
        slots[cc.m_level - 1, cc.m_dim, cc.m_word * BITS + cc.m_bit] = np.arange(cc.n_measures)
        padded = np.concatenate([per_org, np.zeros((ev.n_orgs, 1), dtype=per_org.dtype)], axis=1)
        codes = np.repeat(tables.cell_offset[:, None, :].astype(np.int32), ev.n_orgs, axis=1)
        for slot in range(tables.n_slots):
            state = padded[:, slots[:, :, slot]].astype(np.int32)  # (O, N, D)
            state *= 3**slot
            codes += state.transpose(1, 0, 2)
        _evaluate_codes(cc, tables, codes[None], out, 0)
    else:
        pairs = np.flatnonzero(flags)
        kind = flags[pairs] - 1
        measure = pairs % cc.n_measures
        both = masks(cc, kind * ev.n_orgs + pairs // cc.n_measures, measure, 2 * ev.n_orgs)
        result = evaluate(cc, both[:, None, : ev.n_orgs], both[:, None, ev.n_orgs :])
        _fill(out, 0, result.level, result.score, result.completed, result.total, cc)
    return out[0][0], out[1][0], out[2][0], out[3][0]


def state_flags(cc: CompiledCatalog, ev: EncodedEvents, day: int) -> IntArray:
    """Per pair (``org * M + measure``) at Stichtag ``day``: 1 if the measure is done,
    2 if excluded, else 0 (clauses 1–3).

    A scatter-max over the pairs of ``(date - first date) * 4n + 4 * row + s`` (n rows,
    s = 1 for ``completed``, 2 for ``not_applicable``, else 0) finds the state event (the
    key fits in int64: pandas dates span less than 2**28 days) and carries its s; a
    ``completed`` state that has expired at ``day`` is then set to 0. No sort.
    """
    n = ev.n_rows
    first = int(ev.day.min())
    key = ev.day - first
    key *= 4 * n
    key += np.arange(0, 4 * n, 4, dtype=np.int64)
    key += _STATE_OF_STATUS[ev.status]
    # The least int64 is a multiple of 4: & 3 gives 0 for a pair without a state.
    late = ev.day > day
    if late.any():
        key[late] = _NO_KEY
    best = np.full(ev.n_orgs * cc.n_measures, _NO_KEY, dtype=np.int64)
    np.maximum.at(best, ev.pair, key)
    flags = best & 3
    expiring = np.flatnonzero(cc.m_valid_months)
    if len(expiring):
        # Only the columns of measures that expire, in the (organisation, measure) grid.
        grid = flags.reshape(ev.n_orgs, cc.n_measures)
        start = best.reshape(ev.n_orgs, cc.n_measures)[:, expiring] // (4 * n) + first
        expired = (grid[:, expiring] == 1) & (start < valid_from(cc, day)[expiring])
        grid[:, expiring] = np.where(expired, 0, grid[:, expiring])
    return flags


_STATE_OF_STATUS = np.zeros(4, dtype=np.int64)
_STATE_OF_STATUS[COMPLETED] = 1
_STATE_OF_STATUS[NOT_APPLICABLE] = 2
_NO_KEY = np.iinfo(np.int64).min


def evaluate_dates(cc: CompiledCatalog, ev: EncodedEvents, days: IntArray) -> Table:
    """:meth:`Evaluation.table` for every organisation at each of the sorted ``days``.

    One pass over the events: each event is the state of its pair for the Stichtage with
    index in ``[start, end)`` (see :func:`state_intervals`), and counts as done or
    excluded on a part of that range. Each such event adds its contribution to its cell at
    the start index and removes it at the stop index; cumulative sums over the Stichtage
    give the cell states, which are built and evaluated a block of Stichtage at a time
    (:data:`BLOCK_ELEMENTS`). With at most :data:`CHUNK` measures per cell a cell's state
    is one number looked up in :class:`StateTables`, else a pair of bitmasks evaluated by
    :func:`evaluate`. Returns arrays (len(days), O, D + 1). ``ev`` and ``days`` are not
    empty.
    """
    intervals = state_intervals(cc, ev, days)
    out = _empty_table(len(days), ev.n_orgs, cc.n_dims)
    if cc.n_chunks == 1:
        _evaluate_states(cc, ev.n_orgs, intervals, out)
    else:
        _evaluate_masks(cc, ev.n_orgs, intervals, out)
    return out


Intervals = tuple[IntArray, IntArray, IntArray, IntArray, BoolArray]
"""``(pair, measure, start, stop, excluded)`` of the events that are done or excluded at
the Stichtage with index in ``[start, stop)`` (``start < stop``)."""


def state_intervals(cc: CompiledCatalog, ev: EncodedEvents, days: IntArray) -> Intervals:
    """The events that are done or excluded at some of the sorted ``days``, and where.

    Sorted by (pair, date, row), each event is the state of its pair for the Stichtage with
    index in ``[j(date), j(next date of the pair))``, where ``j(x) = searchsorted(days,
    x)`` (an event followed by one of the same date gets an empty range: the later row
    wins). A ``completed`` event is done up to its expiry if that comes first; a
    ``not_applicable`` event is excluded over its whole range. Events after the last
    Stichtag are never a state and are dropped first.
    """
    n_days = len(days)
    pair, day, status = ev.pair, ev.day, ev.status
    if int(day.max()) > int(days[-1]):
        keep = np.flatnonzero(day <= days[-1])
        pair, day, status = pair[keep], day[keep], status[keep]
    if not len(day):
        none = np.zeros(0, dtype=np.int64)
        return none, none, none, none, np.zeros(0, dtype=np.bool_)
    first = int(day.min())
    span = int(day.max()) - first + 1
    pair, day, status = _sort_events(pair, day - first, status, ev.n_orgs * cc.n_measures, span)
    start = np.searchsorted(days, np.arange(first, first + span))[day]
    end = np.full(len(day), n_days, dtype=np.int64)
    end[:-1] = np.where(pair[1:] == pair[:-1], start[1:], n_days)
    measure = pair % cc.n_measures
    completed = status == COMPLETED
    excluded = status == NOT_APPLICABLE
    # Index of the first Stichtag at which the event no longer counts as done/excluded.
    stop = end
    expiring = np.flatnonzero(completed & (cc.m_valid_months[measure] > 0))
    expires = expiry(cc, day[expiring] + first, cc.m_valid_months[measure[expiring]])
    stop[expiring] = np.minimum(end[expiring], np.searchsorted(days, expires))
    active = np.flatnonzero((completed | excluded) & (start < stop))
    return pair[active], measure[active], start[active], stop[active], excluded[active]


def _sort_events(
    pair: IntArray, offset: IntArray, status: IntArray, n_pairs: int, span: int
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
    if (n_pairs - 1).bit_length() + day_bits + row_bits + 2 > SORT_KEY_BITS:
        order = np.argsort(pair * span + offset, kind="stable")
        return pair[order], offset[order], status[order]
    key = pair << (day_bits + row_bits + 2)
    key |= offset << (row_bits + 2)
    key |= np.arange(0, 4 * n, 4, dtype=np.int64)  # row << 2
    key |= status
    key.sort()
    sorted_status = key & 3
    key >>= row_bits + 2
    sorted_offset = key & ((1 << day_bits) - 1)
    key >>= day_bits
    return key, sorted_offset, sorted_status


def _by_stichtag(
    start: IntArray, stop: IntArray, target: IntArray, value: FloatArray, n_days: int
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """The contributions ``+value`` at ``start`` and ``-value`` at ``stop`` (Stichtag
    indices) of ``target``, sorted by Stichtag index; and where each index begins."""
    index = np.concatenate([start, stop])
    by_day = np.argsort(index.astype(np.min_scalar_type(n_days)), kind="stable")
    index = index[by_day]
    targets = np.concatenate([target, target])[by_day]
    values = np.concatenate([value, -value])[by_day]
    return index, targets, values, np.searchsorted(index, np.arange(n_days + 1))


def _accumulate(
    contributions: tuple[IntArray, IntArray, FloatArray, IntArray],
    initial: FloatArray,
    n_days: int,
) -> Iterator[tuple[int, FloatArray]]:
    """Blocks (width, len(initial)) of ``initial`` plus the running sums of the
    contributions over the Stichtage, about :data:`BLOCK_ELEMENTS` at a time, each with
    the index of its first Stichtag."""
    index, target, value, bounds = contributions
    per_day = len(initial)
    step = max(1, BLOCK_ELEMENTS // per_day)
    carry = initial
    for lo in range(0, n_days, step):
        hi = min(lo + step, n_days)
        width = hi - lo
        a, b = bounds[lo], bounds[hi]
        counts = np.bincount(
            (index[a:b] - lo) * per_day + target[a:b], weights=value[a:b], minlength=width * per_day
        )
        block = counts.astype(np.float64, copy=False).reshape(width, per_day)
        block[0] += carry
        np.cumsum(block, axis=0, out=block)
        carry = block[-1].copy()
        yield lo, block


def _evaluate_masks(cc: CompiledCatalog, n_orgs: int, intervals: Intervals, out: Table) -> None:
    """:func:`evaluate_dates` with done/excluded bitmasks per cell and Stichtag; planes
    (kind: 0 done / 1 excluded, word, org, cell) per Stichtag."""
    pair, measure, start, stop, excluded = intervals
    n_words, n_cells = cc.n_words, cc.n_cells
    excl_offset = n_words * n_orgs * n_cells
    position = (cc.m_word[measure] * n_orgs + pair // cc.n_measures) * n_cells
    position += cc.m_cell[measure] + excluded * excl_offset
    n_days = len(out[0])
    contributions = _by_stichtag(start, stop, position, cc.m_bit_value[measure], n_days)
    for lo, block in _accumulate(contributions, np.zeros(2 * excl_offset), n_days):
        width = len(block)
        shaped = np.moveaxis(
            block.astype(np.int64).reshape(width, 2 * n_words, n_orgs, cc.n_dims, cc.n_levels),
            1,
            0,
        )
        result = evaluate(cc, shaped[:n_words], shaped[n_words:])
        _fill(out, lo, result.level, result.score, result.completed, result.total, cc)


@dataclass(frozen=True)
class StateTables:
    """The rule per cell *state*, for catalogs with at most :data:`CHUNK` measures per
    cell.

    The state of a cell is ``sum(3**slot * s)`` over its measures, with s = 1 for a done
    measure, 2 for an excluded one and 0 otherwise; ``cell * size + state`` indexes the
    tables. The values are those :func:`evaluate` computes from the same cell (same
    lookup tables, same operations), so both agree exactly."""

    n_slots: int
    size: int
    """``3 ** n_slots``: the number of states of a cell."""
    cell_offset: IntArray
    """(N, D): ``cell * size`` of the cell (dimension d, level l + 1) at [l, d]."""
    f: FloatArray
    """f(d, l) (clause 4)."""
    fulfilled: BoolArray
    """Whether the level is fulfilled (clause 5)."""
    counts: npt.NDArray[np.int32]
    """Done measures + 2**16 * excluded measures."""
    digit: FloatArray
    """Per measure, ``3.0 ** slot``."""


def state_tables(cc: CompiledCatalog) -> StateTables:
    """:class:`StateTables` of a catalog with ``n_chunks == 1``."""
    slot = cc.m_word * BITS + cc.m_bit
    n_slots = int(slot.max()) + 1
    size = 3**n_slots
    digits = (np.arange(size)[:, None] // 3 ** np.arange(n_slots)) % 3
    values = 1 << np.arange(n_slots)
    done_bits = (digits == 1) @ values
    excluded_bits = (digits == 2) @ values
    done_weight = cc.done_table[0][:, done_bits]
    open_weight = cc.open_table[0][:, excluded_bits]
    f = np.divide(done_weight, open_weight, out=np.ones_like(done_weight), where=open_weight > 0)
    mandatory = cc.mandatory_mask[0].reshape(-1, 1)
    mandatory_open = (mandatory & ~(done_bits | excluded_bits)) != 0
    fulfilled = (f >= cc.threshold - TOLERANCE) & ~mandatory_open
    counts = np.bitwise_count(done_bits) + (np.bitwise_count(excluded_bits).astype(np.int32) << 16)
    cell = np.arange(cc.n_dims) * cc.n_levels + np.arange(cc.n_levels)[:, None]
    return StateTables(
        n_slots=n_slots,
        size=size,
        cell_offset=cell * size,
        f=f.reshape(-1),
        fulfilled=fulfilled.reshape(-1),
        counts=np.tile(counts.astype(np.int32), cc.n_cells),
        digit=(3.0**slot).astype(np.float64),
    )


def _evaluate_states(cc: CompiledCatalog, n_orgs: int, intervals: Intervals, out: Table) -> None:
    """:func:`evaluate_dates` with one state number per cell and Stichtag (see
    :class:`StateTables`); planes (level, org, dimension) per Stichtag, so that the loop
    over the levels runs over contiguous planes."""
    pair, measure, start, stop, excluded = intervals
    tables = state_tables(cc)
    n_dims, n_levels = cc.n_dims, cc.n_levels
    plane = n_orgs * n_dims
    position = (cc.m_level[measure] - 1) * plane + (pair // cc.n_measures) * n_dims
    position += cc.m_dim[measure]
    value = tables.digit[measure] * (1.0 + excluded)
    n_days = len(out[0])
    contributions = _by_stichtag(start, stop, position, value, n_days)
    initial = np.repeat(tables.cell_offset.astype(np.float64), n_orgs, axis=0).reshape(-1)
    for lo, block in _accumulate(contributions, initial, n_days):
        codes = block.astype(np.int32).reshape(len(block), n_levels, n_orgs, n_dims)
        del block
        _evaluate_codes(cc, tables, codes, out, lo)


def _evaluate_codes(
    cc: CompiledCatalog, tables: StateTables, codes: npt.NDArray[np.int32], out: Table, lo: int
) -> None:
    """Clauses 4–9 for cell codes ``cell * size + state`` of shape (B, N, O, D); results
    into ``out[i][lo : lo + B]``."""
    n_levels = cc.n_levels
    fulfilled = tables.fulfilled.take(codes)
    running = fulfilled[:, 0].copy()
    level = running.astype(np.int64)
    for higher in range(1, n_levels):
        running &= fulfilled[:, higher]
        level += running
    del fulfilled, running
    following = np.take_along_axis(codes, np.minimum(level, n_levels - 1)[:, None], axis=1)
    value_at = tables.f.take(following[:, 0])
    score = np.where(level == n_levels, float(n_levels), level + np.minimum(value_at, SCORE_CAP))
    counts = tables.counts.take(codes).sum(axis=1, dtype=np.int64)
    completed = counts & 0xFFFF
    total = cc.dimension_count - (counts >> 16)
    _fill(out, lo, level, score, completed, total, cc)


def _overall_score(cc: CompiledCatalog, score: FloatArray) -> FloatArray:
    """Clause 8: the mean of the dimensions' scores (last axis) by dimension weight."""
    weighted = np.zeros(score.shape[:-1], dtype=np.float64)
    for d, w in enumerate(cc.dimension_weights):
        weighted += w * score[..., d]
    overall: FloatArray = weighted / sum(cc.dimension_weights)
    return overall


def _empty_table(n_days: int, n_orgs: int, n_dims: int) -> Table:
    shape = (n_days, n_orgs, n_dims + 1)
    return (
        np.empty(shape, dtype=np.int64),
        np.empty(shape, dtype=np.float64),
        np.empty(shape, dtype=np.int64),
        np.empty(shape, dtype=np.int64),
    )


def _fill(
    out: Table,
    lo: int,
    level: IntArray,
    score: FloatArray,
    completed: IntArray,
    total: IntArray,
    cc: CompiledCatalog,
) -> None:
    """Write per-dimension results (width, O, D) and the overall values into
    ``out[i][lo : lo + width]`` (:meth:`Evaluation.table`). The reductions over the short
    dimension axis run slice by slice, which is faster than numpy's reductions."""
    hi = lo + len(level)
    n_dims = cc.n_dims
    for target, values in zip(out, (level, score, completed, total), strict=True):
        target[lo:hi, :, :n_dims] = values
    out[1][lo:hi, :, n_dims] = _overall_score(cc, score)
    overall_level = out[0][lo:hi, :, n_dims]
    overall_completed = out[2][lo:hi, :, n_dims]
    overall_total = out[3][lo:hi, :, n_dims]
    overall_level[...] = level[..., 0]
    overall_completed[...] = completed[..., 0]
    overall_total[...] = total[..., 0]
    for d in range(1, n_dims):
        np.minimum(overall_level, level[..., d], out=overall_level)
        overall_completed += completed[..., d]
        overall_total += total[..., d]
