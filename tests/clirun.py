"""The command line in a test: ``spatz --db URL …`` as the user ``tester``, where a user
mistake may end the command (``SystemExit``) but nothing else may escape."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from spatz.cli import app

runner = CliRunner()


def invoke(url: str, *args: str) -> Result:
    result = runner.invoke(app, ["--db", url, *args], env={"SPATZ_USER": "tester"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def spatz_cli(url: str, *args: str) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of the command."""
    result = invoke(url, *args)
    return result.exit_code, result.stdout, result.stderr


def spatz_cli_bytes(url: str, *args: str) -> tuple[int, bytes, str]:
    """:func:`spatz_cli` with standard output as bytes (files such as the Land export)."""
    result = invoke(url, *args)
    return result.exit_code, result.stdout_bytes, result.stderr
