"""The Land export: the stable comparison format in which a Land collects its Kommunen.

Format version 1. Header (exactly)::

    org,ags,organisation,kind,land,catalog_id,catalog_version,dimension_id,dimension,as_of,
    level,score,target_level,target_date,measures_completed,measures_total

One row per organisation and dimension in catalog order, then ``overall``; organisations
sorted by ``org``; ``score`` with two decimals; dates ISO; empty cells where there is no
target.

Format version 2, written for catalogs with groups: the columns of version 1, then
``row_kind`` (``dimension``, ``group`` or ``overall``) and ``format_version`` (``2`` in every
row). After an organisation's dimensions come its groups (order of the catalog's
``groups``, the group's id and name in ``dimension_id`` and ``dimension``), then
``overall``. A frame holds rows of version 2 iff it has the column ``row_kind``
(``format_version`` belongs to the file only).

Dialect ``rfc4180`` (default): ``,``, UTF-8 without BOM, ``\\n``. Dialect
``excel-de``: ``;``, decimal comma, UTF-8 with BOM, ``\\r\\n``, and text cells starting with
``= + - @`` (after any number of ``'``) are prefixed with ``'`` so that spreadsheets never run
them as formulas; reading removes exactly that ``'`` again.

Reading (:func:`parse_land`, :func:`read_land`) accepts both dialects, validates every row
and reports each problem as ``FILE:LINE: Spalte NAME: message``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from spatz.catalog import OVERALL, Catalog, default_catalog
from spatz.errors import DataImportError, Problem
from spatz.io.dialect import Dialect as Dialect
from spatz.io.limits import FileLimits, quote, shorten
from spatz.io.reader import XLSX_MAGIC, ProblemCollector, Table, read_file_bytes, read_table_bytes
from spatz.io.rows import RowReader, rows_of
from spatz.io.values import is_missing, parse_date, parse_int, parse_kind
from spatz.model.common import OrgKind
from spatz.model.organisation import AGS_PATTERN, KEY_PATTERN

LAND_FORMAT_VERSION = 2
"""The newest version of the format described in this module (and in the README)."""

LAND_COLUMNS = [
    "org",
    "ags",
    "organisation",
    "kind",
    "land",
    "catalog_id",
    "catalog_version",
    "dimension_id",
    "dimension",
    "as_of",
    "level",
    "score",
    "target_level",
    "target_date",
    "measures_completed",
    "measures_total",
]
ROW_KIND = "row_kind"
"""The column of version 2 that says what a row describes: one of :data:`ROW_KINDS`."""
DIMENSION, GROUP = "dimension", "group"
ROW_KINDS = (DIMENSION, GROUP, OVERALL)
LAND_COLUMNS_V2 = [*LAND_COLUMNS, ROW_KIND, "format_version"]
"""The header of format version 2."""
FORMULA_PREFIXES = ("=", "+", "-", "@")
_TEXT_COLUMNS = {"org", "ags", "organisation", "kind", "land", "catalog_id", "catalog_version"}
_TEXT_COLUMNS |= {"dimension_id", "dimension", ROW_KIND}
_NEEDS_PREFIX = re.compile(r"'*[=+\-@]")
_NEUTRALISED = re.compile(r"''*[=+\-@]")
_DECIMAL = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_BOM = b"\xef\xbb\xbf"

_DTYPES: dict[str, str] = {
    **{c: "str" for c in _TEXT_COLUMNS},
    "as_of": "datetime64[us]",
    "level": "int64",
    "score": "float64",
    "target_level": "Int64",
    "target_date": "datetime64[us]",
    "measures_completed": "int64",
    "measures_total": "int64",
    ROW_KIND: "str",
}


def _column_cells(column: str, values: pd.Series[Any], dialect: Dialect) -> list[str]:
    """The cells of one column as written: missing values empty, ``score`` with two
    decimals (decimal comma in ``excel-de``), dates ISO, text cells neutralised in
    ``excel-de``, and a cell with the delimiter, a quote or a line break (also a lone
    ``\\r``, which :mod:`csv` leaves unquoted under a ``\\n`` terminator) in quotes
    (RFC 4180). Each distinct value is rendered once."""
    excel = dialect is Dialect.excel_de
    items = values.tolist()
    if column == "score":
        point = "," if excel else "."
        return ["" if is_missing(v) else f"{float(v):.2f}".replace(".", point) for v in items]
    delimiter = ";" if excel else ","
    neutralise = excel and column in _TEXT_COLUMNS

    def render(value: Any) -> str:
        if is_missing(value):
            return ""
        if isinstance(value, pd.Timestamp):
            return value.date().isoformat()
        text = str(value)
        if neutralise and _NEEDS_PREFIX.match(text):
            text = "'" + text
        if delimiter in text or any(c in text for c in '"\r\n'):
            text = '"' + text.replace('"', '""') + '"'
        return text

    rendered: dict[Any, str] = {}
    cells = []
    for value in items:
        cell = rendered.get(value)
        if cell is None:
            cell = rendered[value] = render(value)
        cells.append(cell)
    return cells


def frame_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of the Land format that ``frame`` holds: :data:`LAND_COLUMNS`, and
    :data:`ROW_KIND` after them if its rows are of format version 2."""
    return [*LAND_COLUMNS, ROW_KIND] if ROW_KIND in frame.columns else list(LAND_COLUMNS)


