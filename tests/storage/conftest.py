"""Database URLs for the storage tests: SQLite files in the test's folder, and the PostgreSQL
database of `KB_TEST_POSTGRES_URL` when one is configured (its product tables dropped before
and after each test; every kind of database then shares it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.storage.engines import drop_product_tables

POSTGRES_URL = os.environ.get("KB_TEST_POSTGRES_URL", "")

UrlFor = Callable[[str], str]


@pytest.fixture(params=["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"])
def url_for(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UrlFor]:
    """name → the URL of a fresh database for it."""
    if request.param == "sqlite":
        yield lambda name: f"sqlite:///{tmp_path / name}.sqlite3"
        return
    drop_product_tables(POSTGRES_URL)
    yield lambda _name: POSTGRES_URL
    drop_product_tables(POSTGRES_URL)
