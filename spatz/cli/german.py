"""German for what Typer prints by itself: usage lines, help panels and its own errors.

Typer (with the Click it ships) writes its texts in English and has no translation hook. SPATZ
speaks German to every user, so every command group is a :class:`Typer` from this module:
its commands write ``Aufruf:`` and ``[OPTIONEN]``, the help option says what it does in
German, parameters show their German placeholder and no English type, and a parse error is
put into German before Typer prints it. ``tests/test_cli_german.py`` runs every command's
``--help`` and a set of wrong invocations and fails on any English word in what a user sees.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
import typer.rich_utils
from typer import _click  # Typer ships its own Click; its errors and contexts are these
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.models import CommandFunctionType

USAGE_PREFIX = "Aufruf: "
OPTIONS_METAVAR = "[OPTIONEN]"
SUBCOMMAND_METAVAR = "BEFEHL [ARGUMENTE]..."
HELP_TEXT = "Diese Hilfe zeigen und beenden."

_PANEL_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "Argumente",
    "OPTIONS_PANEL_TITLE": "Optionen",
    "COMMANDS_PANEL_TITLE": "Befehle",
    "ERRORS_PANEL_TITLE": "Fehler",
    "ABORTED_TEXT": "Abgebrochen.",
    "RICH_HELP": "Hilfe: [blue]'{command_path} {help_option}'[/]",
    "DEFAULT_STRING": "[Standard: {}]",
    "ENVVAR_STRING": "[Umgebungsvariable: {}]",
    "REQUIRED_LONG_STRING": "[erforderlich]",
    "DEPRECATED_STRING": "(veraltet) ",
}
"""Typer's texts around the help panels and the error box."""

_KINDS = {"argument": "Argument", "option": "Option", "parameter": "Angabe"}

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _rule(pattern: str, german: Callable[[re.Match[str]], str]) -> _Rule:
    return re.compile(pattern, re.DOTALL), german


_VALUE_RULES: list[_Rule] = [
    _rule(
        r"Value error, (?P<value>.+) is not one of (?P<choices>.+)\.",
        lambda m: f"{m['value']} ist keiner der Werte {m['choices']}.",
    ),
    _rule(r"Value error, (?P<message>.+)", lambda m: m["message"]),
    _rule(r"Input should be a valid integer.*", lambda m: "keine ganze Zahl."),
    _rule(r"Input should be a valid number.*", lambda m: "keine Zahl."),
    _rule(r"Input should be a valid boolean.*", lambda m: "weder ja noch nein."),
    _rule(r"Input should be greater than or equal to (?P<n>.+)", lambda m: f"mindestens {m['n']}."),
    _rule(r"Input should be greater than (?P<n>.+)", lambda m: f"größer als {m['n']}."),
    _rule(r"Input should be less than or equal to (?P<n>.+)", lambda m: f"höchstens {m['n']}."),
    _rule(r"Input should be less than (?P<n>.+)", lambda m: f"kleiner als {m['n']}."),
    _rule(r"Value (?P<value>.+) is not a valid .+\.", lambda m: f"{m['value']} passt nicht."),
    _rule(
        r"(?:File|Directory|Path) (?P<name>.+) does not exist\.",
        lambda m: f"{m['name']} gibt es nicht.",
    ),
    _rule(
        r"(?:File|Directory|Path) (?P<name>.+) is a file\.",
        lambda m: f"{m['name']} ist eine Datei.",
    ),
    _rule(
        r"(?:File|Directory|Path) (?P<name>.+) is a directory\.",
        lambda m: f"{m['name']} ist ein Verzeichnis.",
    ),
    _rule(
        r"(?:File|Directory|Path) (?P<name>.+) is not readable\.",
        lambda m: f"{m['name']} ist nicht lesbar.",
    ),
    _rule(
        r"(?:File|Directory|Path) (?P<name>.+) is not writable\.",
        lambda m: f"{m['name']} ist nicht beschreibbar.",
    ),
    _rule(r"Value must be an iterable\.", lambda m: "eine Liste wird erwartet."),
]
"""Typer's and pydantic's complaints about one value (after "Invalid value for X:")."""


def _value(message: str) -> str:
    for pattern, german in _VALUE_RULES:
        if match := pattern.fullmatch(message):
            return german(match)
    return message


