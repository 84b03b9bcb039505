"""Rules of the architecture that a test can check."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DASHBOARD = sorted((ROOT / "dashboard").rglob("*.py"))
PACKAGE = sorted((ROOT / "spatz").rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", DASHBOARD, ids=lambda p: p.name)
def test_dashboard_never_touches_the_database_directly(path: Path) -> None:
    # Schemas from spatz.model (MeasureEventCreate, Status) are the API's input types and
    # welcome; engines, sessions and queries are not.
    forbidden = {"spatz.db"}
    used = {name for name in _imports(path) if name.split(".")[0] in {"sqlalchemy", "sqlmodel"}}
    used |= _imports(path) & forbidden
    assert not used, f"{path.name} imports {sorted(used)}: pages call the store and services"


@pytest.mark.parametrize("path", DASHBOARD, ids=lambda p: p.name)
def test_dashboard_renders_no_raw_html(path: Path) -> None:
    assert "unsafe_allow_html" not in path.read_text(encoding="utf-8")


def test_schema_changes_only_through_migrations() -> None:
    offenders = [p.name for p in PACKAGE if "create_all(" in p.read_text(encoding="utf-8")]
    assert offenders == []


@pytest.mark.parametrize(
    "path", sorted((ROOT / "spatz" / "cli").glob("*.py")), ids=lambda p: p.name
)
def test_cli_holds_no_sql(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert "select(" not in source
    assert "session.add" not in source


PAGES = sorted((ROOT / "dashboard" / "views").glob("*.py"))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_import_only_the_public_face_and_the_dashboard(path: Path) -> None:
    # The pages render; the rules and the database live behind ``spatz`` (the names of
    # ``spatz.__all__``) and the dashboard's own modules (session, data, formatting).
    tree = ast.parse(path.read_text(encoding="utf-8"))
    offenders = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        offenders += [m for m in modules if m.startswith("spatz.") or m in {"ui", "app"}]
    assert offenders == [], f"{path.name} imports {offenders}: use spatz or the dashboard modules"
