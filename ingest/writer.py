"""Writing side of ingestion: embed pending chunks and keep indexes and manifest in step.

Write order keeps a crash harmless: new vectors first, then the manifest, then removal of
the old vectors. A per-visibility "dirty" mark is set before any change and cleared once
the keyword index is brought up to date, so the next run knows to compare ids in full,
remove orphan vectors and re-index documents whose vectors were lost.

The keyword index is updated with the run's own changes (the chunks written and removed),
so its cost follows the change. It is rebuilt from the vector index's records instead after
a full reset, after an interrupted run or a repair (its state is then unknown), when the
change is too large to keep in memory, or when the updated count disagrees with the vectors.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ingest.progress import Progress
from ingest.questions import chunk_questions
from ingest.reader import Pending
from ingest.report import IngestReport
from kb_assistant.domain import VISIBILITIES, Chunk, Document, Visibility
from kb_assistant.index.question_field import QUESTIONS_KEY, joined
from kb_assistant.ports import (
    ChunkEntry,
    DocumentEntry,
    Embedder,
    IndexRecord,
    KeywordIndex,
    Manifest,
    Vector,
    VectorIndex,
)

log = logging.getLogger(__name__)

_DIRTY_KEY = "keyword_index_dirty:{}"
MIN_BATCH_CHUNKS = 64
MAX_KEYWORD_CHANGES = 50_000  # chunks changed in one run above which BM25 is rebuilt instead


@dataclass
class KeywordChanges:
    """What a run did to one visibility's chunks, in order: the last word on an id wins."""

    upserts: dict[str, IndexRecord] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)

    def upsert(self, records: Sequence[IndexRecord]) -> None:
        for record in records:
            self.deletes.discard(record.id)
            self.upserts[record.id] = record

    def delete(self, ids: Iterable[str]) -> None:
        for chunk_id in ids:
            self.upserts.pop(chunk_id, None)
            self.deletes.add(chunk_id)

    def __len__(self) -> int:
        return len(self.upserts) + len(self.deletes)


