"""Start-up of the command line: wall time and peak memory of ``spatz --help`` and of three
commands' help.

Each help runs in a fresh process (best of 5; the peak memory is the maximum resident set
size of that process). Target: 0.3 s each; the heavy libraries (pandas, SQLAlchemy,
Streamlit, …) load only when a command runs (``tests/test_cli_start.py``).
``--compare REV`` times the same helps of another revision of the repository (extracted
with ``git archive``) beside them, e.g. the one before the command line imported the
library lazily.

Writes its section of ``benchmarks/results.md`` (between ``<!-- cli-start:start -->`` and
``<!-- cli-start:end -->``; the rest of the file is kept). Run:
``python benchmarks/bench_cli_start.py [--compare REV]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from measured import measured
from results_file import RESULTS, write_section

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = (
    ("--help",),
    ("score", "--help"),
    ("export", "xlsx", "--help"),
    ("user", "add", "--help"),
)
RUNS = 5
TARGET_SECONDS = 0.3
ENTRY = "import sys\nfrom spatz.cli import app\nsys.argv[0] = 'spatz'\napp()"
"""What the ``spatz`` script does, run in a source tree (its working directory, first on
``sys.path``; ``PYTHONPATH`` too, for the processes it starts)."""


@dataclass(frozen=True)
class Figure:
    seconds: float
    peak_mb: float


def run_help(source: Path, arguments: tuple[str, ...]) -> Figure:
    """The fastest of ``RUNS`` runs of ``spatz ARGUMENTS`` from ``source``, and its memory."""
    best: Figure | None = None
    for _ in range(RUNS):
        outcome = measured(
            [sys.executable, "-c", ENTRY, *arguments],
            cwd=source,
            env={"PYTHONPATH": str(source)},
        )
        if outcome.exit_code != 0 or "Aufruf: spatz" not in outcome.output:
            sys.exit(f"spatz {' '.join(arguments)} failed ({outcome.exit_code}):\n{outcome.output}")
        if best is None or outcome.seconds < best.seconds:
            best = Figure(outcome.seconds, outcome.peak_mb)
    assert best is not None
    return best


def extract(revision: str, target: Path) -> Path:
    """The tree of ``revision`` (its ``spatz`` package) unpacked into ``target``."""
    archive = target / "tree.tar"
    with archive.open("wb") as file:
        subprocess.run(["git", "archive", revision, "spatz"], cwd=ROOT, stdout=file, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", metavar="REV", help="also time this revision's helps")
    args = parser.parse_args()
    compare: str | None = args.compare

    with tempfile.TemporaryDirectory() as tmp:
        other = extract(compare, Path(tmp)) if compare else None
        rows = []
        for arguments in COMMANDS:
            now = run_help(ROOT, arguments)
            verdict = "met" if now.seconds <= TARGET_SECONDS else "NOT met"
            row = f"| `spatz {' '.join(arguments)}` | {now.seconds:.2f} s | {now.peak_mb:.0f} MB |"
            line = f"spatz {' '.join(arguments):<22} {now.seconds:.3f} s  {now.peak_mb:.0f} MB"
            if other is not None:
                then = run_help(other, arguments)
                row += f" {then.seconds:.2f} s | {then.peak_mb:.0f} MB |"
                line += f"   {compare}: {then.seconds:.3f} s  {then.peak_mb:.0f} MB"
            rows.append(f"{row} {verdict} |")
            print(f"{line}   ≤ {TARGET_SECONDS} s: {verdict}")
    header = "| command | wall | peak memory |"
    rule = "| --- | --- | --- |"
    if compare:
        header += f" wall at `{compare}` | peak memory at `{compare}` |"
        rule += " --- | --- |"
    load = os.getloadavg()[0]
    write_section(
        "cli-start",
        "## Start-up of the command line\n\n"
        f"{dt.date.today().isoformat()}, {os.cpu_count()} CPU cores, Python "
        f"{sys.version.split()[0]}, load average (1 min) {load:.1f}. Each help in a fresh "
        f"process, best of {RUNS}; peak memory: maximum resident set size of the process. "
        f"Target: ≤ {TARGET_SECONDS} s. Run: `python benchmarks/bench_cli_start.py"
        + (f" --compare {compare}`" if compare else "`")
        + ".\n\n"
        + f"{header} target |\n{rule} --- |\n"
        + "\n".join(rows)
        + "\n",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
