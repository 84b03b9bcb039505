"""One command in a fresh process, measured: exit code, wall time, peak memory, output."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    seconds: float
    peak_mb: float
    output: str


def measured(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> Outcome:
    """Run ``command`` in ``cwd`` (``env`` added to this process's environment) and reap it
    with its resource usage: the peak memory is that of the process itself."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=output, stderr=output
        )
        _, status, usage = os.wait4(process.pid, 0)  # reaped here, with its rusage
        seconds = time.perf_counter() - start
        output.seek(0)
        text = output.read().decode()
    return Outcome(os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss / 1024, text.strip())
