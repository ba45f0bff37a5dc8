"""Schema migrations (Alembic): which revision a database is at, and bringing it to head.

One Alembic environment (`migrations/`) holds one independent branch per kind of database:
`main` (cases, conversations, the policy audit, Slack, FAQ drafts), `registry` (index
versions, the live pointer, the writer lease) and `manifest` (one per index version). A
database keeps one row per branch it holds in `alembic_version`, so one database can play
several parts: the main database also holds the manifest of an index adopted from before
versions existed, and one URL may serve as both main and index database.

A database made by a release before migrations has the tables but no `alembic_version`: the
first revision of each branch creates only the tables that are missing, so such a database
is recorded at r1 as it is, then upgraded like any other.

Upgrades are serialised between processes: on SQLite inside one `BEGIN EXCLUSIVE`
transaction, on PostgreSQL under a transaction-scoped advisory lock (both databases roll
the DDL back on failure). Whoever comes second finds the work done. Elsewhere a failed
attempt is retried after reading the revision again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from kb_assistant.storage.migrations.versions import main_r1, manifest_r1, registry_r1

log = logging.getLogger(__name__)

Schema = Literal["main", "registry", "manifest"]
SCHEMAS: tuple[Schema, ...] = ("main", "registry", "manifest")
RELEASE_TABLES: dict[Schema, tuple[str, ...]] = {
    "main": tuple(name for name, _make in main_r1.TABLES),
    "registry": tuple(name for name, _make in registry_r1.TABLES),
    "manifest": tuple(name for name, _make in manifest_r1.TABLES),
}
# The tables each schema holds at its newest revision: those of the release, and those the
# later revisions added.
SCHEMA_TABLES: dict[Schema, tuple[str, ...]] = {
    **RELEASE_TABLES,
    "main": (
        *RELEASE_TABLES["main"],
        "conversation_traces",
        "console_operators",
        "console_sessions",
    ),
}
MIGRATIONS = Path(__file__).with_name("migrations")
PG_LOCK_KEY = 0x6B62_6D69_6772  # "kbmigr": one advisory lock for every upgrade
ATTEMPTS = 3
VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class SchemaState:
    """Where one schema of one database stands: `current` is None when not recorded."""

    schema: Schema
    current: str | None
    head: str
    earlier_release: bool = False  # its tables exist, from a release before migrations

    @property
    def pending(self) -> bool:
        return self.current != self.head

    def describe(self) -> str:
        if self.current is None:
            found = "tables of an earlier release" if self.earlier_release else "none"
            return f"{self.schema} schema: {found}, upgrade to {self.head} pending"
        if self.pending:
            return f"{self.schema} schema: {self.current}, upgrade to {self.head} pending"
        return f"{self.schema} schema: {self.current} (newest)"


@dataclass(frozen=True)
class Applied:
    """What an upgrade did to one schema: from `before` (None: not recorded) to `after`."""

    schema: Schema
    before: str | None
    after: str
    earlier_release: bool = False

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def describe(self) -> str:
        if self.earlier_release:
            then = "" if self.after == "r1" else f", upgraded from r1 to {self.after}"
            return f"{self.schema} schema of an earlier release recorded as r1{then}"
        if self.before is None:
            return f"{self.schema} schema created at {self.after}"
        if not self.changed:
            return f"{self.schema} schema already at {self.after}"
        return f"{self.schema} schema upgraded from {self.before} to {self.after}"


def states(engine: Engine, schemas: Iterable[Schema]) -> list[SchemaState]:
    """The revision of each of `schemas` in the database, and its head; changes nothing."""
    with engine.connect() as connection:
        return [_state(connection, schema) for schema in schemas]


def held(engine: Engine) -> set[Schema]:
    """The schemas the database holds: recorded in `alembic_version`, or (from a release
    before migrations) with every one of their tables present."""
    with engine.connect() as connection:
        heads = _heads(connection)
        present = set(inspect(connection).get_table_names())
    return {
        schema
        for schema in SCHEMAS
        if _current(heads, schema) is not None or set(RELEASE_TABLES[schema]) <= present
    }


def upgrade(engine: Engine, schemas: Sequence[Schema]) -> list[Applied]:
    """Bring each of `schemas` to its head; safe with several processes doing it at once."""
    with engine.connect() as connection:
        current = [_state(connection, schema) for schema in schemas]
    if not any(state.pending for state in current):
        return [Applied(s.schema, s.current, s.head) for s in current]
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _upgrade_exclusively(engine, schemas)
        except DBAPIError:
            if attempt == ATTEMPTS:
                raise
            log.info("upgrade of %s interrupted, trying again", _safe_url(engine))
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def upgrade_to(engine: Engine, schema: Schema, label: str) -> None:
    """Bring `schema` to the revision `label` (`r1`, `r2`…) and no further, exclusively."""
    with _exclusive(engine) as connection:
        command.upgrade(_config(connection), f"{schema}_{label}")


def head(schema: Schema) -> str:
    """The newest revision of `schema`, as `rN`."""
    return _label(_head_id(schema))


def _upgrade_exclusively(engine: Engine, schemas: Sequence[Schema]) -> list[Applied]:
    applied: list[Applied] = []
    with _exclusive(engine) as connection:
        for schema in schemas:
            state = _state(connection, schema)
            if state.pending:
                command.upgrade(_config(connection), f"{schema}@head")
            applied.append(Applied(schema, state.current, state.head, state.earlier_release))
    return applied


@contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other upgrade of this database can run beside."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN EXCLUSIVE")
        elif engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        yield connection
        connection.commit()


def _state(connection: Connection, schema: Schema) -> SchemaState:
    current = _current(_heads(connection), schema)
    earlier = False
    if current is None:
        present = set(inspect(connection).get_table_names())
        earlier = any(table in present for table in RELEASE_TABLES[schema])
    return SchemaState(schema, current, head(schema), earlier)


def _heads(connection: Connection) -> tuple[str, ...]:
    """The revisions recorded in `alembic_version` (one per branch the database holds)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return ()
    return tuple(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def _current(heads: Iterable[str], schema: Schema) -> str | None:
    ours = _revisions(schema)
    return next((_label(revision) for revision in heads if revision in ours), None)


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config(None))


@cache
def _revisions(schema: Schema) -> frozenset[str]:
    return frozenset(r.revision for r in _script().iterate_revisions(f"{schema}@head", "base"))


@cache
def _head_id(schema: Schema) -> str:
    revision = _script().get_revision(f"{schema}@head")
    assert revision is not None, f"no revisions for {schema}"
    return revision.revision


def _label(revision: str) -> str:
    """`main_r3` → `r3`."""
    return revision.rpartition("_")[2]


def _config(connection: Connection | None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def _safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
