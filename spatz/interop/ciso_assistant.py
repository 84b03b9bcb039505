"""Read a framework library of the CISO Assistant community library as a SPATZ catalog.

A library (YAML) holds one framework under ``objects.framework``: its implementation groups
(``implementation_groups_definition``) and a tree of requirement nodes linked by
``parent_urn``. The groups become the levels in their order, the assessable nodes the
measures (a node in several groups on the lowest of them, one without a group on level 1),
the non-assessable nodes that hold assessable ones directly the dimensions and the
non-assessable nodes above those the groups. What the catalog has no place for is counted
in :attr:`ImportedCatalog.not_taken`. The module reads no database and writes no file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spatz.catalog import Catalog, parse_catalog
from spatz.errors import CatalogError
from spatz.interop.common import (
    MAX_ID,
    ImportedCatalog,
    Refusal,
    comment,
    counted,
    fit,
    fit_id,
    load_yaml,
    read_text,
)
from spatz.io.limits import FileLimits

UNSECTIONED_ID = "ohne-abschnitt"
"""The dimension of assessable nodes that no non-assessable node holds."""


@dataclass
class _Node:
    index: int
    urn: str
    assessable: bool
    parent: str | None
    ref_id: str | None
    name: str
    description: str
    annotation: str
    groups: tuple[str, ...]
    """The implementation groups of the node that the framework defines."""
    undefined: tuple[str, ...]
    """The ones it does not define (published libraries have such typos)."""
    raw: dict[str, Any]


def read(path: str | Path, limits: FileLimits | None = None) -> ImportedCatalog:
    """Read a CISO Assistant framework library file; raise :class:`CatalogError` (or
    :class:`~spatz.errors.DataImportError` for a file above the size limit) naming the file
    and the key path of the first problem."""
    return parse(read_text(path, limits, "die Bibliothek"), str(path))


def parse(text: str, source: str = "<ciso-assistant>") -> ImportedCatalog:
    """Turn the text of a CISO Assistant framework library into a catalog."""
    raw = load_yaml(text, source)
    try:
        return _convert(raw)
    except Refusal as exc:
        raise CatalogError(f"{source}: {exc}") from None


def _convert(raw: Any) -> ImportedCatalog:
    if not isinstance(raw, dict):
        raise Refusal("Bibliothek", "Abschnitt mit urn, objects … erwartet")
    objects = raw.get("objects")
    if not isinstance(objects, dict) or "framework" not in objects:
        mapping = isinstance(objects, dict) and any("mapping" in key for key in objects)
        why = (
            "eine Mapping-Bibliothek wird (noch) nicht übernommen"
            if mapping
            else "die Datei ist keine Framework-Bibliothek von CISO Assistant"
        )
        raise Refusal("objects.framework", f"fehlt; {why}")
    framework = _mapping(objects["framework"], "objects.framework")
    where = "objects.framework"
    urn = _text(framework, "urn", where, required=True) or ""
    levels, group_names = _levels(framework)
    nodes = _nodes(framework, set(group_names))
    measures = [n for n in nodes if n.assessable]
    if not measures:
        raise Refusal(
            f"{where}.requirement_nodes", "keine bewertbare Anforderung (assessable: true)"
        )
    holder = _holders(nodes)
    holders = {m.urn: holder[m.urn] for m in measures}
    dimension_nodes = _unique(h for h in holders.values() if h is not None)
    above: dict[str, _Node] = {}
    for section in dimension_nodes:
        up = holder[section.urn]
        while up is not None and up.urn not in above:
            above[up.urn] = up
            up = holder[up.urn]
    groups = _unique(above.values())
    group_urns = {g.urn for g in groups}
    structure_ids = _ids([*groups, *(d for d in dimension_nodes if d.urn not in group_urns)])
    dim_ids = {
        d.urn: (
            fit_id(f"{structure_ids[d.urn]}-anforderungen")
            if d.urn in group_urns
            else structure_ids[d.urn]
        )
        for d in dimension_nodes
    }
    measure_ids = _ids(measures)

    def nearest_group(node: _Node) -> str | None:
        up = holder[node.urn]
        return structure_ids[up.urn] if up is not None else None

    members: dict[str | None, list[_Node]] = {}
    for m in measures:
        held_by = holders[m.urn]
        members.setdefault(held_by.urn if held_by is not None else None, []).append(m)
    level_of = {ref: i + 1 for i, ref in enumerate(group_names)}
    dimensions: list[dict[str, Any]] = []
    no_group = 0
    sections: list[_Node | None] = [*dimension_nodes, None]  # None: held by no section
    for dim in sections:
        if dim is None and None not in members:
            continue
        items = []
        for m in members[dim.urn if dim is not None else None]:
            if not m.groups:
                no_group += 1
            level = min((level_of[g] for g in m.groups), default=1)
            items.append(
                {
                    "id": measure_ids[m.urn],
                    "level": level,
                    "title": _title(m),
                    "description": _join(m.description, m.annotation),
                    "source": m.urn,
                }
            )
        if dim is None:
            entry: dict[str, Any] = {
                "id": UNSECTIONED_ID,
                "name": "Anforderungen ohne Abschnitt",
            }
        else:
            entry = {
                "id": dim_ids[dim.urn],
                "name": fit(_node_name(dim), 200),
                "description": dim.description,
            }
            group = structure_ids[dim.urn] if dim.urn in group_urns else nearest_group(dim)
            if group is not None:
                entry["group"] = group
        entry["measures"] = items
        dimensions.append(entry)
    document: dict[str, Any] = {
        "id": fit_id(_tail(urn) or "ciso-assistant"),
        "version": fit(str(raw.get("version") or "1"), 50),
        "name": fit(_text(framework, "name", where) or _tail(urn), 200),
        "description": _text(framework, "description", where) or "",
        "levels": levels,
        "groups": [
            {
                "id": structure_ids[g.urn],
                "name": fit(_node_name(g), 200),
                "description": g.description,
                **({"parent": nearest_group(g)} if nearest_group(g) is not None else {}),
            }
            for g in groups
        ],
        "dimensions": dimensions,
    }
    # The catalog's own checks, with their German messages (e.g. a ref_id ``overall``).
    try:
        catalog = parse_catalog(json.dumps(document))
    except CatalogError as exc:
        detail = str(exc).split(": ungültiger Katalog: ", 1)[-1]
        raise Refusal(
            "objects.framework.requirement_nodes", f"ergibt keinen gültigen Katalog ({detail})"
        ) from None
    return ImportedCatalog(
        catalog=catalog,
        header=_header(raw, urn),
        taken=_taken(catalog),
        not_taken=_not_taken(raw, objects, framework, nodes, set(holders), dimension_nodes, groups),
        notes=_notes(no_group, catalog),
    )


def _mapping(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Refusal(path, "Abschnitt mit Schlüsseln erwartet")
    return value


def _text(data: dict[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    """A text entry (numbers, as YAML reads ``ref_id: 1``, as their text); ``None`` if absent."""
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise Refusal(f"{path}.{key}", "Angabe fehlt")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Refusal(f"{path}.{key}", "Text erwartet")
    return str(value).strip() or None


def _levels(framework: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The levels from the implementation groups, and the groups' ref_ids in level order."""
    path = "objects.framework.implementation_groups_definition"
    definition = framework.get("implementation_groups_definition") or []
    if not isinstance(definition, list):
        raise Refusal(path, "Liste erwartet")
    levels: list[dict[str, Any]] = []
    names: list[str] = []
    for i, item in enumerate(definition):
        where = f"{path}[{i}]"
        group = _mapping(item, where)
        ref = _text(group, "ref_id", where, required=True) or ""
        if ref in names:
            raise Refusal(f"{where}.ref_id", f"{ref!r} kommt doppelt vor")
        names.append(ref)
        levels.append(
            {
                "level": i + 1,
                "name": fit(_text(group, "name", where) or ref, 100),
                "description": _text(group, "description", where) or "",
            }
        )
    if not levels:
        levels = [{"level": 1, "name": "Anforderungen erfüllt", "description": ""}]
    if len(levels) == 1:
        levels.insert(0, {"level": 0, "name": "Ausgangslage", "description": ""})
    return levels, names


