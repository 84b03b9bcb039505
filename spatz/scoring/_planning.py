"""``roadmap`` and ``forecast``: what is missing for the next level, and will a target hold."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from spatz.catalog import Catalog
from spatz.errors import ArgumentError, NotFoundError, SpatzError
from spatz.scoring._catalog import COMPLETED, NO_CREDIT, CompiledCatalog, IntArray, compile_catalog
from spatz.scoring._covers import Cover, Prepared, apply_covers, prepare
from spatz.scoring._engine import effective_codes, evaluate, last_events, state_codes
from spatz.scoring._events import (
    NO_DAY,
    OPEN,
    OPEN_LABEL,
    DateLike,
    day_values,
    encode_events,
    to_day,
)
from spatz.scoring._score import empty_frame

ROADMAP_COLUMNS: tuple[str, ...] = (
    "measure_id",
    "level",
    "title",
    "mandatory",
    "weight",
    "status",
    "due_date",
    "f_gain",
    "score_gain",
    "reason",
)
"""Columns of :func:`roadmap`."""

TARGET_COLUMNS: tuple[str, ...] = ("org", "dimension_id", "target_level", "target_date")
"""Required columns of the targets frame of :func:`forecast`."""

FORECAST_COLUMNS: tuple[str, ...] = ("current_level", "current_score", "forecast_level", "status")
"""Columns :func:`forecast` adds to the targets."""


class TargetsError(SpatzError, ValueError):
    """The targets frame is invalid; the message names the offending value and its row."""


def _where(row: int, column: str, message: str) -> str:
    """A problem of the targets frame: ``Ziele, Zeile ROW, Spalte COLUMN: message``."""
    return f"Ziele, Zeile {row}, Spalte {column}: {message}"


def roadmap(
    catalog: Catalog,
    events: pd.DataFrame,
    org: str,
    dimension_id: str,
    as_of: DateLike | None = None,
    target_level: int | None = None,
    covers: Sequence[Cover] = (),
) -> pd.DataFrame:
    """The open measures between ``org`` and the next level of ``dimension_id``.

    Open means neither done nor excluded at ``as_of`` (a partial answer or an expired one
    is open). Covered are the levels level(d) + 1 (with ``rule: additive``: 1) up to
    ``target_level`` if that is higher; none when the dimension is at the top level. Rows
    are ordered by level, mandatory first, weight descending, due date (NaT last), measure
    id; then each measure is moved after those of its prerequisites (``depends_on``) that
    are rows too. Columns :data:`ROADMAP_COLUMNS`: ``status`` is the state (or
    ``"open"``), ``due_date`` the ``due_date`` of the state event if ``events`` has that
    column, ``f_gain`` what completing the measure adds to f(d, its level) (its weight ·
    (1 - its credit) / the non-excluded weight of that level), ``score_gain`` what
    completing it alone, today, adds to score(d), and ``reason`` "Voraussetzung für X, Y"
    when rows X, Y need it ("" otherwise).

    An organisation without events has every measure open. An unknown dimension raises
    :class:`~spatz.errors.NotFoundError`, a ``target_level`` outside 1..N
    :class:`~spatz.errors.ArgumentError`. A measure that ``covers`` make done (clause 12
    of :func:`~spatz.scoring.score`) is not open.
    """
    cc = compile_catalog(catalog)
    d = _dimension_index(cc, dimension_id)
    if target_level is not None and not 1 <= target_level <= cc.n_levels:
        raise ArgumentError(f"Zielstufe {target_level!r} ist keine Stufe 1..{cc.n_levels}")
    day = to_day(as_of)
    status, start, due = _org_states(cc, events, [org], day)
    codes = _covered(
        cc, effective_codes(cc, status, start, _measures(cc, 1), day), covers, [org], day
    )
    current = evaluate(cc, codes)
    credit = cc.credit[cc.m_offset + codes[0]]
    excluded = cc.excluded[cc.m_offset + codes[0]]
    level = int(current.level[0, d])
    upto = min(cc.n_levels, max(level + 1, target_level or 0))
    lowest = 1 if cc.additive else level + 1
    candidates = np.flatnonzero(
        (cc.m_dim == d)
        & (cc.m_level >= lowest)
        & (cc.m_level <= upto)
        & (credit != 1.0)
        & ~excluded
    )
    if not len(candidates):
        return empty_frame(ROADMAP_COLUMNS)
    variants = np.repeat(codes, len(candidates), axis=0)
    variants[np.arange(len(candidates)), candidates] = COMPLETED
    gained = evaluate(cc, variants)
    levels = cc.m_level[candidates]
    titles = [m.title for _, m in catalog.measures()]
    row_status = status[0, candidates]
    weight = cc.m_weight[candidates]
    frame = pd.DataFrame(
        {
            "measure_id": pd.array([cc.measure_ids[i] for i in candidates], dtype="str"),
            "level": levels,
            "title": pd.array([titles[i] for i in candidates], dtype="str"),
            "mandatory": cc.m_mandatory[candidates],
            "weight": weight,
            "status": pd.array(
                [OPEN_LABEL if s == OPEN else cc.status_keys[s] for s in row_status], dtype="str"
            ),
            "due_date": day_values(due[0, candidates]),
            "f_gain": weight * (1.0 - credit[candidates]) / current.open_weight[0, d, levels - 1],
            "score_gain": gained.score[:, d] - current.score[0, d],
            "reason": pd.array([""] * len(candidates), dtype="str"),
        }
    )
    ordered = frame.sort_values(
        ["level", "mandatory", "weight", "due_date", "measure_id"],
        ascending=[True, False, False, True, True],
        na_position="last",
        kind="stable",
        ignore_index=True,
    )
    return _prerequisites_first(cc, ordered)


def _prerequisites_first(cc: CompiledCatalog, plan: pd.DataFrame) -> pd.DataFrame:
    """``plan`` with each of its measures after those of its prerequisites that are in
    ``plan`` too (otherwise in its order), and their ``reason``: "Voraussetzung für" the
    measures of ``plan`` that need them."""
    ids = [str(i) for i in plan["measure_id"]]
    row = {measure_id: i for i, measure_id in enumerate(ids)}
    needs = [
        [
            row[cc.measure_ids[p]]
            for p in cc.prerequisites[cc.measure_ids.index(measure_id)]
            if cc.measure_ids[p] in row
        ]
        for measure_id in ids
    ]
    if not any(needs):
        return plan
    needed_by: list[list[str]] = [[] for _ in ids]
    for i, needed in enumerate(needs):
        for p in needed:
            needed_by[p].append(ids[i])
    order: list[int] = []
    placed: set[int] = set()

    def place(i: int) -> None:
        if i in placed:
            return
        placed.add(i)
        for p in needs[i]:
            place(p)
        order.append(i)

    for i in range(len(ids)):
        place(i)
    result = plan.iloc[order].reset_index(drop=True)
    reasons = [
        f"Voraussetzung für {', '.join(needed_by[i])}" if needed_by[i] else "" for i in order
    ]
    result["reason"] = pd.array(reasons, dtype="str")
    return result


def forecast(
    catalog: Catalog,
    events: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: DateLike | None = None,
    covers: Sequence[Cover] = (),
) -> pd.DataFrame:
    """Whether each target (org, dimension, group or ``"overall"``, target_level,
    target_date) holds.

    ``status`` of a target row is

    * ``achieved`` if the level at ``as_of`` is at least ``target_level``, else
    * ``overdue`` if ``target_date < as_of``, else
    * ``on_track`` if the rule, applied at ``target_date``, reaches ``target_level`` under
      the assumption that every measure whose state at ``as_of`` has a credit below 1
      (``planned``, ``in_progress``, a partial answer) and whose state event has a
      ``due_date`` on or before the target date is ``completed`` on that due date
      (completions may expire by the target date),
    * ``at_risk`` otherwise.

    The due date is the ``due_date`` column of ``events`` (optional; the caller fills it
    from projects and milestones). Returns the targets (all their columns, index 0..n-1)
    with :data:`FORECAST_COLUMNS` added: ``current_level`` and ``current_score`` at
    ``as_of``, ``forecast_level`` the level so computed at the target date (for achieved
    and overdue targets the current level). Raises :class:`TargetsError` for invalid
    targets, :class:`~spatz.scoring.EventsError` for invalid events. The measures that
    ``covers`` make done at ``as_of`` (clause 12 of :func:`~spatz.scoring.score`) count as
    done now and at the target dates.
    """
    cc = compile_catalog(catalog)
    day = to_day(as_of)
    orgs, dims, wanted, target_days = _read_targets(cc, targets)
    names = sorted(set(orgs))
    row_org = np.searchsorted(np.array(names, dtype=object), np.array(orgs, dtype=object))
    status, start, due = _org_states(cc, events, names, day)
    measure = _measures(cc, len(names))
    _, prepared = prepare(cc, None, covers)
    sources = _source_rows(prepared, names, day)
    codes = apply_covers(cc, effective_codes(cc, status, start, measure, day), prepared, sources)
    level, value, _, _ = evaluate(cc, codes).table()
    current_level = level[row_org, dims]
    achieved = current_level >= wanted
    overdue = ~achieved & (target_days < day)
    pending = ~achieved & ~overdue
    forecast_level = current_level.copy()
    answer = cc.m_offset[measure] + np.maximum(status, 0)
    planned = (status >= 0) & (cc.credit[answer] < 1.0) & (due != NO_DAY)
    for target_day in np.unique(target_days[pending]).tolist():
        assumed = planned & (due <= target_day)
        codes_then = effective_codes(
            cc,
            np.where(assumed, COMPLETED, status),
            np.where(assumed, due, start),
            measure,
            target_day,
        )
        then = evaluate(cc, apply_covers(cc, codes_then, prepared, sources)).table()[0]
        rows = pending & (target_days == target_day)
        forecast_level[rows] = then[row_org[rows], dims[rows]]
    verdict = np.where(
        achieved,
        "achieved",
        np.where(overdue, "overdue", np.where(forecast_level >= wanted, "on_track", "at_risk")),
    )
    result = targets.reset_index(drop=True)
    result["current_level"] = current_level.astype(np.int64)
    result["current_score"] = value[row_org, dims].astype(np.float64)
    result["forecast_level"] = forecast_level.astype(np.int64)
    result["status"] = pd.array(verdict, dtype="str")
    return result


def _covered(
    cc: CompiledCatalog, codes: IntArray, covers: Sequence[Cover], orgs: Sequence[str], day: int
) -> IntArray:
    """The code grid of ``orgs`` with the measures the ``covers`` make done at ``day``."""
    _, prepared = prepare(cc, None, covers)
    return apply_covers(cc, codes, prepared, _source_rows(prepared, orgs, day))


def _source_rows(prepared: Sequence[Prepared], orgs: Sequence[str], day: int) -> list[IntArray]:
    """Each source's code grid at ``day`` for ``orgs`` (in that order): (len(orgs), M of
    the source), open where an organisation has no events of the source."""
    wanted = np.array(list(orgs), dtype=object)
    grids: list[IntArray] = []
    for p in prepared:
        grid = np.full((len(wanted), p.cc.n_measures), NO_CREDIT, dtype=np.int64)
        if p.ev.n_orgs and len(wanted):
            position = np.minimum(np.searchsorted(p.ev.orgs, wanted), p.ev.n_orgs - 1)
            found = p.ev.orgs[position] == wanted
            grid[found] = state_codes(p.cc, p.ev, day)[position[found]]
        grids.append(grid)
    return grids


def _dimension_index(cc: CompiledCatalog, dimension_id: str) -> int:
    try:
        return cc.dimension_ids.index(dimension_id)
    except ValueError:
        raise NotFoundError(
            f"unbekannte Dimension {dimension_id!r} (Dimensionen des Katalogs "
            f"{cc.catalog.key}: {', '.join(cc.dimension_ids)})"
        ) from None


def _org_states(
    cc: CompiledCatalog, events: pd.DataFrame, orgs: Sequence[str], day: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Status, date and due date of the state events of ``orgs`` at ``day``: (len(orgs), M).

    Organisations without events are open everywhere.
    """
    shape = (len(orgs), cc.n_measures)
    status = np.full(shape, OPEN, dtype=np.int64)
    start = np.full(shape, NO_DAY, dtype=np.int64)
    due = np.full(shape, NO_DAY, dtype=np.int64)
    if events.empty or not orgs:
        return status, start, due
    ev = encode_events(cc, events, due_dates=True)
    assert ev.due is not None
    wanted = np.array(orgs, dtype=object)
    pos = np.minimum(np.searchsorted(ev.orgs, wanted), ev.n_orgs - 1)
    slot = np.full(ev.n_orgs, -1, dtype=np.int64)
    found = ev.orgs[pos] == wanted
    slot[pos[found]] = np.flatnonzero(found)
    pairs, rows = last_events(cc, ev, day)
    org = slot[pairs // cc.n_measures]
    keep = org >= 0
    at = (org[keep], pairs[keep] % cc.n_measures)
    status[at] = ev.status[rows[keep]]
    start[at] = ev.day[rows[keep]]
    due[at] = ev.due[rows[keep]]
    return status, start, due


def _measures(cc: CompiledCatalog, n_orgs: int) -> IntArray:
    """The measure index of each cell of an (n_orgs, M) grid."""
    return np.broadcast_to(np.arange(cc.n_measures), (n_orgs, cc.n_measures))


def _read_targets(
    cc: CompiledCatalog, targets: pd.DataFrame
) -> tuple[list[str], IntArray, IntArray, IntArray]:
    """Organisations, dimension indexes (D for overall), target levels and target days."""
    missing = [c for c in TARGET_COLUMNS if c not in targets.columns]
    if missing:
        raise TargetsError(f"Ziele: Spalte(n) {', '.join(map(repr, missing))} fehlen")
    dimension_index = {d: i for i, d in enumerate(cc.row_ids)}
    orgs: list[str] = []
    dims: list[int] = []
    levels: list[int] = []
    days: list[int] = []
    columns = [targets[c].tolist() for c in TARGET_COLUMNS]
    for row, (org, dimension_id, level, date) in enumerate(zip(*columns, strict=True)):
        if pd.isna(org):
            raise TargetsError(_where(row, "org", "Wert fehlt"))
        if dimension_id not in dimension_index:
            unknown = f"unbekannte Dimension {dimension_id!r}"
            raise TargetsError(_where(row, "dimension_id", unknown))
        if not _is_level(level, cc.n_levels):
            raise TargetsError(
                _where(row, "target_level", f"{level!r} ist keine Stufe 1..{cc.n_levels}")
            )
        try:
            if pd.isna(date):
                raise ValueError(date)
            target_day = to_day(date)
        except ValueError:
            raise TargetsError(_where(row, "target_date", f"kein Datum: {date!r}")) from None
        orgs.append(str(org))
        dims.append(dimension_index[dimension_id])
        levels.append(int(level))
        days.append(target_day)
    return (
        orgs,
        np.array(dims, dtype=np.int64),
        np.array(levels, dtype=np.int64),
        np.array(days, dtype=np.int64),
    )


def _is_level(value: object, n_levels: int) -> bool:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return False
    return float(value).is_integer() and 1 <= float(value) <= n_levels
