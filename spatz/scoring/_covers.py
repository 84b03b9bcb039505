"""Measures of other catalogs that count for the measures of the catalog scored (clause 12).

A :class:`Cover` is a source catalog with its events and the pairs of a mapping set that
count: (source measure x, target measure y) with relation ``equal`` or ``superset``. At a
Stichtag, y is *done via mapping* when some such x is done in its own catalog (its own
answer scale and expiry); then y's code becomes ``completed`` unless y is excluded or
done by its own state. Pairs with relation ``subset`` or ``intersect`` (``hints``) never
change a result; :func:`cover_texts` names them.

Mappings are not transitive: only the source catalogs' own states count, never what a
mapping gave them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from spatz.catalog import Catalog
from spatz.errors import ArgumentError
from spatz.scoring._catalog import COMPLETED, CompiledCatalog, IntArray, compile_catalog
from spatz.scoring._events import EncodedEvents, encode_events


@dataclass(frozen=True)
class Cover:
    """A source catalog, its events and which of its measures count for which measures of
    the catalog scored."""

    catalog: Catalog
    events: pd.DataFrame
    """The source catalog's events (columns as for :func:`spatz.scoring.score`)."""
    pairs: Sequence[tuple[str, str]]
    """(source measure, target measure) with relation ``equal`` or ``superset``."""
    hints: Sequence[tuple[str, str]] = ()
    """(source measure, target measure) with relation ``subset`` or ``intersect``."""


@dataclass(frozen=True)
class Prepared:
    """A :class:`Cover` in array form, its events encoded for the result's organisations."""

    cc: CompiledCatalog
    ev: EncodedEvents
    source: IntArray
    """Source measure of each pair, pairs sorted by target measure."""
    target: IntArray
    """The distinct target measures."""
    starts: IntArray
    """Where the pairs of each of :attr:`target` begin in :attr:`source`."""
    hint_source: IntArray
    hint_target: IntArray


def _indices(cc: CompiledCatalog, ids: Sequence[str], side: str) -> IntArray:
    index = {m: i for i, m in enumerate(cc.measure_ids)}
    unknown = sorted({m for m in ids if m not in index})
    if unknown:
        raise ArgumentError(
            f"Zuordnung: {side}maßnahme(n) {', '.join(unknown)} nicht im Katalog {cc.catalog.key}"
        )
    return np.array([index[m] for m in ids], dtype=np.int64)


def _wanted_events(cover: Cover) -> pd.DataFrame:
    """The source events of the measures the cover's pairs name (the others cannot count)."""
    measures = {x for x, _ in (*cover.pairs, *cover.hints)}
    events = cover.events
    if events.empty:
        return events
    keep = events["measure_id"].isin(measures)
    return events if keep.all() else events[keep.to_numpy()].reset_index(drop=True)


def prepare(
    cc: CompiledCatalog, ev: EncodedEvents | None, covers: Sequence[Cover]
) -> tuple[EncodedEvents | None, list[Prepared]]:
    """The target's events and each cover's, all for one set of organisations: those of
    ``ev`` and those with events of a covering measure (``ev`` is ``None`` without
    events; so is the result if there are no organisations at all)."""
    encoded: list[tuple[Cover, CompiledCatalog, EncodedEvents]] = []
    for cover in covers:
        source_cc = compile_catalog(cover.catalog)
        events = _wanted_events(cover)
        if not events.empty:
            encoded.append((cover, source_cc, encode_events(source_cc, events)))
    if not encoded:
        return ev, []
    names = [e.orgs for _, _, e in encoded]
    if ev is not None:
        names.append(ev.orgs)
    orgs = np.unique(np.concatenate(names)).astype(object)
    prepared = []
    for cover, source_cc, source_ev in encoded:
        source = _indices(source_cc, [x for x, _ in cover.pairs], "Quell")
        target = _indices(cc, [y for _, y in cover.pairs], "Ziel")
        order = np.argsort(target, kind="stable")
        distinct, starts = np.unique(target[order], return_index=True)
        prepared.append(
            Prepared(
                cc=source_cc,
                ev=reindexed(source_cc, source_ev, orgs),
                source=source[order],
                target=distinct,
                starts=starts,
                hint_source=_indices(source_cc, [x for x, _ in cover.hints], "Quell"),
                hint_target=_indices(cc, [y for _, y in cover.hints], "Ziel"),
            )
        )
    if ev is None:
        empty = np.zeros(0, dtype=np.int64)
        ev = EncodedEvents(
            orgs=orgs, org=empty, measure=empty, pair=empty, status=empty, day=empty, due=None
        )
    return reindexed(cc, ev, orgs), prepared


