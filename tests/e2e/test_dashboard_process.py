"""Stopping `spatz dashboard` stops the Streamlit server: no process outlives it."""

from __future__ import annotations

import os
import signal
import socket
import urllib.parse
from pathlib import Path

from dashboard_server import group_members, running_dashboard

from spatz.db import migrate


def test_sigterm_to_the_command_ends_the_server(sqlite_url: str, tmp_path: Path) -> None:
    migrate(sqlite_url)
    with running_dashboard(sqlite_url, tmp_path / "dashboard.log") as (process, url):
        assert group_members(process.pid) == [process.pid]
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
        assert group_members(process.pid) == []
        port = urllib.parse.urlsplit(url).port
        assert port is not None
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
