"""The maturity catalog: levels, dimensions and measures, as read from YAML or JSON.

A catalog is data, not code. This module defines its validated in-memory form (pydantic
models, immutable) and reads and writes the file format. It does not touch the database,
so that the scoring engine can depend on it.

Beyond levels, dimensions and measures a catalog may have (all optional): a named level 0,
dimensions without measures on some levels (sparse), groups of dimensions that may nest,
answer scales with partial credit, the rule ``additive`` instead of ``gated``,
dependencies between measures and references to other catalogs. A catalog that uses none
of them is written, hashed and scored exactly as before they existed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from spatz.errors import CatalogError, os_reason

OVERALL = "overall"
"""Reserved dimension id for the aggregate over all dimensions."""

COMPLETED = "completed"
NOT_APPLICABLE = "not_applicable"
BUILTIN_CREDITS: dict[str, float | None] = {
    "planned": 0.0,
    "in_progress": 0.0,
    COMPLETED: 1.0,
    NOT_APPLICABLE: None,
}
"""The four statuses every measure accepts, with their credit (``None``: excluded)."""

Rule = Literal["gated", "additive"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Level(_Strict):
    level: int = Field(ge=0)
    name: str = Field(min_length=1, max_length=100)
    description: str = ""


class Answer(_Strict):
    """One answer of a scale: an event status with the share of the measure it fulfils."""

    key: str = Field(min_length=1, max_length=50, pattern=r"^\S+$")
    label: str = Field(min_length=1, max_length=100)
    credit: float = Field(ge=0, le=1, allow_inf_nan=False)


class Reference(_Strict):
    """A requirement of another catalog that a measure corresponds to."""

    catalog: str = Field(min_length=1, max_length=100)
    id: str = Field(min_length=1, max_length=200)


class Measure(_Strict):
    id: str = Field(min_length=1, max_length=100)
    level: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    mandatory: bool = False
    valid_for_months: int | None = Field(default=None, ge=1)
    source: str = ""
    answers: str | None = Field(default=None, min_length=1, max_length=100)
    """Id of the answer scale (``answer_scales``) of this measure; default the catalog's."""
    depends_on: tuple[str, ...] = ()
    """Measures of the same catalog that should be done before this one."""
    references: tuple[Reference | str, ...] = ()


class Dimension(_Strict):
    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    group: str | None = Field(default=None, min_length=1, max_length=100)
    measures: tuple[Measure, ...] = Field(min_length=1)


class Group(_Strict):
    """Dimensions (and groups) scored together; ``parent`` nests groups."""

    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    parent: str | None = Field(default=None, min_length=1, max_length=100)


class AnswerScale(_Strict):
    id: str = Field(min_length=1, max_length=100)
    answers: tuple[Answer, ...] = Field(min_length=1)


_OPTIONAL_KEYS: dict[str, dict[str, Any]] = {
    "catalog": {"rule": "gated", "groups": [], "answers": [], "answer_scales": {}},
    "dimension": {"group": None},
    "measure": {"answers": None, "depends_on": [], "references": []},
}
"""The keys of the second format generation with their defaults: a document leaves them
out where they have these values, so that older catalogs keep their text and hash."""


