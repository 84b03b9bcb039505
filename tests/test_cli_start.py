"""The command line starts without the heavy libraries: ``spatz --help`` and every
command's help load none of them (``benchmarks/bench_cli_start.py`` prints the time)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "numpy", "sqlalchemy", "sqlmodel", "streamlit", "openpyxl", "weasyprint")
"""Libraries a command loads when it runs and needs them, never for its help."""


def _loaded_after(code: str) -> list[str]:
    """The heavy top-level modules in ``sys.modules`` after ``code`` ran in a fresh Python."""
    report = "import json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    probe = f"{code}\n{report}"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = json.loads(result.stdout.splitlines()[-1])
    return [name for name in HEAVY if name in loaded]


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    assert _loaded_after("import spatz.cli.main") == []


def test_help_of_every_command_loads_no_heavy_library() -> None:
    # Every group's and command's help, rendered in one process, as `spatz … --help` does.
    code = """
import contextlib, io, typer
from spatz.cli.main import app
root = typer.main.get_command(app)
def paths(command, prefix):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from paths(sub, [*prefix, name])
helps = []
for path in list(paths(root, [])):
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), contextlib.suppress(SystemExit):
        root.main([*path, "--help"], prog_name="spatz")
    helps.append(shown.getvalue())
assert len(helps) > 25 and all("Aufruf: spatz" in text for text in helps), helps
"""
    assert _loaded_after(code) == []


def test_the_probe_sees_a_heavy_library() -> None:
    assert {"pandas", "numpy"} <= set(_loaded_after("import spatz.io.land"))
