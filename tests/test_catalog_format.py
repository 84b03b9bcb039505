"""Loading catalogs: every rule of the file format, each with its message."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import spatz
from spatz.catalog import parse_catalog

DATA = Path(__file__).parent / "data"


def _mini() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA / "mini.yaml").read_text(encoding="utf-8"))
    return data


def _with(change: str) -> dict[str, Any]:
    data = copy.deepcopy(_mini())
    dims = data["dimensions"]
    match change:
        case "duplicate measure id":
            dims[1]["measures"][0]["id"] = "STR-1-01"
        case "duplicate dimension id":
            dims[1]["id"] = "strategie"
        case "reserved id":
            dims[0]["id"] = "overall"
        case "level without measure":
            dims[1]["measures"] = [m for m in dims[1]["measures"] if m["level"] != 2]
        case "levels with gap":
            data["levels"][1]["level"] = 4
        case "single level":
            data["levels"] = data["levels"][:1]
        case "measure weight zero":
            dims[0]["measures"][1]["weight"] = 0
        case "dimension weight negative":
            dims[0]["weight"] = -1
        case "threshold zero":
            data["threshold"] = 0
        case "threshold above one":
            data["threshold"] = 1.5
        case "unknown key":
            dims[0]["measures"][0]["owner"] = "FB 11"
        case "unknown top-level key":
            data["author"] = "x"
        case "measure level beyond catalog":
            dims[0]["measures"][0]["level"] = 7
    return data


INVALID = [
    ("duplicate measure id", "duplicate measure id 'STR-1-01'"),
    ("duplicate dimension id", "duplicate dimension id 'strategie'"),
    ("reserved id", "dimension id 'overall' is reserved"),
    ("level without measure", "dimension 'sicherheit' has no measure on level(s) 2"),
    ("levels with gap", "levels must be numbered 1..3"),
    ("single level", "levels: Tuple should have at least 2 items"),
    ("measure weight zero", "dimensions['strategie'].measures['STR-1-02'].weight"),
    ("dimension weight negative", "dimensions['strategie'].weight"),
    ("threshold zero", "threshold: Input should be greater than 0"),
    ("threshold above one", "threshold: Input should be less than or equal to 1"),
    ("unknown key", "dimensions['strategie'].measures['STR-1-01'].owner: unknown key"),
    ("unknown top-level key", "author: unknown key"),
    ("measure level beyond catalog", "measure 'STR-1-01' has level 7"),
]


@pytest.mark.parametrize(("change", "message"), INVALID, ids=[c for c, _ in INVALID])
def test_invalid_catalog_is_rejected_naming_the_item(change: str, message: str) -> None:
    with pytest.raises(spatz.CatalogError) as info:
        parse_catalog(yaml.safe_dump(_with(change)), source="katalog.yaml")
    assert str(info.value).startswith("katalog.yaml: ")
    assert message in str(info.value)


def test_catalog_error_is_a_value_error() -> None:
    assert issubclass(spatz.CatalogError, ValueError)


def test_yaml_and_json_give_the_same_catalog(tmp_path: Path) -> None:
    as_json = tmp_path / "mini.json"
    as_json.write_text(json.dumps(_mini()), encoding="utf-8")
    from_yaml = spatz.load_catalog(DATA / "mini.yaml")
    assert spatz.load_catalog(as_json) == from_yaml
    assert from_yaml.n_levels == 3
    assert [d.id for d in from_yaml.dimensions] == ["strategie", "sicherheit"]


def test_defaults_are_applied() -> None:
    catalog = spatz.load_catalog(DATA / "mini.yaml")
    measure = catalog.measure("STR-1-02")
    assert (measure.weight, measure.mandatory, measure.valid_for_months) == (1.0, False, None)
    assert catalog.dimension("strategie").weight == 1.0


def test_export_parses_back_to_the_same_catalog() -> None:
    catalog = spatz.load_catalog(DATA / "mini.yaml")
    again = parse_catalog(catalog.to_yaml())
    assert again == catalog
    assert again.content_hash() == catalog.content_hash()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: [unclosed", "not valid YAML/JSON"),
        ("- a list", "a catalog must be a mapping"),
        ("", "a catalog must be a mapping"),
    ],
)
def test_unreadable_text_is_a_catalog_error(text: str, message: str) -> None:
    with pytest.raises(spatz.CatalogError, match=message):
        parse_catalog(text, source="x.yaml")


def test_missing_file_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(spatz.CatalogError, match="cannot read catalog"):
        spatz.load_catalog(tmp_path / "fehlt.yaml")
