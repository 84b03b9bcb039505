"""Read the model file of the OWASP DevSecOps Maturity Model (DSOMM) as a SPATZ catalog.

The DSOMM data project publishes ``generated/model.yaml``: an optional first YAML document
``meta`` (``version``, ``released``, ``publisher``), then a mapping dimension →
sub-dimension → activity, each activity with ``uuid``, ``level``, texts, ``dependsOn``
(uuids or names of other activities) and ``references``. Dimensions become groups,
sub-dimensions dimensions, activities measures on their level, scored with the rule
``additive``. What the catalog has no place for is counted in
:attr:`ImportedCatalog.not_taken`. The module reads no database and writes no file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from spatz.catalog import BUILTIN_CREDITS, OVERALL, Catalog, parse_catalog, read_document
from spatz.errors import CatalogError
from spatz.interop.common import (
    ImportedCatalog,
    Refusal,
    comment,
    counted,
    fit,
    fit_id,
    read_text,
)
from spatz.io.limits import FileLimits

PROJECT = "DevSecOps Maturity Model (DSOMM)"
PROJECT_URL = "https://github.com/devsecopsmaturitymodel/DevSecOps-MaturityModel-data"

KNOWN_MAJOR_VERSIONS = range(1, 5)
"""The major versions of ``meta.version`` whose structure this module reads (the data
project has published 1.x and 4.x in this form)."""

LEVEL_NAMES: dict[int, str] = {
    1: "Basic understanding of security practices",
    2: "Adoption of basic security practices",
    3: "High adoption of security practices",
    4: "Very high adoption of security practices",
    5: "Advanced deployment of security practices at scale",
}
"""DSOMM's names of its levels (``strings.en.maturityLevels`` of the DSOMM application)."""

_TEXTS: tuple[tuple[str, str], ...] = (
    ("description", ""),
    ("risk", "Risiko: "),
    ("measure", "Maßnahme: "),
    ("implementationGuide", "Umsetzungshinweis: "),
    ("assessment", "Nachweis: "),
    ("comment", "Anmerkung: "),
)
"""The texts of an activity that make up the measure's description, with their labels."""

_STATE_KEYS = ("isImplemented", "evidence", "comments", "teamsImplemented", "teamsEvidence")
"""Keys of an activity that hold the state of an implementation, not the model."""

_NOT_TAKEN: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("implementation",), "Werkzeuge (implementation)", "weil der Katalog keine Werkzeuge kennt"),
    (
        ("difficultyOfImplementation",),
        "Aufwand (difficultyOfImplementation)",
        "weil SPATZ nach Stufen bewertet, nicht nach Aufwand",
    ),
    (("usefulness",), "Nutzen (usefulness)", "weil alle Maßnahmen das gleiche Gewicht erhalten"),
    (("tags",), "Schlagwörter (tags)", "weil der Katalog keine Schlagwörter hat"),
    (("credits",), "Danksagungen (credits)", "weil der Katalog dafür kein Feld hat"),
    (
        _STATE_KEYS,
        "Umsetzungsstand (isImplemented, evidence, comments, teamsImplemented, teamsEvidence)",
        "weil SPATZ den Stand als Ereignisse je Organisation erfasst",
    ),
)
"""Activity keys left out, with the reason, counted per activity that has a value."""

