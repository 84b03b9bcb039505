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


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / "spatz" / package).rglob("*.py"))


def _project_imports(path: Path) -> set[str]:
    return {name for name in _imports(path) if name == "spatz" or name.startswith("spatz.")}


def test_the_import_rules_see_every_kind_of_import() -> None:
    # Module-level, from-imports and imports inside functions all count.
    assert {"spatz.catalog", "spatz.errors"} <= _project_imports(
        ROOT / "spatz" / "scoring" / "_planning.py"
    )
    assert "spatz.io.land" in _project_imports(ROOT / "spatz" / "__init__.py")


@pytest.mark.parametrize("path", _modules("services"), ids=lambda p: p.name)
def test_services_import_neither_streamlit_nor_typer(path: Path) -> None:
    used = {name.split(".")[0] for name in _imports(path)} & {"streamlit", "typer", "click"}
    assert not used, f"{path.name} imports {sorted(used)}: services serve every interface"


@pytest.mark.parametrize("path", _modules("io"), ids=lambda p: p.name)
def test_io_imports_no_services(path: Path) -> None:
    used = {n for n in _project_imports(path) if n.startswith(("spatz.services", "spatz.store"))}
    assert not used, f"{path.name} imports {sorted(used)}: file formats know no use cases"


@pytest.mark.parametrize("path", _modules("interop"), ids=lambda p: p.name)
def test_importers_of_published_models_read_files_and_no_database(path: Path) -> None:
    # A published model in, a catalog out: loading it is the catalog service's work.
    allowed = ("spatz.catalog", "spatz.errors", "spatz.io", "spatz.interop")
    used = {n for n in _project_imports(path) if not n.startswith(allowed)}
    used |= {n for n in _imports(path) if n.split(".")[0] in {"sqlalchemy", "sqlmodel"}}
    assert not used, f"{path.name} imports {sorted(used)}"


@pytest.mark.parametrize("path", _modules("scoring"), ids=lambda p: p.name)
def test_scoring_imports_only_the_catalog_errors_and_itself(path: Path) -> None:
    # The rule is pure: frames and a catalog in, frames out (the catalog's errors with it).
    allowed = ("spatz.catalog", "spatz.errors", "spatz.scoring")
    used = {n for n in _project_imports(path) if not n.startswith(allowed)}
    used |= {n for n in _imports(path) if n.split(".")[0] in {"sqlalchemy", "sqlmodel"}}
    assert not used, f"{path.name} imports {sorted(used)}"


FOUNDATION = ["catalog.py", "errors.py", "config.py", "land.py", "resources.py", "roles.py"]


@pytest.mark.parametrize("name", FOUNDATION)
def test_the_foundation_imports_only_the_errors(name: str) -> None:
    used = _project_imports(ROOT / "spatz" / name) - {"spatz.errors"}
    assert not used, f"{name} imports {sorted(used)}"


@pytest.mark.parametrize("path", _modules("model"), ids=lambda p: p.name)
def test_models_import_only_models(path: Path) -> None:
    # The roles are a vocabulary without imports (spatz/roles.py, a foundation module).
    used = {n for n in _project_imports(path) if not n.startswith("spatz.model")} - {"spatz.roles"}
    assert not used, f"{path.name} imports {sorted(used)}: tables and schemas stand alone"


@pytest.mark.parametrize("path", _modules("queries"), ids=lambda p: p.name)
def test_queries_import_only_models_and_themselves(path: Path) -> None:
    used = {n for n in _project_imports(path) if not n.startswith(("spatz.model", "spatz.queries"))}
    assert not used, f"{path.name} imports {sorted(used)}: readers know tables, no use cases"


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
