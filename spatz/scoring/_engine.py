"""The rule on arrays: states at a Stichtag, done/excluded bitmasks, and their evaluation.

Shapes: ``O`` organisations, ``M`` measures, ``D`` dimensions, ``N`` levels, ``W`` mask
words (usually 1). A mask array has shape ``(W, *lead, D, N)``; bit ``b`` of word ``w``
of cell (d, l) is set when the measure in slot ``w * BITS + b`` of dimension d, level l is
done (or excluded). ``lead`` is (O,) for one Stichtag, (B, O) for a batch of Stichtage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spatz.scoring._catalog import (
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

BLOCK_ELEMENTS = 8_000_000
"""Mask elements built and evaluated at once by :func:`evaluate_dates` (bounds memory)."""


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
    weighted = np.zeros(score.shape[:-1], dtype=np.float64)
    for d, w in enumerate(cc.dimension_weights):
        weighted += w * score[..., d]
    return Evaluation(
        open_weight=open_weight,
        level=level,
        score=score,
        completed=completed,
        total=total,
        overall_level=level.min(axis=-1),
        overall_score=weighted / sum(cc.dimension_weights),
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


def evaluate_at(cc: CompiledCatalog, ev: EncodedEvents, day: int) -> Evaluation:
    """The rule for every organisation of ``ev`` at Stichtag ``day`` (lead shape (O,)).

    Whether an event, if it is the state, makes its measure done or excluded is computed
    for all events in one sequential pass and carried in the scatter-max key, so the state
    events need not be looked up.
    """
    done, excluded = completion_state(cc, ev.status, ev.day, ev.measure, day)
    payload = np.arange(0, 4 * ev.n_rows, 4)
    payload += done
    payload += 2 * excluded.view(np.int8)
    pairs, last = _last(cc, ev, day, payload, 4 * ev.n_rows)
    flagged = np.flatnonzero(last & 3)
    pairs = pairs[flagged]
    kind = (last[flagged] & 3) - 1
    measure = pairs % cc.n_measures
    both = masks(cc, kind * ev.n_orgs + pairs // cc.n_measures, measure, 2 * ev.n_orgs)
    return evaluate(cc, both[:, : ev.n_orgs], both[:, ev.n_orgs :])


def evaluate_dates(
    cc: CompiledCatalog, ev: EncodedEvents, days: IntArray
) -> tuple[IntArray, FloatArray, IntArray, IntArray]:
    """:meth:`Evaluation.table` for every organisation at each of the sorted ``days``.

    One pass over the events: sorted by (pair, date, row), each event is the state of its
    pair for the Stichtage with index in ``[j(date), j(next date of the pair))``, where
    ``j(x) = searchsorted(days, x)`` (an event followed by one of the same date gets an
    empty range: the later row wins). A ``completed`` event is done up to its expiry if
    that comes first. Each event adds its bit to a mask at the start index and removes it
    at the end index; cumulative sums over the Stichtage give the masks, which are built
    and evaluated a block of Stichtage at a time. Returns arrays (len(days), O, D + 1).
    ``ev`` and ``days`` are not empty.
    """
    m_count = cc.n_measures
    first = int(ev.day.min())
    span = int(ev.day.max()) - first + 1
    order = np.argsort(ev.pair * span + (ev.day - first), kind="stable")
    pair, day, status = ev.pair[order], ev.day[order], ev.status[order]
    n_days = len(days)
    j_of_day = np.searchsorted(days, np.arange(first, first + span))
    start = j_of_day[day - first]
    end = np.full(len(day), n_days, dtype=np.int64)
    end[:-1] = np.where(pair[1:] == pair[:-1], start[1:], n_days)
    measure = pair % m_count
    completed = status == COMPLETED
    excluded = status == NOT_APPLICABLE
    # Index of the first Stichtag at which the event no longer counts as done/excluded.
    stop = end.copy()
    expiring = np.flatnonzero(completed & (cc.m_valid_months[measure] > 0))
    expires = expiry(cc, day[expiring], cc.m_valid_months[measure[expiring]])
    stop[expiring] = np.minimum(end[expiring], np.searchsorted(days, expires))
    active = np.flatnonzero((completed | excluded) & (start < stop))

    # Contributions (Stichtag index, position in a day's planes, ±bit) of the active events
    # at their start and stop; planes are (kind: 0 done / 1 excluded, word, org, cell).
    n_words, n_cells = cc.n_words, cc.n_cells
    excl_offset = n_words * ev.n_orgs * n_cells
    measure = measure[active]
    position = (cc.m_word[measure] * ev.n_orgs + pair[active] // m_count) * n_cells
    position += cc.m_cell[measure] + excluded[active] * excl_offset
    bit = cc.m_bit_value[measure]
    index = np.concatenate([start[active], stop[active]])
    by_day = np.argsort(index.astype(np.min_scalar_type(n_days)), kind="stable")
    index = index[by_day]
    target = np.concatenate([position, position])[by_day]
    value = np.concatenate([bit, -bit])[by_day]
    bounds = np.searchsorted(index, np.arange(n_days + 1))

    per_day = 2 * excl_offset
    step = max(1, BLOCK_ELEMENTS // per_day)
    carry = np.zeros(per_day, dtype=np.float64)
    pieces: list[tuple[IntArray, FloatArray, IntArray, IntArray]] = []
    for lo in range(0, n_days, step):
        hi = min(lo + step, n_days)
        width = hi - lo
        a, b = bounds[lo], bounds[hi]
        counts = np.bincount(
            (index[a:b] - lo) * per_day + target[a:b], weights=value[a:b], minlength=width * per_day
        )
        block = counts.astype(np.float64, copy=False).reshape(width, per_day)
        block[0] += carry
        for row in range(1, width):
            block[row] += block[row - 1]
        carry = block[-1].copy()
        shaped = np.moveaxis(
            block.astype(np.int64).reshape(width, 2 * n_words, ev.n_orgs, cc.n_dims, cc.n_levels),
            1,
            0,
        )
        pieces.append(evaluate(cc, shaped[:n_words], shaped[n_words:]).table())
    level, score, done_count, total = zip(*pieces, strict=True)
    return (
        np.concatenate(level),
        np.concatenate(score),
        np.concatenate(done_count),
        np.concatenate(total),
    )
