"""A catalog turned into the integer and float arrays the engine works on.

Measures are numbered in catalog order (dimension by dimension, file order within a
dimension). A *cell* is one (dimension, level) pair; within its cell a measure has a *slot*
(0, 1, … in catalog order). The engine keeps the set of done and the set of excluded
measures of a cell as a bitmask: slot ``s`` is bit ``s % BITS`` of word ``s // BITS``.
Weight sums are looked up per chunk of :data:`CHUNK` slots in tables indexed by the chunk's
bits (see :attr:`CompiledCatalog.done_table`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spatz.catalog import Catalog

CHUNK = 8
"""Slots per weight lookup table (a table has ``2**CHUNK`` entries per cell)."""
CHUNKS_PER_WORD = 6
BITS = CHUNK * CHUNKS_PER_WORD
"""Bits used per mask word (48). Masks travel through float64 sums (``bincount``);
sums of distinct powers of two below ``2**48`` stay far below ``2**53`` and are therefore
exact, also with the ``+bit``/``-bit`` differences used by the trend."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CompiledCatalog:
    """Array form of a :class:`~spatz.catalog.Catalog` (see the module docstring)."""

    catalog: Catalog
    measure_ids: tuple[str, ...]
    dimension_ids: tuple[str, ...]
    dimension_weights: tuple[float, ...]
    n_levels: int
    threshold: float
    m_dim: IntArray
    m_level: IntArray
    """1-based level of each measure."""
    m_cell: IntArray
    """``dimension * n_levels + level - 1``."""
    m_word: IntArray
    m_bit: IntArray
    m_bit_value: FloatArray
    """``2.0 ** m_bit``."""
    m_weight: FloatArray
    m_mandatory: BoolArray
    m_valid_months: IntArray
    """``valid_for_months``, 0 where the completion does not expire."""
    valid_months: IntArray
    """The distinct positive ``valid_for_months`` of the catalog, sorted."""
    done_table: FloatArray
    """(chunks, cells, 2**CHUNK): for the set bits of a chunk of a cell's done mask, the
    sum of the weights of those measures, added in slot order starting from 0.0; with at
    most :data:`CHUNK` measures per cell this is exactly the sum a plain loop over the
    measures in catalog order gives."""
    open_table: FloatArray
    """(chunks, cells, 2**CHUNK): likewise, the weight of the measures of the chunk whose
    bit is *not* set in the excluded mask."""
    mandatory_mask: IntArray
    """(words, dimensions, levels): bits of the mandatory measures of the cell."""
    dimension_count: IntArray
    """Number of measures per dimension."""

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
    def n_words(self) -> int:
        return int(self.mandatory_mask.shape[0])

    @property
    def n_chunks(self) -> int:
        return int(self.done_table.shape[0])


def compile_catalog(catalog: Catalog) -> CompiledCatalog:
    """Number the measures, assign slots and precompute the per-cell tables."""
    n_levels = catalog.n_levels
    n_dims = len(catalog.dimensions)
    n_cells = n_dims * n_levels
    pairs = list(catalog.measures())
    m_dim = np.array(
        [d for d, dim in enumerate(catalog.dimensions) for _ in dim.measures], dtype=np.int64
    )
    m_level = np.array([m.level for _, m in pairs], dtype=np.int64)
    m_cell = m_dim * n_levels + m_level - 1
    m_slot = np.zeros(len(pairs), dtype=np.int64)
    used = np.zeros(n_cells, dtype=np.int64)
    for i, cell in enumerate(m_cell.tolist()):
        m_slot[i] = used[cell]
        used[cell] += 1
    n_slots = int(used.max())
    n_words = (n_slots + BITS - 1) // BITS
    m_word = m_slot // BITS
    m_bit = m_slot % BITS
    m_weight = np.array([m.weight for _, m in pairs], dtype=np.float64)
    m_mandatory = np.array([m.mandatory for _, m in pairs], dtype=np.bool_)
    m_valid = np.array([m.valid_for_months or 0 for _, m in pairs], dtype=np.int64)

    n_chunks = (n_slots + CHUNK - 1) // CHUNK
    slot_weight = np.zeros((n_chunks * CHUNK, n_cells), dtype=np.float64)
    slot_weight[m_slot, m_cell] = m_weight
    values = np.arange(2**CHUNK)
    done_table = np.zeros((n_chunks, n_cells, 2**CHUNK), dtype=np.float64)
    open_table = np.zeros((n_chunks, n_cells, 2**CHUNK), dtype=np.float64)
    for chunk in range(n_chunks):
        for i in range(CHUNK):
            bit = (values >> i) & 1
            weight = slot_weight[chunk * CHUNK + i][:, None]
            done_table[chunk] += bit * weight
            open_table[chunk] += (1 - bit) * weight
    bits = np.left_shift(np.int64(1), m_bit)
    mandatory_mask = np.zeros((n_words, n_cells), dtype=np.int64)
    np.bitwise_or.at(mandatory_mask, (m_word[m_mandatory], m_cell[m_mandatory]), bits[m_mandatory])

    return CompiledCatalog(
        catalog=catalog,
        measure_ids=tuple(m.id for _, m in pairs),
        dimension_ids=tuple(d.id for d in catalog.dimensions),
        dimension_weights=tuple(d.weight for d in catalog.dimensions),
        n_levels=n_levels,
        threshold=catalog.threshold,
        m_dim=m_dim,
        m_level=m_level,
        m_cell=m_cell,
        m_word=m_word,
        m_bit=m_bit,
        m_bit_value=np.ldexp(1.0, m_bit.astype(np.int32)),
        m_weight=m_weight,
        m_mandatory=m_mandatory,
        m_valid_months=m_valid,
        valid_months=np.unique(m_valid[m_valid > 0]),
        done_table=done_table,
        open_table=open_table,
        mandatory_mask=mandatory_mask.reshape(n_words, n_dims, n_levels),
        dimension_count=np.bincount(m_dim, minlength=n_dims).astype(np.int64),
    )
