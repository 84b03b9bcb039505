"""A catalog turned into the integer and float arrays the engine works on.

Measures are numbered in catalog order (dimension by dimension, file order within a
dimension). A *cell* is one (dimension, level) pair, numbered ``dimension * N + level - 1``.
The status keys a catalog accepts are numbered too (:attr:`CompiledCatalog.status_keys`:
the four built-in statuses first, in the order of :data:`STATUSES`, then the answer keys of
the catalog's scales). The state of an (organisation, measure) pair that the rule works
with is such a *code*; the tables of :class:`CompiledCatalog` give, per measure and code,
what the rule needs (credit, excluded, the weights it adds to its cell). An open measure and
an expired answer have the code of ``planned`` (credit 0, not excluded).

Compiling is done once per catalog content (:func:`compile_catalog` keeps the last few
compiled catalogs by :meth:`~spatz.catalog.Catalog.content_hash`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spatz.catalog import BUILTIN_CREDITS, OVERALL, Catalog

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

STATUSES: tuple[str, ...] = tuple(BUILTIN_CREDITS)
"""The four built-in status keys, in code order: planned, in_progress, completed,
not_applicable."""
COMPLETED = STATUSES.index("completed")
NO_CREDIT = STATUSES.index("planned")
"""The code of an open measure and of an expired answer: credit 0, not excluded."""

COUNT_SHIFT = 26
"""Per measure and code, :attr:`CompiledCatalog.counts` holds ``done + 2**COUNT_SHIFT *
counted``; summed per cell in float64 this is exact for cells of fewer than 2**26
measures."""

CACHE_SIZE = 8
"""Compiled catalogs kept by :func:`compile_catalog`."""


@dataclass(frozen=True)
class Aggregate:
    """A group or the overall row: its members' rows are combined into row ``row``."""

    row: int
    members: tuple[int, ...]
    """Result rows of the members: dimensions in catalog order, then groups in the order
    of ``catalog.groups``."""
    weights: tuple[float, ...]


@dataclass(frozen=True)
class CompiledCatalog:
    """Array form of a :class:`~spatz.catalog.Catalog` (see the module docstring)."""

    catalog: Catalog
    measure_ids: tuple[str, ...]
    dimension_ids: tuple[str, ...]
    group_ids: tuple[str, ...]
    n_levels: int
    threshold: float
    additive: bool
    """``rule: additive`` (else gated)."""
    status_keys: tuple[str, ...]
    m_dim: IntArray
    m_level: IntArray
    """1-based level of each measure."""
    m_cell: IntArray
    m_weight: FloatArray
    m_mandatory: BoolArray
    m_valid_months: IntArray
    """``valid_for_months``, 0 where an answer does not expire."""
    valid_months: IntArray
    """The distinct positive ``valid_for_months`` of the catalog, sorted."""
    m_offset: IntArray
    """``measure * K`` (K status keys): index of the measure's row in the flat tables."""
    allowed: BoolArray
    """(M * K): whether the measure accepts the status key."""
    all_allowed: bool
    """Every measure accepts every status key."""
    credit: FloatArray
    """(M * K): credit of the status for the measure; NaN where excluded or not allowed."""
    positive: BoolArray
    """(M * K): credit > 0 (an answer that may expire)."""
    excluded: BoolArray
    """(M * K): the status excludes the measure."""
    done_weight: FloatArray
    """(M * K): weight · credit (0 where excluded), what the measure adds to Σ w·credit."""
    open_weight: FloatArray
    """(M * K): weight (0 where excluded), what the measure adds to Σ w."""
    counts: FloatArray
    """(M * K): done + 2**COUNT_SHIFT * counted (counted: not excluded)."""
    mandatory_open: FloatArray
    """(M * K): 1.0 where the measure is mandatory, not excluded and not done."""
    has_measures: BoolArray
    """(D, N): whether the dimension has measures on the level."""
    levels_with_measures: FloatArray
    """(D,): the number of levels on which the dimension has measures."""
    aggregates: tuple[Aggregate, ...]
    """The groups, each after its child groups, then the overall row (last)."""
    prerequisites: tuple[tuple[int, ...], ...]
    """Per measure, the measures of its ``depends_on``, in that order."""

    @property
    def n_dims(self) -> int:
        return len(self.dimension_ids)

    @property
    def n_measures(self) -> int:
        return len(self.measure_ids)

    @property
    def n_cells(self) -> int:
        return self.n_dims * self.n_levels

    @property
    def n_keys(self) -> int:
        return len(self.status_keys)

    @property
    def row_ids(self) -> tuple[str, ...]:
        """The ``dimension_id`` of the result rows: dimensions, groups, ``overall``."""
        return (*self.dimension_ids, *self.group_ids, OVERALL)

    @property
    def n_rows(self) -> int:
        return self.n_dims + len(self.group_ids) + 1

    def keys_of(self, measure: int) -> list[str]:
        """The status keys measure ``measure`` accepts, in code order."""
        row = self.allowed[measure * self.n_keys : (measure + 1) * self.n_keys]
        return [self.status_keys[k] for k in np.flatnonzero(row)]