def land_csv(frame: pd.DataFrame, dialect: Dialect = Dialect.rfc4180) -> bytes:
    """Write rows in the Land export format, column by column: version 2
    (:data:`LAND_COLUMNS_V2`) if ``frame`` has the column :data:`ROW_KIND`, else version 1
    (:data:`LAND_COLUMNS`)."""
    excel = dialect is Dialect.excel_de
    delimiter = ";" if excel else ","
    newline = "\r\n" if excel else "\n"
    columns = [_column_cells(c, frame[c], dialect) for c in frame_columns(frame)]
    header = LAND_COLUMNS
    if ROW_KIND in frame.columns:
        header = LAND_COLUMNS_V2
        columns.append(["2"] * len(frame))
    lines = [delimiter.join(header), *map(delimiter.join, zip(*columns, strict=True))]
    data = "".join(line + newline for line in lines).encode("utf-8")
    return _BOM + data if excel else data


def unneutralise(text: str) -> str:
    """Undo the formula neutralisation of the ``excel-de`` dialect (one leading ``'``)."""
    return text[1:] if _NEUTRALISED.match(text) else text


def typed_land_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of the format in ``frame`` (:func:`frame_columns`) with the dtypes of
    :func:`read_land`."""
    columns = frame_columns(frame)
    return frame[columns].astype({c: _DTYPES[c] for c in columns})


def row_kinds(dimension_ids: pd.Series[Any]) -> pd.Series[Any]:
    """The :data:`ROW_KIND` of rows of format version 1: ``overall`` or ``dimension``."""
    return dimension_ids.where(dimension_ids == OVERALL, DIMENSION).astype("str")


def empty_land_frame() -> pd.DataFrame:
    """A frame without rows with the columns and dtypes of :func:`read_land`."""
    return pd.DataFrame({c: pd.Series(dtype=_DTYPES[c]) for c in LAND_COLUMNS})


# --- reading ------------------------------------------------------------------------------

CatalogLookup = Callable[[str, str], Catalog | None]
"""Finds the catalog ``(catalog_id, catalog_version)`` a file refers to; ``None``: unknown."""


@dataclass(frozen=True)
class LandTable:
    """A Land export file as read by the one reader, with the dialect it is written in."""

    table: Table
    dialect: Dialect


@dataclass(frozen=True)
class LandRecord:
    """One valid row of a Land export."""

    line: int
    position: int
    """The dimension's place in its catalog; ``overall`` comes last."""
    org: str
    ags: str | None
    organisation: str
    kind: OrgKind
    land: str
    catalog_id: str
    catalog_version: str
    dimension_id: str
    dimension: str
    as_of: dt.date
    level: int
    score: float
    target_level: int | None
    target_date: dt.date | None
    measures_completed: int
    measures_total: int
    row_kind: str
    """:data:`ROW_KIND`; in a file of version 1 ``overall`` or ``dimension``."""

    def values(self) -> dict[str, Any]:
        """The columns of the format (without line, position and format version);
        ``kind`` as text."""
        return {c: getattr(self, c) for c in [*LAND_COLUMNS, ROW_KIND]} | {"kind": self.kind.value}