def reindexed(
    cc: CompiledCatalog, ev: EncodedEvents, orgs: npt.NDArray[np.object_]
) -> EncodedEvents:
    """``ev`` with its organisations numbered in ``orgs`` (sorted, a superset of its own)."""
    if len(orgs) == ev.n_orgs:
        return ev
    position = np.searchsorted(orgs, ev.orgs).astype(np.int64)
    org = position[ev.org]
    return replace(ev, orgs=orgs, org=org, pair=org * cc.n_measures + ev.measure)


def done_grid(p: Prepared, codes: IntArray) -> npt.NDArray[np.bool_]:
    """(O, M of the source) whether each source measure is done, from its code grid."""
    done: npt.NDArray[np.bool_] = p.cc.credit[codes + p.cc.m_offset] == 1.0
    return done


def covered(p: Prepared, source_done: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """(O, len(p.target)) whether some source measure of each target measure is done."""
    result: npt.NDArray[np.bool_] = np.logical_or.reduceat(
        source_done[:, p.source], p.starts, axis=1
    )
    return result


def apply_covers(
    cc: CompiledCatalog,
    codes: IntArray,
    prepared: Sequence[Prepared],
    source_codes: Sequence[IntArray],
) -> IntArray:
    """The code grid (O, M) with every target measure that a done source measure covers
    set to ``completed``, unless its own state excludes it; ``source_codes`` are the
    sources' code grids at the same Stichtag. Changes ``codes`` in place."""
    for p, grid in zip(prepared, source_codes, strict=True):
        cover = covered(p, done_grid(p, grid))
        own = codes[:, p.target]
        excluded = cc.excluded[own + cc.m_offset[p.target]]
        codes[:, p.target] = np.where(cover & ~excluded, COMPLETED, own)
    return codes


def cover_texts(
    cc: CompiledCatalog,
    own_done: npt.NDArray[np.bool_],
    own_excluded: npt.NDArray[np.bool_],
    prepared: Sequence[Prepared],
    source_codes: Sequence[IntArray],
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Per (organisation, measure) of the target, two texts: the done source measures that
    make it done (where its own state does not: ``"STR-3-01 (SPATZ Kommunal)"``, several
    separated by ", "), and the done ones that cover it in part (``subset``,
    ``intersect``); "" elsewhere. ``own_done``/``own_excluded`` are of its own state."""
    shape = own_done.shape
    via = np.full(shape, "", dtype=object)
    partly = np.full(shape, "", dtype=object)
    for p, grid in zip(prepared, source_codes, strict=True):
        done = done_grid(p, grid)
        name = p.cc.catalog.name
        for texts, sources, targets, counts in (
            (via, p.source, np.repeat(p.target, np.diff([*p.starts, len(p.source)])), True),
            (partly, p.hint_source, p.hint_target, False),
        ):
            for x, y in zip(sources.tolist(), targets.tolist(), strict=True):
                rows = done[:, x] & ~own_excluded[:, y]
                if counts:
                    rows &= ~own_done[:, y]
                label = f"{p.cc.measure_ids[x]} ({name})"
                for o in np.flatnonzero(rows).tolist():
                    texts[o, y] = f"{texts[o, y]}, {label}" if texts[o, y] else label
    return via, partly