class Catalog(_Strict):
    """A validated catalog. Dimensions keep file order; that order is the display order."""

    id: str = Field(min_length=1, max_length=100)
    version: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    threshold: float = Field(default=1.0, gt=0, le=1, allow_inf_nan=False)
    rule: Rule = "gated"
    levels: tuple[Level, ...] = Field(min_length=2)
    groups: tuple[Group, ...] = ()
    answers: tuple[Answer, ...] = ()
    """The answer scale of every measure without its own (beside the four statuses)."""
    answer_scales: tuple[AnswerScale, ...] = ()
    dimensions: tuple[Dimension, ...] = Field(min_length=1)

    @field_validator("answer_scales", mode="before")
    @classmethod
    def _scales_by_id(cls, value: Any) -> Any:
        """The file writes ``answer_scales`` as a mapping from id to answers."""
        if isinstance(value, dict):
            return [{"id": key, "answers": answers} for key, answers in value.items()]
        return value

    @model_validator(mode="after")
    def _check_structure(self) -> Catalog:
        numbers = [lv.level for lv in self.levels]
        first = numbers[0] if numbers and numbers[0] == 0 else 1
        if numbers != list(range(first, first + len(numbers))):
            raise ValueError(
                f"die Stufen müssen lückenlos der Reihe nach {first}..{first + len(numbers) - 1} "
                f"nummeriert sein (Stufe 0 nur als erste), nicht {numbers}"
            )
        if numbers[-1] < 1:
            raise ValueError("der Katalog braucht mindestens die Stufe 1")
        seen_dims: set[str] = set()
        seen_measures: dict[str, str] = {}
        for dim in self.dimensions:
            if dim.id == OVERALL:
                raise ValueError(f"die Dimensions-ID {OVERALL!r} ist reserviert")
            if dim.id in seen_dims:
                raise ValueError(f"Dimensions-ID {dim.id!r} kommt doppelt vor")
            seen_dims.add(dim.id)
            for m in dim.measures:
                if m.id in seen_measures:
                    raise ValueError(
                        f"Maßnahmen-ID {m.id!r} kommt doppelt vor (Dimensionen "
                        f"{seen_measures[m.id]!r} und {dim.id!r})"
                    )
                seen_measures[m.id] = dim.id
                if m.level > numbers[-1]:
                    raise ValueError(
                        f"Maßnahme {m.id!r} hat die Stufe {m.level}, der Katalog hat nur die "
                        f"Stufen 1..{numbers[-1]}"
                    )
        self._check_groups(seen_dims)
        self._check_answers()
        self._check_dependencies(seen_measures)
        return self

    def _check_groups(self, dimension_ids: set[str]) -> None:
        group_ids: set[str] = set()
        for group in self.groups:
            if group.id == OVERALL:
                raise ValueError(f"die Gruppen-ID {OVERALL!r} ist reserviert")
            if group.id in group_ids or group.id in dimension_ids:
                raise ValueError(f"Gruppen-ID {group.id!r} kommt doppelt vor")
            group_ids.add(group.id)
        members: set[str] = set()
        for group in self.groups:
            if group.parent is not None:
                if group.parent not in group_ids:
                    raise ValueError(
                        f"Gruppe {group.id!r}: übergeordnete Gruppe {group.parent!r} gibt es nicht"
                    )
                members.add(group.parent)
        for dim in self.dimensions:
            if dim.group is not None:
                if dim.group not in group_ids:
                    raise ValueError(f"Dimension {dim.id!r}: Gruppe {dim.group!r} gibt es nicht")
                members.add(dim.group)
        parents = {g.id: g.parent for g in self.groups}
        for group in self.groups:
            chain = [group.id]
            parent = group.parent
            while parent is not None:
                if parent in chain:
                    path = " → ".join([*chain[chain.index(parent) :], parent])
                    raise ValueError(f"Gruppen verweisen im Kreis aufeinander: {path}")
                chain.append(parent)
                parent = parents[parent]
            if group.id not in members:
                raise ValueError(f"Gruppe {group.id!r} hat weder Dimensionen noch Untergruppen")

    def _check_answers(self) -> None:
        scale_ids: set[str] = set()
        scales = [("answers", self.answers)]
        for scale in self.answer_scales:
            if scale.id in scale_ids:
                raise ValueError(f"Antwortskala {scale.id!r} kommt doppelt vor")
            scale_ids.add(scale.id)
            scales.append((f"Antwortskala {scale.id!r}", scale.answers))
        for where, answers in scales:
            keys: set[str] = set()
            for answer in answers:
                if answer.key in BUILTIN_CREDITS:
                    raise ValueError(
                        f"{where}: {answer.key!r} ist ein fester Status "
                        f"({', '.join(BUILTIN_CREDITS)}) und kann nicht neu belegt werden"
                    )
                if answer.key in keys:
                    raise ValueError(f"{where}: Antwort {answer.key!r} kommt doppelt vor")
                keys.add(answer.key)
        for _, m in self.measures():
            if m.answers is not None and m.answers not in scale_ids:
                raise ValueError(
                    f"Maßnahme {m.id!r}: Antwortskala {m.answers!r} gibt es nicht "
                    f"(answer_scales: {', '.join(sorted(scale_ids)) or 'keine'})"
                )

    def _check_dependencies(self, measure_ids: dict[str, str]) -> None:
        needs = {m.id: m.depends_on for _, m in self.measures()}
        for measure_id, prerequisites in needs.items():
            for other in prerequisites:
                if other not in measure_ids:
                    raise ValueError(
                        f"Maßnahme {measure_id!r}: Voraussetzung {other!r} gibt es im Katalog nicht"
                    )
                if other == measure_id:
                    raise ValueError(f"Maßnahme {measure_id!r} setzt sich selbst voraus")
        finished: set[str] = set()
        for start in needs:
            if start in finished:
                continue
            path = [start]
            stack = [iter(needs[start])]
            while stack:
                nxt = next(stack[-1], None)
                if nxt is None:
                    stack.pop()
                    finished.add(path.pop())
                elif nxt in path:
                    cycle = " → ".join([*path[path.index(nxt) :], nxt])
                    raise ValueError(f"Voraussetzungen verweisen im Kreis aufeinander: {cycle}")
                elif nxt not in finished:
                    stack.append(iter(needs[nxt]))
                    path.append(nxt)

    @property
    def n_levels(self) -> int:
        """N: the highest level (level 0, if named, is what an organisation is before 1)."""
        return self.levels[-1].level

    def answer_scale(self, measure: Measure) -> tuple[Answer, ...]:
        """The answers a measure accepts beside the four statuses (:data:`BUILTIN_CREDITS`)."""
        if measure.answers is None:
            return self.answers
        return next(s.answers for s in self.answer_scales if s.id == measure.answers)

    def credits(self, measure: Measure) -> dict[str, float | None]:
        """Every status the measure accepts with its credit (``None``: excluded)."""
        return {**BUILTIN_CREDITS, **{a.key: a.credit for a in self.answer_scale(measure)}}

    def group(self, group_id: str) -> Group:
        for group in self.groups:
            if group.id == group_id:
                return group
        raise KeyError(group_id)

    @property
    def key(self) -> str:
        """``ID@VERSION``, the name under which a catalog version is addressed."""
        return f"{self.id}@{self.version}"

    def measures(self) -> Iterator[tuple[Dimension, Measure]]:
        for dim in self.dimensions:
            for m in dim.measures:
                yield dim, m

    def measure(self, measure_id: str) -> Measure:
        for _, m in self.measures():
            if m.id == measure_id:
                return m
        raise KeyError(measure_id)

    def dimension(self, dimension_id: str) -> Dimension:
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise KeyError(dimension_id)

    def document(self) -> dict[str, Any]:
        """The catalog as the file format's data: optional keys at their defaults left out
        (:data:`_OPTIONAL_KEYS`), ``answer_scales`` as a mapping."""
        data = self.model_dump(mode="json")
        data["answer_scales"] = {s["id"]: s["answers"] for s in data["answer_scales"]}
        _drop_defaults(data, "catalog")
        for dim in data["dimensions"]:
            _drop_defaults(dim, "dimension")
            for measure in dim["measures"]:
                _drop_defaults(measure, "measure")
        return data

    def content_hash(self) -> str:
        """A stable hash of the content: equal catalogs have equal hashes."""
        payload = json.dumps(self.document(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_yaml(self) -> str:
        """The catalog in the file format, loadable again with :func:`parse_catalog`."""
        return dump_yaml(self.document())


def _drop_defaults(data: dict[str, Any], kind: str) -> None:
    for key, default in _OPTIONAL_KEYS[kind].items():
        if data.get(key) == default:
            del data[key]


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, but strings with a NEL, LS or PS character double-quoted.

    Unquoted or single-quoted, PyYAML writes these characters as line breaks, which reading
    folds into spaces: the catalog would not read back as it was.
    """


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if any(c in value for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: dict[str, Any]) -> str:
    """A document as YAML in the order of its keys, readable again by
    :func:`load_json_or_yaml`."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def _describe(error: dict[str, Any], raw: Any, whole: str) -> str:
    """Turn one pydantic error into a sentence that names the offending item by its id."""
    parts: list[str] = []
    node: Any = raw
    for loc in error["loc"]:
        if isinstance(loc, int) and isinstance(node, list) and 0 <= loc < len(node):
            node = node[loc]
            ident = (
                node.get("id", node.get("key", node.get("level")))
                if isinstance(node, dict)
                else None
            )
            parts[-1] = f"{parts[-1]}[{ident!r}]" if ident is not None else f"{parts[-1]}[{loc}]"
            continue
        parts.append(str(loc))
        node = node.get(loc) if isinstance(node, dict) else None
    where = ".".join(parts) or whole
    return f"{where}: {_message(error)}"


_EXPECTED = {
    "string_type": "Text",
    "int_type": "ganze Zahl",
    "int_parsing": "ganze Zahl",
    "int_from_float": "ganze Zahl",
    "float_type": "Zahl",
    "float_parsing": "Zahl",
    "finite_number": "endliche Zahl",
    "bool_type": "Wahrheitswert (true oder false)",
    "bool_parsing": "Wahrheitswert (true oder false)",
    "tuple_type": "Liste",
    "list_type": "Liste",
    "model_type": "Abschnitt mit Schlüsseln",
    "dict_type": "Abschnitt mit Schlüsseln",
}
"""What a pydantic type error expected, by its type."""

_BOUNDS = {
    "greater_than": ("gt", "muss größer als {} sein"),
    "greater_than_equal": ("ge", "muss mindestens {} sein"),
    "less_than": ("lt", "muss kleiner als {} sein"),
    "less_than_equal": ("le", "darf höchstens {} sein"),
}
"""The bound in the error's context and the text, by the type of a pydantic bound error."""


def _message(error: dict[str, Any]) -> str:
    """The German text of one pydantic error (its own text is English)."""
    kind = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    given = error.get("input")
    if kind == "value_error":  # the checks of Catalog, whose messages are German
        return str(ctx["error"])
    if kind in _EXPECTED:
        if isinstance(given, str | int | float) and len(repr(given)) <= 60:
            return f"{_EXPECTED[kind]} erwartet, nicht {given!r}"
        return f"{_EXPECTED[kind]} erwartet"
    if kind == "missing":
        return "Angabe fehlt"
    if kind == "extra_forbidden":
        return "unbekannter Schlüssel"
    if kind in _BOUNDS:
        bound, text = _BOUNDS[kind]
        return text.format(f"{ctx[bound]:g}")
    if kind == "string_too_short":
        return f"mindestens {ctx['min_length']} Zeichen nötig"
    if kind == "string_too_long":
        return f"höchstens {ctx['max_length']} Zeichen, nicht {len(str(given))}"
    if kind == "too_short":
        return f"mindestens {ctx['min_length']} Einträge nötig, nicht {ctx['actual_length']}"
    return "ungültiger Wert"


def load_json_or_yaml(text: str) -> Any:
    """JSON as JSON, anything else as YAML.

    PyYAML reads YAML 1.1, which differs from JSON: it decodes an escaped surrogate pair
    (``"\\ud83d\\ude00"``, as ``json.dumps`` writes characters beyond U+FFFF) into two invalid
    characters, and reads ``1e3`` as a string.
    """
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return yaml.safe_load(text)


def read_document(
    load: Callable[[str], Any], text: str, source: str, kind: str, *, column: bool = True
) -> Any:
    """``load(text)``, a YAML (or JSON) reader; whatever it cannot read becomes a
    :class:`CatalogError` naming ``source``, the line (and with ``column`` the character)
    and the problem: ``x.yaml:1: kein gültiges YAML/JSON (Zeichen 5: …)`` (``kind`` is
    what the file should be, e.g. ``YAML/JSON``)."""
    try:
        return load(text)
    except yaml.MarkedYAMLError as exc:
        # PyYAML's own words (English) say what it expected at that place.
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        at = f"Zeichen {mark.column + 1}: " if mark is not None and column else ""
        problem = exc.problem or type(exc).__name__
        raise CatalogError(f"{where}: kein gültiges {kind} ({at}{problem})") from None
    except RecursionError:
        raise CatalogError(f"{source}: kein gültiges {kind} (zu tief verschachtelt)") from None
    except (yaml.YAMLError, ValueError, TypeError, LookupError, AttributeError) as exc:
        # PyYAML's constructors fail like this on values such as ``2023-13-01`` or
        # ``!!bool maybe``.
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise CatalogError(
            f"{source}: kein gültiges {kind} (Wert nicht lesbar: {detail})"
        ) from None


def parse_catalog(text: str, source: str = "<catalog>") -> Catalog:
    """Parse and validate catalog text (YAML or JSON); raise :class:`CatalogError`."""
    raw = read_document(load_json_or_yaml, text, source, "YAML/JSON")
    if not isinstance(raw, dict):
        raise CatalogError(
            f"{source}: ein Katalog ist ein Abschnitt mit den Schlüsseln id, version, levels …"
        )
    return validated(Catalog, raw, source, "ungültiger Katalog", "Katalog")


_Model = TypeVar("_Model", bound=BaseModel)


def validated(model: type[_Model], raw: Any, source: str, invalid: str, whole: str) -> _Model:
    """``model`` validated from the data ``raw`` of the file ``source``; every problem
    becomes one German sentence naming the item by its id, all in one
    :class:`CatalogError`: ``x.yaml: ungültiger Katalog: dimensions['a'].weight: …``
    (``invalid`` is the words after the file, ``whole`` names the document itself)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors: list[dict[str, Any]] = [dict(e) for e in exc.errors()]
        # A list whose items failed is also reported as "too short"; that is noise.
        locs = [tuple(e["loc"]) for e in errors]
        deeper = {loc[:-1] for loc in locs if len(loc) > 1}
        errors = [
            e
            for e, loc in zip(errors, locs, strict=True)
            if not (e["type"] == "too_short" and any(d[: len(loc)] == loc for d in deeper))
        ]
        details = "; ".join(_describe(e, raw, whole) for e in errors)
        raise CatalogError(f"{source}: {invalid}: {details}") from None


def load_catalog(path: str | Path) -> Catalog:
    """Read a catalog file (YAML or JSON). Invalid content raises :class:`CatalogError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CatalogError(f"{p}: Katalogdatei nicht gefunden") from None
    except OSError as exc:
        raise CatalogError(f"{p}: Katalog nicht lesbar ({os_reason(exc)})") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{p}: Katalog ist kein UTF-8-Text") from None
    return parse_catalog(text, source=str(p))


DEFAULT_CATALOG_PATH = Path(__file__).parent / "catalogs" / "spatz-kommunal.yaml"


def default_catalog() -> Catalog:
    """The shipped catalog ``spatz-kommunal``."""
    return load_catalog(DEFAULT_CATALOG_PATH)
