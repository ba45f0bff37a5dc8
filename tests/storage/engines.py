"""Engines the way the product opens them: through `Databases`, upgraded to the newest schema.

Each call makes a new owner, so each engine is separate (as in another process)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from kb_assistant.storage.databases import Databases
from kb_assistant.storage.db import make_engine
from kb_assistant.storage.migrate import SCHEMA_TABLES, VERSION_TABLE, Schema


def upgraded_engine(url: str, *schemas: Schema) -> Engine:
    """A new engine on `url` with `schemas` (default: the main database's) at head."""
    return Databases(url, url, Path.cwd()).engine(url, *(schemas or ("main",)))


def sqlite_url(folder: Path, name: str = "kb.sqlite3") -> str:
    return f"sqlite:///{folder / name}"


def drop_product_tables(url: str) -> None:
    """Drop every table the product's migrations make, and their revisions, from a shared
    test database (PostgreSQL), so that the next test starts from nothing."""
    engine = make_engine(url)
    names = [*(t for tables in SCHEMA_TABLES.values() for t in tables), VERSION_TABLE]
    with engine.begin() as connection:
        for name in names:
            connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    engine.dispose()
