"""The maturity catalog: levels, dimensions and measures, as read from YAML or JSON.

A catalog is data, not code. This module defines its validated in-memory form (pydantic
models, immutable) and reads and writes the file format. It does not touch the database,
so that the scoring engine can depend on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from spatz.errors import CatalogError, os_reason

OVERALL = "overall"
"""Reserved dimension id for the aggregate over all dimensions."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Level(_Strict):
    level: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=100)
    description: str = ""


class Measure(_Strict):
    id: str = Field(min_length=1, max_length=100)
    level: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    mandatory: bool = False
    valid_for_months: int | None = Field(default=None, ge=1)
    source: str = ""


class Dimension(_Strict):
    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    measures: tuple[Measure, ...] = Field(min_length=1)


class Catalog(_Strict):
    """A validated catalog. Dimensions keep file order; that order is the display order."""

    id: str = Field(min_length=1, max_length=100)
    version: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    threshold: float = Field(default=1.0, gt=0, le=1, allow_inf_nan=False)
    levels: tuple[Level, ...] = Field(min_length=2)
    dimensions: tuple[Dimension, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_structure(self) -> Catalog:
        numbers = [lv.level for lv in self.levels]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(
                f"die Stufen müssen lückenlos der Reihe nach 1..{len(numbers)} nummeriert "
                f"sein, nicht {numbers}"
            )
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
                if m.level > len(numbers):
                    raise ValueError(
                        f"Maßnahme {m.id!r} hat die Stufe {m.level}, der Katalog hat nur die "
                        f"Stufen 1..{len(numbers)}"
                    )
            missing = sorted(set(numbers) - {m.level for m in dim.measures})
            if missing:
                raise ValueError(
                    f"Dimension {dim.id!r} hat keine Maßnahme auf Stufe(n) "
                    f"{', '.join(map(str, missing))}"
                )
        return self

    @property
    def n_levels(self) -> int:
        return len(self.levels)

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

    def content_hash(self) -> str:
        """A stable hash of the content: equal catalogs have equal hashes."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_yaml(self) -> str:
        """The catalog in the file format, loadable again with :func:`parse_catalog`."""
        data = self.model_dump(mode="json")
        return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, but strings with a NEL, LS or PS character double-quoted.

    Unquoted or single-quoted, PyYAML writes these characters as line breaks, which reading
    folds into spaces: the catalog would not read back as it was.
    """


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if any(c in value for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _describe(error: dict[str, Any], raw: Any) -> str:
    """Turn one pydantic error into a sentence that names the offending item by its id."""
    parts: list[str] = []
    node: Any = raw
    for loc in error["loc"]:
        if isinstance(loc, int) and isinstance(node, list) and 0 <= loc < len(node):
            node = node[loc]
            ident = node.get("id", node.get("level")) if isinstance(node, dict) else None
            parts[-1] = f"{parts[-1]}[{ident!r}]" if ident is not None else f"{parts[-1]}[{loc}]"
            continue
        parts.append(str(loc))
        node = node.get(loc) if isinstance(node, dict) else None
    where = ".".join(parts) or "Katalog"
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


def _load_json_or_yaml(text: str) -> Any:
    """JSON as JSON, anything else as YAML.

    PyYAML reads YAML 1.1, which differs from JSON: it decodes an escaped surrogate pair
    (``"\\ud83d\\ude00"``, as ``json.dumps`` writes characters beyond U+FFFF) into two invalid
    characters, and reads ``1e3`` as a string.
    """
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return yaml.safe_load(text)


def parse_catalog(text: str, source: str = "<catalog>") -> Catalog:
    """Parse and validate catalog text (YAML or JSON); raise :class:`CatalogError`."""
    try:
        raw = _load_json_or_yaml(text)
    except yaml.MarkedYAMLError as exc:
        # PyYAML's own words (English) say what it expected at that place.
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        at = f"Zeichen {mark.column + 1}: " if mark is not None else ""
        problem = exc.problem or type(exc).__name__
        raise CatalogError(f"{where}: kein gültiges YAML/JSON ({at}{problem})") from None
    except RecursionError:
        raise CatalogError(f"{source}: kein gültiges YAML/JSON (zu tief verschachtelt)") from None
    except (yaml.YAMLError, ValueError, TypeError, LookupError, AttributeError) as exc:
        # PyYAML's constructors fail like this on values such as ``2023-13-01`` or
        # ``!!bool maybe``.
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise CatalogError(
            f"{source}: kein gültiges YAML/JSON (Wert nicht lesbar: {detail})"
        ) from None
    if not isinstance(raw, dict):
        raise CatalogError(
            f"{source}: ein Katalog ist ein Abschnitt mit den Schlüsseln id, version, levels …"
        )
    try:
        return Catalog.model_validate(raw)
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
        details = "; ".join(_describe(e, raw) for e in errors)
        raise CatalogError(f"{source}: ungültiger Katalog: {details}") from None


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
