"""How the dashboard shows values: escaped user text, German dates and numbers, colours, and
the texts of a catalog's elements (:mod:`spatz.io.catalog_text`, as the exports show them)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from spatz.catalog import Catalog
from spatz.io.catalog_text import EMPTY_LEVEL as EMPTY_LEVEL
from spatz.io.catalog_text import answer_choices as answer_choices
from spatz.io.catalog_text import answer_label as answer_label
from spatz.io.catalog_text import answers_text as answers_text
from spatz.io.catalog_text import covered_state as covered_state
from spatz.io.catalog_text import dimension_path_text as dimension_path_text
from spatz.io.catalog_text import dimensions_below as dimensions_below
from spatz.io.catalog_text import group_path_text as group_path_text
from spatz.io.catalog_text import members as members
from spatz.io.catalog_text import prerequisites_text as prerequisites_text
from spatz.io.catalog_text import references_text as references_text
from spatz.io.catalog_text import state_labels as state_labels
from spatz.io.catalog_text import subgroups as subgroups
from spatz.model.common import local_time

# Okabe–Ito's hues, the light ones darkened, so that every colour stands out from the white
# page by at least 3:1 (WCAG 2.1, 1.4.11); lines differ in dash and marker as well.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#A66F00", "#000000", "#8C7A00", "#6E6E6E"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
MARKERS = ["circle", "square", "diamond", "triangle-up", "x", "cross", "star", "triangle-down"]
IST_COLOUR = "#0072B2"
SOLL_COLOUR = "#B34700"
OVERALL_COLOUR = "#000000"

LANGUAGE_SCRIPT = "<script>document.documentElement.lang = 'de';</script>"
"""Declares the page German for screen readers (Streamlit's page says English): the one
piece of HTML the dashboard writes, a constant without any data."""

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")
WORD_JOINER = "\u2060"
"""An invisible character that keeps bare URLs and e-mail addresses from becoming links."""
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=w)(?=ww\.)|(?=@)", re.IGNORECASE)
"""Where a word joiner breaks GitHub Flavored Markdown's autolink literals: after the colon
of ``scheme://``, inside ``www.``, before the ``@`` of an e-mail address. Backslash escapes
cannot: autolink literals are found in the text after the escapes are resolved."""


def plain(text: object) -> str:
    """Text for an element that renders Markdown (titles, captions, messages), with every
    character escaped that Markdown or Streamlit's colour and emoji syntax would interpret,
    and bare URLs and e-mail addresses kept from becoming links: user-entered names and
    values show exactly as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, str(text)))


def bullets(items: Sequence[tuple[int, object]]) -> str:
    """A nested Markdown list of (depth, text) items, depth 0 the outermost, each text
    escaped (:func:`plain`); an item is one deeper than the one before it at most."""
    return "\n".join(f"{'  ' * depth}- {plain(text)}" for depth, text in items)


def level_text(row: Mapping[str, Any], names: Mapping[int, str]) -> str:
    """The name of a result row's level and its score (``Definiert · Punktwert 2,50``),
    not escaped."""
    return f"{names.get(int(row['level']), 'noch keine Stufe')} · Punktwert {number(row['score'])}"


def dimensions_count(count: int) -> str:
    """``1 Dimension``, ``20 Dimensionen``."""
    return f"{count} {'Dimension' if count == 1 else 'Dimensionen'}"


def member_items(
    catalog: Catalog,
    group_id: str,
    rows: Mapping[str, Mapping[str, Any]],
    current: str | None = None,
    depth: int = 0,
) -> list[tuple[int, str]]:
    """A group's members as :func:`bullets` items with their level and score (``rows``:
    result rows by ``dimension_id``; a member without one is at level 0): its dimensions,
    then its groups with theirs. ``current`` is marked as the one shown."""
    names = {lv.level: lv.name for lv in catalog.levels}
    none = {"level": 0, "score": 0.0}

    def item(name: str, member_id: str) -> str:
        row = rows.get(member_id, none)
        mark = " (diese Dimension)" if member_id == current else ""
        return f"{name}{mark}: Stufe {row['level']} – {level_text(row, names)}"

    items = [(depth, item(d.name, d.id)) for d in members(catalog, group_id)]
    for sub in subgroups(catalog, group_id):
        items.append((depth, item(f"Gruppe {sub.name}", sub.id)))
        items += member_items(catalog, sub.id, rows, current, depth + 1)
    return items


def chart_text(values: pd.Series) -> pd.Series:
    """User text for chart labels and hover texts: Plotly reads a few HTML tags there
    (``<b>``, ``<a href>`` …); escaped, the text shows as typed."""
    return values.astype("str").map(lambda text: html.escape(text, quote=False))


def date(value: dt.date | pd.Timestamp | None) -> str:
    """German date format (dd.mm.yyyy); empty for a missing date."""
    if value is None or pd.isna(value):
        return ""
    return value.strftime("%d.%m.%Y")


def number(value: float, decimals: int = 2) -> str:
    """German number format: decimal comma, dot for thousands."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def numbers(values: pd.Series, decimals: int = 2) -> pd.Series:
    """A column of numbers as table cells: German number format (:func:`number`), an empty
    cell for a missing value."""
    return values.map(lambda value: "" if pd.isna(value) else number(value, decimals))


def timestamp(value: pd.Timestamp) -> str:
    """A stored (UTC) timestamp in German local time."""
    return local_time(value.to_pydatetime()).strftime("%d.%m.%Y %H:%M")
