"""Reading side of ingestion: files → new or changed documents, cleaned, redacted, chunked.

A file whose bytes and read options are the same as at its last complete read is not even
parsed: its documents are known to be unchanged. Inside a file that changed, each document
is compared by fingerprint, so only new or edited documents are chunked and embedded.
A file or a document over the size limits is refused before any of that (see `ingest.limits`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from connectors import ConnectorOptions
from connectors.registry import load_file
from connectors.text_io import source_of
from ingest.chunking import Chunker
from ingest.clean import clean_document
from ingest.known import KnownDocuments
from ingest.limits import SizeLimits
from ingest.progress import Progress
from kb_assistant.core.redaction import Redactor
from kb_assistant.domain import Chunk, Document, DocumentFailure, Kind, Visibility, sha256_text
from kb_assistant.ports import DocumentEntry, SourceState

# Bump when cleaning, redaction or chunk layout change, so every document is re-processed.
# 2: FAQ entries over the chunk size are split; titles and chunks have bounded sizes.
PIPELINE_VERSION = "2"


@dataclass
class Pending:
    """A new or changed document, prepared and chunked, waiting to be embedded."""

    doc: Document
    chunks: list[Chunk]
    fingerprint: str
    previous: DocumentEntry | None

    @property
    def version(self) -> int:
        return self.previous.version + 1 if self.previous else 1


@dataclass
class ReadOutcome:
    """What reading found, besides the pending documents it yielded."""

    seen: set[str] = field(default_factory=set)
    unchanged: int = 0
    incomplete_sources: set[str] = field(default_factory=set)
    complete_states: dict[str, SourceState] = field(default_factory=dict)
    failures: list[DocumentFailure] = field(default_factory=list)
    redactions: Counter[str] = field(default_factory=Counter)
    read_seconds: float = 0.0


class SourceReader:
    """Yields `Pending` documents from files, recording everything else in `outcome`."""

    def __init__(
        self,
        *,
        chunker: Chunker,
        redactor: Redactor,
        options: ConnectorOptions,
        kind: Kind | None,
        visibility: Visibility | None,
        known: KnownDocuments,
        source_states: dict[str, SourceState],
        progress: Progress,
        limits: SizeLimits | None = None,
    ) -> None:
        self.chunker = chunker
        self.redactor = redactor
        self.options = options
        self.kind = kind
        self.visibility = visibility
        self.known = known
        self.source_states = source_states
        self.progress = progress
        self.limits = limits or SizeLimits()
        self.outcome = ReadOutcome()
        self.config_key = self._config_key()

    def read(self, files: Sequence[Path]) -> Iterator[Pending]:
        """Pending documents from `files`, in order; unchanged files are skipped unparsed."""
        for file in files:
            source = source_of(file)
            known = self.source_states.get(source)
            refused = self.limits.check_file(file)
            if refused is not None:  # not read, not even hashed; its documents are kept
                self.outcome.failures.append(refused)
                self.outcome.incomplete_sources.add(source)
                self.progress.advance()
                continue
            state = self._source_state(file, known)
            if state is not None and known is not None and _same_content(state, known):
                self._skip_unchanged(source, state)
            else:
                yield from self._read_file(file, source, state)
            self.progress.advance()

    def _read_file(self, file: Path, source: str, state: SourceState | None) -> Iterator[Pending]:
        started = time.perf_counter()
        result = load_file(file, self.kind, self.visibility, self.options)
        self.limits.screen(result)
        self.outcome.failures.extend(result.failures)
        if result.complete and state is not None:
            self.outcome.complete_states[source] = state
        else:
            self.outcome.incomplete_sources.add(source)
        previous = self.known.entries([doc.id for doc in result.documents])
        for doc in result.documents:
            if doc.id in self.outcome.seen:
                continue
            self.outcome.seen.add(doc.id)
            pending = self._prepare(doc, previous.get(doc.id))
            if pending is None:
                self.outcome.unchanged += 1
                continue
            self.outcome.read_seconds += time.perf_counter() - started
            yield pending
            started = time.perf_counter()
        self.outcome.read_seconds += time.perf_counter() - started

    def _skip_unchanged(self, source: str, state: SourceState) -> None:
        self.outcome.complete_states[source] = state
        doc_ids = self.known.ids_from(source)
        self.outcome.seen.update(doc_ids)
        self.outcome.unchanged += len(doc_ids)

    def _prepare(self, doc: Document, previous: DocumentEntry | None) -> Pending | None:
        """Clean, redact and chunk a new or changed document; None when unchanged."""
        fingerprint = self._fingerprint(doc)
        if previous is not None and previous.fingerprint == fingerprint:
            return None
        cleaned, redactions = self.redactor.redact_document(clean_document(doc))
        self.outcome.redactions.update(redactions)
        pending = Pending(cleaned, [], fingerprint, previous)
        pending.chunks = self.chunker.chunk(cleaned, pending.version)
        if not pending.chunks:
            self.outcome.failures.append(
                DocumentFailure(doc.source, f"{doc.title!r}: no text left to index", "warning")
            )
        return pending

    def _fingerprint(self, doc: Document) -> str:
        """Content hash plus everything that shapes the document's chunks and metadata."""
        shape = {
            "config": self.config_key,
            "visibility": doc.visibility,
            "location": doc.location,
            "url": doc.url,
            "updated_at": doc.updated_at.isoformat() if doc.updated_at else None,
            "metadata": doc.metadata,
            "people": sorted(doc.people),
        }
        return sha256_text(json.dumps(shape, sort_keys=True) + doc.content_hash)

    def _source_state(self, file: Path, known: SourceState | None) -> SourceState | None:
        """The file's state now; its bytes are hashed only when its size or mtime changed."""
        try:
            info = file.stat()
            stat = f"{info.st_size}:{info.st_mtime_ns}"
            if known is not None and known.stat == stat and known.config == self.config_key:
                return known
            with file.open("rb") as handle:  # in blocks: a big file never sits in memory
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return None
        return SourceState(digest, stat, self.config_key)

    def _config_key(self) -> str:
        config = {
            "pipeline": PIPELINE_VERSION,
            "chunker": self.chunker.config,
            "redaction": self.redactor.config,
            "options": asdict(self.options),
            "kind": self.kind,
            "visibility": self.visibility,
        }
        return sha256_text(json.dumps(config, sort_keys=True))


def _same_content(state: SourceState, known: SourceState) -> bool:
    """Same bytes read the same way (a new modification time alone changes nothing)."""
    return state.content_hash == known.content_hash and state.config == known.config
