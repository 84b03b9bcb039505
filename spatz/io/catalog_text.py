"""How the elements of a catalog read in German, wherever a person reads the catalog: the
dashboard, the XLSX workbook and the report show the same texts."""

from __future__ import annotations

from collections.abc import Iterable

from spatz.catalog import BUILTIN_CREDITS, Answer, Catalog, Dimension, Group, Measure
from spatz.model.common import MEASURE_STATUS_LABELS

EMPTY_LEVEL = "keine Maßnahmen auf dieser Stufe"
"""A level on which a dimension has no measure (it counts as fulfilled, never as a gap)."""
PATH_SEPARATOR = " › "


def percent(share: float) -> str:
    """A share as a German percentage, at most one decimal: ``0.25`` → ``25 %``,
    ``0.125`` → ``12,5 %``."""
    text = f"{share * 100:.1f}".replace(".", ",").removesuffix(",0")
    return f"{text} %"


def answers_text(catalog: Catalog, measure: Measure) -> str:
    """The answers of the measure's scale with their credit (``ja, für einige (25 %); …``);
    empty when it has none beside the four statuses."""
    return "; ".join(_with_credit(a) for a in catalog.answer_scale(measure))


def _with_credit(answer: Answer) -> str:
    return f"{answer.label} ({percent(answer.credit)})"


def answer_choices(catalog: Catalog, measure: Measure) -> dict[str, str]:
    """:func:`answer_labels`, the answers of the scale with their credit
    (``teilweise umgesetzt (50 %)``): what a person chooses from when recording."""
    return answer_labels(catalog, measure) | {
        a.key: _with_credit(a) for a in catalog.answer_scale(measure)
    }


def answer_labels(catalog: Catalog, measure: Measure) -> dict[str, str]:
    """The answers the measure accepts, key → German label: the four statuses, then the
    answers of its scale."""
    builtin = {key: MEASURE_STATUS_LABELS[key] for key in BUILTIN_CREDITS}
    return builtin | {a.key: a.label for a in catalog.answer_scale(measure)}


def answer_label(catalog: Catalog, measure: Measure, key: str) -> str:
    """How the state ``key`` of the measure reads: the label of the answer of its scale, or
    of a status (``open`` included); an unknown key as it is stored."""
    for answer in catalog.answer_scale(measure):
        if answer.key == key:
            return answer.label
    return MEASURE_STATUS_LABELS.get(key, key)


def state_labels(catalog: Catalog, measure_ids: Iterable[str], keys: Iterable[str]) -> list[str]:
    """:func:`answer_label` of each (measure, state key) pair; for a measure the catalog
    does not have, the label of a status, else the key as stored."""
    measures = {m.id: m for _, m in catalog.measures()}
    return [
        answer_label(catalog, measures[m], k) if m in measures else MEASURE_STATUS_LABELS.get(k, k)
        for m, k in zip(measure_ids, keys, strict=True)
    ]


def covered_state(label: str, covered_by: str, partly_covered_by: str) -> str:
    """How a measure's state reads when a mapping set covers it (clause 12 of the rule):
    ``umgesetzt über STR-3-01 (SPATZ Kommunal)`` when its sources make it done, else its
    own ``label``, with ``(teilweise abgedeckt durch …)`` for sources that cover a part."""
    if covered_by:
        return f"umgesetzt über {covered_by}"
    if partly_covered_by:
        return f"{label} (teilweise abgedeckt durch {partly_covered_by})"
    return label


def prerequisites_text(catalog: Catalog, measure: Measure) -> str:
    """The measures that should be done before ``measure``, by id and title."""
    return "; ".join(f"{other} {catalog.measure(other).title}" for other in measure.depends_on)


def references_text(measure: Measure) -> str:
    """The requirements of other catalogs the measure corresponds to: catalog and id, or the
    text as written."""
    return "; ".join(
        ref if isinstance(ref, str) else f"{ref.catalog} {ref.id}" for ref in measure.references
    )


def group_path(catalog: Catalog, dimension: Dimension) -> tuple[Group, ...]:
    """The groups the dimension belongs to, the outermost first."""
    path: list[Group] = []
    group_id = dimension.group
    while group_id is not None:
        group = catalog.group(group_id)
        path.insert(0, group)
        group_id = group.parent
    return tuple(path)


def group_path_text(catalog: Catalog, dimension: Dimension) -> str:
    """``Technik › Netze``; empty for a dimension without a group."""
    return PATH_SEPARATOR.join(g.name for g in group_path(catalog, dimension))


def dimension_path_text(catalog: Catalog, dimension: Dimension) -> str:
    """``Technik › Netze › Netzarchitektur``; the name alone for a dimension without a group."""
    return PATH_SEPARATOR.join([*(g.name for g in group_path(catalog, dimension)), dimension.name])


def empty_levels(catalog: Catalog, dimension: Dimension) -> list[int]:
    """The levels 1..N on which the dimension has no measure."""
    used = {m.level for m in dimension.measures}
    return [lv.level for lv in catalog.levels if lv.level >= 1 and lv.level not in used]


def subgroups(catalog: Catalog, parent: str | None) -> list[Group]:
    """The groups directly below ``parent`` (``None``: the top-level groups), in file order."""
    return [g for g in catalog.groups if g.parent == parent]


def members(catalog: Catalog, group: str | None) -> list[Dimension]:
    """The dimensions directly in ``group`` (``None``: those without a group), in file order."""
    return [d for d in catalog.dimensions if d.group == group]


def dimensions_below(catalog: Catalog, group: str) -> list[Dimension]:
    """The dimensions in ``group`` and in the groups below it, in file order."""
    return [d for d in catalog.dimensions if group in {g.id for g in group_path(catalog, d)}]
