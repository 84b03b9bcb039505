"""Shared fixtures: database URLs for SQLite and a throwaway PostgreSQL server.

Fixtures
--------
``postgres_server`` (session)
    Base URL of a throwaway PostgreSQL cluster (``postgres`` maintenance database).
``postgres_url``
    URL of a fresh, empty PostgreSQL database; dropped after the test.
``sqlite_url``
    URL of a fresh SQLite file database in ``tmp_path``.
``database_url``
    Parametrized over ``sqlite`` and ``postgresql`` (the latter marked ``postgres``):
    URL of a fresh, empty database of that backend.

With ``CI=true``, tests marked ``postgres`` or ``browser`` must not be skipped: a skip
is reported as a failure.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from postgres import PostgresCluster, create_database, drop_database, find_bin_dir

IN_CI = os.environ.get("CI") == "true"

#: Markers whose tests have to run (not be skipped) in CI.
MUST_RUN_IN_CI = ("postgres", "browser")

settings.register_profile("default", deadline=None, max_examples=100)
settings.register_profile("ci", deadline=None, max_examples=100, print_blob=True)
settings.load_profile("ci" if IN_CI else "default")

DASHBOARD_CONFIG = Path(__file__).resolve().parents[1] / "dashboard" / ".streamlit" / "config.toml"


@pytest.fixture(scope="session", autouse=True)
def dashboard_config() -> None:
    """The dashboard's Streamlit settings for AppTest too, as `streamlit run` reads them."""
    from streamlit import config

    for section, options in tomllib.loads(DASHBOARD_CONFIG.read_text(encoding="utf-8")).items():
        for name, value in options.items():
            config.set_option(f"{section}.{name}", value)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Base URL of a throwaway PostgreSQL server, started once per session (per xdist worker)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if IN_CI:
            pytest.fail(
                "PostgreSQL server binaries not found, but PostgreSQL tests must run in CI "
                "(CI=true): install the postgresql package (.ci/run does this)",
                pytrace=False,
            )
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    cluster = PostgresCluster.start(bin_dir)
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database; dropped (connections closed) afterwards."""
    url = create_database(postgres_server)
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a fresh SQLite database file in the test's ``tmp_path``."""
    return f"sqlite:///{tmp_path}/spatz.db"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """URL of a fresh, empty database, once for SQLite and once for PostgreSQL."""
    fixture = "postgres_url" if request.param == "postgresql" else "sqlite_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """In CI, turn skips of ``postgres``/``browser`` tests into failures."""
    report = yield
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        markers = [name for name in MUST_RUN_IN_CI if item.get_closest_marker(name)]
        if markers:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            reason = str(reason).removeprefix("Skipped: ")
            report.outcome = "failed"
            report.longrepr = (
                f"test marked {', '.join(markers)} was skipped, but must run in CI "
                f"(CI=true): {reason}"
            )
    return report


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database with the default catalog and all sample data (shared, read-only)."""
    from spatz.db import make_engine, migrate
    from spatz.services.common import Actor
    from spatz.services.demo import load_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db"
    migrate(url)
    load_demo(engine=make_engine(url), actor=Actor.operator("demo"))
    return url


@pytest.fixture
def database(demo_url: str, tmp_path: Path) -> str:
    """A private copy of the demo database: the test may write to it."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def dashboard(database: str, tmp_path: Path) -> Iterator[str]:
    """`spatz dashboard` over :func:`database`, stopped (its process group) afterwards."""
    from dashboard_server import running_dashboard

    with running_dashboard(database, tmp_path / "dashboard.log") as (_, url):
        yield url