@dataclass(frozen=True)
class LandFile:
    """The valid rows of one file."""

    file: str
    records: list[LandRecord] = field(default_factory=list)
    version: int = 1
    """The format version the file is written in."""


def dialect_of(data: bytes) -> Dialect:
    """The dialect of a file, told by its header line: ``;`` means ``excel-de``.

    An XLSX file counts as ``excel-de``: it is what Excel makes of that dialect.
    """
    if data.startswith(XLSX_MAGIC):
        return Dialect.excel_de
    for line in data.removeprefix(_BOM).splitlines():
        if line.strip():
            return Dialect.excel_de if line.count(b";") > line.count(b",") else Dialect.rfc4180
    return Dialect.rfc4180


def read_land_table_bytes(data: bytes, name: str, *, limits: FileLimits | None = None) -> LandTable:
    """Read a Land export (CSV of either dialect, or XLSX) through the one reader."""
    return LandTable(read_table_bytes(data, name, limits=limits), dialect_of(data))


def read_land_table(
    path: str | Path, *, name: str | None = None, limits: FileLimits | None = None
) -> LandTable:
    limits = limits or FileLimits.from_environment()
    display = name or str(path)
    return read_land_table_bytes(read_file_bytes(path, display, limits), display, limits=limits)


def read_land_tables(
    paths: Iterable[str | Path], *, on_file: Callable[[Path], None] | None = None
) -> tuple[list[LandTable], list[Problem]]:
    """Read every file; the problems of unreadable ones are returned, not raised, so that
    :func:`parse_land` reports them together with the problems of the others. ``on_file``
    is called with each path before it is read (for a progress display)."""
    tables: list[LandTable] = []
    problems: list[Problem] = []
    for path in paths:
        if on_file is not None:
            on_file(Path(path))
        try:
            tables.append(read_land_table(path))
        except DataImportError as exc:
            problems.extend(exc.problems)
    return tables, problems


def parse_score(text: str) -> float:
    """A score: decimal point or decimal comma."""
    value = text.strip()
    if not _DECIMAL.fullmatch(value):
        raise ValueError(f"keine Zahl: {quote(text)} (erwartet z. B. 2.50 oder 2,50)")
    return float(value.replace(",", "."))


@cache
def _default_catalog() -> Catalog:
    return default_catalog()


def shipped_catalogs(*extra: Catalog) -> CatalogLookup:
    """A lookup over the catalogs shipped with SPATZ and ``extra`` (which win)."""
    known = {(c.id, c.version): c for c in (_default_catalog(), *extra)}
    return lambda catalog_id, version: known.get((catalog_id, version))


class _RowParser:
    """Reads the columns of one row: text un-neutralised in ``excel-de``."""

    def __init__(self, r: RowReader, dialect: Dialect) -> None:
        self.r = r
        self.dialect = dialect

    def text(self, column: str, *, required: bool = True, max_length: int = 300) -> str:
        value = self.r.text(column, required=required, max_length=max_length)
        return unneutralise(value) if self.dialect is Dialect.excel_de else value


def _positions(catalog: Catalog) -> dict[str, tuple[str, int]]:
    """Every id a row may name, with its :data:`ROW_KIND` and its place in the order of the
    format: the dimensions, the groups, ``overall``."""
    ids = [(d.id, DIMENSION) for d in catalog.dimensions]
    ids += [(g.id, GROUP) for g in catalog.groups]
    ids.append((OVERALL, OVERALL))
    return {row_id: (kind, i) for i, (row_id, kind) in enumerate(ids)}


def _expected_rows(catalog: Catalog, version: int) -> list[str]:
    """The ids of the rows a file of ``version`` has for one organisation: group rows
    only in version 2."""
    return [i for i, (kind, _) in _positions(catalog).items() if version > 1 or kind != GROUP]


_ROW_KIND_LENGTH = 20
_KIND_NAMES = {DIMENSION: "Dimension", GROUP: "Gruppe", OVERALL: "Gesamtzeile"}


def _parse_version(text: str) -> int:
    """The ``format_version`` of a row with the columns of version 2: exactly 2."""
    version = parse_int(text, minimum=1)
    if version < LAND_FORMAT_VERSION:
        raise ValueError(
            f"die Spalten row_kind und format_version hat erst Version {LAND_FORMAT_VERSION}, "
            f"nicht Version {version}"
        )
    if version > LAND_FORMAT_VERSION:
        raise ValueError(
            f"Version {shorten(str(version))} des Landesformats kann diese SPATZ-Version "
            "nicht lesen (lesbar sind die Versionen 1 und 2; bitte SPATZ aktualisieren)"
        )
    return version