def _nodes(framework: dict[str, Any], group_names: set[str]) -> list[_Node]:
    path = "objects.framework.requirement_nodes"
    items = framework.get("requirement_nodes")
    if items is None:
        raise Refusal(path, "Angabe fehlt")
    if not isinstance(items, list):
        raise Refusal(path, "Liste erwartet")
    nodes: list[_Node] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        data = _mapping(item, where)
        urn = _text(data, "urn", where, required=True) or ""
        if urn in seen:
            raise Refusal(f"{where}.urn", f"{urn!r} kommt doppelt vor")
        seen.add(urn)
        assessable = data.get("assessable")
        if not isinstance(assessable, bool):
            raise Refusal(f"{where}.assessable", "true oder false erwartet")
        groups = data.get("implementation_groups") or []
        if not isinstance(groups, list):
            raise Refusal(f"{where}.implementation_groups", "Liste erwartet")
        refs = [str(g) for g in groups]
        nodes.append(
            _Node(
                index=i,
                urn=urn,
                assessable=assessable,
                parent=_text(data, "parent_urn", where),
                ref_id=_text(data, "ref_id", where),
                name=_text(data, "name", where) or "",
                description=_text(data, "description", where) or "",
                annotation=_text(data, "annotation", where) or "",
                groups=tuple(r for r in refs if r in group_names),
                undefined=tuple(r for r in refs if r not in group_names),
                raw=data,
            )
        )
    for node in nodes:
        if node.parent is not None and node.parent not in seen:
            raise Refusal(
                f"{path}[{node.index}].parent_urn",
                f"übergeordneter Knoten {node.parent!r} kommt in requirement_nodes nicht vor",
            )
    by_urn = {n.urn: n for n in nodes}
    rooted: set[str] = set()
    for node in nodes:
        chain: dict[str, None] = {}
        up: str | None = node.urn
        while up is not None and up not in rooted:
            if up in chain:
                raise Refusal(
                    f"{path}[{node.index}].parent_urn", "Knoten verweisen im Kreis aufeinander"
                )
            chain[up] = None
            up = by_urn[up].parent
        rooted.update(chain)
    return nodes


