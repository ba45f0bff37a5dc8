"""The process's databases: one engine per URL, each at the newest schema from the first
time it is opened.

`Databases` owns the engines of the main database (`KB_DATABASE_URL`: cases,
conversations, the policy audit, Slack, FAQ drafts), the index registry
(`KB_INDEX_DATABASE_URL`: versions, the live pointer, the writer lease) and the manifest
of each index version. Stores receive their engine from it and never create tables: the
schema belongs to the migrations (`kb_assistant.storage.migrate`), applied here the first
time a database is opened in the process, with one log line per change.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from kb_assistant.settings import Settings
from kb_assistant.storage import migrate
from kb_assistant.storage.db import make_engine
from kb_assistant.storage.migrate import SCHEMAS, Applied, Schema, SchemaState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Place:
    """One database: what it serves as ("main database", "manifest of v3") and its URL,
    with any password hidden."""

    name: str
    url: str


class Databases:
    """One engine per database URL, upgraded to head the first time it is opened."""

    def __init__(self, main_url: str, index_url: str, data_dir: Path) -> None:
        self.main_url = main_url
        self.index_url = index_url
        self.data_dir = data_dir
        self._engines: dict[str, Engine] = {}
        self._ready: dict[str, set[Schema]] = {}
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Databases:
        return cls(
            settings.resolved_database_url, settings.resolved_index_database_url, settings.data_dir
        )

    def main(self) -> Engine:
        """Cases, conversations, the policy audit, Slack, FAQ drafts, pending turns."""
        return self.engine(self.main_url, "main")

    def index_registry(self) -> Engine:
        """Index versions, the live pointer and the writer lease."""
        return self.engine(self.index_url, "registry")

    def manifest(self, url: str) -> Engine:
        """An index version's manifest (the main database for the index adopted from before
        versions existed)."""
        return self.engine(url, "manifest")

    def engine(self, url: str, *schemas: Schema) -> Engine:
        """The engine of `url`, with `schemas` and every other schema it holds at head."""
        with self._lock:
            self._ensure(url, schemas)
            return self._engines[url]

    def upgrade_all(self) -> list[tuple[Place, list[Applied]]]:
        """Bring every database to head: the main one, the index registry, then the manifest
        of every index version; what each step did."""
        steps: dict[str, dict[Schema, Applied]] = {}

        def run(url: str, schemas: list[Schema]) -> None:
            for step in self._ensure(url, schemas):  # the first report of a schema says most
                steps.setdefault(url, {}).setdefault(step.schema, step)

        with self._lock:
            run(self.main_url, ["main"])
            run(self.index_url, ["registry"])
            plan = self._plan()
            for url, (_names, schemas) in plan.items():
                run(url, schemas)
        return [
            (
                Place(_joined(names), redacted(url)),
                [steps[url][s] for s in _ordered(set(steps[url]))],
            )
            for url, (names, _schemas) in plan.items()
        ]

    def states(self) -> list[tuple[Place, list[SchemaState]]]:
        """Where every database stands, changing nothing (a missing SQLite file is not made)."""
        found: list[tuple[Place, list[SchemaState]]] = []
        with self._lock:
            for url, (names, schemas) in self._plan().items():
                if database_exists(url):
                    engine = self._open(url)
                    wanted = sorted(set(schemas) | migrate.held(engine), key=SCHEMAS.index)
                    states = migrate.states(engine, wanted)
                else:
                    states = [SchemaState(schema, None, migrate.head(schema)) for schema in schemas]
                found.append((Place(_joined(names), redacted(url)), states))
        return found

    def dispose(self) -> None:
        """Close every engine's connections (the engines stay usable)."""
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()

    def _open(self, url: str) -> Engine:
        engine = self._engines.get(url)
        if engine is None:
            engine = self._engines[url] = make_engine(url)
        return engine

    def _ensure(self, url: str, schemas: tuple[Schema, ...] | list[Schema]) -> list[Applied]:
        engine = self._open(url)
        ready = self._ready.setdefault(url, set())
        wanted = set(schemas)
        if not ready:
            wanted |= migrate.held(engine)
        if wanted <= ready:
            return [Applied(s, migrate.head(s), migrate.head(s)) for s in _ordered(wanted)]
        applied = migrate.upgrade(engine, _ordered(wanted))
        for step in applied:
            if step.changed:
                log.info("database %s: %s", redacted(url), step.describe())
        ready.update(wanted)
        return applied

    def _plan(self) -> dict[str, tuple[list[str], list[Schema]]]:
        """URL → (what it serves as, its schemas): main, index registry, then manifests."""
        plan: dict[str, tuple[list[str], list[Schema]]] = {}

        def add(url: str, name: str, schema: Schema) -> None:
            names, schemas = plan.setdefault(url, ([], []))
            names.append(name)
            if schema not in schemas:
                schemas.append(schema)

        add(self.main_url, "main database", "main")
        add(self.index_url, "index database", "registry")
        for version, url in self._manifest_urls():
            if url in plan or database_exists(url):
                add(url, f"manifest of v{version}", "manifest")
        return plan

    def _manifest_urls(self) -> list[tuple[int, str]]:
        """(version, manifest URL) of every index version the registry lists."""
        from kb_assistant.index.versions import manifest_url

        if not database_exists(self.index_url):
            return []
        engine = self._open(self.index_url)
        with engine.connect() as connection:
            if not inspect(connection).has_table("index_versions"):
                return []
            rows = connection.execute(text("SELECT id, manifest_url FROM index_versions"))
            stored = sorted((int(version), str(url)) for version, url in rows)
        return [
            (version, manifest_url(url, self.data_dir, self.main_url)) for version, url in stored
        ]


_OWNERS: dict[int, Databases] = {}
_OWNERS_LOCK = threading.Lock()


def databases_for(settings: Settings) -> Databases:
    """The owner of the databases `settings` names, made on first use and shared by every
    builder given the same `Settings` object (the composition root makes one per process),
    so that each database has one engine and is upgraded once."""
    with _OWNERS_LOCK:
        owner = _OWNERS.get(id(settings))
        if owner is None or (owner.main_url, owner.index_url, owner.data_dir) != (
            settings.resolved_database_url,
            settings.resolved_index_database_url,
            settings.data_dir,
        ):
            if owner is None:
                weakref.finalize(settings, _OWNERS.pop, id(settings), None)
            owner = _OWNERS[id(settings)] = Databases.from_settings(settings)
        return owner


def redacted(url: str) -> str:
    """`url` with any password hidden, for logs and reports."""
    return make_url(url).render_as_string(hide_password=True)


def database_exists(url: str) -> bool:
    """False only for a SQLite file that is not there yet (opening it would create it)."""
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
    return not path or Path(path).exists()


def _ordered(schemas: set[Schema] | list[Schema]) -> list[Schema]:
    return sorted(set(schemas), key=SCHEMAS.index)


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
