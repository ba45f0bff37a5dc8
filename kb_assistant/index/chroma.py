"""Vector index on Chroma: embedded (`PersistentClient`) or a server (`HttpClient`).

One collection per visibility, so the customer channel never even opens internal vectors.
We always pass our own vectors: collections are opened with `embedding_function=None`
(Chroma's default function would download a model) and telemetry is off.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from kb_assistant.domain import Visibility
from kb_assistant.index.chroma_disk import remove_orphan_segment_folders
from kb_assistant.ports import Hit, IndexRecord, Vector
from kb_assistant.settings import ConfigurationError

PAGE_SIZE = 2000


class IndexMismatchError(RuntimeError):
    """The stored index was built with another embedding model."""


class IndexUnavailableError(RuntimeError):
    """The Chroma server cannot be reached (it may come up later: servers retry)."""


def chroma_client(url: str | None, path: Path) -> Any:
    """A Chroma client: a server at `url` when given, else embedded at `path`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigurationError(f"KB_CHROMA_URL must look like http://host:8000, got {url!r}")
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        try:
            return chromadb.HttpClient(
                host=parsed.hostname, port=port, ssl=parsed.scheme == "https", settings=settings
            )
        except ValueError as error:  # chromadb's "Could not connect to a Chroma server"
            raise IndexUnavailableError(
                f"no Chroma server answers at KB_CHROMA_URL={url!r} ({error}); start one with "
                "`chroma run --path DIR --host 127.0.0.1 --port 8000`, or unset KB_CHROMA_URL "
                "to use the embedded index in the data directory"
            ) from error
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class ChromaIndex:
    """`VectorIndex` adapter: collections `<prefix>-public` and `<prefix>-internal` (cosine).

    `local_path` is the folder of an embedded client: `reset` then also removes the folders
    Chroma leaves on disk for deleted collections (see `chroma_disk`).
    """

    def __init__(
        self, client: Any, *, prefix: str, model_id: str, local_path: Path | None = None
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._model_id = model_id
        self._local_path = local_path
        self._collections: dict[str, Any] = {}

    def collection_name(self, visibility: Visibility) -> str:
        return f"{self._prefix}-{visibility}"

    def upsert(
        self, visibility: Visibility, records: Sequence[IndexRecord], embeddings: Vector
    ) -> None:
        if not records:
            return
        collection = self._collection(visibility, create=True)
        step = self._max_batch()
        for start in range(0, len(records), step):
            batch = records[start : start + step]
            collection.upsert(
                ids=[r.id for r in batch],
                embeddings=np.asarray(embeddings[start : start + step], dtype=np.float32),
                documents=[r.text for r in batch],
                metadatas=[dict(r.metadata) for r in batch],
            )

    def delete(self, visibility: Visibility, ids: Sequence[str]) -> None:
        collection = self._collection(visibility)
        if collection is None or not ids:
            return
        step = self._max_batch()
        for start in range(0, len(ids), step):
            collection.delete(ids=list(ids[start : start + step]))

    def get_embeddings(self, visibility: Visibility, ids: Sequence[str]) -> dict[str, Vector]:
        collection = self._collection(visibility)
        if collection is None or not ids:
            return {}
        found: dict[str, Vector] = {}
        for start in range(0, len(ids), PAGE_SIZE):
            got = collection.get(ids=list(ids[start : start + PAGE_SIZE]), include=["embeddings"])
            for chunk_id, vector in zip(got["ids"], got["embeddings"], strict=True):
                found[chunk_id] = np.asarray(vector, dtype=np.float32)
        return found

    def ids(self, visibility: Visibility) -> set[str]:
        collection = self._collection(visibility)
        if collection is None:
            return set()
        found: set[str] = set()
        offset = 0
        while True:
            got = collection.get(include=[], limit=PAGE_SIZE, offset=offset)
            found.update(got["ids"])
            if len(got["ids"]) < PAGE_SIZE:
                return found
            offset += PAGE_SIZE

    def count(self, visibility: Visibility) -> int:
        collection = self._collection(visibility)
        return 0 if collection is None else int(collection.count())

    def records(self, visibility: Visibility) -> Iterator[IndexRecord]:
        collection = self._collection(visibility)
        if collection is None:
            return
        offset = 0
        while True:
            got = collection.get(include=["documents", "metadatas"], limit=PAGE_SIZE, offset=offset)
            for chunk_id, text, meta in zip(
                got["ids"], got["documents"], got["metadatas"], strict=True
            ):
                yield IndexRecord(id=chunk_id, text=text or "", metadata=dict(meta or {}))
            if len(got["ids"]) < PAGE_SIZE:
                return
            offset += PAGE_SIZE

    def matching(self, visibility: Visibility, metadata: dict[str, str]) -> list[IndexRecord]:
        collection = self._collection(visibility)
        if collection is None or not metadata:
            return []
        where: dict[str, Any] = (
            {"$and": [{key: value} for key, value in metadata.items()]}
            if len(metadata) > 1
            else dict(metadata)
        )
        got = collection.get(where=where, include=["documents", "metadatas"])
        return [
            IndexRecord(id=chunk_id, text=text or "", metadata=dict(meta or {}))
            for chunk_id, text, meta in zip(
                got["ids"], got["documents"], got["metadatas"], strict=True
            )
        ]

    def query(self, visibility: Visibility, embedding: Vector, k: int) -> list[Hit]:
        collection = self._collection(visibility)
        if collection is None or k <= 0:
            return []
        got = collection.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)],
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        return [
            Hit(id=chunk_id, score=1.0 - float(distance), text=text or "", metadata=meta or {})
            for chunk_id, distance, text, meta in zip(
                got["ids"][0],
                got["distances"][0],
                got["documents"][0],
                got["metadatas"][0],
                strict=True,
            )
        ]

    def reset(self) -> None:
        """Delete both collections (with their folders on disk, embedded)."""
        for visibility in ("public", "internal"):
            name = self.collection_name(visibility)
            if name in {c.name for c in self._client.list_collections()}:
                self._client.delete_collection(name)
        self._collections.clear()
        if self._local_path is not None:
            remove_orphan_segment_folders(self._local_path)

    def _collection(self, visibility: Visibility, create: bool = False) -> Any:
        cached = self._collections.get(visibility)
        if cached is not None:
            return cached
        name = self.collection_name(visibility)
        if create:
            collection = self._client.get_or_create_collection(
                name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": self._model_id},
            )
        else:
            from chromadb.errors import NotFoundError

            try:
                collection = self._client.get_collection(name, embedding_function=None)
            except (NotFoundError, ValueError):
                return None
        built_with = (collection.metadata or {}).get("embedding_model")
        if built_with != self._model_id:
            raise IndexMismatchError(
                f"collection {name!r} was built with embedding model {built_with!r}, "
                f"but the configured model is {self._model_id!r}; re-index with --full"
            )
        self._collections[visibility] = collection
        return collection

    def _max_batch(self) -> int:
        getter = getattr(self._client, "get_max_batch_size", None)
        return int(getter()) if getter else 1000
