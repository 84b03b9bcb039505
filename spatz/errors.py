"""The one error hierarchy of SPATZ.

Every mistake a user can make ends in a subclass of :class:`SpatzError` that carries the
facts (file, line, column, value) so that the CLI and the dashboard can show a precise
message instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_REPORTED_PROBLEMS = 50


class SpatzError(Exception):
    """Base class of all errors SPATZ reports to users."""


class CatalogError(SpatzError, ValueError):
    """A catalog file or catalog change is invalid; the message names the offending item."""


class NotFoundError(SpatzError, LookupError):
    """A named organisation, catalog or measure does not exist."""


class ConcurrentChangeError(SpatzError):
    """Somebody else changed the same thing since it was read; nothing was written."""


class PermissionDenied(SpatzError, PermissionError):
    """The acting user's role does not allow this, or not for this organisation."""


class AuthenticationError(SpatzError):
    """A login failed: unknown name, wrong password, or the account is locked."""


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: ``FILE:LINE: column NAME: message``.

    ``line`` counts physical rows with the header as line 1; ``None`` means the whole file.
    """

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.column:
            return f"{where}: column {self.column}: {self.message}"
        return f"{where}: {self.message}"


@dataclass
class DataImportError(SpatzError, ValueError):
    """An input file was rejected as a whole; nothing was written.

    ``problems`` holds up to :data:`MAX_REPORTED_PROBLEMS` problems; ``truncated`` says that
    there were more.
    """

    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.truncated:
            lines.append(
                f"… weitere Fehler nicht angezeigt (nur die ersten {MAX_REPORTED_PROBLEMS})"
            )
        return "\n".join(lines)
