"""What a reader sees of a Markdown text that Streamlit renders (titles, captions, messages)."""

from __future__ import annotations

import html
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark")
_TAG = re.compile(r"<[^>]*>")


def visible(markdown: str) -> str:
    """The text of ``markdown`` as displayed: rendered, tags removed, entities resolved."""
    return html.unescape(_TAG.sub("", _MARKDOWN.render(markdown))).strip("\n")


# GitHub Flavored Markdown's autolink literals (GFM spec 6.9, "extended autolinks"), which
# Streamlit's renderer (remark-gfm) applies to the text after escapes are resolved.
_WWW = re.compile(r"(?:^|(?<=[\s*_~(]))www\.[^\s<_]", re.IGNORECASE)
_PROTOCOL = re.compile(r"(?<![A-Za-z])(?:https?|ftp)://[^\s<_]", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._+-]+@[A-Za-z0-9_-]+\.[A-Za-z0-9_-]")


def autolinks(markdown: str) -> list[str]:
    """The beginnings of the bare URLs and e-mail addresses in ``markdown`` that GFM would
    turn into links."""
    text = visible(markdown)
    return [m[0] for pattern in (_WWW, _PROTOCOL, _EMAIL) for m in pattern.finditer(text)]


def dashboard_formatting() -> ModuleType:
    """The dashboard's formatting module (escaping, German values, colours), under a name of
    its own."""
    path = Path(__file__).resolve().parents[1] / "dashboard" / "formatting.py"
    spec = importlib.util.spec_from_file_location("dashboard_formatting", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
