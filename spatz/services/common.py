"""What every service shares: the acting user and the result of an import."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who does something; recorded with every write."""

    name: str


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (or, with ``dry_run``, would do)."""

    file: str
    rows: int
    new: int
    existing: int
    updated: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        new = f"{self.new} würden neu importiert" if self.dry_run else f"{self.new} neu importiert"
        text = f"{self.file}: {self.rows} Zeilen geprüft, {new}, {self.existing} bereits vorhanden"
        if self.updated:
            text += f", {self.updated} aktualisiert"
        if self.dry_run:
            text += " (Probelauf, nichts geschrieben)"
        return text
