"""Vector index on Chroma, over a client from `chroma_client` (embedded or a server).

One collection per visibility, so the customer channel never even opens internal vectors.
We always pass our own vectors: collections are opened with `embedding_function=None`
(Chroma's default function would download a model).

Beside each collection of chunks, `<prefix>-<visibility>-questions` holds the questions the
chunks answer (an FAQ entry's question, a manual's section headings; see
`question_field`), embedded on their own and keyed `<chunk id>#<n>`, so a customer's
question can be matched question to question as well as against the answer text. They are
written with the chunks, by the same calls.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb_assistant.core.errors import UsageError
from kb_assistant.domain import Visibility
from kb_assistant.index.chroma_disk import remove_orphan_segment_folders
from kb_assistant.index.question_field import MAX_QUESTIONS, questions_of
from kb_assistant.ports import Hit, IndexRecord, Vector

PAGE_SIZE = 2000
QUESTION_CACHE = 4096  # question vectors kept: a document's chunks share its title
QUESTION_RESULTS = 2  # questions read per chunk wanted: a chunk rarely has two near the top
EmbedTexts = Callable[[Sequence[str]], Vector]


class IndexMismatchError(UsageError, RuntimeError):
    """The stored index was built with another embedding model."""


class ChromaIndex:
    """`VectorIndex` adapter: collections `<prefix>-public` and `<prefix>-internal` (cosine).

    `local_path` is the folder of an embedded client: `reset` then also removes the folders
    Chroma leaves on disk for deleted collections (see `chroma_disk`). `embed_questions`
    embeds the chunks' questions as they are written; without it (a reader) none are written.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str,
        model_id: str,
        local_path: Path | None = None,
        embed_questions: EmbedTexts | None = None,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._model_id = model_id
        self._local_path = local_path
        self._embed_questions = embed_questions
        self._question_vectors: dict[str, Vector] = {}
        self._collections: dict[str, Any] = {}

    def collection_name(self, visibility: Visibility) -> str:
        return f"{self._prefix}-{visibility}"

    def question_collection_name(self, visibility: Visibility) -> str:
        return f"{self._prefix}-{visibility}-questions"

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
        self._upsert_questions(visibility, records)

    def delete(self, visibility: Visibility, ids: Sequence[str]) -> None:
        collection = self._collection(visibility)
        if collection is None or not ids:
            return
        step = self._max_batch()
        for start in range(0, len(ids), step):
            collection.delete(ids=list(ids[start : start + step]))
        questions = self._collection(visibility, questions=True)
        if questions is not None:
            question_ids = [f"{i}#{n}" for i in ids for n in range(MAX_QUESTIONS)]
            for start in range(0, len(question_ids), step):
                questions.delete(ids=question_ids[start : start + step])

    def query_questions(
        self, visibility: Visibility, embedding: Vector, k: int, known: Collection[str] = ()
    ) -> list[Hit]:
        """The chunks whose questions are nearest to `embedding`, best first: each chunk
        once, scored by its nearest question. The text and metadata of chunks in `known`
        (the caller has them from another ranking) are not fetched again."""
        questions = self._collection(visibility, questions=True)
        collection = self._collection(visibility)
        if questions is None or collection is None or k <= 0:
            return []
        # Asking for more than the collection holds returns what it holds; counting first
        # would cost a scan of the collection per question (about 10 ms at 100k chunks).
        got = questions.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)],
            n_results=k * QUESTION_RESULTS,
            include=["metadatas", "distances"],
        )
        best: dict[str, float] = {}
        for distance, meta in zip(got["distances"][0], got["metadatas"][0], strict=True):
            chunk_id = str((meta or {}).get("chunk_id", ""))
            if chunk_id and chunk_id not in best:
                best[chunk_id] = 1.0 - float(distance)
        chosen = list(best)[:k]
        records: dict[str, tuple[str, dict[str, Any]]] = {i: ("", {}) for i in chosen if i in known}
        missing = [i for i in chosen if i not in records]
        if missing:
            found = collection.get(ids=missing, include=["documents", "metadatas"])
            for chunk_id, text, meta in zip(
                found["ids"], found["documents"], found["metadatas"], strict=True
            ):
                records[chunk_id] = (text or "", dict(meta or {}))
        return [
            Hit(
                id=chunk_id,
                score=best[chunk_id],
                text=records[chunk_id][0],
                metadata=records[chunk_id][1],
            )
            for chunk_id in chosen
            if chunk_id in records  # a question written just before its chunk was removed
        ]

    def sync_questions(self, visibility: Visibility) -> int:
        """Write the questions of every chunk when the questions collection is missing or
        empty (an index written before questions were kept); the count written."""
        if self._embed_questions is None or self.count(visibility) == 0:
            return 0
        questions = self._collection(visibility, questions=True)
        if questions is not None and int(questions.count()) > 0:
            return 0
        written = 0
        batch: list[IndexRecord] = []
        for record in self.records(visibility):
            batch.append(record)
            if len(batch) >= PAGE_SIZE:
                written += self._upsert_questions(visibility, batch)
                batch = []
        return written + self._upsert_questions(visibility, batch)

    def _upsert_questions(self, visibility: Visibility, records: Sequence[IndexRecord]) -> int:
        if self._embed_questions is None or not records:
            return 0
        rows = [
            (f"{record.id}#{n}", record.id, question)
            for record in records
            for n, question in enumerate(questions_of(record.metadata)[:MAX_QUESTIONS])
        ]
        collection = self._collection(visibility, create=True, questions=True)
        written = {row[0] for row in rows}
        stale = [
            f"{r.id}#{n}"
            for r in records
            for n in range(MAX_QUESTIONS)
            if f"{r.id}#{n}" not in written
        ]
        step = self._max_batch()
        for start in range(0, len(stale), step):
            collection.delete(ids=stale[start : start + step])
        vectors = self._vectors_of([question for _, _, question in rows])
        for start in range(0, len(rows), step):
            batch = rows[start : start + step]
            collection.upsert(
                ids=[row[0] for row in batch],
                embeddings=np.stack([vectors[row[2]] for row in batch]).astype(np.float32),
                documents=[row[2] for row in batch],
                metadatas=[{"chunk_id": row[1]} for row in batch],
            )
        return len(rows)

    def _vectors_of(self, questions: Sequence[str]) -> dict[str, Vector]:
        """Vectors of the distinct questions, embedded once (a cache spans batches)."""
        assert self._embed_questions is not None
        missing = [q for q in dict.fromkeys(questions) if q not in self._question_vectors]
        if missing:
            if len(self._question_vectors) + len(missing) > QUESTION_CACHE:
                self._question_vectors.clear()
            self._question_vectors.update(zip(missing, self._embed_questions(missing), strict=True))
        return {q: self._question_vectors[q] for q in questions}

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
        """Delete every collection of both visibilities (with their folders on disk,
        embedded)."""
        existing = {c.name for c in self._client.list_collections()}
        for visibility in ("public", "internal"):
            for name in (
                self.collection_name(visibility),
                self.question_collection_name(visibility),
            ):
                if name in existing:
                    self._client.delete_collection(name)
        self._collections.clear()
        if self._local_path is not None:
            remove_orphan_segment_folders(self._local_path)

    def _collection(
        self, visibility: Visibility, create: bool = False, questions: bool = False
    ) -> Any:
        name = (
            self.question_collection_name(visibility)
            if questions
            else self.collection_name(visibility)
        )
        cached = self._collections.get(name)
        if cached is not None:
            return cached
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
        self._collections[name] = collection
        return collection

    def _max_batch(self) -> int:
        getter = getattr(self._client, "get_max_batch_size", None)
        return int(getter()) if getter else 1000