_KNOWN_KEYS = frozenset(
    {"uuid", "level", "dependsOn", "references", "meta"}
    | {key for key, _ in _TEXTS}
    | {key for keys, _, _ in _NOT_TAKEN for key in keys}
)

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[valid-type,misc]
    """YAML as DSOMM writes it, but a number with a point stays text: the ISO 27001
    control ``5.10`` is not ``5.1``."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class _Activity:
    path: str
    """``Dimension.Sub-dimension.Activity``, the key path in the file."""
    dimension: str
    subdimension: str
    name: str
    uuid: str
    level: int
    raw: dict[str, Any]


def read(path: str | Path, limits: FileLimits | None = None) -> ImportedCatalog:
    """Read a DSOMM model file; raise :class:`CatalogError` (or
    :class:`~spatz.errors.DataImportError` for a file above the size limit) naming the file
    and the key path of the first problem."""
    return parse(read_text(path, limits, "das Modell"), str(path))


def parse(text: str, source: str = "<dsomm>") -> ImportedCatalog:
    """Turn the text of a DSOMM model file into a catalog."""
    documents = read_document(
        lambda yaml_text: list(yaml.load_all(yaml_text, Loader=_Loader)),
        text,
        source,
        "YAML",
        column=False,
    )
    try:
        return _convert(documents)
    except Refusal as exc:
        raise CatalogError(f"{source}: {exc}") from None


def _convert(documents: list[Any]) -> ImportedCatalog:
    meta, data = _split(documents)
    version = _version(meta)
    tree = _tree(data)
    activities = [a for subs in tree.values() for acts in subs.values() for a in acts]
    by_uuid = _by_uuid(activities)
    depends, unresolved = _dependencies(activities, by_uuid)
    _refuse_cycles(activities, depends, by_uuid)
    top = max(a.level for a in activities)
    levels = [
        {"level": n, "name": LEVEL_NAMES.get(n, f"Stufe {n}"), "description": ""}
        for n in range(1, top + 1)
    ]
    if top == 1:
        levels.insert(0, {"level": 0, "name": "Ausgangslage", "description": ""})
    used: set[str] = {OVERALL}
    groups: list[dict[str, Any]] = []
    dimensions: list[dict[str, Any]] = []
    for group_name, subs in tree.items():
        if not any(subs.values()):
            continue
        group_id = _unique_id([_slug(group_name)], used)
        groups.append({"id": group_id, "name": fit(group_name, 200)})
        for sub_name, acts in subs.items():
            if not acts:
                continue
            dimensions.append(
                {
                    "id": _unique_id([_slug(sub_name), f"{group_id}-{_slug(sub_name)}"], used),
                    "name": fit(sub_name, 200),
                    "group": group_id,
                    "measures": [_measure(a, depends[a.uuid]) for a in acts],
                }
            )
    document: dict[str, Any] = {
        "id": "dsomm",
        "version": fit(version or "1", 50),
        "name": PROJECT,
        "description": "Aktivitäten des OWASP DevSecOps Maturity Model (DSOMM), übernommen "
        "aus dessen Modelldatei generated/model.yaml.",
        "rule": "additive",
        "levels": levels,
        "groups": groups,
        "dimensions": dimensions,
    }
    try:
        catalog = parse_catalog(json.dumps(document))
    except CatalogError as exc:
        detail = str(exc).split(": ungültiger Katalog: ", 1)[-1]
        raise Refusal("Modell", f"ergibt keinen gültigen Katalog ({detail})") from None
    return ImportedCatalog(
        catalog=catalog,
        header=_header(meta, version),
        taken=_taken(catalog),
        not_taken=_not_taken(meta, tree, activities, unresolved),
        notes=(
            "Hinweis: die Datei nennt keine Umsetzungsschritte mit Prozentwerten (DSOMM "
            "führt sie als progressDefinition in der meta.yaml seiner Anwendung); es gelten "
            f"die festen Status {', '.join(BUILTIN_CREDITS)}",
        ),
    )


def _split(documents: list[Any]) -> tuple[dict[str, Any], Any]:
    """The ``meta`` section (empty if the file has none) and the document of dimensions."""
    documents = [d for d in documents if d is not None]
    if len(documents) > 2:
        raise Refusal("Modell", "höchstens zwei YAML-Dokumente erwartet (meta, dann Dimensionen)")
    first = documents[0] if documents else None
    if len(documents) == 2:
        if not isinstance(first, dict) or set(first) != {"meta"}:
            raise Refusal("Modell", "das erste von zwei YAML-Dokumenten muss nur meta enthalten")
        data = documents[1]
    elif isinstance(first, dict) and "meta" in first:
        data = {key: value for key, value in first.items() if key != "meta"}
    else:
        data = first
    meta = first.get("meta") if isinstance(first, dict) else None
    if meta is None:
        meta = {}
    return _mapping(meta, "meta"), data


def _version(meta: dict[str, Any]) -> str | None:
    """``meta.version``; one whose structure this module does not know is refused."""
    value = meta.get("version")
    if value is None or value == "":
        return None
    version = str(value).strip()
    match = re.fullmatch(r"v?(\d+)(?:\.\d+)*", version)
    if match is None or int(match.group(1)) not in KNOWN_MAJOR_VERSIONS:
        known = f"{KNOWN_MAJOR_VERSIONS[0]}.x bis {KNOWN_MAJOR_VERSIONS[-1]}.x"
        raise Refusal(
            "meta.version", f"DSOMM-Version {version!r} ist unbekannt (gelesen werden {known})"
        )
    return version


def _tree(data: Any) -> dict[str, dict[str, list[_Activity]]]:
    """Dimension → sub-dimension → its activities, in file order."""
    if not isinstance(data, dict) or not data:
        raise Refusal(
            "Modell",
            "keine Dimensionen; erwartet wird generated/model.yaml des DSOMM-Datenprojekts "
            "(Dimension → Unterdimension → Aktivität)",
        )
    tree: dict[str, dict[str, list[_Activity]]] = {}
    for dim_key, subs in data.items():
        dim = _name(dim_key, "Modell", "eine Dimension")
        subs = _mapping(subs or {}, dim, "Unterdimensionen")
        tree[dim] = {}
        for sub_key, acts in subs.items():
            sub = _name(sub_key, dim, "eine Unterdimension")
            where = f"{dim}.{sub}"
            acts = _mapping(acts or {}, where, "Aktivitäten")
            tree[dim][sub] = []
            for name_key, raw in acts.items():
                name = _name(name_key, where, "eine Aktivität")
                data_of = _mapping(raw, f"{where}.{name}", "uuid, level …")
                tree[dim][sub].append(_activity(dim, sub, name, data_of))
    if not any(acts for subs in tree.values() for acts in subs.values()):
        raise Refusal("Modell", "keine Aktivität")
    return tree


def _name(key: Any, parent: str, what: str) -> str:
    """A key of the file as the name of a dimension, sub-dimension or activity."""
    name = str(key).strip() if key is not None else ""
    if not name:
        raise Refusal(parent, f"{what} ohne Namen")
    return name


def _activity(dim: str, sub: str, name: str, raw: dict[str, Any]) -> _Activity:
    path = f"{dim}.{sub}.{name}"
    uuid = raw.get("uuid")
    if uuid is None or str(uuid).strip() == "":
        raise Refusal(f"{path}.uuid", "Angabe fehlt (sie wird die ID der Maßnahme)")
    level = raw.get("level")
    if level is None:
        raise Refusal(f"{path}.level", "Angabe fehlt")
    if isinstance(level, bool) or not isinstance(level, int) or level < 1:
        raise Refusal(f"{path}.level", f"ganze Zahl ab 1 erwartet, nicht {level!r}")
    return _Activity(path, dim, sub, name, str(uuid).strip(), level, raw)


def _by_uuid(activities: list[_Activity]) -> dict[str, _Activity]:
    found: dict[str, _Activity] = {}
    for activity in activities:
        first = found.setdefault(activity.uuid, activity)
        if first is not activity:
            raise Refusal(
                f"{activity.path}.uuid",
                f"{activity.uuid!r} kommt doppelt vor (auch bei {first.path})",
            )
    return found


def _dependencies(
    activities: list[_Activity], by_uuid: dict[str, _Activity]
) -> tuple[dict[str, list[str]], list[tuple[_Activity, str]]]:
    """Each activity's prerequisites as uuids (``dependsOn`` names a uuid, else a name), and
    the entries that name no activity of the file."""
    by_name: dict[str, list[_Activity]] = {}
    for activity in activities:
        by_name.setdefault(activity.name, []).append(activity)
    depends: dict[str, list[str]] = {}
    unresolved: list[tuple[_Activity, str]] = []
    for activity in activities:
        entries = activity.raw.get("dependsOn") or []
        if not isinstance(entries, list):
            raise Refusal(f"{activity.path}.dependsOn", "Liste erwartet")
        needs: list[str] = []
        for i, entry in enumerate(entries):
            key = str(entry).strip()
            named = by_name.get(key, [])
            if key in by_uuid:
                other = by_uuid[key]
            elif len(named) == 1:
                other = named[0]
            elif named:
                places = ", ".join(a.path for a in named)
                raise Refusal(
                    f"{activity.path}.dependsOn[{i}]",
                    f"der Name {key!r} ist nicht eindeutig ({places})",
                )
            else:
                unresolved.append((activity, key))
                continue
            if other is activity:
                raise Refusal(
                    f"{activity.path}.dependsOn[{i}]", "die Aktivität setzt sich selbst voraus"
                )
            if other.uuid not in needs:
                needs.append(other.uuid)
        depends[activity.uuid] = needs
    return depends, unresolved


def _refuse_cycles(
    activities: list[_Activity], depends: dict[str, list[str]], by_uuid: dict[str, _Activity]
) -> None:
    """Refuse prerequisites in a circle, at the first activity on it in file order."""
    finished: set[str] = set()
    for activity in activities:
        if activity.uuid in finished:
            continue
        path = [activity.uuid]
        stack = [iter(depends[activity.uuid])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                finished.add(path.pop())
            elif nxt in path:
                ring = path[path.index(nxt) :]
                start = min((by_uuid[u] for u in ring), key=activities.index)
                at = ring.index(start.uuid)
                cycle = [*ring[at:], *ring[:at], start.uuid]
                names = " → ".join(by_uuid[u].name for u in cycle)
                raise Refusal(
                    f"{start.path}.dependsOn",
                    f"Voraussetzungen verweisen im Kreis aufeinander: {names}",
                )
            elif nxt not in finished:
                stack.append(iter(depends[nxt]))
                path.append(nxt)


def _measure(activity: _Activity, depends: list[str]) -> dict[str, Any]:
    raw = activity.raw
    meta = raw.get("meta")
    texts = {key: _text(raw.get(key)) for key, _ in _TEXTS}
    texts["implementationGuide"] = (
        _text(meta.get("implementationGuide")) if isinstance(meta, dict) else ""
    )
    if texts["risk"] == texts["description"]:
        texts["risk"] = ""
    measure: dict[str, Any] = {
        "id": fit_id(activity.uuid),
        "level": activity.level,
        "title": fit(activity.name, 300),
        "description": "\n\n".join(label + texts[key] for key, label in _TEXTS if texts[key]),
        "source": f"DSOMM: {activity.dimension} / {activity.subdimension} / {activity.name}",
        "depends_on": [fit_id(u) for u in depends],
        "references": _references(activity),
    }
    return measure


def _references(activity: _Activity) -> list[Any]:
    """``references``: each entry a reference to the catalog named by its key (``samm2``,
    ``iso27001-2022`` …); a web address (``openCRE``) as text."""
    where = f"{activity.path}.references"
    raw = _mapping(activity.raw.get("references") or {}, where, "Verweisarten")
    found: list[Any] = []
    for key, values in raw.items():
        kind = _text(key)
        for value in values if isinstance(values, list) else [values]:
            text = _text(value)
            if not text:
                continue
            if re.match(r"https?://", text):
                found.append(text)
            elif kind and len(kind) <= 100 and len(text) <= 200:
                found.append({"catalog": kind, "id": text})
            else:
                found.append(f"{kind}: {text}" if kind else text)
    return found


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def _mapping(value: Any, path: str, holds: str = "Schlüsseln") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Refusal(path, f"Abschnitt mit {holds} erwartet")
    return value


def _slug(name: str) -> str:
    """``Build and Deployment`` → ``build-and-deployment``."""
    return re.sub(r"[\W_]+", "-", name.lower()).strip("-") or "dimension"


def _unique_id(candidates: list[str], used: set[str]) -> str:
    """The first candidate not yet used, else the last one numbered; marked as used."""
    options = [fit_id(c) for c in candidates]
    number = 2
    while all(o in used for o in options):
        options = [fit_id(f"{candidates[-1]}-{number}")]
        number += 1
    chosen = next(o for o in options if o not in used)
    used.add(chosen)
    return chosen


def _german_date(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    try:
        return dt.date.fromisoformat(str(value)).strftime("%d.%m.%Y")
    except ValueError:
        return str(value)


def _header(meta: dict[str, Any], version: str | None) -> str:
    lines = ["# Importiert aus einem DSOMM-Modell (--from dsomm)"]
    lines.extend(comment(f"Quelle: {PROJECT}, {meta.get('publisher') or PROJECT_URL}"))
    if version is not None:
        lines.extend(comment(f"Version: {version}"))
    if meta.get("released") not in (None, ""):
        lines.extend(comment(f"Veröffentlicht: {_german_date(meta['released'])}"))
    lines.append("# Lizenz: nennt die Datei nicht; es gilt die Lizenz des Quellprojekts")
    return "\n".join(lines) + "\n"


def _taken(catalog: Catalog) -> str:
    measures = [m for _, m in catalog.measures()]
    return "übernommen: " + ", ".join(
        [
            counted(sum(1 for lv in catalog.levels if lv.level >= 1), "Stufe", "Stufen"),
            counted(len(catalog.groups), "Gruppe", "Gruppen") + " (Dimensionen)",
            counted(len(catalog.dimensions), "Dimension", "Dimensionen") + " (Unterdimensionen)",
            counted(len(measures), "Maßnahme", "Maßnahmen") + " (Aktivitäten)",
            counted(sum(len(m.depends_on) for m in measures), "Voraussetzung", "Voraussetzungen")
            + " (dependsOn)",
            counted(sum(len(m.references) for m in measures), "Bezug", "Bezüge") + " (references)",
        ]
    )


def _has_value(value: Any) -> bool:
    """Whether a key holds something; DSOMM writes ``tags: [none]`` for no tags."""
    return value not in (None, "", False, [], {}, ["none"])


def _listed(names: Iterable[str]) -> str:
    items = list(names)
    return ", ".join(items[:5]) + (", …" if len(items) > 5 else "")


def _not_taken(
    meta: dict[str, Any],
    tree: dict[str, dict[str, list[_Activity]]],
    activities: list[_Activity],
    unresolved: list[tuple[_Activity, str]],
) -> tuple[str, ...]:
    lines: list[str] = []
    for keys, what, why in _NOT_TAKEN:
        count = sum(1 for a in activities if any(_has_value(a.raw.get(k)) for k in keys))
        if count:
            lines.append(f"{what} bei {counted(count, 'Aktivität', 'Aktivitäten')}, {why}")
    if unresolved:
        lines.append(
            f"{counted(len(unresolved), 'Voraussetzung', 'Voraussetzungen')} (dependsOn), die "
            f"keine Aktivität der Datei {'nennt' if len(unresolved) == 1 else 'nennen'} "
            f"({_listed(repr(k) for _, k in unresolved)}), "
            "weil eine Voraussetzung im selben Katalog liegen muss"
        )
    unknown: dict[str, int] = {}
    for activity in activities:
        extra = [str(k) for k in activity.raw if k not in _KNOWN_KEYS]
        meta_of = activity.raw.get("meta")
        if isinstance(meta_of, dict):
            extra += [f"meta.{k}" for k in meta_of if k != "implementationGuide"]
        elif meta_of is not None:
            extra.append("meta")
        for key in extra:
            unknown[key] = unknown.get(key, 0) + 1
    for key, count in unknown.items():
        lines.append(
            f"Angabe {key} bei {counted(count, 'Aktivität', 'Aktivitäten')}, weil das "
            "DSOMM-Modell sie nicht beschreibt"
        )
    empty = [d for d, subs in tree.items() if not subs]
    empty += [f"{d}.{s}" for d, subs in tree.items() for s, acts in subs.items() if not acts]
    if empty:
        lines.append(
            f"{counted(len(empty), 'Abschnitt', 'Abschnitte')} ohne Aktivität "
            f"({_listed(empty)}), weil eine Dimension mindestens eine Maßnahme braucht"
        )
    for key in meta:
        if key not in ("version", "released", "publisher"):
            lines.append(f"meta.{key}, weil der Katalog dafür kein Feld hat")
    return tuple(f"nicht übernommen: {line}" for line in lines)
