"""The ingestion manifest: every indexed document, its hash, version, visibility and chunks.

It is the source of truth for incremental runs (what changed, what disappeared) and for
the consistency check between the manifest and the vector index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast, overload

from sqlalchemy import Engine, delete, func, or_, select
from sqlalchemy.orm import selectinload, sessionmaker

from kb_assistant.domain import Kind, Visibility
from kb_assistant.ports import ChunkEntry, DocumentEntry, RunSummary, SourceState
from kb_assistant.storage.tables import ChunkRow, DocumentRow, MetaRow, RunRow, SourceRow

_IN_BATCH = 500  # keeps IN (...) lists under SQLite's variable limit


def utcnow() -> datetime:
    return datetime.now(UTC)


class ManifestStore:
    """`Manifest` adapter on SQLAlchemy, on a manifest's engine (`Databases.manifest(url)`)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def documents_under(self, roots: Sequence[str]) -> dict[str, DocumentEntry]:
        """Documents whose source file is one of `roots` or inside one of them."""
        if not roots:
            return {}
        query = (
            select(DocumentRow)
            .where(_under(DocumentRow.source, roots))
            .options(selectinload(DocumentRow.chunks))
        )
        with self._sessions() as session:
            return {row.id: _entry(row) for row in session.scalars(query)}

    def document_sources_under(self, roots: Sequence[str]) -> dict[str, str]:
        if not roots:
            return {}
        query = select(DocumentRow.id, DocumentRow.source).where(_under(DocumentRow.source, roots))
        with self._sessions() as session:
            return {doc_id: source for doc_id, source in session.execute(query)}

    def documents(self, ids: Sequence[str]) -> dict[str, DocumentEntry]:
        found: dict[str, DocumentEntry] = {}
        unique = list(dict.fromkeys(ids))
        with self._sessions() as session:
            for start in range(0, len(unique), _IN_BATCH):
                query = (
                    select(DocumentRow)
                    .where(DocumentRow.id.in_(unique[start : start + _IN_BATCH]))
                    .options(selectinload(DocumentRow.chunks))
                )
                found.update((row.id, _entry(row)) for row in session.scalars(query))
        return found

    def sources_under(self, roots: Sequence[str]) -> dict[str, SourceState]:
        """Source file → how it was when last read completely."""
        if not roots:
            return {}
        with self._sessions() as session:
            rows = session.scalars(select(SourceRow).where(_under(SourceRow.path, roots)))
            return {r.path: SourceState(r.content_hash, r.stat, r.config) for r in rows}

    def save_sources(self, states: Mapping[str, SourceState], run_id: int) -> None:
        with self._sessions.begin() as session:
            for path, state in states.items():
                session.merge(
                    SourceRow(
                        path=path,
                        content_hash=state.content_hash,
                        stat=state.stat,
                        config=state.config,
                        run_id=run_id,
                    )
                )

    def forget_sources(self, paths: Sequence[str]) -> None:
        with self._sessions.begin() as session:
            for start in range(0, len(paths), _IN_BATCH):
                batch = list(paths[start : start + _IN_BATCH])
                session.execute(delete(SourceRow).where(SourceRow.path.in_(batch)))

    def save_documents(self, entries: Sequence[DocumentEntry], run_id: int) -> None:
        """Insert or replace documents and their chunk lists in one transaction."""
        now = utcnow()
        with self._sessions.begin() as session:
            ids = [e.id for e in entries]
            for start in range(0, len(ids), _IN_BATCH):
                batch = ids[start : start + _IN_BATCH]
                session.execute(delete(ChunkRow).where(ChunkRow.doc_id.in_(batch)))
                session.execute(delete(DocumentRow).where(DocumentRow.id.in_(batch)))
            session.add_all(_row(entry, run_id, now) for entry in entries)

    def delete_documents(self, ids: Sequence[str]) -> None:
        with self._sessions.begin() as session:
            for start in range(0, len(ids), _IN_BATCH):
                batch = list(ids[start : start + _IN_BATCH])
                session.execute(delete(ChunkRow).where(ChunkRow.doc_id.in_(batch)))
                session.execute(delete(DocumentRow).where(DocumentRow.id.in_(batch)))

    def find_chunks_by_hash(self, hashes: Sequence[str]) -> dict[str, tuple[str, Visibility]]:
        """For each hash already indexed, one chunk (id, visibility) that has it."""
        found: dict[str, tuple[str, Visibility]] = {}
        unique = list(dict.fromkeys(hashes))
        with self._sessions() as session:
            for start in range(0, len(unique), _IN_BATCH):
                query = select(ChunkRow.content_hash, ChunkRow.id, ChunkRow.visibility).where(
                    ChunkRow.content_hash.in_(unique[start : start + _IN_BATCH])
                )
                for content_hash, chunk_id, visibility in session.execute(query):
                    found.setdefault(content_hash, (chunk_id, cast(Visibility, visibility)))
        return found

    def chunk_ids(self, visibility: Visibility) -> set[str]:
        with self._sessions() as session:
            query = select(ChunkRow.id).where(ChunkRow.visibility == visibility)
            return set(session.scalars(query))

    def chunk_count(self, visibility: Visibility) -> int:
        with self._sessions() as session:
            query = select(func.count()).select_from(ChunkRow)
            return int(session.scalar(query.where(ChunkRow.visibility == visibility)) or 0)

    def invalidate_documents_with_chunks(self, chunk_ids: Sequence[str]) -> int:
        """Force re-indexing of the documents owning these chunks (their vectors were lost)."""
        with self._sessions.begin() as session:
            doc_ids: set[str] = set()
            for start in range(0, len(chunk_ids), _IN_BATCH):
                query = select(ChunkRow.doc_id).where(
                    ChunkRow.id.in_(list(chunk_ids[start : start + _IN_BATCH]))
                )
                doc_ids.update(session.scalars(query))
            for doc_id in doc_ids:
                row = session.get(DocumentRow, doc_id)
                if row is not None:
                    row.fingerprint = ""
                    session.execute(delete(SourceRow).where(SourceRow.path == row.source))
            return len(doc_ids)

    def reset_documents(self) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(ChunkRow))
            session.execute(delete(DocumentRow))
            session.execute(delete(SourceRow))

    def start_run(self, paths: Sequence[str], full: bool) -> int:
        with self._sessions.begin() as session:
            row = RunRow(started_at=utcnow(), status="running", paths=list(paths), full=full)
            session.add(row)
            session.flush()
            return int(row.id)

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        counts: dict[str, int],
        chunks_embedded: int,
        errors: list[dict[str, str]],
        seconds: float,
    ) -> None:
        with self._sessions.begin() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise KeyError(f"unknown ingest run {run_id}")
            row.finished_at = utcnow()
            row.status = status
            row.counts = dict(counts)
            row.chunks_embedded = chunks_embedded
            row.errors = list(errors)
            row.seconds = seconds

    def last_run(self) -> RunSummary | None:
        with self._sessions() as session:
            row = session.scalars(select(RunRow).order_by(RunRow.id.desc()).limit(1)).first()
            return None if row is None else _summary(row)

    def stats(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(kind, visibility) → (documents, chunks)."""
        with self._sessions() as session:
            query = select(
                DocumentRow.kind,
                DocumentRow.visibility,
                func.count(),
                func.coalesce(func.sum(DocumentRow.chunk_count), 0),
            ).group_by(DocumentRow.kind, DocumentRow.visibility)
            return {(k, v): (int(n), int(c)) for k, v, n, c in session.execute(query)}

    def get_meta(self, key: str) -> str | None:
        with self._sessions() as session:
            row = session.get(MetaRow, key)
            return None if row is None else row.value

    def set_meta(self, key: str, value: str) -> None:
        with self._sessions.begin() as session:
            session.merge(MetaRow(key=key, value=value))


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _under(column: Any, roots: Sequence[str]) -> Any:
    """SQL condition: `column` (a path) is one of `roots` or inside one of them."""
    clauses = []
    for root in roots:
        clauses.append(column == root)
        clauses.append(column.startswith(root.rstrip("/") + "/", autoescape=True))
    return or_(*clauses)


def _row(entry: DocumentEntry, run_id: int, now: datetime) -> DocumentRow:
    row = DocumentRow(
        id=entry.id,
        source=entry.source,
        kind=entry.kind,
        visibility=entry.visibility,
        title=entry.title,
        location=entry.location,
        url=entry.url,
        content_hash=entry.content_hash,
        fingerprint=entry.fingerprint,
        version=entry.version,
        chunk_count=len(entry.chunks),
        updated_at=entry.updated_at,
        ingested_at=now,
        run_id=run_id,
    )
    row.chunks = [
        ChunkRow(
            id=c.id,
            idx=c.index,
            content_hash=c.content_hash,
            visibility=entry.visibility,
            page_start=c.page_start,
            page_end=c.page_end,
        )
        for c in entry.chunks
    ]
    return row


def _entry(row: DocumentRow) -> DocumentEntry:
    chunks = tuple(
        ChunkEntry(c.id, c.idx, c.content_hash, c.page_start, c.page_end) for c in row.chunks
    )
    return DocumentEntry(
        id=row.id,
        source=row.source,
        kind=cast(Kind, row.kind),
        visibility=cast(Visibility, row.visibility),
        title=row.title,
        location=row.location,
        content_hash=row.content_hash,
        fingerprint=row.fingerprint,
        version=row.version,
        chunks=chunks,
        url=row.url,
        updated_at=_aware(row.updated_at),
        ingested_at=_aware(row.ingested_at),
    )


def _summary(row: RunRow) -> RunSummary:
    return RunSummary(
        id=row.id,
        started_at=_aware(row.started_at),
        finished_at=_aware(row.finished_at),
        status=row.status,
        paths=list(row.paths or []),
        full=row.full,
        counts=dict(row.counts or {}),
        chunks_embedded=row.chunks_embedded,
        errors=list(row.errors or []),
        seconds=row.seconds,
    )