_cache: OrderedDict[str, CompiledCatalog] = OrderedDict()
_lock = threading.Lock()


def compile_catalog(catalog: Catalog) -> CompiledCatalog:
    """The compiled form of ``catalog``: from the cache if a catalog of the same content
    was compiled recently, else compiled now (:data:`CACHE_SIZE` are kept)."""
    key = catalog.content_hash()
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    compiled = _compile(catalog)
    with _lock:
        _cache[key] = compiled
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return compiled


def _compile(catalog: Catalog) -> CompiledCatalog:
    n_levels = catalog.n_levels
    n_dims = len(catalog.dimensions)
    pairs = list(catalog.measures())
    keys = list(STATUSES)
    for answers in (catalog.answers, *(s.answers for s in catalog.answer_scales)):
        keys += [a.key for a in answers if a.key not in keys]
    n_keys = len(keys)
    m_dim = np.array(
        [d for d, dim in enumerate(catalog.dimensions) for _ in dim.measures], dtype=np.int64
    )
    m_level = np.array([m.level for _, m in pairs], dtype=np.int64)
    m_weight = np.array([m.weight for _, m in pairs], dtype=np.float64)
    m_mandatory = np.array([m.mandatory for _, m in pairs], dtype=np.bool_)
    m_valid = np.array([m.valid_for_months or 0 for _, m in pairs], dtype=np.int64)

    credit = np.full((len(pairs), n_keys), np.nan)
    allowed = np.zeros((len(pairs), n_keys), dtype=np.bool_)
    excluded = np.zeros((len(pairs), n_keys), dtype=np.bool_)
    for i, (_, m) in enumerate(pairs):
        for key, value in catalog.credits(m).items():
            k = keys.index(key)
            allowed[i, k] = True
            if value is None:
                excluded[i, k] = True
            else:
                credit[i, k] = value
    counted = allowed & ~excluded
    weight = m_weight[:, None]
    done = counted & (credit == 1.0)
    done_weight = np.where(counted, weight * np.nan_to_num(credit), 0.0)
    has_measures = np.zeros((n_dims, n_levels), dtype=np.bool_)
    has_measures[m_dim, m_level - 1] = True

    ids = [m.id for _, m in pairs]
    index = {measure_id: i for i, measure_id in enumerate(ids)}
    return CompiledCatalog(
        catalog=catalog,
        measure_ids=tuple(ids),
        dimension_ids=tuple(d.id for d in catalog.dimensions),
        group_ids=tuple(g.id for g in catalog.groups),
        n_levels=n_levels,
        threshold=catalog.threshold,
        additive=catalog.rule == "additive",
        status_keys=tuple(keys),
        m_dim=m_dim,
        m_level=m_level,
        m_cell=m_dim * n_levels + m_level - 1,
        m_weight=m_weight,
        m_mandatory=m_mandatory,
        m_valid_months=m_valid,
        valid_months=np.unique(m_valid[m_valid > 0]),
        m_offset=np.arange(len(pairs), dtype=np.int64) * n_keys,
        allowed=allowed.ravel(),
        all_allowed=bool(allowed.all()),
        credit=credit.ravel(),
        positive=(np.nan_to_num(credit) > 0).ravel(),
        excluded=excluded.ravel(),
        done_weight=done_weight.ravel(),
        open_weight=np.where(counted, weight, 0.0).ravel(),
        counts=(done + counted * float(2**COUNT_SHIFT)).ravel(),
        mandatory_open=(m_mandatory[:, None] & counted & ~done).astype(np.float64).ravel(),
        has_measures=has_measures,
        levels_with_measures=has_measures.sum(axis=1).astype(np.float64),
        aggregates=_aggregates(catalog),
        prerequisites=tuple(tuple(index[p] for p in m.depends_on) for _, m in pairs),
    )


def _aggregates(catalog: Catalog) -> tuple[Aggregate, ...]:
    """The groups (each after its child groups) and the overall row, with their members."""
    n_dims = len(catalog.dimensions)
    group_row = {g.id: n_dims + i for i, g in enumerate(catalog.groups)}
    weight = {d: dim.weight for d, dim in enumerate(catalog.dimensions)}
    weight.update({group_row[g.id]: g.weight for g in catalog.groups})

    def members(parent: str | None) -> tuple[int, ...]:
        dims = [d for d, dim in enumerate(catalog.dimensions) if dim.group == parent]
        return (*dims, *(group_row[g.id] for g in catalog.groups if g.parent == parent))

    def aggregate(row: int, rows: tuple[int, ...]) -> Aggregate:
        return Aggregate(row=row, members=rows, weights=tuple(weight[r] for r in rows))

    ordered: list[Aggregate] = []

    def visit(group_id: str) -> None:
        for child in catalog.groups:
            if child.parent == group_id:
                visit(child.id)
        ordered.append(aggregate(group_row[group_id], members(group_id)))

    for group in catalog.groups:
        if group.parent is None:
            visit(group.id)
    ordered.append(aggregate(n_dims + len(catalog.groups), members(None)))
    return tuple(ordered)
