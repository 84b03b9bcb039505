"""The Landesvergleich: distributions of levels and scores over many organisations.

Pure functions over frames in the Land export format (:data:`spatz.io.land.LAND_COLUMNS`,
as :func:`spatz.read_land` or ``Store.land_comparison`` return them); no database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from spatz.errors import ArgumentError

if TYPE_CHECKING:
    import pandas as pd

MIN_GROUP = 5
"""Groups with fewer organisations are not evaluated, so that no Kommune can be singled out."""

NOT_COMPARED = "Organisationseinheit"
"""Units are part of a Kommune, not Kommunen of their own: they are left out of comparisons."""
LAND = "Land"
"""A Land compares its Kommunen and is not one of them: it is left out of comparisons."""

ALL = "alle"
"""The group label when the summary is not split."""
NO_LAND = "(ohne Land)"

Grouping = Literal["kind", "land"]
SUMMARY_COLUMNS = [
    "catalog_id",
    "group",
    "dimension_id",
    "dimension",
    "organisations",
    "suppressed",
    "q1",
    "median",
    "q3",
]
"""Columns of :func:`land_summary`; the level columns ``level_0 … level_N`` follow."""


def compared(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the organisations a comparison counts: neither units (:data:`NOT_COMPARED`)
    nor a Land (:data:`LAND`), each with its latest Stichtag (:func:`latest_rows`)."""
    return latest_rows(frame[~frame["kind"].isin((NOT_COMPARED, LAND))])


