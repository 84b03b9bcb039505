"""Text limits are checked before the database sees the text, the same on every database.

SQLite does not enforce ``VARCHAR(n)``, PostgreSQL raises: without the checks one database
would store an over-long value whole and the other end in a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dbutil import fingerprint
from typer.testing import CliRunner

from spatz.cli import app
from spatz.db import migrate

MINI = Path(__file__).parent / "data" / "mini.yaml"


def catalog_with(tmp_path: Path, change: str, value: str) -> Path:
    content = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    if change == "name":
        content["name"] = value
    elif change == "version":
        content["version"] = value
    elif change == "dimension":
        content["dimensions"][0]["name"] = value
    elif change == "level":
        content["levels"][0]["name"] = value
    else:
        content["dimensions"][0]["measures"][0]["title"] = value
    path = tmp_path / "katalog.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "limit"),
    [("name", 200), ("version", 50), ("dimension", 200), ("level", 100), ("title", 300)],
)
def test_an_overlong_catalog_text_is_refused_alike(
    database_url: str, tmp_path: Path, change: str, limit: int
) -> None:
    migrate(database_url)
    before = fingerprint(database_url)
    path = catalog_with(tmp_path, change, "x" * (limit + 1))
    result = CliRunner().invoke(app, ["--db", database_url, "catalog", "load", str(path)])
    assert result.exit_code == 2, result.output
    assert f"höchstens {limit} Zeichen, nicht {limit + 1}" in result.output
    assert "Traceback" not in result.output
    assert fingerprint(database_url) == before
    fitting = catalog_with(tmp_path, change, "x" * limit)
    result = CliRunner().invoke(app, ["--db", database_url, "catalog", "load", str(fitting)])
    assert result.exit_code == 0, result.output


def test_an_overlong_operator_name_is_refused_before_any_write(database_url: str) -> None:
    migrate(database_url)
    before = fingerprint(database_url)
    result = CliRunner().invoke(
        app, ["--db", database_url, "catalog", "load", str(MINI)], env={"SPATZ_USER": "x" * 101}
    )
    assert result.exit_code == 2, result.output
    assert "SPATZ_USER darf höchstens 100 Zeichen haben (nicht 101)" in result.output
    assert fingerprint(database_url) == before
