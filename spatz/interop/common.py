"""What the importers of published models share: their result, reading a source file,
refusals at a key path, ids that fit the catalog, comment lines and counted words."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from spatz.catalog import Catalog, read_document
from spatz.errors import CatalogError
from spatz.io.limits import FileLimits
from spatz.io.reader import read_file_bytes

MAX_ID = 100
"""The longest id the catalog takes."""

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ImportedCatalog:
    """The catalog read from a source, its file header and what was (not) taken over."""

    catalog: Catalog
    header: str
    """Comment lines naming the source, its version, provider and licence."""
    taken: str
    """``übernommen: …``: the counts per kind of catalog element."""
    not_taken: tuple[str, ...]
    """``nicht übernommen: … weil …``, one line per kind of source element left out."""
    notes: tuple[str, ...]
    """Decisions the reader should know, e.g. where requirements without a group went."""

    def to_yaml(self) -> str:
        """The catalog file: the header, then the catalog (loadable with ``parse_catalog``)."""
        return self.header + self.catalog.to_yaml()

    def summary(self) -> tuple[str, ...]:
        """The lines the command prints: taken, not taken, notes."""
        return (self.taken, *self.not_taken, *self.notes)


class Refusal(CatalogError):
    """A problem at a key path of a source; the importer's caller gets it with the file
    named in front."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")


def read_text(path: str | Path, limits: FileLimits | None, what: str) -> str:
    """The text of a source file (UTF-8, within the size limit); ``what`` names the file in
    the refusal of one that is not UTF-8 (``die Bibliothek``)."""
    name = str(path)
    data = read_file_bytes(path, name, limits or FileLimits.from_environment())
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogError(f"{name}: {what} ist kein UTF-8-Text") from None


def load_yaml(text: str, source: str) -> Any:
    """A YAML document read safely; unreadable YAML is refused naming ``source`` and line."""
    return read_document(
        lambda yaml_text: yaml.load(yaml_text, Loader=_SafeLoader),
        text,
        source,
        "YAML",
        column=False,
    )


def fit_id(text: str) -> str:
    """An id of at most :data:`MAX_ID` characters: a longer one shortened and made unique by
    a hash."""
    if len(text) <= MAX_ID:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{text[: MAX_ID - 9]}-{digest}"


def fit(text: str, length: int) -> str:
    """The text's first line, shortened to ``length`` characters with an ellipsis."""
    lines = text.strip().splitlines()
    first = lines[0].strip() if lines else ""
    return first if len(first) <= length else first[: length - 1].rstrip() + "…"


def comment(text: str) -> list[str]:
    """Comment lines for a text: each line printable, non-printable characters as spaces."""
    lines = str(text).splitlines() or [""]
    return [
        ("# " + "".join(c if c.isprintable() else " " for c in line)).rstrip() for line in lines
    ]


def counted(number: int, one: str, many: str) -> str:
    """``1 Stufe``, ``3 Stufen``."""
    return f"{number} {one if number == 1 else many}"