def latest_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Per organisation and catalog the rows of its latest Stichtag."""
    if frame.empty:
        return frame
    latest = frame.groupby(["catalog_id", "org"])["as_of"].transform("max")
    return frame[frame["as_of"] == latest]


def land_summary(
    frame: pd.DataFrame,
    by: Grouping | None = None,
    min_group: int = MIN_GROUP,
    *,
    n_levels: int | None = None,
) -> pd.DataFrame:
    """Count, quartiles of the score and level distribution per group and dimension.

    ``frame`` holds rows in the Land export format. Each organisation counts once per
    catalog, with its latest Stichtag in ``frame``; organisational units
    (``kind == "Organisationseinheit"``) and a Land are left out (:func:`compared`).
    ``by`` splits into groups by ``kind`` or ``land`` (default: one group ``"alle"``). A
    group with fewer than ``min_group`` organisations is *suppressed*: its rows keep the
    number of organisations but no figures (NaN / ``<NA>``), so that no single
    organisation can be singled out.

    Returns one row per catalog, group (sorted) and dimension (in the order of ``frame``,
    i.e. catalog order with ``overall`` last; the rows of a catalog's groups, in format
    version 2, count as dimensions of their own, after the dimensions):
    :data:`SUMMARY_COLUMNS`, then ``level_0`` … ``level_N``, the number of organisations on
    each level (``N``: ``n_levels``, default the highest level in ``frame``). ``q1``,
    ``median`` and ``q3`` are quartiles of the score with linear interpolation (as
    :meth:`pandas.Series.quantile`).
    """
    import pandas as pd  # here, so that MIN_GROUP (the command line) loads without pandas

    if by not in (None, "kind", "land"):
        raise ArgumentError(f"Gruppierung {by!r} gibt es nicht (erlaubt: kind, land oder keine)")
    if min_group < 1:
        raise ArgumentError(f"min_group muss mindestens 1 sein, nicht {min_group}")
    rows = compared(frame)
    top = n_levels if n_levels is not None else int(rows["level"].max()) if len(rows) else 0
    level_columns = [f"level_{k}" for k in range(top + 1)]
    if by is None:
        groups = pd.Series(ALL, index=rows.index, dtype="str")
    else:
        groups = rows[by].astype("str").fillna("").replace("", NO_LAND)
    rows = rows.assign(group=groups)
    dimension_order = {d: i for i, d in enumerate(dict.fromkeys(rows["dimension_id"]))}
    records: list[dict[str, object]] = []
    for (catalog_id, group), members in rows.groupby(["catalog_id", "group"], sort=False):
        suppressed = members["org"].nunique() < min_group
        for dimension_id, part in members.groupby("dimension_id", sort=False):
            scores = part["score"].astype("float64")
            levels = part["level"].value_counts()
            record: dict[str, object] = {
                "catalog_id": catalog_id,
                "group": group,
                "dimension_id": dimension_id,
                "dimension": part["dimension"].iloc[0],
                "organisations": len(part),
                "suppressed": suppressed,
                "q1": float("nan") if suppressed else scores.quantile(0.25),
                "median": float("nan") if suppressed else scores.quantile(0.5),
                "q3": float("nan") if suppressed else scores.quantile(0.75),
            }
            for k, column in enumerate(level_columns):
                record[column] = pd.NA if suppressed else int(levels.get(k, 0))
            records.append(record)
    result = pd.DataFrame(records, columns=[*SUMMARY_COLUMNS, *level_columns])
    if len(result):
        result = result.sort_values(
            ["catalog_id", "group", "dimension_id"],
            key=lambda c: c.map(dimension_order) if c.name == "dimension_id" else c.str.lower(),
            kind="stable",
        ).reset_index(drop=True)
    return result.astype(
        {
            "catalog_id": "str",
            "group": "str",
            "dimension_id": "str",
            "dimension": "str",
            "organisations": "int64",
            "suppressed": "bool",
            "q1": "float64",
            "median": "float64",
            "q3": "float64",
            **dict.fromkeys(level_columns, "Int64"),
        }
    )


POSITION_COLUMNS = [
    "catalog_id",
    "dimension_id",
    "dimension",
    "score",
    "organisations",
    "suppressed",
    "q1",
    "median",
    "q3",
    "quartile",
]
"""Columns of :func:`position`."""


def position(frame: pd.DataFrame, org: str, min_group: int = MIN_GROUP) -> pd.DataFrame:
    """Where ``org`` stands among the organisations of ``frame`` (Land export format), per
    catalog of ``org`` and dimension.

    Each organisation counts once per catalog, with its latest Stichtag in ``frame``;
    units and a Land are left out, as in :func:`land_summary`. ``score`` is the own
    score; ``q1``, ``median`` and ``q3`` are the quartiles of all compared organisations
    (``org`` included, interpolated as in :func:`land_summary`) and ``quartile`` (1–4) the
    quarter the own score falls in, counting the organisations below it. With fewer than
    ``min_group`` organisations the position is *suppressed* (quartiles NaN, ``quartile``
    ``<NA>``). Empty if ``org`` is not compared (a unit, or no rows).
    """
    import pandas as pd  # on first use, as in land_summary

    if min_group < 1:
        raise ArgumentError(f"min_group muss mindestens 1 sein, nicht {min_group}")
    rows = compared(frame)
    own = rows[rows["org"] == org]
    records: list[dict[str, object]] = []
    for record in own.to_dict("records"):
        others = rows[
            (rows["catalog_id"] == record["catalog_id"])
            & (rows["dimension_id"] == record["dimension_id"])
        ]
        scores = others["score"].astype("float64")
        score = float(record["score"])
        suppressed = others["org"].nunique() < min_group
        share_below = float((scores < score).mean())
        records.append(
            {
                "catalog_id": record["catalog_id"],
                "dimension_id": record["dimension_id"],
                "dimension": record["dimension"],
                "score": score,
                "organisations": others["org"].nunique(),
                "suppressed": suppressed,
                "q1": float("nan") if suppressed else scores.quantile(0.25),
                "median": float("nan") if suppressed else scores.quantile(0.5),
                "q3": float("nan") if suppressed else scores.quantile(0.75),
                "quartile": pd.NA if suppressed else min(4, int(share_below * 4) + 1),
            }
        )
    result = pd.DataFrame(records, columns=POSITION_COLUMNS)
    return result.astype(
        {
            "catalog_id": "str",
            "dimension_id": "str",
            "dimension": "str",
            "score": "float64",
            "organisations": "int64",
            "suppressed": "bool",
            "q1": "float64",
            "median": "float64",
            "q3": "float64",
            "quartile": "Int64",
        }
    )
