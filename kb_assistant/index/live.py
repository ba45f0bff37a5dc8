"""Indexes that follow the live version, for the processes that answer.

`LiveIndexes` looks up the live version at most every `refresh_s` seconds (one indexed
read of the index database) and, when it changed, opens the new version's indexes, warms
them up and swaps them in. Requests in flight finish on the version they started with;
answering never waits for a switch (while one thread opens the new version, the others keep
serving the old one). With no version yet, the indexes are empty.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence

from kb_assistant.domain import Visibility
from kb_assistant.index.versions import IndexVersion, VersionRegistry
from kb_assistant.ports import Hit, IndexRecord, KeywordIndex, Vector, VectorIndex

log = logging.getLogger(__name__)

REFRESH_S = 2.0
Opener = Callable[[IndexVersion], tuple[VectorIndex, KeywordIndex]]


class LiveIndexes:
    """The live version's vector and keyword indexes, followed across switches."""

    def __init__(self, registry: VersionRegistry, opener: Opener, refresh_s: float = REFRESH_S):
        self.registry = registry
        self.opener = opener
        self.refresh_s = refresh_s
        self.version_id: int | None = None
        self._pair: tuple[VectorIndex, KeywordIndex] = (EmptyVectorIndex(), EmptyKeywordIndex())
        self._checked = float("-inf")
        self._opening = threading.Lock()
        self.vectors = LiveVectorIndex(self)
        self.keywords = LiveKeywordIndex(self)
        self.refresh(force=True)

    def current(self) -> tuple[VectorIndex, KeywordIndex]:
        """The indexes to use now (checking for a switch when the last check is old)."""
        if time.monotonic() - self._checked >= self.refresh_s:
            self.refresh()
        return self._pair

    def refresh(self, force: bool = False) -> None:
        """Follow the live pointer; with `force`, wait for a concurrent refresh."""
        if not self._opening.acquire(blocking=force):
            return  # another thread is opening the new version: keep serving this one
        try:
            self._checked = time.monotonic()
            try:
                live_id = self.registry.live_id()
                if live_id is None or live_id == self.version_id:
                    return  # the usual case: one indexed read, nothing to open
                live = self.registry.get(live_id)
            except Exception:  # the database is away for a moment: keep the current version
                log.warning("cannot read the live index version", exc_info=True)
                return
            started = time.monotonic()
            try:
                vectors, keywords = self._open(live)
            except Exception:
                if force:
                    raise  # at start-up: a clear failure beats serving nothing
                log.warning(
                    "cannot open index version %s; still serving the one before",
                    live.name,
                    exc_info=True,
                )
                return
            self._pair, self.version_id = (vectors, keywords), live.id
            opened_ms = (time.monotonic() - started) * 1000
            log.info("now serving index version %s (opened in %.0f ms)", live.name, opened_ms)
        finally:
            self._opening.release()

    def _open(self, live: IndexVersion) -> tuple[VectorIndex, KeywordIndex]:
        vectors, keywords = self.opener(live)
        for visibility in ("public", "internal"):  # open collections and load BM25 now
            vectors.count(visibility)
            keywords.count(visibility)
        return vectors, keywords


class LiveVectorIndex:
    """`VectorIndex` reads and writes on the live version."""

    def __init__(self, live: LiveIndexes) -> None:
        self._live = live

    def _index(self) -> VectorIndex:
        return self._live.current()[0]

    def upsert(
        self, visibility: Visibility, records: Sequence[IndexRecord], embeddings: Vector
    ) -> None:
        self._index().upsert(visibility, records, embeddings)

    def delete(self, visibility: Visibility, ids: Sequence[str]) -> None:
        self._index().delete(visibility, ids)

    def get_embeddings(self, visibility: Visibility, ids: Sequence[str]) -> dict[str, Vector]:
        return self._index().get_embeddings(visibility, ids)

    def ids(self, visibility: Visibility) -> set[str]:
        return self._index().ids(visibility)

    def count(self, visibility: Visibility) -> int:
        return self._index().count(visibility)

    def records(self, visibility: Visibility) -> Iterator[IndexRecord]:
        return self._index().records(visibility)

    def matching(self, visibility: Visibility, metadata: dict[str, str]) -> list[IndexRecord]:
        return self._index().matching(visibility, metadata)

    def query(self, visibility: Visibility, embedding: Vector, k: int) -> list[Hit]:
        return self._index().query(visibility, embedding, k)

    def query_questions(
        self, visibility: Visibility, embedding: Vector, k: int, known: Collection[str] = ()
    ) -> list[Hit]:
        return self._index().query_questions(visibility, embedding, k, known)

    def sync_questions(self, visibility: Visibility) -> int:
        return self._index().sync_questions(visibility)

    def reset(self) -> None:
        self._index().reset()


