"""Query results as frames."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd


def rows_frame(rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> pd.DataFrame:
    """Result rows as a frame with ``columns``. The rows go in as plain tuples: pandas
    inspects every SQLAlchemy ``Row`` on its own otherwise, several times slower (44,000
    targets: 0.6 s as rows, 0.08 s as tuples)."""
    return pd.DataFrame([tuple(row) for row in rows], columns=list(columns))
