"""Ports: the small interfaces behind which every side effect sits.

Adapters live in `kb_assistant.embedding`, `kb_assistant.index` and `kb_assistant.storage`;
they are built in one place (`kb_assistant.composition`) from one `Settings` object.
Ingestion and retrieval depend on these protocols only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from kb_assistant.domain import Kind, Visibility

Vector = npt.NDArray[np.float32]
Metadata = Mapping[str, str | int | float | bool]


class Embedder(Protocol):
    """Turns text into unit-length vectors, and counts tokens the way the model does."""

    @property
    def model_id(self) -> str:
        """Identifies the model, so an index built with another model is detected."""
        ...

    @property
    def max_tokens(self) -> int:
        """Longest input (in the model's tokens, special tokens included) the model reads."""
        ...

    def tokenize(self, text: str) -> list[int]:
        """Token ids without special tokens, padding or truncation."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Vector:
        """One normalised row per text, in order."""
        ...

    def embed_query(self, text: str) -> Vector:
        """A normalised vector for a search query."""
        ...


@dataclass(frozen=True)
class IndexRecord:
    """A chunk as stored in an index: id, the text that was embedded, and its metadata."""

    id: str
    text: str
    metadata: Metadata


@dataclass(frozen=True)
class Hit:
    """A search result; `score` is higher-is-better (cosine similarity or BM25)."""

    id: str
    score: float
    text: str
    metadata: Metadata


class VectorIndex(Protocol):
    """Dense vectors, one collection per visibility (customers never reach `internal`)."""

    def upsert(
        self, visibility: Visibility, records: Sequence[IndexRecord], embeddings: Vector
    ) -> None: ...

    def delete(self, visibility: Visibility, ids: Sequence[str]) -> None: ...

    def get_embeddings(self, visibility: Visibility, ids: Sequence[str]) -> dict[str, Vector]: ...

    def ids(self, visibility: Visibility) -> set[str]: ...

    def count(self, visibility: Visibility) -> int: ...

    def records(self, visibility: Visibility) -> Iterator[IndexRecord]: ...

    def matching(self, visibility: Visibility, metadata: dict[str, str]) -> list[IndexRecord]:
        """Records whose metadata has all these key/value pairs (a rare, small lookup)."""
        ...

    def query(self, visibility: Visibility, embedding: Vector, k: int) -> list[Hit]: ...

    def query_questions(
        self, visibility: Visibility, embedding: Vector, k: int, known: Collection[str] = ()
    ) -> list[Hit]:
        """Chunks whose questions (FAQ question, section headings) are nearest, best first;
        chunks in `known` may come without their text and metadata (the caller has them)."""
        ...

    def sync_questions(self, visibility: Visibility) -> int:
        """Write the chunks' questions where an index holds none yet; the count written."""
        ...

    def reset(self) -> None: ...


class KeywordIndex(Protocol):
    """A lexical (BM25) index per visibility, kept in step with the vector index."""

    def rebuild(self, visibility: Visibility, records: Iterable[IndexRecord]) -> int:
        """Replace the visibility's index with exactly `records`; returns the count."""
        ...

    def update(
        self, visibility: Visibility, upserts: Sequence[IndexRecord], deletes: Collection[str]
    ) -> int:
        """Remove the chunks `deletes` names, then add `upserts` (replacing any chunk with the
        same id); returns the count."""
        ...

    def query(self, visibility: Visibility, text: str, k: int) -> list[Hit]: ...

    def unknown_terms(self, visibility: Visibility, text: str) -> set[str]:
        """The (normalised) words of `text` that no indexed chunk contains (all of them
        when nothing is indexed); stop words are not counted."""
        ...

    def weighted_coverage(self, visibility: Visibility, question: str, text: str) -> float:
        """The share (0–1) of the question's words, weighted by their rarity in the index,
        that `text` contains."""
        ...

    def missing_terms(self, visibility: Visibility, question: str, text: str) -> dict[str, float]:
        """The question's words `text` lacks, each with its rarity in the index (0–1)."""
        ...

    def count(self, visibility: Visibility) -> int: ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class ChunkEntry:
    """A chunk as the manifest knows it (no text: the text lives in the indexes)."""

    id: str
    index: int
    content_hash: str
    page_start: int | None = None
    page_end: int | None = None


@dataclass(frozen=True)
class DocumentEntry:
    """A document as the manifest knows it: where it came from and what was indexed."""

    id: str
    source: str
    kind: Kind
    visibility: Visibility
    title: str
    location: str
    content_hash: str
    fingerprint: str
    version: int
    chunks: tuple[ChunkEntry, ...] = ()
    url: str | None = None
    updated_at: datetime | None = None
    ingested_at: datetime | None = None


@dataclass(frozen=True)
class SourceState:
    """A source file as it was when last read completely.

    `stat` (size and modification time) answers "unchanged?" without reading the file;
    `content_hash` decides when the stat differs; `config` is how the file was read.
    """

    content_hash: str
    stat: str
    config: str


@dataclass
class RunSummary:
    """One ingestion run as recorded in the manifest."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    paths: list[str]
    full: bool
    counts: dict[str, int] = field(default_factory=dict)
    chunks_embedded: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0


class Manifest(Protocol):
    """What has been indexed: document id → content hash, version, visibility, chunk ids."""

    def documents_under(self, roots: Sequence[str]) -> dict[str, DocumentEntry]: ...

    def document_sources_under(self, roots: Sequence[str]) -> dict[str, str]:
        """Document id → source file, for the documents `documents_under` would return
        (without their chunk lists: cheap at any size)."""
        ...

    def documents(self, ids: Sequence[str]) -> dict[str, DocumentEntry]:
        """The entries of these documents (ids not indexed are left out)."""
        ...

    def sources_under(self, roots: Sequence[str]) -> dict[str, SourceState]: ...

    def save_sources(self, states: Mapping[str, SourceState], run_id: int) -> None: ...

    def forget_sources(self, paths: Sequence[str]) -> None: ...

    def save_documents(self, entries: Sequence[DocumentEntry], run_id: int) -> None: ...

    def delete_documents(self, ids: Sequence[str]) -> None: ...

    def find_chunks_by_hash(self, hashes: Sequence[str]) -> dict[str, tuple[str, Visibility]]: ...

    def chunk_ids(self, visibility: Visibility) -> set[str]: ...

    def chunk_count(self, visibility: Visibility) -> int: ...

    def invalidate_documents_with_chunks(self, chunk_ids: Sequence[str]) -> int: ...

    def reset_documents(self) -> None: ...

    def start_run(self, paths: Sequence[str], full: bool) -> int: ...

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        counts: dict[str, int],
        chunks_embedded: int,
        errors: list[dict[str, str]],
        seconds: float,
    ) -> None: ...

    def last_run(self) -> RunSummary | None: ...

    def stats(self) -> dict[tuple[str, str], tuple[int, int]]: ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...
