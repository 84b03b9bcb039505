"""The English sentences of the dashboard's code (docstrings and comments): none of them
may reach a page."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
_ENGLISH = {"the", "of", "and", "to", "is", "a", "an", "with", "that", "for", "it", "are"}
_ENGLISH |= {"be", "by", "on", "as", "its", "this", "not", "or", "from", "which"}
_BREAK = re.compile(r"(?<=[.;:!?])\s+|\n\s*\n")
_MARKUP = re.compile(r"``?|:(?:func|meth|data|class|attr):")


def _texts(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    texts = [
        node.value.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    ]
    comments = [
        token.string.lstrip("#").strip()
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    ]
    # A comment's sentences run on over the following comment lines.
    return [*texts, " ".join(comments)]


def normalised(text: str) -> str:
    return " ".join(text.replace("\u2060", "").split())


def developer_sentences() -> list[str]:
    """Every sentence (of five words or more, at least two of them common English words)
    of the docstrings, bare strings and comments of ``dashboard/**/*.py``."""
    sentences: set[str] = set()
    for path in sorted(DASHBOARD.rglob("*.py")):
        for text in _texts(path):
            for part in _BREAK.split(_MARKUP.sub("", text)):
                sentence = normalised(part).rstrip(".;:")
                words = re.findall(r"[A-Za-z']+", sentence.lower())
                if len(words) >= 5 and len(_ENGLISH.intersection(words)) >= 2:
                    sentences.add(sentence)
    return sorted(sentences)
