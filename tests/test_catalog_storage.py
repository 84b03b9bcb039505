"""A stored catalog version reads back as it was loaded, with every element of the format."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel
from typer.testing import CliRunner

import spatz
from spatz.catalog import DEFAULT_CATALOG_PATH, parse_catalog
from spatz.cli import app
from spatz.db import make_engine, migrate, session_scope
from spatz.errors import CatalogError
from spatz.services.catalogs import get_catalog, store_catalog
from spatz.services.common import Actor

DATA = Path(__file__).parent / "data"
MODEL2 = DATA / "model2.yaml"
CATALOGS = SQLModel.metadata.tables["catalog"]
LEVELS = SQLModel.metadata.tables["catalog_level"]
MEASURES = SQLModel.metadata.tables["catalog_measure"]
runner = CliRunner()


def _load(url: str, path: Path) -> str:
    result = runner.invoke(
        app, ["--db", url, "catalog", "load", str(path)], env={"SPATZ_USER": "tester"}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def _read(url: str) -> spatz.Catalog:
    with session_scope(make_engine(url)) as session:
        return get_catalog(session=session)


def _forget_documents(url: str) -> None:
    """As a version stored before catalogs kept their document (migration 0006)."""
    with make_engine(url).begin() as conn:
        conn.execute(CATALOGS.update().values(document=None))


def test_a_loaded_catalog_reads_back_with_every_element(database_url: str) -> None:
    migrate(database_url)
    _load(database_url, MODEL2)
    loaded = spatz.load_catalog(MODEL2)
    stored = _read(database_url)
    assert stored == loaded
    assert stored.content_hash() == loaded.content_hash()
    assert [g.id for g in stored.groups] == ["org", "technik", "netz"]
    assert stored.measure("ISMS.1.A2").depends_on == ("ISMS.1.A1",)
    assert stored.answer_scale(stored.measure("ISMS.1.A9"))[0].key == "einige"
    assert spatz.open(database_url).catalog() == loaded
    with make_engine(database_url).connect() as conn:
        levels = conn.execute(sa.select(LEVELS.c.level).order_by(LEVELS.c.level)).scalars()
        assert list(levels) == [0, 1, 2, 3]
        assert conn.execute(sa.select(sa.func.count()).select_from(MEASURES)).scalar_one() == 9


def test_catalog_export_writes_the_stored_document(sqlite_url: str) -> None:
    migrate(sqlite_url)
    _load(sqlite_url, MODEL2)
    result = runner.invoke(app, ["--db", sqlite_url, "catalog", "export"])
    assert result.exit_code == 0, result.output
    assert result.stdout == spatz.load_catalog(MODEL2).to_yaml()


def test_a_version_stored_without_its_document_reads_back_from_its_rows(
    sqlite_url: str,
) -> None:
    migrate(sqlite_url)
    _load(sqlite_url, DATA / "mini.yaml")
    _forget_documents(sqlite_url)
    assert _read(sqlite_url) == spatz.load_catalog(DATA / "mini.yaml")


def test_loading_the_same_file_again_keeps_the_missing_document(sqlite_url: str) -> None:
    migrate(sqlite_url)
    _load(sqlite_url, MODEL2)
    _forget_documents(sqlite_url)
    from_rows = _read(sqlite_url)
    assert from_rows.groups == ()
    assert from_rows.measure("ISMS.1.A1").level == 1
    assert from_rows.levels[0].name == "Ausgangslage"
    assert "unverändert" in _load(sqlite_url, MODEL2)
    assert _read(sqlite_url) == spatz.load_catalog(MODEL2)


def test_a_damaged_document_is_a_german_error(sqlite_url: str) -> None:
    migrate(sqlite_url)
    _load(sqlite_url, MODEL2)
    with make_engine(sqlite_url).begin() as conn:
        conn.execute(CATALOGS.update().values(document='{"id": "model2"}'))
    with pytest.raises(CatalogError, match=r"^Katalog model2@1: ungültiger Katalog: version: "):
        _read(sqlite_url)


def test_the_store_lists_each_loaded_catalog_once_with_its_newest_version(
    sqlite_url: str,
) -> None:
    migrate(sqlite_url)
    _load(sqlite_url, MODEL2)
    _load(sqlite_url, DEFAULT_CATALOG_PATH)
    newer = MODEL2.read_text(encoding="utf-8").replace('version: "1"', 'version: "2"')
    with session_scope(make_engine(sqlite_url)) as session:
        store_catalog(session=session, actor=Actor.operator("tester"), catalog=parse_catalog(newer))
    listed = spatz.open(sqlite_url).catalogs()
    assert [(c.id, c.version) for c in listed] == [("model2", "2"), ("spatz-kommunal", "1.0")]
    assert [c.name for c in listed] == ["Sicherheitskatalog (Test)", "SPATZ Kommunal"]
