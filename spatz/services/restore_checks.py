"""What a restore checks in a bundle's rows before it writes anything: what the database
would refuse only in the middle of the insert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from spatz.io.bundle import BACKUP_TABLES, MANIFEST, Bundle, table_member
from spatz.model import Role
from spatz.services.auth import ROLES_WITH_ORG

_Key = tuple[str, tuple[str, ...]]
"""A table and some of its columns, which a foreign key refers to."""


def _references(table: sa.Table) -> list[tuple[tuple[str, ...], sa.Table, tuple[str, ...]]]:
    """(columns, referred table, referred columns) of each foreign key of ``table``."""
    return sorted(
        (
            (
                tuple(e.parent.name for e in fk.elements),
                fk.referred_table,
                tuple(e.column.name for e in fk.elements),
            )
            for fk in table.foreign_key_constraints
        ),
        key=lambda reference: reference[0],
    )


def _unique_keys(table: sa.Table) -> list[tuple[str, ...]]:
    """The primary key first, then each unique constraint and unique index of ``table``."""
    keys = [tuple(c.name for c in table.primary_key.columns)]
    keys += [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ]
    keys += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    return sorted(set(keys), key=keys.index)


_REFERRED: frozenset[_Key] = frozenset(
    (target.name, columns) for table in BACKUP_TABLES for _, target, columns in _references(table)
)


def _pairs(columns: Sequence[str], values: Sequence[Any]) -> str:
    return ", ".join(
        f"{c} = {v!r}" if isinstance(v, str) else f"{c} = {v}"
        for c, v in zip(columns, values, strict=True)
    )


class _TableCheck:
    """What the database would refuse only in the middle of the insert, checked for the
    rows of one table before anything is written: empty or repeated keys, references to
    rows the bundle does not hold, accounts that lack the organisation of their role."""

    def __init__(self, table: sa.Table, referable: dict[_Key, set[tuple[Any, ...]]]) -> None:
        self.table = table
        self.referable = referable
        self.primary = tuple(c.name for c in table.primary_key.columns)
        self.seen: dict[tuple[str, ...], dict[tuple[Any, ...], int]] = {
            columns: {} for columns in _unique_keys(table)
        }
        self.kept = [columns for name, columns in referable if name == table.name]
        self.references = _references(table)
        self.later: list[tuple[int, tuple[str, ...], tuple[Any, ...], tuple[str, ...]]] = []
        """References of the table to itself, checked once all its rows are known."""

    def row(self, number: int, row: Mapping[str, Any]) -> str | None:
        """Remember ``row`` (line ``number``); what is wrong with it, if anything."""
        where = f"Zeile {number}"
        empty = [c for c in self.primary if row[c] is None]
        if empty:
            return f"{where}: Schlüsselspalte {', '.join(empty)} ist leer"
        for columns in self.kept:
            values = tuple(row[c] for c in columns)
            if None not in values:
                self.referable[(self.table.name, columns)].add(values)
        for columns, seen in self.seen.items():
            values = tuple(row[c] for c in columns)
            if None in values:
                continue
            if values in seen:
                pairs = _pairs(columns, values)
                return f"{where}: {pairs} kommt doppelt vor (auch Zeile {seen[values]})"
            seen[values] = number
        for columns, target, target_columns in self.references:
            values = tuple(row[c] for c in columns)
            if None in values:
                continue
            if target is self.table:
                self.later.append((number, columns, values, target_columns))
            elif values not in self.referable[(target.name, target_columns)]:
                return self._dangling(number, columns, values)
        if self.table.name == "user_account" and row["org_id"] is None:
            role = Role(row["role"])
            if role in ROLES_WITH_ORG:
                return (
                    f"{where}: Konto {row['name']!r} mit der Rolle {role.value} hat keine "
                    f"Organisation (org_id ist leer); die Rollen "
                    f"{', '.join(sorted(r.value for r in ROLES_WITH_ORG))} gehören zu einer "
                    "Organisation"
                )
        return None

    def finish(self) -> str | None:
        """What is wrong with the references of the table to itself, if anything."""
        for number, columns, values, target_columns in self.later:
            if values not in self.referable[(self.table.name, target_columns)]:
                return self._dangling(number, columns, values)
        return None

    def _dangling(self, number: int, columns: Sequence[str], values: Sequence[Any]) -> str:
        target = next(t for c, t, _ in self.references if c == tuple(columns))
        return (
            f"Zeile {number}: {_pairs(columns, values)} verweist auf keine Zeile der "
            f"Tabelle {target.name} in der Sicherung"
        )


def check_rows(bundle: Bundle) -> None:
    """Read every row once: a broken bundle is refused before anything is written."""
    referable: dict[_Key, set[tuple[Any, ...]]] = {key: set() for key in _REFERRED}
    for table in BACKUP_TABLES:
        check = _TableCheck(table, referable)
        problem: str | None = None
        count = 0
        for number, row in bundle.numbered_rows(table):
            count += 1
            if problem is None:
                problem = check.row(number, row)
        problem = problem or check.finish()
        if problem:
            raise bundle.problem(f"{table_member(table.name)}, {problem}")
        if count != bundle.counts[table.name]:
            raise bundle.problem(
                f"Tabelle {table.name}: {count} Zeilen, aber {bundle.counts[table.name]} "
                f"Zeilen laut {MANIFEST}"
            )
