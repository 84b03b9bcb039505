"""Settings of a database as a whole: one value per name.

``default_catalog`` names the catalog (its id) that every read and import without a
catalog uses (:func:`spatz.services.catalogs.set_default_catalog`).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

DEFAULT_CATALOG = "default_catalog"
"""The setting that names the default catalog (a catalog id)."""


class Setting(SQLModel, table=True):
    __tablename__ = "setting"

    name: str = Field(max_length=100, primary_key=True)
    value: str = Field(sa_type=sa.Text)
