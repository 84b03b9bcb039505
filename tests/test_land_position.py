"""The own position in the Landesvergleich (``spatz.land.position``) and the one vocabulary
of statuses."""

from __future__ import annotations

import pandas as pd
import pytest

import spatz
import spatz.store
from spatz.catalog import OVERALL
from spatz.errors import ArgumentError
from spatz.io.land import LAND_COLUMNS
from spatz.land import POSITION_COLUMNS, position
from spatz.model import Role
from spatz.model.common import MEASURE_STATUS_LABELS, TARGET_STATUS_LABELS, Status, TargetStatus
from spatz.services.common import Actor


def _rows(specs: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """(org, kind, as_of, score) -> Land export rows of ``strategie`` and ``overall``."""
    return pd.DataFrame(
        [
            {
                "org": org,
                "ags": None,
                "organisation": f"Org {org}",
                "kind": kind,
                "land": "Sachsen-Anhalt",
                "catalog_id": "spatz-kommunal",
                "catalog_version": "1.0",
                "dimension_id": dim,
                "dimension": dim.title(),
                "as_of": pd.Timestamp(as_of),
                "level": int(score),
                "score": score,
                "target_level": pd.NA,
                "target_date": pd.NaT,
                "measures_completed": 0,
                "measures_total": 10,
            }
            for org, kind, as_of, score in specs
            for dim in ("strategie", OVERALL)
        ],
        columns=LAND_COLUMNS,
    )


ROWS = _rows(
    [
        ("a", "Stadt", "2024-12-31", 1.0),
        ("b", "Stadt", "2024-12-31", 2.0),
        ("c", "Stadt", "2024-12-31", 3.0),
        ("d", "Landkreis", "2024-12-31", 4.0),
        ("e", "Stadt", "2023-12-31", 0.5),  # superseded by e's 2024 rows
        ("e", "Stadt", "2024-12-31", 5.0),
        ("u", "Organisationseinheit", "2024-12-31", 4.5),  # never compared
        ("l", "Land", "2024-12-31", 0.0),  # compares, is not compared
    ]
)


@pytest.mark.parametrize(
    ("org", "median", "quartile"),
    [
        ("a", 3.0, 1),  # nobody below
        ("b", 3.0, 1),  # 1 of 5 below: 20 %
        ("c", 3.0, 2),  # 2 of 5 below: 40 %
        ("d", 3.0, 3),  # 3 of 5 below: 60 %
        ("e", 3.0, 4),  # 4 of 5 below: 80 %
    ],
)
def test_position_is_the_quarter_below_the_own_score(
    org: str, median: float, quartile: int
) -> None:
    result = position(ROWS, org, min_group=5)
    assert list(result.columns) == POSITION_COLUMNS
    assert result["dimension_id"].tolist() == ["strategie", OVERALL]
    row = result.iloc[0]
    assert row["organisations"] == 5
    assert not row["suppressed"]
    assert (row["median"], row["quartile"]) == (median, quartile)
    # Scores 1, 2, 3, 4, 5: linear quartiles, as land_summary computes them.
    assert (row["q1"], row["q3"]) == (2.0, 4.0)


def test_position_of_a_unit_a_land_or_an_unknown_organisation_is_empty() -> None:
    assert position(ROWS, "u").empty
    assert position(ROWS, "l").empty
    assert position(ROWS, "zz").empty


def test_position_in_a_small_group_is_suppressed() -> None:
    result = position(ROWS, "a", min_group=6)
    assert result["suppressed"].all()
    assert result["median"].isna().all()
    assert result["quartile"].isna().all()
    assert result["score"].tolist() == [1.0, 1.0]
    with pytest.raises(ArgumentError, match="min_group muss mindestens 1 sein, nicht 0"):
        position(ROWS, "a", min_group=0)


def test_store_position_matches_the_pure_function(demo_url: str) -> None:
    store = spatz.open(demo_url)
    rows = store.land_comparison("2024-12-31")
    halle = "15002000"
    pd.testing.assert_frame_equal(
        store.position(halle, "2024-12-31"), position(rows[rows["as_of"] <= "2024-12-31"], halle)
    )
    assert len(store.position(halle, "2024-12-31")) > 0


def test_a_kommune_sees_its_position_among_all(demo_url: str) -> None:
    # Its account sees only its own organisations; the others count, anonymously.
    leitung = spatz.store.login(demo_url, "leitung.halle", "spatz-leitung-demo").actor
    assert leitung is not None and leitung.scope is not None
    own = spatz.open(demo_url, actor=leitung).position("15002000", "2024-12-31")
    everyone = spatz.open(demo_url).position("15002000", "2024-12-31")
    pd.testing.assert_frame_equal(own, everyone)
    assert (own["organisations"] > len(leitung.scope)).all()


def test_the_vocabulary_labels_every_status(demo_url: str) -> None:
    store = spatz.open(demo_url)
    statuses = set(store.target_status("2024-12-31")["status"])
    assert statuses and statuses <= set(TargetStatus)
    assert set(TARGET_STATUS_LABELS) == set(TargetStatus)
    states = set(store.explain("2024-12-31")["status"])
    assert states <= set(MEASURE_STATUS_LABELS)
    assert set(MEASURE_STATUS_LABELS) == {"open", *Status}
    assert MEASURE_STATUS_LABELS["open"] == "offen"


@pytest.mark.parametrize("scope", [None, frozenset({"15002000", "15003000"})])
def test_the_land_view_is_the_comparison_the_summary_and_the_position_of_one_scoring(
    demo_url: str, scope: frozenset[str] | None
) -> None:
    actor = Actor(name="land", role=Role.land, scope=scope)
    store = spatz.open(demo_url, actor=actor)
    halle, day = "15002000", "2024-12-31"
    view = store.land_view(halle, day, by="kind")
    pd.testing.assert_frame_equal(view.rows, store.land_comparison(day))
    pd.testing.assert_frame_equal(view.summary, store.land_summary(day, by="kind"))
    pd.testing.assert_frame_equal(view.position, store.position(halle, day))
    assert view.summary.attrs == store.land_summary(day, by="kind").attrs
    organisations = view.rows["org"].nunique()
    assert organisations == 2 if scope else organisations > 2