def _row_kind(r: RowReader, p: _RowParser, version: int, dimension_id: str) -> str | None:
    """The kind of the row: the column :data:`ROW_KIND` (version 2, where it is checked
    along with ``format_version``) or what ``dimension_id`` says (version 1)."""
    if version == 1:
        return OVERALL if dimension_id == OVERALL else DIMENSION
    r.parse("format_version", _parse_version)
    kind = p.text(ROW_KIND, max_length=_ROW_KIND_LENGTH)
    if not kind or len(kind) > _ROW_KIND_LENGTH:
        return None
    if kind not in ROW_KINDS:
        r.error(ROW_KIND, f"unbekannte Zeilenart {quote(kind)} (erlaubt: {', '.join(ROW_KINDS)})")
        return None
    if (kind == OVERALL) != (dimension_id == OVERALL):
        r.error(ROW_KIND, "row_kind overall gehört zu dimension_id overall und nur zu ihr")
        return None
    return kind


def _parse_row(
    r: RowReader, dialect: Dialect, find: Callable[[str, str], Catalog | None], version: int
) -> LandRecord | None:
    p = _RowParser(r, dialect)
    org = p.text("org", max_length=50)
    if org and not re.match(KEY_PATTERN, org):
        r.error("org", f"ungültiger Schlüssel {quote(org)} (Buchstaben, Ziffern, . _ -)")
    ags = p.text("ags", required=False, max_length=8) or None
    if ags and not re.match(AGS_PATTERN, ags):
        r.error("ags", f"ein AGS hat 8 Ziffern, nicht {quote(ags)}")
    organisation = p.text("organisation", max_length=200)
    kind = r.parse("kind", parse_kind)
    land = p.text("land", required=False, max_length=100)
    catalog_id = p.text("catalog_id", max_length=100)
    catalog_version = p.text("catalog_version", max_length=50)
    catalog = find(catalog_id, catalog_version) if catalog_id and catalog_version else None
    if catalog_id and catalog_version and catalog is None:
        r.error(
            "catalog_id",
            f"unbekannter Katalog {shorten(catalog_id)}@{shorten(catalog_version)} "
            "(erst laden: spatz catalog load DATEI)",
        )
    dimension_id = p.text("dimension_id", max_length=100)
    row_kind = _row_kind(r, p, version, dimension_id)
    positions = _positions(catalog) if catalog else {}
    if catalog and dimension_id and row_kind is not None:
        # Version 1 tells an overall row by its id only, so overall is among the ids allowed.
        kinds = (row_kind, OVERALL) if version == 1 else (row_kind,)
        allowed = [i for i, (kind, _) in positions.items() if kind in kinds]
        if positions.get(dimension_id, ("", 0))[0] != row_kind:
            r.error(
                "dimension_id",
                f"unbekannte {_KIND_NAMES[row_kind]} {quote(dimension_id)} "
                f"(erlaubt: {', '.join(sorted(allowed))})",
            )
    dimension = p.text("dimension", max_length=200)
    as_of = r.parse("as_of", parse_date)
    n = catalog.n_levels if catalog else None
    level = r.parse("level", lambda v: parse_int(v, minimum=0))
    if level is not None and n is not None and level > n:
        r.error("level", f"der Katalog hat nur die Stufen 0..{n}")
        level = None
    score = r.parse("score", parse_score)
    if score is not None and n is not None:
        shown = r.row.get("score")
        if not 0 <= score <= n:
            r.error("score", f"muss zwischen 0 und {n} liegen, ist {shown}")
        elif level is not None and row_kind != DIMENSION and score < level:
            r.error(
                "score", f"Punktwert {shown} passt nicht zur Stufe {level} (erwartet ≥ {level})"
            )
        elif level is not None and row_kind == DIMENSION and not level <= score < level + 1:
            r.error(
                "score",
                f"Punktwert {shown} passt nicht zur Stufe {level} "
                f"(erwartet {level} ≤ Punktwert < {level + 1})",
            )
    target_level = r.parse("target_level", lambda v: parse_int(v, minimum=0), required=False)
    if target_level is not None and n is not None and target_level > n:
        r.error("target_level", f"der Katalog hat nur die Stufen 0..{n}")
    target_date = r.parse("target_date", parse_date, required=False)
    has_level, has_date = bool(r.row.get("target_level")), bool(r.row.get("target_date"))
    if has_level != has_date:
        missing = "target_date" if has_level else "target_level"
        r.error(missing, "Wert fehlt (Zielstufe und Zieldatum gehören zusammen)")
    completed = r.parse("measures_completed", lambda v: parse_int(v, minimum=0))
    total = r.parse("measures_total", lambda v: parse_int(v, minimum=0))
    if completed is not None and total is not None and completed > total:
        r.error("measures_completed", f"größer als measures_total ({total})")
    if not r.ok:
        return None
    assert kind is not None and as_of is not None and level is not None and score is not None
    assert completed is not None and total is not None and row_kind is not None
    return LandRecord(
        line=r.row.line,
        position=positions[dimension_id][1],
        org=org,
        ags=ags,
        organisation=organisation,
        kind=kind,
        land=land,
        catalog_id=catalog_id,
        catalog_version=catalog_version,
        dimension_id=dimension_id,
        dimension=dimension,
        as_of=as_of,
        level=level,
        score=score,
        target_level=target_level,
        target_date=target_date,
        measures_completed=completed,
        measures_total=total,
        row_kind=row_kind,
    )


