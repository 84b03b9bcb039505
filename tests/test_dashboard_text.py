"""User-entered text in titles and messages is shown as typed, never as Markdown."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rendered import visible

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"


def _load_ui() -> ModuleType:
    """The dashboard's shared module, under a name of its own."""
    spec = importlib.util.spec_from_file_location("dashboard_ui", DASHBOARD / "ui.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ui = _load_ui()


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("Stadt Halle (Saale)", False),
        ("<script>alert(1)</script>", True),
        ("**fett** _kursiv_ `code` [Link](https://example.org) ![Bild](x.png)", True),
        ("# Überschrift", True),
        ("1. Liste", True),
        ("&amp; &lt;", True),
        ("a\\*b", True),
        ("=cmd|'/c calc'!A1", False),
        # Streamlit's own syntax: colours, emoji shortcodes, LaTeX.
        (":red[rot] :smile: $x^2$", False),
    ],
)
def test_plain_text_shows_as_typed(text: str, markdown: bool) -> None:
    assert visible(ui.plain(text)) == text
    # Without escaping, Markdown would have changed the text.
    assert (visible(text) != text) == markdown


line = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=60)
    .map(str.strip)
    .filter(bool)
)


@given(line)
def test_any_line_shows_as_typed(text: str) -> None:
    assert visible(ui.plain(text)) == text


def test_chart_labels_are_escaped_for_plotly() -> None:
    # Plotly reads <b>, <i>, <br> and <a href> in labels and hover texts.
    labels = ui.chart_text(pd.Series(['<a href="https://example.org">x</a> & <b>y</b>']))
    assert list(labels) == [
        '&lt;a href="https://example.org"&gt;x&lt;/a&gt; &amp; &lt;b&gt;y&lt;/b&gt;'
    ]
