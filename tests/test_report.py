"""The printable report: complete, escaped, German formats."""

from __future__ import annotations

import pytest

import spatz


def test_report_of_halle(demo_url: str) -> None:
    page = spatz.open(demo_url).report("15002000", "2024-12-31")
    assert page.startswith("<!DOCTYPE html>")
    assert "Digitale Reife – Stadt Halle (Saale)" in page
    assert "Stichtag 31.12.2024" in page
    assert "Was fehlt zur nächsten Stufe?" in page
    levels = spatz.open(demo_url).score("2024-12-31").query("org == '15002000'")
    first = levels.iloc[0]
    assert f"{first['score']:.2f}".replace(".", ",") in page


def test_report_escapes_user_text(sqlite_url: str) -> None:
    from spatz.catalog import default_catalog
    from spatz.db import make_engine, migrate, session_scope
    from spatz.io.reader import read_table_bytes
    from spatz.services.catalogs import store_catalog
    from spatz.services.common import Actor
    from spatz.services.organisations import import_organisations

    migrate(sqlite_url)
    actor = Actor.operator("test")
    with session_scope(make_engine(sqlite_url)) as session:
        store_catalog(session=session, actor=actor, catalog=default_catalog())
        table = read_table_bytes(
            b'org,name,kind\nX,"<script>alert(1)</script> & Co",Stadt\n', "o.csv"
        )
        import_organisations(session=session, actor=actor, table=table)
    page = spatz.open(sqlite_url).report("X", "2024-12-31")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    with pytest.raises(spatz.NotFoundError):
        spatz.open(sqlite_url).report("Y", "2024-12-31")