class LiveKeywordIndex:
    """`KeywordIndex` on the live version."""

    def __init__(self, live: LiveIndexes) -> None:
        self._live = live

    def _index(self) -> KeywordIndex:
        return self._live.current()[1]

    def rebuild(self, visibility: Visibility, records: Iterable[IndexRecord]) -> int:
        return self._index().rebuild(visibility, records)

    def update(
        self, visibility: Visibility, upserts: Sequence[IndexRecord], deletes: Collection[str]
    ) -> int:
        return self._index().update(visibility, upserts, deletes)

    def query(self, visibility: Visibility, text: str, k: int) -> list[Hit]:
        return self._index().query(visibility, text, k)

    def unknown_terms(self, visibility: Visibility, text: str) -> set[str]:
        return self._index().unknown_terms(visibility, text)

    def weighted_coverage(self, visibility: Visibility, question: str, text: str) -> float:
        return self._index().weighted_coverage(visibility, question, text)

    def missing_terms(self, visibility: Visibility, question: str, text: str) -> dict[str, float]:
        return self._index().missing_terms(visibility, question, text)

    def count(self, visibility: Visibility) -> int:
        return self._index().count(visibility)

    def reset(self) -> None:
        self._index().reset()


class EmptyVectorIndex:
    """No version yet: nothing to find. Writing needs a version (see the composition root)."""

    def upsert(
        self, visibility: Visibility, records: Sequence[IndexRecord], embeddings: Vector
    ) -> None:
        raise RuntimeError("there is no index version to write to yet")

    def delete(self, visibility: Visibility, ids: Sequence[str]) -> None:
        return None

    def get_embeddings(self, visibility: Visibility, ids: Sequence[str]) -> dict[str, Vector]:
        return {}

    def ids(self, visibility: Visibility) -> set[str]:
        return set()

    def count(self, visibility: Visibility) -> int:
        return 0

    def records(self, visibility: Visibility) -> Iterator[IndexRecord]:
        return iter(())

    def matching(self, visibility: Visibility, metadata: dict[str, str]) -> list[IndexRecord]:
        return []

    def query(self, visibility: Visibility, embedding: Vector, k: int) -> list[Hit]:
        return []

    def query_questions(
        self, visibility: Visibility, embedding: Vector, k: int, known: Collection[str] = ()
    ) -> list[Hit]:
        return []

    def sync_questions(self, visibility: Visibility) -> int:
        return 0

    def reset(self) -> None:
        return None


class EmptyKeywordIndex:
    """No version yet: no keywords."""

    def rebuild(self, visibility: Visibility, records: Iterable[IndexRecord]) -> int:
        raise RuntimeError("there is no index version to write to yet")

    def update(
        self, visibility: Visibility, upserts: Sequence[IndexRecord], deletes: Collection[str]
    ) -> int:
        raise RuntimeError("there is no index version to write to yet")

    def query(self, visibility: Visibility, text: str, k: int) -> list[Hit]:
        return []

    def unknown_terms(self, visibility: Visibility, text: str) -> set[str]:
        return {word.lower() for word in text.split() if word.strip()}

    def weighted_coverage(self, visibility: Visibility, question: str, text: str) -> float:
        return 0.0

    def missing_terms(self, visibility: Visibility, question: str, text: str) -> dict[str, float]:
        return {}

    def count(self, visibility: Visibility) -> int:
        return 0

    def reset(self) -> None:
        return None
