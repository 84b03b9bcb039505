"""Mapping sets: which measures of one catalog correspond to which of another.

A mapping set (YAML or JSON) names a ``source`` and a ``target`` catalog (their ids) and
pairs ``{source, target, relation, note}`` of their measures. The relation says how much of
the target measure the source measure covers: ``equal`` (the same), ``superset`` (the
source covers the target and more), ``subset`` (the source covers part of the target),
``intersect`` (they overlap). Only ``equal`` and ``superset`` let a done source measure
count for the target (clause 12 of the rule, :mod:`spatz.scoring`); the others are shown
as hints. A set is versioned like a catalog (``id``, ``version``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from spatz.catalog import _Strict, dump_yaml, load_json_or_yaml, read_document, validated
from spatz.errors import CatalogError, os_reason

Relation = Literal["equal", "superset", "subset", "intersect"]

COUNTING: tuple[Relation, ...] = ("equal", "superset")
"""The relations with which a done source measure counts for the target measure."""

RELATION_WORDS: dict[str, str] = {
    "equal": "entspricht",
    "superset": "umfasst",
    "subset": "deckt teilweise ab",
    "intersect": "überschneidet sich mit",
}
"""The relations in German: source … target."""


class Pair(_Strict):
    """A measure of the source catalog and one of the target catalog, and how they relate."""

    source: str = Field(min_length=1, max_length=100)
    target: str = Field(min_length=1, max_length=100)
    relation: Relation
    note: str = ""

    @property
    def counts(self) -> bool:
        """Whether the source measure done makes the target measure done."""
        return self.relation in COUNTING


class MappingSet(_Strict):
    id: str = Field(min_length=1, max_length=100, pattern=r"^\S+$")
    version: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    source: str = Field(min_length=1, max_length=100)
    """Id of the source catalog."""
    target: str = Field(min_length=1, max_length=100)
    """Id of the target catalog."""
    pairs: tuple[Pair, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> MappingSet:
        if self.source == self.target:
            raise ValueError(
                f"Quelle und Ziel sind derselbe Katalog {self.source!r}; eine Zuordnung "
                "verbindet zwei Kataloge"
            )
        seen: set[tuple[str, str]] = set()
        for pair in self.pairs:
            both = (pair.source, pair.target)
            if both in seen:
                raise ValueError(f"das Paar {pair.source} → {pair.target} kommt mehrfach vor")
            seen.add(both)
        return self

    @property
    def key(self) -> str:
        """``ID@VERSION``."""
        return f"{self.id}@{self.version}"

    def document(self) -> dict[str, Any]:
        """The set as the file format's data (a pair's empty note left out)."""
        data = self.model_dump(mode="json")
        for pair in data["pairs"]:
            if not pair["note"]:
                del pair["note"]
        return data

    def content_hash(self) -> str:
        """A stable hash of the content: equal sets have equal hashes."""
        payload = json.dumps(self.document(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_yaml(self) -> str:
        """The set in the file format, loadable again with :func:`parse_mapping`."""
        return dump_yaml(self.document())


def parse_mapping(text: str, source: str = "<mapping>") -> MappingSet:
    """Parse and validate the text of a mapping set (YAML or JSON); raise
    :class:`CatalogError` naming ``source`` and every problem."""
    raw = read_document(load_json_or_yaml, text, source, "YAML/JSON")
    if not isinstance(raw, dict):
        raise CatalogError(
            f"{source}: eine Zuordnung ist ein Abschnitt mit den Schlüsseln id, version, "
            "source, target, pairs …"
        )
    return validated(MappingSet, raw, source, "ungültige Zuordnung", "Zuordnung")


def load_mapping(path: str | Path) -> MappingSet:
    """Read a mapping file; a missing, unreadable or invalid one raises
    :class:`CatalogError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CatalogError(f"{p}: Datei nicht gefunden") from None
    except OSError as exc:
        raise CatalogError(f"{p}: Datei nicht lesbar ({os_reason(exc)})") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{p}: Datei ist kein UTF-8-Text") from None
    return parse_mapping(text, source=str(p))
