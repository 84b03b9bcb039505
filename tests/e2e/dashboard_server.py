"""`spatz dashboard` as a test starts it: in a process group of its own, stopped as a whole."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

STOP_TIMEOUT = 10.0
"""Seconds the server has to end after SIGTERM before its group is killed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def group_members(pgid: int) -> list[int]:
    """The processes (not yet reaped zombies included) of process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group, wait, SIGKILL to whatever is left after the timeout."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextmanager
def running_dashboard(
    database: str, log_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``spatz dashboard`` over ``database`` on a free port, healthy; stopped afterwards
    (its whole process group)."""
    port = free_port()
    env = {**os.environ, "SPATZ_DATABASE_URL": database}
    command = [sys.executable, "-m", "spatz.cli", "dashboard", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--address", "127.0.0.1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(url, process, log_path)
            yield process, url
        finally:
            stop_group(process)


def wait_until_healthy(
    url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 60.0
) -> None:
    """Wait for the server at ``url`` to answer its health check; fail with its log if
    ``process`` ends or ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {log_path.read_text(errors='replace')}")
            time.sleep(0.3)
