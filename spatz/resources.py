"""Files that ship next to the package: migrations, sample data, the dashboard.

In a source checkout they sit beside ``spatz/``; in an installed wheel they are copied into
``spatz/_<name>``.
"""

from __future__ import annotations

from pathlib import Path

from spatz.errors import SpatzError

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / f"_{name}", _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise SpatzError(
        f"Der Ordner {name!r} fehlt in der SPATZ-Installation: bitte SPATZ neu installieren"
    )
