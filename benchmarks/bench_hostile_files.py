"""Hostile files at full size: time and peak memory of refusing each one.

Builds every hostile file of ``tests/test_hostile_files.py`` at the size that was reported
(a 1 GiB shared string, a cell in column XFD on 50,000 rows, a 200 MB CSV, …) plus a valid
file at the row limit, runs ``spatz import progress --dry-run FILE`` (and ``spatz land
import`` for one of them) in a subprocess under ``/usr/bin/time`` with the default limits,
and prints exit code, wall time, peak memory (maximum resident set size of the process)
and the message per file as a Markdown table. Target: exit 2 within 10 s and under 500 MB
for every hostile file.

Writes its section of ``benchmarks/results.md`` (between ``<!-- hostile:start -->`` and
``<!-- hostile:end -->``; the rest of the file is kept). Run:
``python benchmarks/bench_hostile_files.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import hostile  # noqa: E402  (tests/hostile.py, the builders of the test suite)
from results_file import RESULTS, write_section  # noqa: E402

SPATZ = Path(sys.executable).with_name("spatz")
TIME = Path("/usr/bin/time")
MIB = 1024 * 1024
TARGET_SECONDS = 10
TARGET_MB = 500


@dataclass(frozen=True)
class Case:
    label: str
    file: str
    build: Callable[[Path], Path]
    command: tuple[str, ...] = ("import", "progress", "--dry-run")
    hostile: bool = True


def _random_bytes(path: Path, size: int) -> Path:
    with path.open("wb") as file:
        for _ in range(size // MIB):
            file.write(os.urandom(MIB))
    return path


def _utf16(path: Path, size: int) -> Path:
    block = (hostile.ROW * (MIB // len(hostile.ROW))).encode("utf-16-le")
    with path.open("wb") as file:
        file.write(hostile.HEADER.encode("utf-16"))
        for _ in range(size // len(block)):
            file.write(block)
    return path


def _long_cell(path: Path, chars: int) -> Path:
    with path.open("w", encoding="utf-8") as file:
        file.write(hostile.HEADER + "A,STR-1-01,umgesetzt,")
        for _ in range(chars // MIB):
            file.write("x" * MIB)
        file.write("\n")
    return path


def _wide(path: Path, columns: int) -> Path:
    path.write_text(",".join(f"c{i}" for i in range(columns)) + "\n", encoding="utf-8")
    return path


def _wide_rows(path: Path, rows: int) -> Path:
    names = ["org", "measure_id", "status", "date", *(f"x{i}" for i in range(96))]
    row = hostile.ROW.rstrip("\n") + ",x" * 96 + "\n"
    with path.open("w", encoding="utf-8") as file:
        file.write(",".join(names) + "\n")
        for _ in range(rows // 1000):
            file.write(row * 1000)
    return path


def _valid_rows(path: Path, rows: int) -> Path:
    sample = (ROOT / "sample_data" / "progress.csv").read_text(encoding="utf-8").splitlines()
    header, body = sample[0], sample[1:]
    with path.open("w", encoding="utf-8") as file:
        file.write(header + "\n")
        for i in range(rows):
            file.write(body[i % len(body)] + "\n")
    return path


CASES = [
    Case(
        "XLSX, a cell in column XFD on each of 50,000 rows",
        "xfd.xlsx",
        lambda d: hostile.xlsx_with_far_cells(d / "xfd.xlsx", 50_000),
    ),
    Case(
        "the same, stored size `A1:A1` (a lie)",
        "xfd-undeclared.xlsx",
        lambda d: hostile.xlsx_with_far_cells(d / "xfd-undeclared.xlsx", 50_000, declared=False),
    ),
    Case(
        "XLSX, header one shared string of 1 GiB",
        "strings.xlsx",
        lambda d: hostile.xlsx_with_shared_string(d / "strings.xlsx", 1024 * MIB),
    ),
    Case(
        "XLSX, stored size 1,048,576 rows",
        "dimension.xlsx",
        lambda d: hostile.xlsx_with_rows(d / "dimension.xlsx", 3, dimension="A1:C1048576"),
    ),
    Case(
        "XLSX, 1,000,000 rows (no stored size)",
        "rows.xlsx",
        lambda d: hostile.xlsx_with_rows(d / "rows.xlsx", 1_000_000),
    ),
    Case(
        "XLSX with a member of 1 GiB zeros (zip bomb)",
        "bomb.xlsx",
        lambda d: hostile.xlsx_with_member(d / "bomb.xlsx", 1024 * MIB),
    ),
    Case("ZIP without a workbook", "archive.xlsx", lambda d: hostile.zip_without_workbook(d / "a")),
    Case("CSV of 200 MB", "big.csv", lambda d: hostile.csv_of_size(d / "big.csv", 200 * MIB)),
    Case(
        "CSV of 200 MB, `spatz land import`",
        "big-land.csv",
        lambda d: hostile.csv_of_size(d / "big-land.csv", 200 * MIB),
        ("land", "import", "--dry-run"),
    ),
    Case(
        "CSV of 49 MB, 1.6 million rows",
        "rows.csv",
        lambda d: hostile.csv_with_rows(d / "rows.csv", 1_600_000),
    ),
    Case(
        "CSV, 200,000 rows × 100 columns",
        "cells.csv",
        lambda d: _wide_rows(d / "cells.csv", 200_000),
    ),
    Case("CSV, 5,000 columns", "wide.csv", lambda d: _wide(d / "wide.csv", 5_000)),
    Case("CSV, one cell of 40 MB", "cell.csv", lambda d: _long_cell(d / "cell.csv", 40 * MIB)),
    Case(
        "CSV, a quote opened on line 2 and never closed (45 MB)",
        "quote.csv",
        lambda d: hostile.csv_with_open_quote(d / "quote.csv", 1_400_000),
    ),
    Case("CSV in UTF-16 (40 MB)", "utf16.csv", lambda d: _utf16(d / "utf16.csv", 40 * MIB)),
    Case(
        "40 MB of random bytes", "random.csv", lambda d: _random_bytes(d / "random.csv", 40 * MIB)
    ),
    Case(
        "valid CSV, one row (the command's own time and memory)",
        "one.csv",
        lambda d: _valid_rows(d / "one.csv", 1),
        hostile=False,
    ),
    Case(
        "valid CSV at the row limit (200,000 rows)",
        "valid.csv",
        lambda d: _valid_rows(d / "valid.csv", 200_000),
        hostile=False,
    ),
]


@dataclass(frozen=True)
class Outcome:
    size: int
    exit_code: int
    seconds: float
    peak_mb: float
    message: str


def run(case: Case, folder: Path, url: str) -> Outcome:
    built = case.build(folder)
    path = built.rename(folder / case.file) if built.name != case.file else built
    measured = folder / "time.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPATZ_MAX_")}
    env["SPATZ_USER"] = "bench"
    command = [str(TIME), "-f", "%e %M", "-o", str(measured), str(SPATZ), "--db", url]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, *case.command, str(path)], capture_output=True, text=True, env=env, check=False
    )
    wall = time.perf_counter() - started
    _elapsed, peak_kb = measured.read_text().split()[-2:]
    lines = (done.stderr or done.stdout).strip().splitlines()
    message = lines[0] if lines else ""
    if "Traceback" in done.stderr:
        message = "TRACEBACK: " + done.stderr.strip().splitlines()[-1]
    size = path.stat().st_size
    path.unlink()
    return Outcome(size, done.returncode, wall, int(peak_kb) / 1024, message)


def _size(size: int) -> str:
    if size >= MIB:
        return f"{size / MIB:.1f} MB"
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} B"


def main() -> None:
    if not TIME.exists():
        sys.exit("/usr/bin/time not found (apt-get install time)")
    rows = []
    met = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'bench.db'}"
        subprocess.run(
            [str(SPATZ), "--db", url, "demo"], capture_output=True, check=True, env=os.environ
        )
        for case in CASES:
            outcome = run(case, folder, url)
            ok = outcome.seconds < TARGET_SECONDS and outcome.peak_mb < TARGET_MB
            if case.hostile:
                ok = ok and outcome.exit_code == 2 and not outcome.message.startswith("TRACE")
                met = met and ok
            shown = outcome.message.replace(str(folder) + "/", "").replace("|", "\\|")
            shown = shown if len(shown) <= 140 else shown[:140] + "…"
            row = (
                f"| {case.label} | {_size(outcome.size)} | `spatz {' '.join(case.command)}` | "
                f"{outcome.exit_code} | {outcome.seconds:.2f} s | {outcome.peak_mb:.0f} MB | "
                f"{shown} |"
            )
            rows.append(row)
            print(row, flush=True)
    verdict = "met for every hostile file" if met else "NOT met for every hostile file"
    write_section(
        "hostile",
        "## Hostile files\n\n"
        f"{dt.date.today().isoformat()}, {os.cpu_count()} CPU cores, Python "
        f"{sys.version.split()[0]}, default limits (50 MB, 200,000 rows, 100 columns, "
        "10,000 characters per cell, 2,000,000 cells). Each file through the command "
        "line in a subprocess (against the demo database); time: wall clock of the whole "
        "command, including Python's start; memory: peak resident set size of the process "
        "(`/usr/bin/time`). "
        f"Target: exit 2 within {TARGET_SECONDS} s and under {TARGET_MB} MB ({verdict}). "
        "Run: `python benchmarks/bench_hostile_files.py`.\n\n"
        "| file | size | command | exit | time | peak memory | message |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
