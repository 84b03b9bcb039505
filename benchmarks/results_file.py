"""The one results file of the benchmarks: each benchmark owns a section of its own.

A section stands between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``; writing it
keeps everything else in ``benchmarks/results.md``.
"""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).with_name("results.md")


def write_section(name: str, text: str, results: Path = RESULTS) -> None:
    """Replace the section ``name`` of ``results`` with ``text`` (appended if missing)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{text.rstrip()}\n{end}\n"
    old = results.read_text(encoding="utf-8") if results.exists() else ""
    head, found, rest = old.partition(start)
    if found and end in rest:
        new = head + section + rest.partition(end)[2].lstrip("\n")
    else:
        new = old.rstrip("\n") + ("\n\n" if old.strip() else "") + section
    results.write_text(new, encoding="utf-8")
