"""One error hierarchy: every error a user can meet is a SpatzError, and each class of it
is used."""

from __future__ import annotations

import ast
import errno
import inspect
import os
from importlib import import_module
from pathlib import Path

import pytest

import spatz
import spatz.errors
from spatz import resources
from spatz.errors import SpatzError, os_reason

ROOT = Path(__file__).resolve().parents[1] / "spatz"
SOURCES = {path: path.read_text(encoding="utf-8") for path in sorted(ROOT.rglob("*.py"))}
INTERNAL = {
    "_Unreadable": "spatz/io/workbook.py turns it into a DataImportError",
    "NotDecodable": "spatz/queries/events.py takes the general path instead",
}
"""Exceptions that never leave their module, and what becomes of them."""


def _exception_classes() -> list[tuple[Path, ast.ClassDef]]:
    found = []
    for path, source in SOURCES.items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(base, ast.Name) and base.id.endswith(("Error", "Exception", "Denied"))
                for base in node.bases
            ):
                found.append((path, node))
    return found


def test_every_error_class_of_the_package_is_a_spatz_error() -> None:
    outside = []
    for path, node in _exception_classes():
        if node.name in INTERNAL:
            continue
        module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        error = getattr(import_module(module), node.name)
        if not issubclass(error, SpatzError):
            outside.append(f"{module}.{node.name}")
    assert outside == []


def test_the_internal_exceptions_exist() -> None:
    names = {node.name for _, node in _exception_classes()}
    assert set(INTERNAL) <= names


@pytest.mark.parametrize(
    "name",
    [
        name
        for name, value in vars(spatz.errors).items()
        if inspect.isclass(value)
        and issubclass(value, Exception)
        and value.__module__ == "spatz.errors"
    ],
)
def test_every_error_class_is_used_outside_its_definition(name: str) -> None:
    errors = ROOT / "errors.py"
    users = [path for path, source in SOURCES.items() if path != errors and name in source]
    assert users, f"{name} is raised, caught or subclassed nowhere"


def test_a_broken_installation_is_a_spatz_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resources, "_PACKAGE_DIR", tmp_path / "spatz")
    with pytest.raises(SpatzError) as info:
        resources.resource_dir("migrations")
    assert str(info.value) == (
        "Der Ordner 'migrations' fehlt in der SPATZ-Installation: bitte SPATZ neu installieren"
    )


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOENT, "Datei oder Verzeichnis nicht gefunden"),
        (errno.EACCES, "keine Berechtigung"),
        (errno.EISDIR, "ist ein Verzeichnis"),
        (errno.ENOSPC, "kein Speicherplatz mehr frei"),
        (errno.ENOTSUP, "Betriebssystemfehler ENOTSUP"),
    ],
)
def test_operating_system_errors_are_named_in_german(code: int, reason: str) -> None:
    assert os_reason(OSError(code, os.strerror(code))) == reason


def test_no_message_shows_the_english_reason_of_the_operating_system() -> None:
    offenders = [str(p) for p, source in SOURCES.items() if "strerror" in source]
    assert offenders == [], "os_reason(exc) names the reason in German"


def test_a_folder_given_as_catalog_is_refused_in_german(tmp_path: Path) -> None:
    with pytest.raises(spatz.errors.CatalogError, match=r"Katalog nicht lesbar \(ist ein Verz"):
        spatz.load_catalog(tmp_path)