_GroupKey = tuple[str, str, dt.date]
"""(org, catalog_id, as_of): what one Land export says about one organisation."""
_SAME_IN_GROUP = ("ags", "organisation", "kind", "land", "catalog_version")


def _check_groups(
    table: Table,
    records: list[LandRecord],
    find: Callable[[str, str], Catalog | None],
    seen_in: dict[_GroupKey, tuple[str, int]],
    version: int,
) -> list[Problem]:
    """One file: no row twice, every dimension (in version 2 also every group of the
    catalog) present, one value per organisation of the columns that describe it, no
    organisation and Stichtag that an earlier file has."""
    problems: list[Problem] = []
    groups: dict[_GroupKey, list[LandRecord]] = {}
    for record in records:
        groups.setdefault((record.org, record.catalog_id, record.as_of), []).append(record)
    for (org, catalog_id, as_of), rows in groups.items():
        first = rows[0]
        where = f"{quote(org)} am {as_of.isoformat()}"
        if (org, catalog_id, as_of) in seen_in:
            other, line = seen_in[(org, catalog_id, as_of)]
            problems.append(
                table.problem(first.line, "org", f"{where} steht schon in {other} (Zeile {line})")
            )
            continue
        seen_in[(org, catalog_id, as_of)] = (table.file, first.line)
        lines: dict[str, int] = {}
        for record in rows:
            if record.dimension_id in lines:
                problems.append(
                    table.problem(
                        record.line,
                        "dimension_id",
                        f"{quote(record.dimension_id)} kommt für {where} doppelt vor "
                        f"(zuerst in Zeile {lines[record.dimension_id]})",
                    )
                )
            lines.setdefault(record.dimension_id, record.line)
            for column in _SAME_IN_GROUP:
                if getattr(record, column) != getattr(first, column):
                    problems.append(
                        table.problem(
                            record.line,
                            column,
                            f"anders als in Zeile {first.line} "
                            f"({quote(str(getattr(first, column) or ''))}); "
                            "je Organisation und Stichtag gilt ein Wert",
                        )
                    )
        catalog = find(catalog_id, first.catalog_version)
        assert catalog is not None
        missing = [d for d in _expected_rows(catalog, version) if d not in lines]
        if missing:
            problems.append(
                table.problem(
                    first.line,
                    "dimension_id",
                    f"für {where} fehlen Zeilen der {_missing_kinds(catalog, missing)} "
                    f"{', '.join(missing)}",
                )
            )
    return problems


def _missing_kinds(catalog: Catalog, missing: list[str]) -> str:
    """What the missing rows are: ``Dimension(en)``, ``Gruppe(n)`` or both."""
    groups = {g.id for g in catalog.groups}
    if all(i in groups for i in missing):
        return "Gruppe(n)"
    return "Dimension(en) und Gruppe(n)" if groups & set(missing) else "Dimension(en)"


