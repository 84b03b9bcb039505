"""The SQLite file holds the password hashes: created for its owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import spatz
from spatz.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask 022, under which SQLite would create the file 0644."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("command", ["init", "demo"])
def test_init_and_demo_create_the_database_file_0600(command: str, tmp_path: Path) -> None:
    db = tmp_path / "spatz.db"
    result = runner.invoke(app, ["--db", f"sqlite:///{db}", command])
    assert result.exit_code == 0, result.output
    assert mode(db) == 0o600
    assert "Warnung" not in result.stderr


def test_the_python_interface_creates_it_0600_too(tmp_path: Path) -> None:
    from spatz.db import migrate

    db = tmp_path / "spatz.db"
    migrate(f"sqlite:///{db}")
    assert mode(db) == 0o600
    assert spatz.open(f"sqlite:///{db}").organisations().empty


def test_an_existing_file_keeps_its_mode_and_a_readable_one_is_named(tmp_path: Path) -> None:
    db = tmp_path / "spatz.db"
    url = f"sqlite:///{db}"
    assert runner.invoke(app, ["--db", url, "init"]).exit_code == 0
    db.chmod(0o640)
    result = runner.invoke(app, ["--db", url, "init"])
    assert result.exit_code == 0
    assert mode(db) == 0o640
    assert result.stderr == (
        f"Warnung: {db} ist auch für Gruppe oder andere zugänglich (Rechte 0640) und enthält "
        f"die Passwort-Hashes der Konten; empfohlen: chmod 600 {db}\n"
    )
    db.chmod(0o600)
    assert runner.invoke(app, ["--db", url, "init"]).stderr == ""
