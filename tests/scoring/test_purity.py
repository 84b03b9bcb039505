"""The scoring engine is pure: importing it pulls in no database, UI or CLI library."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("sqlalchemy", "sqlmodel", "streamlit", "typer")


def test_scoring_imports_no_database_ui_or_cli() -> None:
    code = (
        "import json, sys\n"
        "import spatz.scoring\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