def _version_of(table: Table) -> int:
    """Version 2 if the header has a column that only version 2 has, else 1."""
    return 2 if set(table.columns) & set(LAND_COLUMNS_V2[len(LAND_COLUMNS) :]) else 1


def _cached(lookup: CatalogLookup) -> CatalogLookup:
    cache: dict[tuple[str, str], Catalog | None] = {}

    def find(catalog_id: str, version: str) -> Catalog | None:
        if (catalog_id, version) not in cache:
            cache[(catalog_id, version)] = lookup(catalog_id, version)
        return cache[(catalog_id, version)]

    return find


def parse_land(
    tables: Sequence[LandTable], catalogs: CatalogLookup, *, problems: Iterable[Problem] = ()
) -> list[LandFile]:
    """Validate Land exports; all or nothing over all files.

    Every file needs exactly the columns of one format version (1, or 2 with
    ``row_kind`` and ``format_version``). Each row is checked (types, the catalog and its
    dimensions or, in version 2, groups, the level range 0..N, a score that fits the level),
    then each organisation and Stichtag of a file (every dimension, and in version 2 every
    group, exactly once, one name, kind, AGS, Land and catalog version) and across files (an
    organisation and Stichtag in one file only). ``problems`` (e.g. of unreadable files)
    are reported along with the rest.
    Raises :class:`DataImportError` with up to 50 problems.
    """
    find = _cached(catalogs)
    collector = ProblemCollector()
    for problem in problems:
        collector.add(problem)
    result: list[LandFile] = []
    seen_in: dict[_GroupKey, tuple[str, int]] = {}
    for source in tables:
        table = source.table
        version = _version_of(table)
        expected = LAND_COLUMNS_V2 if version == 2 else LAND_COLUMNS
        missing = [c for c in expected if c not in table.columns]
        extra = [c for c in table.columns if c not in expected]
        if missing or extra:
            for column in missing:
                collector.add(
                    table.problem(
                        table.header_line, column, f"Spalte fehlt (vorhanden: {table.present()})"
                    )
                )
            for column in extra:
                collector.add(
                    table.problem(
                        table.header_line,
                        column,
                        f"keine Spalte des Landesformats (Version {version})",
                    )
                )
            continue
        file_problems = ProblemCollector()
        records = [
            record
            for r in rows_of(table, file_problems)
            if (record := _parse_row(r, source.dialect, find, version)) is not None
        ]
        # Rows first: which rows belong together only counts once every row is valid.
        in_file = file_problems.problems or _check_groups(table, records, find, seen_in, version)
        for problem in sorted(in_file, key=lambda p: p.line or 0):
            collector.add(problem)
        result.append(LandFile(table.file, records, version))
    collector.raise_if_any()
    return result


def land_frame(files: Iterable[LandFile]) -> pd.DataFrame:
    """The rows of parsed files as a frame, typed (see :func:`read_land`):
    :data:`LAND_COLUMNS`, and :data:`ROW_KIND` if one of the files is of version 2."""
    files = list(files)
    rows = [record.values() for f in files for record in f.records]
    if not rows:
        return empty_land_frame()
    frame = pd.DataFrame(rows, columns=[*LAND_COLUMNS, ROW_KIND])
    if all(f.version == 1 for f in files):
        frame = frame.drop(columns=ROW_KIND)
    return typed_land_frame(frame)


def read_land(
    paths: str | Path | Iterable[str | Path], *, catalogs: Iterable[Catalog] = ()
) -> pd.DataFrame:
    """Read Land export files of either dialect into one frame, rows in file order.

    Columns :data:`LAND_COLUMNS` (and :data:`ROW_KIND` after them if one of the files is
    of format version 2; the rows of version 1 then say ``dimension`` or ``overall``):
    text as ``str``, ``level``, ``measures_completed`` and
    ``measures_total`` as ``int64``, ``score`` as ``float64``, ``target_level`` as
    ``Int64`` (missing: ``<NA>``), ``as_of`` and ``target_date`` as ``datetime64``. The
    catalogs the files name must be shipped with SPATZ or given in ``catalogs``. Raises
    :class:`~spatz.errors.DataImportError` with every problem (as ``spatz land import``).
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    tables, problems = read_land_tables(paths)
    return land_frame(parse_land(tables, shipped_catalogs(*catalogs), problems=problems))
