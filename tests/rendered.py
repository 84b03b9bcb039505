"""What a reader sees of a Markdown text that Streamlit renders (titles, captions, messages)."""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark")
_TAG = re.compile(r"<[^>]*>")


def visible(markdown: str) -> str:
    """The text of ``markdown`` as displayed: rendered, tags removed, entities resolved."""
    return html.unescape(_TAG.sub("", _MARKDOWN.render(markdown))).strip("\n")
