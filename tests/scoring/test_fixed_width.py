"""Columns whose values all have one width of at most 8 bytes are hashed as 64-bit words.

The results and errors equal those of the general path for every width, for values with
multi-byte characters or NUL characters, and for allowed values of other widths.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spatz.scoring import EventsError, score
from spatz.scoring._events import _arrow_codes, _arrow_lookup, _fixed_width_words

from .helpers import M, make_catalog


def arrow(values: list[str], type_: pa.DataType | None = None) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array(values, type=type_ or pa.large_string())])


@pytest.mark.parametrize(
    ("values", "width"),
    [
        (["ab", "cd", "ab"], 2),
        (["09000000", "15088220"], 8),
        (["Ä", "ö"], 2),  # two bytes each in UTF-8
        (["a\0", "a\0"], 2),
        (["abcdefghi"], None),  # wider than a word
        (["a", "bc"], None),  # two widths
        (["", ""], None),
    ],
)
def test_which_columns_are_words(values: list[str], width: int | None) -> None:
    for type_ in (pa.string(), pa.large_string()):
        words = _fixed_width_words(arrow(values, type_))
        assert (None if words is None else words[1]) == width


def test_sliced_and_chunked_arrays() -> None:
    whole = pa.array(["xx", "ab", "cd", "ab", "yyy"])
    chunked = pa.chunked_array([whole.slice(1, 2), whole.slice(3, 1)])
    codes, values = _arrow_codes(chunked)
    assert [values[c] for c in codes] == ["ab", "cd", "ab"]


texts = st.text(alphabet="ab\0Äz", min_size=0, max_size=4)


@given(st.lists(texts, min_size=1, max_size=30))
def test_codes_name_the_values(values: list[str]) -> None:
    codes, distinct = _arrow_codes(arrow(values))
    assert [distinct[c] for c in codes] == values
    assert len(set(distinct)) == len(distinct)


@given(st.lists(texts, min_size=1, max_size=30), st.lists(texts, min_size=1, max_size=6))
def test_lookup_finds_allowed_values_and_the_first_other(
    values: list[str], allowed: list[str]
) -> None:
    allowed = list(dict.fromkeys(allowed))
    codes, row = _arrow_lookup(arrow(values), allowed)
    unknown = [i for i, v in enumerate(values) if v not in allowed]
    if unknown:
        assert row == unknown[0]
    else:
        assert row == -1
        assert [allowed[c] for c in codes] == values


def test_unknown_measure_of_the_same_width_is_named() -> None:
    catalog = make_catalog({"d": [M("aa", 1), M("bbb", 2)]})
    events = pd.DataFrame(
        {
            "org": ["o1", "o2", "o1"],
            "measure_id": ["aa", "aa", "ab"],
            "status": ["completed"] * 3,
            "date": ["2024-01-01"] * 3,
        }
    )
    with pytest.raises(
        EventsError, match="Ereignisse, Zeile 2, Spalte measure_id: unbekannter Wert 'ab'"
    ):
        score(catalog, events, "2024-06-30")
