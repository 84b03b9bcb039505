"""Reading typed values from table rows, collecting every problem with line and column."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from spatz.io.reader import ProblemCollector, Row, Table

T = TypeVar("T")


class RowReader:
    """Typed access to one row; a bad or missing value becomes a problem and ``None``."""

    def __init__(self, table: Table, row: Row, problems: ProblemCollector) -> None:
        self.table = table
        self.row = row
        self.problems = problems
        self.ok = True

    def error(self, column: str | None, message: str) -> None:
        self.ok = False
        self.problems.add(self.table.problem(self.row.line, column, message))

    def text(self, column: str, *, required: bool = True, max_length: int = 300) -> str:
        value = self.row.get(column)
        if required and not value:
            self.error(column, "Wert fehlt")
        elif len(value) > max_length:
            self.error(column, f"zu lang ({len(value)} Zeichen, höchstens {max_length})")
        return value

    def parse(self, column: str, parser: Callable[[str], T], *, required: bool = True) -> T | None:
        value = self.row.get(column)
        if not value:
            if required:
                self.error(column, "Wert fehlt")
            return None
        try:
            return parser(value)
        except ValueError as exc:
            self.error(column, str(exc))
            return None


def rows_of(table: Table, problems: ProblemCollector) -> list[RowReader]:
    if not table.rows:
        problems.add(table.problem(None, None, "die Datei enthält keine Datenzeilen"))
    return [RowReader(table, row, problems) for row in table.rows]