class IndexWriter:
    """Applies additions, updates and deletions to the vector and keyword indexes."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        vectors: VectorIndex,
        keywords: KeywordIndex,
        manifest: Manifest,
        progress: Progress,
        flush_chunks: int = 512,
    ) -> None:
        self.embedder = embedder
        self.vectors = vectors
        self.keywords = keywords
        self.manifest = manifest
        self.progress = progress
        self.flush_chunks = flush_chunks
        self._changes: dict[Visibility, KeywordChanges] = {}
        self._from_records: set[Visibility] = set()

    def reset(self) -> set[Visibility]:
        """A full rebuild: forget every document and empty both indexes."""
        self._changes, self._from_records = {}, set(VISIBILITIES)
        self._mark_dirty(set(VISIBILITIES))
        self.vectors.reset()
        self.keywords.reset()
        self.manifest.reset_documents()
        return set(VISIBILITIES)

    def reconcile(self) -> set[Visibility]:
        """Repair what an interrupted run left: orphan vectors, lost vectors, a stale BM25.

        Ids are compared in full after an interrupted run (its dirty mark is still set) or
        when the counts disagree; otherwise the count check is enough and cheap.
        """
        touched: set[Visibility] = set()
        self._changes = {}
        for visibility in VISIBILITIES:
            if self.vectors.sync_questions(visibility):
                log.info("%s index: questions written for every chunk", visibility)
            interrupted = self.manifest.get_meta(_DIRTY_KEY.format(visibility)) == "1"
            counts_agree = self.manifest.chunk_count(visibility) == self.vectors.count(visibility)
            if interrupted:
                touched.add(visibility)
            if counts_agree and not interrupted:
                continue
            listed = self.manifest.chunk_ids(visibility)
            stored = self.vectors.ids(visibility)
            orphans = sorted(stored - listed)
            self.vectors.delete(visibility, orphans)
            redo = self.manifest.invalidate_documents_with_chunks(sorted(listed - stored))
            if orphans or redo:
                log.warning(
                    "%s index repaired: %d orphan vectors removed, %d documents to re-index",
                    visibility,
                    len(orphans),
                    redo,
                )
                touched.add(visibility)
        self._from_records = set(touched)
        return touched

    def write(
        self,
        pending: Iterable[Pending],
        run_id: int,
        report: IngestReport,
        has_ready: Callable[[], bool] | None = None,
    ) -> set[Visibility]:
        """Embed and store new and changed documents, a batch of whole documents at a time."""
        touched: set[Visibility] = set()
        for batch in _batches(pending, self.flush_chunks, has_ready):
            batch_touched = {p.doc.visibility for p in batch}
            batch_touched |= {p.previous.visibility for p in batch if p.previous}
            self._mark_dirty(batch_touched - touched)
            touched |= batch_touched
            vectors = self._embeddings(batch, report)
            started = time.perf_counter()
            for visibility in VISIBILITIES:
                chunks = [
                    (p.doc, c, q)
                    for p in batch
                    if p.doc.visibility == visibility
                    for c, q in zip(p.chunks, chunk_questions(p.doc, p.chunks), strict=True)
                ]
                if chunks:
                    records = [IndexRecord(c.id, c.text, _metadata(d, c, q)) for d, c, q in chunks]
                    stacked = np.stack([vectors[c.content_hash] for _, c, _ in chunks])
                    self.vectors.upsert(visibility, records, stacked.astype(np.float32))
                    self._note(visibility).upsert(records)
            self.manifest.save_documents([_entry(p) for p in batch], run_id)
            for p in batch:
                if p.previous is None:
                    report.added += 1
                else:
                    old = [c.id for c in p.previous.chunks]
                    self.vectors.delete(p.previous.visibility, old)
                    self._note(p.previous.visibility).delete(old)
                    report.updated += 1
            report.chunks_written += sum(len(p.chunks) for p in batch)
            report.stage_seconds["write"] += time.perf_counter() - started
            self.progress.note(f"{report.chunks_embedded} chunks embedded")
        return touched

    def delete(self, gone: list[DocumentEntry], report: IngestReport) -> set[Visibility]:
        """Remove documents and all their chunks (manifest first: a crash leaves orphans)."""
        if not gone:
            return set()
        started = time.perf_counter()
        touched = {entry.visibility for entry in gone}
        self._mark_dirty(touched)
        self.manifest.delete_documents([entry.id for entry in gone])
        for entry in gone:
            old = [c.id for c in entry.chunks]
            self.vectors.delete(entry.visibility, old)
            self._note(entry.visibility).delete(old)
        report.deleted += len(gone)
        report.stage_seconds["write"] += time.perf_counter() - started
        return touched

    def rebuild_keywords(self, touched: set[Visibility], report: IngestReport) -> None:
        """Bring the keyword index of every touched visibility up to date (see the module
        docstring), then clear its dirty mark."""
        started = time.perf_counter()
        for visibility in sorted(touched):
            changes = self._changes.pop(visibility, KeywordChanges())
            count = -1
            if visibility not in self._from_records:
                count = self.keywords.update(
                    visibility, list(changes.upserts.values()), changes.deletes
                )
                stored = self.vectors.count(visibility)
                if count != stored:
                    log.warning(
                        "keyword index %s holds %d chunks after the update, the vectors %d; "
                        "rebuilding it",
                        visibility,
                        count,
                        stored,
                    )
                    count = -1
                else:
                    log.info("keyword index %s updated: %d chunks", visibility, count)
            if count < 0:
                count = self.keywords.rebuild(visibility, self.vectors.records(visibility))
                log.info("keyword index %s rebuilt with %d chunks", visibility, count)
            self.manifest.set_meta(_DIRTY_KEY.format(visibility), "0")
        self._changes, self._from_records = {}, set()
        report.stage_seconds["keyword_index"] += time.perf_counter() - started

    def _note(self, visibility: Visibility) -> KeywordChanges:
        """The changes to remember for `visibility` (a throwaway once it is rebuilt anyway)."""
        if visibility in self._from_records:
            return KeywordChanges()
        changes = self._changes.setdefault(visibility, KeywordChanges())
        if len(changes) >= MAX_KEYWORD_CHANGES:
            self._from_records.add(visibility)
            self._changes.pop(visibility, None)
        return changes

    def _embeddings(self, batch: list[Pending], report: IngestReport) -> dict[str, Vector]:
        """Vectors by chunk hash: reused where that text is already indexed, else embedded."""
        texts = {c.content_hash: c.embed_text for p in batch for c in p.chunks}
        per_hash = Counter(c.content_hash for p in batch for c in p.chunks)
        found = self._reusable_vectors(list(texts))
        report.chunks_reused += sum(per_hash[h] for h in found)
        # Similar lengths together: less padding inside the model's batches.
        missing = sorted((h for h in texts if h not in found), key=lambda h: len(texts[h]))
        if missing:
            started = time.perf_counter()
            vectors = self.embedder.embed_documents([texts[h] for h in missing])
            report.stage_seconds["embed"] += time.perf_counter() - started
            found.update(zip(missing, vectors, strict=True))
            report.chunks_embedded += len(missing)
        return found

    def _reusable_vectors(self, hashes: list[str]) -> dict[str, Vector]:
        """Vectors already in the index for any of these chunk hashes."""
        wanted: dict[Visibility, dict[str, str]] = {}
        for content_hash, (chunk_id, vis) in self.manifest.find_chunks_by_hash(hashes).items():
            wanted.setdefault(vis, {})[chunk_id] = content_hash
        found: dict[str, Vector] = {}
        for vis, id_to_hash in wanted.items():
            for chunk_id, vector in self.vectors.get_embeddings(vis, list(id_to_hash)).items():
                found[id_to_hash[chunk_id]] = vector
        return found

    def _mark_dirty(self, visibilities: set[Visibility]) -> None:
        for visibility in visibilities:
            self.manifest.set_meta(_DIRTY_KEY.format(visibility), "1")


def _batches(
    pending: Iterable[Pending], flush_chunks: int, has_ready: Callable[[], bool] | None
) -> Iterator[list[Pending]]:
    """Whole documents grouped until a batch holds `flush_chunks` chunks.

    With `has_ready` (reading in the background), a batch of at least `MIN_BATCH_CHUNKS`
    goes out as soon as nothing more is waiting, so the model starts while the reader is
    still parsing.
    """
    batch: list[Pending] = []
    size = 0
    for item in pending:
        batch.append(item)
        size += len(item.chunks)
        idle = has_ready is not None and not has_ready()
        if size >= flush_chunks or (size >= MIN_BATCH_CHUNKS and idle):
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _metadata(
    doc: Document, chunk: Chunk, questions: Sequence[str] = ()
) -> dict[str, str | int | float | bool]:
    """What a citation and a filter need, per chunk, and the questions it answers (the
    vector index embeds those as a field of their own); Chroma accepts no None values."""
    meta: dict[str, str | int | float | bool | None] = {
        "doc_id": doc.id,
        "chunk_index": chunk.index,
        "title": doc.title,
        "kind": doc.kind,
        "visibility": doc.visibility,
        "location": doc.location,
        "source": doc.source,
        "url": doc.url,
        "page_start": chunk.page_start,
        "page_end": chunk.page_end,
        "content_hash": chunk.content_hash,
        QUESTIONS_KEY: joined(questions),
        "updated_at": doc.updated_at.isoformat() if doc.updated_at else None,
        **{f"meta_{key}": value for key, value in doc.metadata.items()},
    }
    return {key: value for key, value in meta.items() if value is not None and value != ""}


def _entry(pending: Pending) -> DocumentEntry:
    doc = pending.doc
    return DocumentEntry(
        id=doc.id,
        source=doc.source,
        kind=doc.kind,
        visibility=doc.visibility,
        title=doc.title,
        location=doc.location,
        content_hash=doc.content_hash,
        fingerprint=pending.fingerprint,
        version=pending.version,
        chunks=tuple(
            ChunkEntry(c.id, c.index, c.content_hash, c.page_start, c.page_end)
            for c in pending.chunks
        ),
        url=doc.url,
        updated_at=doc.updated_at,
    )
