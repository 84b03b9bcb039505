"""User-entered text in titles and messages is shown as typed, never as Markdown."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rendered import autolinks, dashboard_formatting, visible

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"


fmt = dashboard_formatting()


def shown(text: str) -> str:
    """What a reader sees of ``fmt.plain(text)`` (the invisible word joiners left out)."""
    return visible(fmt.plain(text)).replace(fmt.WORD_JOINER, "")


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
    assert shown(text) == text
    # Without escaping, Markdown would have changed the text.
    assert (visible(text) != text) == markdown


line = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=60)
    .map(str.strip)
    .filter(bool)
)


@given(line)
def test_any_line_shows_as_typed(text: str) -> None:
    assert shown(text) == text.replace(fmt.WORD_JOINER, "")


def test_chart_labels_are_escaped_for_plotly() -> None:
    # Plotly reads <b>, <i>, <br> and <a href> in labels and hover texts.
    labels = fmt.chart_text(pd.Series(['<a href="https://example.org">x</a> & <b>y</b>']))
    assert list(labels) == [
        '&lt;a href="https://example.org"&gt;x&lt;/a&gt; &amp; &lt;b&gt;y&lt;/b&gt;'
    ]


URLS = [
    "https://example.org",
    "HTTP://example.org/pfad?x=1",
    "ftp://example.org",
    "www.example.org",
    "(WWW.example.org)",
    "post@example.org",
    "mailto:post@example.org",
    "Stadt Halle https://halle.de und www.halle.de, Kontakt: it@halle.de",
]


@pytest.mark.parametrize("text", URLS)
def test_bare_urls_and_addresses_do_not_become_links(text: str) -> None:
    assert autolinks(text), "GFM would link this text"
    assert autolinks(fmt.plain(text)) == []
    assert shown(text) == text


@given(line)
def test_no_line_becomes_a_link(text: str) -> None:
    assert autolinks(fmt.plain(text)) == []


# Every call that renders Markdown (message, caption, title …) and what of it is Markdown:
# the positional arguments (``metric`` and ``expander``: the label only) and these keywords.
RENDERERS = {
    "caption": None,
    "markdown": None,
    "write": None,
    "title": None,
    "header": None,
    "subheader": None,
    "info": None,
    "error": None,
    "warning": None,
    "success": None,
    "toast": None,
    "metric": 1,
    "expander": 1,
}
MARKDOWN_KEYWORDS = {"body", "label", "help"}
FORMATTERS = {
    "fmt.plain",
    "plain",
    "fmt.date",
    "fmt.number",
    "fmt.timestamp",
    "fmt.bullets",
    "len",
}
"""Calls whose result is safe: the escaping itself (also of each item of a list), and dates
and numbers in German form."""

NOT_USER_TEXT = {
    # app.py: the login notices are fixed texts of session.py; the role labels of spatz.model.
    "notice",
    "ROLE_LABELS[actor.role]",
    # Numbers, levels and fixed labels computed by the pages.
    "MIN_GROUP",
    "overall['measures_completed']",
    "overall['measures_total']",
    "row['measures_completed']",
    "row['measures_total']",
    "level",
    "reached",
    "done",
    "count",
    "goal",
    "counts[status]",
    "label",
    "change",
    "lv.level",
    "row['level']",
    "row['target_level']",
    "level_names.get(level, 'noch keine Stufe')",
    "TARGET_STATUS_LABELS[TargetStatus(row['status'])]",
    "target_line(OVERALL)",
    "target_line(member_id)",
    "fmt.EMPTY_LEVEL",
}
"""Values shown unescaped on purpose: none of them holds text a user entered."""


def _safe(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(
            _safe(part.value) if isinstance(part, ast.FormattedValue) else True
            for part in node.values
        )
    if isinstance(node, ast.BinOp):
        return _safe(node.left) and _safe(node.right)
    if isinstance(node, ast.IfExp):
        return _safe(node.body) and _safe(node.orelse)
    if isinstance(node, ast.Call) and ast.unparse(node.func) in FORMATTERS:
        return True
    return ast.unparse(node) in NOT_USER_TEXT


def _markdown_arguments(path: Path) -> list[tuple[int, str, ast.expr]]:
    """(line, call, argument) of every argument of a Markdown-rendering call in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        if name not in RENDERERS or isinstance(node.func.value, ast.Constant):
            continue
        arguments = list(node.args[: RENDERERS[name]])
        arguments += [k.value for k in node.keywords if k.arg in MARKDOWN_KEYWORDS]
        found += [(node.lineno, name, argument) for argument in arguments]
    return found


SOURCES = sorted(DASHBOARD.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_markdown_call_escapes_what_users_entered(path: Path) -> None:
    unescaped = [
        f"{path.name}:{line}: {call}({ast.unparse(argument)})"
        for line, call, argument in _markdown_arguments(path)
        if not _safe(argument)
    ]
    assert unescaped == [], "user text reaches Markdown unescaped (use fmt.plain):\n" + "\n".join(
        unescaped
    )


def test_the_scan_finds_the_calls() -> None:
    calls = [call for path in SOURCES for _, call, _ in _markdown_arguments(path)]
    assert len(calls) > 80
    assert {"caption", "markdown", "title", "header", "info", "error", "success"} <= set(calls)
    occurring = {
        ast.unparse(node)
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.expr)
    }
    assert NOT_USER_TEXT - occurring == set(), "no longer used: remove from NOT_USER_TEXT"
