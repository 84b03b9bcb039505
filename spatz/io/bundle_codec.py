"""The values of a backup bundle: one JSON encoding of each column type, whatever the
database.

Timestamps as ISO 8601 in UTC with offset, dates as ISO 8601, booleans as JSON booleans,
floats as JSON numbers (round trip), ``NULL`` as ``null``; one JSON object per row, keys
sorted. The same content therefore gives the same bytes, whether it was read from SQLite
or from PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping
from typing import Any, TypeVar

import sqlalchemy as sa

_T = TypeVar("_T")


def _utc(moment: dt.datetime) -> dt.datetime:
    """A timestamp in UTC; naive values (SQLite) are UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _kind(column: sa.Column[Any]) -> sa.types.TypeEngine[Any]:
    """The column's type; for a decorated type (SQLModel's ``AutoString``) the one below."""
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        return kind.impl_instance
    return kind


def encode_value(column: sa.Column[Any], value: Any) -> Any:
    """``value`` of ``column`` as read from any database, as a JSON value."""
    if value is None:
        return None
    kind = _kind(column)
    if isinstance(kind, sa.DateTime):
        return _utc(value).isoformat()
    if isinstance(kind, sa.Date):
        return value.isoformat()
    if isinstance(kind, sa.Boolean):
        return bool(value)
    if isinstance(kind, sa.Float):
        return float(value)
    if isinstance(kind, sa.Integer):
        return int(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(kind, sa.String):
        return str(value)
    raise TypeError(f"column {column} of type {kind!r} cannot be backed up")


def decode_value(column: sa.Column[Any], value: Any) -> Any:
    """A JSON value of a bundle as the value to insert into ``column``.

    Raises :class:`ValueError` (with a German message) for a value of the wrong kind.
    """
    if value is None:
        return None
    kind = _kind(column)
    if isinstance(kind, sa.DateTime):
        text = _expect(value, str, "Zeitpunkt")
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"kein Zeitpunkt (ISO 8601): {text!r}") from None
        if moment.tzinfo is None:
            raise ValueError(f"Zeitpunkt ohne Zeitzone: {value!r}")
        moment = moment.astimezone(dt.UTC)
        return moment if kind.timezone else moment.replace(tzinfo=None)
    if isinstance(kind, sa.Date):
        text = _expect(value, str, "Datum")
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"kein Datum (JJJJ-MM-TT): {text!r}") from None
    if isinstance(kind, sa.Boolean):
        return _expect(value, bool, "Wahrheitswert")
    if isinstance(kind, sa.Float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"keine Zahl: {value!r}")
        return float(value)
    if isinstance(kind, sa.Integer):
        if isinstance(value, bool):
            raise ValueError(f"keine ganze Zahl: {value!r}")
        number = _expect(value, int, "ganze Zahl")
        bits = 63 if isinstance(kind, sa.BigInteger) else 31
        if not -(2**bits) <= number < 2**bits:
            raise ValueError(f"ganze Zahl außerhalb des Wertebereichs: {number}")
        return number
    text = _expect(value, str, "Text")
    if isinstance(kind, sa.Enum) and text not in kind.enums:
        raise ValueError(f"{text!r} ist keiner der Werte {', '.join(kind.enums)}")
    return text


def _expect(value: Any, kind: type[_T], label: str) -> _T:
    if not isinstance(value, kind):
        raise ValueError(f"{label} erwartet, nicht {value!r}")
    return value


def json_line(row: Mapping[str, Any]) -> bytes:
    text = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def decode_row(columns: Mapping[str, sa.Column[Any]], line: bytes) -> dict[str, Any]:
    """One line of a table file as the row to insert; raises :class:`ValueError`."""
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("kein UTF-8-Text") from None
    except (ValueError, RecursionError):
        raise ValueError("kein JSON-Objekt") from None
    if not isinstance(record, dict):
        raise ValueError("kein JSON-Objekt")
    if set(record) != set(columns):
        raise ValueError(f"Spalten {sorted(record)} statt {sorted(columns)}")
    row: dict[str, Any] = {}
    for name, value in record.items():
        try:
            row[name] = decode_value(columns[name], value)
        except ValueError as exc:
            raise ValueError(f"Spalte {name}: {exc}") from None
    return row