def _holders(nodes: list[_Node]) -> dict[str, _Node | None]:
    """Each node's nearest non-assessable node above it (``None``: none), for a tree
    without cycles."""
    by_urn = {n.urn: n for n in nodes}
    holder: dict[str, _Node | None] = {}
    for node in nodes:
        chain: list[_Node] = []
        current = node
        while current.urn not in holder:
            chain.append(current)
            parent = by_urn[current.parent] if current.parent is not None else None
            if parent is None or not parent.assessable:
                holder[current.urn] = parent
                break
            current = parent
        found = holder[current.urn]
        for item in chain:
            holder[item.urn] = found
    return holder


def _unique(nodes: Iterable[_Node]) -> list[_Node]:
    """The nodes once each, in file order."""
    return sorted({n.urn: n for n in nodes}.values(), key=lambda n: n.index)


def _tail(urn: str) -> str:
    """The last part of a urn (``…:essential-eight:node3`` → ``node3``)."""
    return urn.rsplit(":", 1)[-1].strip()


def _ids(nodes: list[_Node]) -> dict[str, str]:
    """Each node's id: its ref_id where that is unique among ``nodes``, else (and without
    ref_id) the last part of its urn, else its whole urn; the same for the same file."""
    refs = Counter(n.ref_id for n in nodes if n.ref_id is not None)
    ids = {
        n.urn: n.ref_id
        for n in nodes
        if n.ref_id is not None and refs[n.ref_id] == 1 and len(n.ref_id) <= MAX_ID
    }
    taken = set(ids.values())
    rest = [n for n in nodes if n.urn not in ids]
    tails = [_tail(n.urn) for n in rest]
    tail_counts = Counter(tails)
    for node, tail in zip(rest, tails, strict=True):
        unique = tail and tail_counts[tail] == 1 and tail not in taken
        ids[node.urn] = fit_id(tail if unique else node.urn)
    return ids


def _node_name(node: _Node) -> str:
    return node.name or node.ref_id or fit(node.description, 200) or _tail(node.urn)


def _title(node: _Node) -> str:
    """name, else ref_id, else the start of the description, else the urn's end."""
    return fit(_node_name(node), 300)


