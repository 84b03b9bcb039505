"""A throwaway PostgreSQL cluster for the test suite.

The cluster lives in a temporary directory (in RAM-backed /dev/shm when it has
room), listens on a free loopback port and on a private unix socket, runs with
durability switched off (the data is thrown away anyway) and trusts every local
connection. When the tests run as root the server processes run as the
``postgres`` system user, because ``initdb`` and ``postgres`` refuse to run as root.

Typical use::

    cluster = PostgresCluster.start(find_bin_dir())
    try:
        url = create_database(cluster.url)
        ...
        drop_database(url)
    finally:
        cluster.stop()
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from sqlalchemy.engine import make_url

__all__ = [
    "PostgresCluster",
    "PostgresError",
    "create_database",
    "drop_database",
    "find_bin_dir",
    "temporary_database",
]

#: Debian/Ubuntu install the server binaries here, one directory per major version.
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
#: System user that owns the server processes when the tests run as root.
SERVER_USER = "postgres"
SUPERUSER = "postgres"
HOST = "127.0.0.1"

#: Preferred parent of the cluster directory: RAM-backed, so initdb and CREATE DATABASE
#: (about a thousand small files each) do not wait for the disk. Used if it has room.
SHM_DIR = Path("/dev/shm")
SHM_MIN_FREE_BYTES = 1 << 30

#: Server settings: throwaway data, so no durability; fixed time zone for determinism.
SERVER_SETTINGS: dict[str, str] = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "timezone": "UTC",
}


class PostgresError(RuntimeError):
    """The throwaway cluster could not be created, started or used."""


class _CommandError(PostgresError):
    def __init__(self, message: str, stderr: str) -> None:
        super().__init__(message)
        self.stderr = stderr


def _version_key(bin_dir: str) -> tuple[int, ...]:
    version = Path(bin_dir).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (-1,)


def _has_server_binaries(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres"))


def find_bin_dir() -> Path | None:
    """Return the directory holding ``initdb`` and ``pg_ctl`` or ``None``.

    Prefers the newest ``/usr/lib/postgresql/<version>/bin`` and falls back to
    the directory of ``pg_ctl`` on ``PATH``.
    """
    for candidate in sorted(glob.glob(DEBIAN_BIN_GLOB), key=_version_key, reverse=True):
        if _has_server_binaries(Path(candidate)):
            return Path(candidate)
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is not None:
        bin_dir = Path(pg_ctl).resolve().parent
        if _has_server_binaries(bin_dir):
            return bin_dir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _traversable_by_others(path: Path) -> bool:
    """Whether every directory from ``/`` down to ``path`` is searchable by others."""
    return all(directory.stat().st_mode & 0o001 for directory in (path, *path.parents))


#: Clusters started by this process and not yet stopped.
_live_clusters: set[PostgresCluster] = set()


def _stop_live_clusters_and_die(signum: int, frame: FrameType | None) -> None:
    for cluster in list(_live_clusters):
        cluster.stop()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _stop_clusters_on_termination_signals() -> None:
    """Stop the clusters on SIGTERM/SIGHUP too (atexit does not run then), then die as usual.

    Only replaces the default disposition, and only from the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _stop_live_clusters_and_die)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class PostgresCluster:
    """A PostgreSQL cluster in a temporary directory; use :meth:`start` to create one."""

    def __init__(self, bin_dir: Path, base_dir: Path, server_uid: int | None) -> None:
        self.bin_dir = bin_dir
        self.base_dir = base_dir
        self.data_dir = base_dir / "data"
        self.socket_dir = base_dir / "socket"
        self.log_file = base_dir / "log" / "postgresql.log"
        self.port = 0
        self._server_uid = server_uid
        self._owner_pid = os.getpid()
        self._running = False
        self._removed = False
        self._command_process: subprocess.Popen[str] | None = None

    # -- lifecycle ---------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        bin_dir: Path,
        *,
        timeout: float = 60.0,
        settings: dict[str, str] | None = None,
    ) -> PostgresCluster:
        """Create, initialise and start a cluster; it is also stopped at interpreter exit."""
        server_uid = cls._server_uid_for_current_user()
        base_dir = cls._make_base_dir(server_uid)
        cluster = cls(bin_dir, base_dir, server_uid)
        _live_clusters.add(cluster)
        atexit.register(cluster.stop)
        _stop_clusters_on_termination_signals()
        try:
            cluster._prepare_dirs()
            cluster._initdb(timeout)
            cluster._start_server(timeout, {**SERVER_SETTINGS, **(settings or {})})
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server (immediate shutdown) and delete the cluster's files. Idempotent."""
        if os.getpid() != self._owner_pid:  # a forked child must not tear down the parent's
            return
        # Called from a signal handler while initdb/pg_ctl runs: let it finish first.
        if self._command_process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._command_process.wait(timeout=timeout)
        # postmaster.pid also exists when an interrupted start got the server running.
        if self._running or (self.data_dir / "postmaster.pid").exists():
            self._running = False
            try:
                stop = ["pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate"]
                self._run([*stop, "-w", "-t", str(int(timeout))], timeout=timeout + 5)
            except PostgresError:
                self._kill_postmaster()
        if not self._removed:
            self._removed = True
            shutil.rmtree(self.base_dir, ignore_errors=True)
            _live_clusters.discard(self)
            atexit.unregister(self.stop)

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` maintenance database."""
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self.port}/postgres"

    # -- internals ---------------------------------------------------------------------

    @staticmethod
    def _server_uid_for_current_user() -> int | None:
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SERVER_USER).pw_uid
        except KeyError:
            raise PostgresError(
                f"running as root, but there is no {SERVER_USER!r} system user to run "
                "the PostgreSQL server as (the Debian postgresql package creates it)"
            ) from None

    @staticmethod
    def _make_base_dir(server_uid: int | None) -> Path:
        parent = Path(tempfile.gettempdir()).resolve()
        with contextlib.suppress(OSError):
            if (
                SHM_DIR.is_dir()
                and os.access(SHM_DIR, os.W_OK | os.X_OK)
                and shutil.disk_usage(SHM_DIR).free >= SHM_MIN_FREE_BYTES
            ):
                parent = SHM_DIR
        if server_uid is not None and not _traversable_by_others(parent):
            parent = Path("/tmp")
        base_dir = Path(tempfile.mkdtemp(prefix="spatz-pg-", dir=parent))
        if server_uid is not None:
            base_dir.chmod(0o755)
        return base_dir

    def _make_server_dir(self, directory: Path) -> None:
        directory.mkdir(mode=0o700)
        if self._server_uid is not None:
            os.chown(directory, self._server_uid, -1)

    def _prepare_dirs(self) -> None:
        for directory in (self.data_dir, self.socket_dir, self.log_file.parent):
            self._make_server_dir(directory)

    def _command(self, args: Sequence[str]) -> list[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._server_uid is not None:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        return command

    def _run(self, args: Sequence[str], *, timeout: float) -> None:
        """Run a server program (as the server user when root); raise on failure or timeout."""
        command = self._command(args)
        env = {**os.environ, "LC_MESSAGES": "C"}
        for variable in ("PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGDATABASE", "PGOPTIONS"):
            env.pop(variable, None)
        with subprocess.Popen(
            command,
            cwd=self.base_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            self._command_process = process
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = process.communicate()
                raise _CommandError(
                    f"{shlex.join(command)} timed out after {timeout:.0f} s\n"
                    f"--- stdout ---\n{stdout.strip()}\n--- stderr ---\n{stderr.strip()}",
                    stderr,
                ) from None
            except BaseException:
                # Interrupted (Ctrl-C): let e.g. pg_ctl start finish, so that stop() finds
                # the server it started instead of leaving it running unnoticed.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.communicate(timeout=timeout)
                raise
            finally:
                self._command_process = None
        if process.returncode != 0:
            raise _CommandError(
                f"{shlex.join(command)} failed with exit code {process.returncode}\n"
                f"--- stdout ---\n{stdout.strip()}\n--- stderr ---\n{stderr.strip()}",
                stderr,
            )

    def _initdb(self, timeout: float) -> None:
        base = ["initdb", "-D", str(self.data_dir), "-A", "trust", "-U", SUPERUSER]
        base += ["--no-sync", "-E", "UTF8"]
        try:
            self._run([*base, "--locale=C.UTF-8"], timeout=timeout)
        except _CommandError as utf8_error:
            if "locale" not in utf8_error.stderr.lower():
                raise
            # No C.UTF-8 locale on this system: fall back to plain C semantics.
            shutil.rmtree(self.data_dir)
            self._make_server_dir(self.data_dir)
            self._run([*base, "--no-locale"], timeout=timeout)

    def _start_server(self, timeout: float, settings: dict[str, str], attempts: int = 3) -> None:
        for attempt in range(1, attempts + 1):
            self.port = _free_port()
            options = ["-k", str(self.socket_dir), "-p", str(self.port)]
            for name, value in settings.items():
                options += ["-c", f"{name}={value}"]
            try:
                start = ["pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file)]
                wait = ["-w", "-t", str(int(timeout))]
                self._run([*start, *wait, "-o", shlex.join(options)], timeout=timeout + 10)
            except PostgresError as error:
                log = _tail(self.log_file)
                self._kill_postmaster()
                # Another process may have taken the port between probing and binding.
                if attempt < attempts and "already in use" in log:
                    continue
                raise PostgresError(
                    f"PostgreSQL did not start on {HOST}:{self.port}: {error}\n"
                    f"--- {self.log_file} (tail) ---\n{log}"
                ) from error
            self._running = True
            return

    def _kill_postmaster(self) -> None:
        """Last resort: SIGKILL the postmaster named in ``postmaster.pid`` (if any)."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        with contextlib.suppress(OSError):  # a stale pid file must not kill a reused pid
            if Path(f"/proc/{pid}/comm").read_text().strip() not in {"postgres", "postmaster"}:
                return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.05)


# -- databases ------------------------------------------------------------------------


def _connect_maintenance(url: str) -> psycopg.Connection[TupleRow]:
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host or HOST,
        port=parsed.port or 5432,
        user=parsed.username or SUPERUSER,
        password=parsed.password,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    )


def create_database(server_url: str, prefix: str = "test") -> str:
    """Create an empty database ``<prefix>_<uuid>`` on the server; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex}"
    with _connect_maintenance(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str) -> None:
    """Drop the database named in ``database_url``, disconnecting its sessions first."""
    name = make_url(database_url).database
    if not name or name in {"postgres", "template0", "template1"}:
        raise ValueError(f"refusing to drop database {name!r}")
    with _connect_maintenance(database_url) as conn:
        if conn.info.server_version >= 130000:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        else:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@contextlib.contextmanager
def temporary_database(server_url: str) -> Iterator[str]:
    """Context manager: URL of a fresh empty database, dropped on exit."""
    url = create_database(server_url)
    try:
        yield url
    finally:
        drop_database(url)