_RULES: list[_Rule] = [
    _rule(
        r"Missing (?P<kind>argument|option|parameter) (?P<hint>.+?)\.(?: (?P<extra>.+))?",
        lambda m: (
            f"{_KINDS[m['kind']]} {m['hint']} fehlt." + (f" {m['extra']}" if m["extra"] else "")
        ),
    ),
    _rule(r"Missing parameter: (?P<name>.+)", lambda m: f"Angabe {m['name']} fehlt."),
    _rule(r"Missing command\.", lambda m: "Befehl fehlt."),
    _rule(
        r"No such option: (?P<name>\S+) \(Possible options: (?P<choices>.+)\)",
        lambda m: f"Unbekannte Option {m['name']} (gemeint: {m['choices']}?)",
    ),
    _rule(r"No such option: (?P<name>.+)", lambda m: f"Unbekannte Option {m['name']}."),
    _rule(
        r"No such command (?P<name>.+?)\. Did you mean (?P<choices>.+)\?",
        lambda m: f"Unbekannter Befehl {m['name']}. Gemeint: {m['choices']}?",
    ),
    _rule(r"No such command (?P<name>.+?)\.", lambda m: f"Unbekannter Befehl {m['name']}."),
    _rule(
        r"Got unexpected extra argument\(s\) \((?P<args>.+)\)",
        lambda m: f"Unerwartete weitere Angabe(n): {m['args']}",
    ),
    _rule(
        r"Option (?P<name>.+) does not take a value\.",
        lambda m: f"Die Option {m['name']} nimmt keinen Wert.",
    ),
    _rule(
        r"Option (?P<name>.+) requires an argument\.",
        lambda m: f"Die Option {m['name']} braucht einen Wert.",
    ),
    _rule(
        r"Option (?P<name>.+) requires (?P<count>\d+) arguments\.",
        lambda m: f"Die Option {m['name']} braucht {m['count']} Werte.",
    ),
    _rule(
        r"Argument (?P<name>.+) takes (?P<count>\d+) values\.",
        lambda m: f"Das Argument {m['name']} braucht {m['count']} Werte.",
    ),
    _rule(
        r"Invalid value for (?P<hint>.+?): (?P<message>.*)",
        lambda m: f"Ungültiger Wert für {m['hint']}: {_value(m['message'])}",
    ),
    _rule(r"Invalid value: (?P<message>.*)", lambda m: f"Ungültiger Wert: {_value(m['message'])}"),
    _rule(
        r"Could not open file (?P<name>.+?): (?P<message>.*)",
        lambda m: f"Die Datei {m['name']} lässt sich nicht öffnen: {m['message']}",
    ),
]
"""Typer's own error messages, whole, and their German."""


def german_message(message: str) -> str:
    """One of Typer's error messages in German (a message it does not know stays as it is)."""
    for pattern, german in _RULES:
        if match := pattern.fullmatch(message):
            return german(match)
    return message


@contextmanager
def _errors_in_german() -> Iterator[None]:
    try:
        yield
    except _click.exceptions.UsageError as error:
        raise _click.exceptions.UsageError(
            german_message(error.format_message()), ctx=error.ctx
        ) from None
    except _click.exceptions.ClickException as error:
        raise _click.exceptions.ClickException(german_message(error.format_message())) from None


class _GermanArgument(TyperArgument):
    """An argument whose help row shows its German placeholder only, no English type."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        return None


class _GermanOption(TyperOption):
    """An option whose help row shows its German placeholder; a switch shows none."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        return None if self.is_flag else super().display_type_rich(ctx)


def _german_params(command: _click.Command) -> None:
    """Typer builds the parameters itself: give each the German help row."""
    for param in command.params:
        if isinstance(param, TyperArgument):
            param.__class__ = _GermanArgument
        elif isinstance(param, TyperOption):
            param.__class__ = _GermanOption


def _german_help(option: TyperOption | None) -> TyperOption | None:
    if option is not None:
        option.help = HELP_TEXT
        option.__class__ = _GermanOption
    return option


class GermanCommand(TyperCommand):
    """A command whose usage line and help option speak German."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR
        _german_params(self)

    def format_usage(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        pieces = " ".join(self.collect_usage_pieces(ctx))
        formatter.write_usage(ctx.command_path, pieces, prefix=USAGE_PREFIX)

    def get_help_option(self, ctx: _click.Context) -> TyperOption | None:
        return _german_help(super().get_help_option(ctx))


class GermanGroup(TyperGroup):
    """A command group that speaks German and puts Typer's parse errors into German."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR
        self.subcommand_metavar = SUBCOMMAND_METAVAR
        _german_params(self)

    def format_usage(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        pieces = " ".join(self.collect_usage_pieces(ctx))
        formatter.write_usage(ctx.command_path, pieces, prefix=USAGE_PREFIX)

    def get_help_option(self, ctx: _click.Context) -> TyperOption | None:
        return _german_help(super().get_help_option(ctx))

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: _click.Context | None = None,
        **extra: Any,
    ) -> _click.Context:
        with _errors_in_german():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: _click.Context) -> Any:
        with _errors_in_german():
            return super().invoke(ctx)


class Typer(typer.Typer):
    """A ``typer.Typer`` whose groups and commands speak German (see the module)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=GermanGroup, add_completion=False, **kwargs)

    def command(
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("cls", GermanCommand)
        return super().command(name, **kwargs)


for _name, _text in _PANEL_TEXTS.items():
    setattr(typer.rich_utils, _name, _text)
