"""``benchmarks/bench_events.py`` keeps working as the schema changes: run at a tiny size."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from postgres import find_bin_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.postgres
def test_the_events_benchmark_loads_both_databases_and_records_its_figures(
    tmp_path: Path,
) -> None:
    if find_bin_dir() is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    results = tmp_path / "results.md"
    command = [sys.executable, "benchmarks/bench_events.py", "--rows", "20000", "--orgs", "500"]
    process = subprocess.Popen(
        [*command, "--results", str(results)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.communicate(timeout=30)
    assert process.returncode == 0, output
    section = results.read_text(encoding="utf-8")
    assert section.startswith("<!-- events:start -->\n## Reading events")
    assert "20,000 events of 500 organisations" in section
    assert "| SQLite | 20,000 |" in section
    assert "| PostgreSQL | 20,000 |" in section
