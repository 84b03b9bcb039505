"""An unusable database URL ends in one German line with valid examples, on every command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import spatz
from spatz.cli import app
from spatz.config import ENV_DATABASE_URL, database_url
from spatz.errors import DatabaseUrlError, SpatzError

runner = CliRunner()
DATA = Path(__file__).parent / "data"
EXAMPLES = "gültig sind z. B. sqlite:///spatz.db oder postgresql://benutzer@host/spatz"

BAD_URLS = {
    "spatz.db": "'spatz.db' ist keine URL (Form: system://…)",
    "/var/lib/spatz/spatz.db": "'/var/lib/spatz/spatz.db' ist keine URL (Form: system://…)",
    "foo://bar": "das Datenbanksystem 'foo' wird nicht unterstützt",
    "mysql://benutzer@host/spatz": "das Datenbanksystem 'mysql' wird nicht unterstützt",
    "postgresql+asyncpg://host/spatz": "der Treiber 'postgresql+asyncpg' wird nicht unterstützt",
    "postgresql://host:port/spatz": "'postgresql://host:port/spatz' ist keine gültige URL",
    "": "die URL ist leer",
    " ": "die URL ist leer",
    "%%garbage%%": "'%%garbage%%' ist keine URL (Form: system://…)",
}

COMMANDS = [
    ["init"],
    ["demo"],
    ["score"],
    ["score", "--format", "csv"],
    ["dashboard"],
    ["backup", "{tmp}/backup.zip"],
    ["restore", "{tmp}/backup.zip"],
    ["catalog", "load", str(DATA / "mini.yaml")],
    ["catalog", "list"],
    ["catalog", "export"],
    ["import", "organisations", "{tmp}/orgs.csv"],
    ["import", "progress", "{tmp}/orgs.csv"],
    ["import", "targets", "{tmp}/orgs.csv"],
    ["import", "projects", "{tmp}/orgs.csv", "--org", "A"],
    ["import", "milestones", "{tmp}/orgs.csv", "--org", "A"],
    ["export", "land"],
    ["export", "xlsx", "{tmp}/out.xlsx"],
    ["land", "import", "{tmp}/orgs.csv"],
    ["land", "summary"],
    ["user", "add", "neu", "--role", "admin"],
    ["user", "passwd", "neu"],
    ["user", "list"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("via", ["--db", ENV_DATABASE_URL])
def test_every_command_refuses_an_unusable_url(
    command: list[str], via: str, tmp_path: Path
) -> None:
    (tmp_path / "orgs.csv").write_text("org,name,kind\nA,Stadt A,Stadt\n", encoding="utf-8")
    (tmp_path / "backup.zip").write_bytes(b"")
    args = [a.format(tmp=tmp_path) for a in command]
    env = {"SPATZ_USER": "tester", "SPATZ_PASSWORD": "ein langes Passwort 123"}
    if via == "--db":
        args = ["--db", "mysql://benutzer@host/spatz", *args]
        where = ""
    else:
        env[ENV_DATABASE_URL] = "mysql://benutzer@host/spatz"
        where = f" in {ENV_DATABASE_URL}"
    result = runner.invoke(app, args, env=env, input="ein langes Passwort 123\n" * 2)
    assert isinstance(result.exception, SystemExit), result.exception
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"Unbrauchbare Datenbank-URL{where}: das Datenbanksystem 'mysql' wird nicht "
        f"unterstützt; {EXAMPLES}\n"
    )


@pytest.mark.parametrize("url", BAD_URLS)
def test_each_kind_of_unusable_url_is_named(url: str) -> None:
    result = runner.invoke(app, ["--db", url, "catalog", "list"])
    assert isinstance(result.exception, SystemExit), result.exception
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Unbrauchbare Datenbank-URL: {BAD_URLS[url]}; {EXAMPLES}\n"


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_python_interface_raises_a_spatz_error(url: str) -> None:
    with pytest.raises(DatabaseUrlError) as info:
        spatz.open(url)
    assert isinstance(info.value, SpatzError)
    assert str(info.value) == f"Unbrauchbare Datenbank-URL: {BAD_URLS[url]}; {EXAMPLES}"


def test_the_environment_variable_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_DATABASE_URL, "spatz.db")
    with pytest.raises(
        DatabaseUrlError, match=f"^Unbrauchbare Datenbank-URL in {ENV_DATABASE_URL}:"
    ):
        spatz.open()


@pytest.mark.parametrize(
    ("url", "resolved"),
    [
        ("sqlite:///spatz.db", "sqlite:///spatz.db"),
        ("sqlite:////var/lib/spatz/spatz.db", "sqlite:////var/lib/spatz/spatz.db"),
        ("postgresql://benutzer@host/spatz", "postgresql+psycopg://benutzer@host/spatz"),
        (
            "postgres://benutzer:geheim@host:5433/spatz",
            "postgresql+psycopg://benutzer:geheim@host:5433/spatz",
        ),
        ("postgresql+psycopg://host/spatz", "postgresql+psycopg://host/spatz"),
    ],
)
def test_valid_urls_are_accepted(url: str, resolved: str) -> None:
    assert database_url(url) == resolved
