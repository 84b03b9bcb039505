"""The one error hierarchy of SPATZ.

Every mistake a user can make ends in a subclass of :class:`SpatzError` that carries the
facts (file, line, column, value) so that the CLI and the dashboard can show a precise
message instead of a traceback.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field

MAX_REPORTED_PROBLEMS = 50


_OS_REASONS = {
    errno.ENOENT: "Datei oder Verzeichnis nicht gefunden",
    errno.EACCES: "keine Berechtigung",
    errno.EPERM: "keine Berechtigung",
    errno.EISDIR: "ist ein Verzeichnis",
    errno.ENOTDIR: "ein Teil des Pfads ist kein Verzeichnis",
    errno.ENOSPC: "kein Speicherplatz mehr frei",
    errno.EDQUOT: "Speicherkontingent erschöpft",
    errno.EROFS: "Dateisystem ist schreibgeschützt",
    errno.ENAMETOOLONG: "Dateiname zu lang",
    errno.EEXIST: "existiert bereits",
    errno.EBUSY: "wird gerade benutzt",
    errno.EIO: "Ein-/Ausgabefehler",
    errno.ELOOP: "zu viele symbolische Verknüpfungen",
    errno.EMFILE: "zu viele offene Dateien",
    errno.ENXIO: "Gerät nicht verfügbar",
}


def os_reason(exc: OSError) -> str:
    """The reason of an operating-system error in German, for messages such as
    ``x.csv: nicht lesbar (keine Berechtigung)``; an unusual one by its symbolic name."""
    if exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    name = errno.errorcode.get(exc.errno, "") if exc.errno is not None else ""
    return f"Betriebssystemfehler {name}".rstrip()


class SpatzError(Exception):
    """Base class of all errors SPATZ reports to users."""


class CatalogError(SpatzError, ValueError):
    """A catalog file or catalog change is invalid; the message names the offending item."""


class NotFoundError(SpatzError, LookupError):
    """A named organisation, catalog or measure does not exist."""


class DatabaseUrlError(SpatzError, ValueError):
    """The database URL (``--db``, ``SPATZ_DATABASE_URL``) is unusable."""


class DatabaseNotReadyError(SpatzError):
    """The database is not migrated to the newest schema (``spatz init`` not yet run, or an
    older SPATZ set it up)."""

    def __init__(self, shown_url: str) -> None:
        self.url = shown_url
        super().__init__(
            f"Die Datenbank {shown_url} ist nicht eingerichtet oder veraltet: "
            "bitte zuerst `spatz init` ausführen"
        )


class ConcurrentChangeError(SpatzError):
    """Somebody else changed the same thing since it was read; nothing was written."""


class PermissionDenied(SpatzError, PermissionError):
    """The acting user's role does not allow this, or not for this organisation."""


class BackupError(SpatzError):
    """A backup bundle cannot be written, read or restored; nothing was written."""


class ArgumentError(SpatzError, ValueError):
    """An argument of a call is unusable: a Stichtag that is no date, a level the catalog
    does not have, a grouping of the Landesvergleich that does not exist."""


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: ``FILE:LINE: Spalte NAME: message``.

    ``line`` counts physical rows with the header as line 1; ``None`` means the whole file.
    """

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.column:
            return f"{where}: Spalte {self.column}: {self.message}"
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
