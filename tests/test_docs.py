"""The README documents what exists: every command, the two set-up commands."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from spatz.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: typer.Typer, prefix: str) -> list[str]:
    names = [
        f"{prefix} {c.name or c.callback.__name__}".strip()
        for c in group.registered_commands
        if c.callback
    ]
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        names += _commands(sub.typer_instance, f"{prefix} {sub.name}")
    return names


def test_every_command_is_in_the_readme() -> None:
    commands = _commands(app, "spatz")
    assert "spatz land import" in commands
    missing = [c for c in commands if f"`{c}" not in README]
    assert missing == []


def test_exactly_two_set_up_commands() -> None:
    block = README.split("## Einrichten", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert re.findall(r"^make \w+", block, flags=re.MULTILINE) == ["make demo", "make test"]
