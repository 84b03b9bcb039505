"""The ``spatz`` command line, split by command group."""

from spatz.cli.main import app

__all__ = ["app"]