def _join(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


def _header(raw: dict[str, Any], urn: str) -> str:
    lines = ["# Importiert aus einer Bibliothek von CISO Assistant (--from ciso-assistant)"]
    for label, value in (
        ("Quelle", raw.get("urn") or urn),
        ("Framework", urn),
        ("Version", raw.get("version")),
        ("Anbieter", raw.get("provider")),
    ):
        if value not in (None, ""):
            lines.extend(comment(f"{label}: {value}"))
    if raw.get("copyright"):
        lines.append("# Urheberrecht und Lizenz:")
        lines.extend(comment(str(raw["copyright"])))
    return "\n".join(lines) + "\n"


def _taken(catalog: Catalog) -> str:
    levels = [lv for lv in catalog.levels if lv.level >= 1]
    return "übernommen: " + ", ".join(
        [
            counted(len(levels), "Stufe", "Stufen") + " (Umsetzungsgruppen)",
            counted(len(catalog.groups), "Gruppe", "Gruppen"),
            counted(len(catalog.dimensions), "Dimension", "Dimensionen"),
            counted(sum(1 for _ in catalog.measures()), "Maßnahme", "Maßnahmen")
            + " (bewertbare Anforderungen)",
        ]
    )


def _not_taken(
    raw: dict[str, Any],
    objects: dict[str, Any],
    framework: dict[str, Any],
    nodes: list[_Node],
    measure_urns: set[str],
    dimensions: list[_Node],
    groups: list[_Node],
) -> tuple[str, ...]:
    used = measure_urns | {n.urn for n in dimensions} | {n.urn for n in groups}
    empty = [n for n in nodes if n.urn not in used]
    questions = sum(
        len(n.raw["questions"]) for n in nodes if isinstance(n.raw.get("questions"), dict | list)
    )
    evidence = sum(1 for n in nodes if n.raw.get("typical_evidence"))
    undefined = [(n, ref) for n in nodes for ref in n.undefined]
    lines: list[str] = []
    if undefined:
        names = ", ".join(sorted({repr(ref) for _, ref in undefined})[:5])
        lines.append(
            f"{counted(len(undefined), 'Verweis', 'Verweise')} auf Umsetzungsgruppen, die "
            f"implementation_groups_definition nicht nennt ({names}"
            f"{', …' if len({ref for _, ref in undefined}) > 5 else ''}), weil sich daraus "
            "keine Stufe ergibt"
        )
    if empty:
        lines.append(
            f"{counted(len(empty), 'Knoten', 'Knoten')} ohne bewertbare Anforderung "
            f"({', '.join(_node_name(n) for n in empty[:5])}{', …' if len(empty) > 5 else ''}), "
            "weil eine Dimension mindestens eine Maßnahme braucht"
        )
    if questions:
        lines.append(
            f"{counted(questions, 'Frage', 'Fragen')} (questions), weil der Katalog Antworten "
            "mit Anrechnung statt Fragen mit Auswahl kennt"
        )
    if evidence:
        lines.append(
            f"typische Nachweise (typical_evidence) bei "
            f"{counted(evidence, 'Anforderung', 'Anforderungen')}, weil der Katalog dafür "
            "kein Feld hat"
        )
    for key, label in (
        ("reference_controls", "Maßnahmenvorlagen"),
        ("threats", "Bedrohungen"),
    ):
        count = sum(1 for n in nodes if n.raw.get(key))
        if count:
            lines.append(
                f"Verweise auf {label} ({key}) bei "
                f"{counted(count, 'Anforderung', 'Anforderungen')}, weil der Katalog nur "
                "Maßnahmen kennt"
            )
    for key in ("scores_definition", "min_score", "max_score"):
        if framework.get(key) is not None:
            lines.append(f"objects.framework.{key}, weil SPATZ Stufen statt Punktskalen bewertet")
    for key, value in objects.items():
        if key == "framework" or not value:
            continue
        why = (
            "weil Zuordnungen zwischen Katalogen noch nicht eingelesen werden"
            if "mapping" in key
            else "weil der Katalog nur das Framework aufnimmt"
        )
        lines.append(f"objects.{key}, {why}")
    if raw.get("translations") or framework.get("translations"):
        lines.append("Übersetzungen (translations), weil ein Katalog eine Sprache hat")
    return tuple(f"nicht übernommen: {line}" for line in lines)


def _notes(no_group: int, catalog: Catalog) -> tuple[str, ...]:
    if not no_group:
        return ()
    level = next(lv for lv in catalog.levels if lv.level == 1)
    return (
        f"Hinweis: {counted(no_group, 'Anforderung', 'Anforderungen')} ohne "
        f"Umsetzungsgruppe auf Stufe 1 ({level.name}) gelegt",
    )
