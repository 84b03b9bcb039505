"""Everything the command line prints by itself is German: help pages and parse errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.core import TyperArgument, TyperGroup, TyperOption
from typer.main import get_command
from typer.testing import CliRunner

from spatz.cli import app
from spatz.cli.german import german_message

runner = CliRunner()
ROOT = get_command(app)

ENGLISH = frozenset(
    re.findall(
        r"\w+",
        """
    aborted and arguments be bool boolean command commands completion current default
    deprecated did directory does equal error exist exit extra file float for got greater help input
    install less than
    int integer invalid is list mean message missing no not number of one options or path
    possible readable required requires should show shell str such take the this to try
    unexpected usage valid value values var writable you
    """,
    )
)
"""Words of Typer's, Click's and pydantic's English that have no place in German text."""


def _commands(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def _command(path: tuple[str, ...]) -> object:
    command: object = ROOT
    for name in path:
        assert isinstance(command, TyperGroup)
        command = command.commands[name]
    return command


COMMANDS = list(_commands(ROOT))


def _params(path: tuple[str, ...]) -> list[object]:
    return list(getattr(_command(path), "params", []))


def _identifiers() -> set[str]:
    """Names a user types (commands, options, choices): they are code, not prose."""
    names = {"spatz"}
    for path in COMMANDS:
        names.update(path)
        for param in _params(path):
            if isinstance(param, TyperOption | TyperArgument):
                names.update(part for opt in param.opts for part in re.findall(r"\w+", opt))
                choices = param.type_descriptor.choices or ()
                names.update(str(getattr(choice, "value", choice)) for choice in choices)
    return names


IDENTIFIERS = _identifiers()


def english_words(text: str) -> list[str]:
    prose = re.sub(r"\S+://\S*|\$\w+|'[^']*'|`[^`]*`|--?[\w-]+|\w+(?:[,_.]\w+|\[,\w+)+", " ", text)
    words = re.findall(r"[A-Za-zÄÖÜäöüß]+", prose)
    return [word for word in words if word.lower() in ENGLISH and word not in IDENTIFIERS]


def _run(args: list[str]) -> str:
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.output


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "spatz")
def test_every_help_page_is_german(path: tuple[str, ...]) -> None:
    output = _run([*path, "--help"])
    assert "Aufruf: spatz" in output
    assert english_words(output) == [], output


def _wrong_invocations() -> Iterator[list[str]]:
    for path in COMMANDS:
        yield [*path, "--gibt-es-nicht"]
        params = _params(path)
        if any(getattr(param, "required", False) for param in params):
            yield list(path)
        for param in params:
            if isinstance(param, TyperOption) and not param.is_flag:
                yield [*path, param.opts[0]]
                if param.type_descriptor.choices:
                    yield [*path, param.opts[0], "gibt-es-nicht"]
    yield ["scor"]
    yield ["export", "lan"]
    yield ["init", "zuviel"]
    yield ["land", "summary", "--min-group", "0"]
    yield ["dashboard", "--port", "achtzig"]


WRONG = list(_wrong_invocations())


@pytest.mark.parametrize("args", WRONG, ids=" ".join)
def test_every_wrong_invocation_is_answered_in_german(args: list[str], tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", f"sqlite:///{tmp_path / 'x.db'}", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "Fehler" in result.output
    assert english_words(result.output) == [], result.output


def test_the_detector_finds_english() -> None:
    assert english_words("Missing option '--org'. Try 'spatz score --help' for help.") == [
        "Missing",
        "Try",
        "for",
        "help",
    ]
    assert english_words("Spalten org,measure_id,status und --dry-run 'table'") == []


@pytest.mark.parametrize(
    ("english", "german"),
    [
        ("Missing option '--org'.", "Option '--org' fehlt."),
        ("Missing argument 'DATEI'.", "Argument 'DATEI' fehlt."),
        ("No such option: --role", "Unbekannte Option --role."),
        (
            "No such option: --ass (Possible options: --as-of)",
            "Unbekannte Option --ass (gemeint: --as-of?)",
        ),
        (
            "No such command 'scor'. Did you mean 'score'?",
            "Unbekannter Befehl 'scor'. Gemeint: 'score'?",
        ),
        ("Got unexpected extra argument(s) (a b)", "Unerwartete weitere Angabe(n): a b"),
        ("Option '--as-of' requires an argument.", "Die Option '--as-of' braucht einen Wert."),
        (
            "Invalid value for '--format': Value error, 'x' is not one of 'csv', 'json'.",
            "Ungültiger Wert für '--format': 'x' ist keiner der Werte 'csv', 'json'.",
        ),
        (
            "Invalid value for 'FILE': File 'a.csv' does not exist.",
            "Ungültiger Wert für 'FILE': 'a.csv' gibt es nicht.",
        ),
        (
            "Invalid value for '--min-group': Input should be greater than or equal to 1",
            "Ungültiger Wert für '--min-group': mindestens 1.",
        ),
        ("Ein Satz, den SPATZ selbst schreibt.", "Ein Satz, den SPATZ selbst schreibt."),
    ],
)
def test_typer_messages_in_german(english: str, german: str) -> None:
    assert german_message(english) == german
