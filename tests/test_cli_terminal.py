"""User text reaches the terminal as typed: no Rich markup, no escape sequences."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from clirun import spatz_cli as spatz

from spatz.cli.common import out, terminal

DATA = Path(__file__).parent / "data"

MARKUP = "[bold]x[/bold] [link=http://127.0.0.1:9/]y[/link] :smile:"
HYPERLINK = "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"
COLOUR = "\x1b[31mrot\x1b[0m"
NAME = f"{MARKUP} {HYPERLINK} {COLOUR}"
SHOWN = f"{MARKUP} ]8;;http://x\\link]8;;\\ [31mrot[0m"
"""NAME as it must appear: markup literal, every control character removed."""


@pytest.fixture(autouse=True)
def wide_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Table cells on one line each (the console is created once, at import)."""
    monkeypatch.setattr(out, "width", 300)


@pytest.fixture
def url(sqlite_url: str, tmp_path: Path) -> str:
    assert spatz(sqlite_url, "init")[0] == 0
    catalog = tmp_path / "catalog.yaml"
    content = yaml.safe_load((DATA / "mini.yaml").read_text(encoding="utf-8"))
    catalog.write_text(yaml.safe_dump({**content, "name": NAME}), encoding="utf-8")
    code, _, err = spatz(sqlite_url, "catalog", "load", str(catalog))
    assert code == 0, err
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(f'org,name,kind\nA,"{NAME}",Stadt\n', encoding="utf-8")
    code, _, err = spatz(sqlite_url, "import", "organisations", str(orgs))
    assert code == 0, err
    return sqlite_url


def test_terminal_removes_every_control_character_but_newline_and_tab() -> None:
    controls = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if chr(c) not in "\n\t"]
    assert terminal("a" + "".join(controls) + "\n\tb ä €") == "a\n\tb ä €"


def test_score_table_shows_organisation_names_literally(url: str) -> None:
    code, out, _ = spatz(url, "score")
    assert code == 0
    assert f"{SHOWN} (A)" in out
    assert "\x1b" not in out


def test_catalog_list_shows_the_catalog_name_literally(url: str) -> None:
    code, out, _ = spatz(url, "catalog", "list")
    assert code == 0
    assert SHOWN in out
    assert "\x1b" not in out


def test_import_summaries_and_errors_show_file_names_literally(url: str, tmp_path: Path) -> None:
    hostile = tmp_path / f"[bold]x[red]y :smile: {COLOUR}.csv"
    hostile.write_text("org,name,kind\nB,Stadt B,Stadt\n", encoding="utf-8")
    shown_path = str(tmp_path / "[bold]x[red]y :smile: [31mrot[0m.csv")
    code, out, _ = spatz(url, "import", "organisations", str(hostile), "--dry-run")
    assert code == 0
    assert out.startswith(f"{shown_path}: 1 Zeilen geprüft")
    hostile.write_text(f"org,name,kind\nB,,{COLOUR}\n", encoding="utf-8")
    code, out, err = spatz(url, "import", "organisations", str(hostile))
    assert (code, out) == (2, "")
    assert err.startswith(f"{shown_path}:2: ")
    assert "\x1b" not in err
