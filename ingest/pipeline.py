"""Incremental ingestion: sources → clean → redact → chunk → embed → vector + keyword indexes.

With `overlap_reading` (on when the model runs on a GPU), reading — parsing, cleaning,
redaction, chunking — runs in a background thread while the main thread embeds and writes.
On a CPU-only machine the model already uses every core, so overlapping would only make
the two compete (measured: no gain on 2 cores); reading and embedding then alternate.

Rules:
- a document is re-processed only when its fingerprint changed; a changed document
  replaces only its own chunks, and chunks whose text is already indexed reuse that vector;
- documents gone from a path given again are deleted with all their chunks, unless their
  file failed to read this time: nothing already stored is lost to a bad file;
- `full=True` forgets everything and rebuilds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from connectors import ConnectorOptions, discover_files
from connectors.registry import SUPPORTED_SUFFIXES
from ingest.background import Prefetcher
from ingest.chunking import Chunker
from ingest.progress import NoProgress, Progress
from ingest.reader import ReadOutcome, SourceReader
from ingest.redact import Redactor
from ingest.report import IngestReport
from ingest.writer import IndexWriter
from kb_assistant.domain import DocumentFailure, Kind, Visibility
from kb_assistant.ports import DocumentEntry, Embedder, KeywordIndex, Manifest, VectorIndex


class IngestUsageError(ValueError):
    """The request itself is wrong (a path that does not exist, say); nothing was changed."""


class IngestPipeline:
    """Runs ingestion over paths; every side effect goes through the injected ports."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        vectors: VectorIndex,
        keywords: KeywordIndex,
        manifest: Manifest,
        chunker: Chunker,
        redactor: Redactor,
        options: ConnectorOptions | None = None,
        flush_chunks: int = 512,
        progress: Progress | None = None,
        overlap_reading: bool = False,
    ) -> None:
        self.embedder = embedder
        self.vectors = vectors
        self.keywords = keywords
        self.manifest = manifest
        self.chunker = chunker
        self.redactor = redactor
        self.options = options or ConnectorOptions()
        self.progress = progress or NoProgress()
        self.overlap_reading = overlap_reading
        self.writer = IndexWriter(
            embedder=embedder,
            vectors=vectors,
            keywords=keywords,
            manifest=manifest,
            progress=self.progress,
            flush_chunks=flush_chunks,
        )

    def run(
        self,
        paths: Sequence[Path],
        *,
        kind: Kind | None = None,
        visibility: Visibility | None = None,
        full: bool = False,
    ) -> IngestReport:
        """Ingest `paths` (files or folders); see the module docstring for the rules."""
        started = time.monotonic()
        roots = self._resolve_roots(paths)
        run_id = self.manifest.start_run(roots, full)
        report = IngestReport(run_id=run_id)
        status = "failed"
        try:
            touched = self.writer.reset() if full else self.writer.reconcile()
            known = self.manifest.documents_under(roots)
            states = self.manifest.sources_under(roots)
            files = discover_files([Path(root) for root in roots if Path(root).exists()])
            report.failures.extend(_empty_roots(roots, files))
            reader = SourceReader(
                chunker=self.chunker,
                redactor=self.redactor,
                options=self.options,
                kind=kind,
                visibility=visibility,
                known=known,
                source_states=states,
                progress=self.progress,
            )
            self.progress.start("Ingesting", len(files), "files")
            if self.overlap_reading:
                pending = Prefetcher(reader.read(files), buffer=256, name="kb-ingest-reader")
                touched |= self.writer.write(pending, run_id, report, pending.has_ready)
            else:
                touched |= self.writer.write(reader.read(files), run_id, report)
            _merge(reader.outcome, report)
            touched |= self.writer.delete(_gone(known, reader.outcome), report)
            self.manifest.forget_sources(sorted(set(states) - set(reader.outcome.complete_states)))
            self.manifest.save_sources(reader.outcome.complete_states, run_id)
            self.writer.rebuild_keywords(touched, report)
            status = "partial" if report.failed else "ok"
        finally:
            report.seconds = time.monotonic() - started
            self.progress.finish()
            self._finish_run(report, status)
        return report

    def _resolve_roots(self, paths: Sequence[Path]) -> list[str]:
        if not paths:
            raise IngestUsageError("give at least one file or folder to ingest")
        roots = [str(Path(p).expanduser().resolve()) for p in paths]
        for root in roots:
            if not Path(root).exists() and not self.manifest.documents_under([root]):
                raise IngestUsageError(f"{root}: no such file or folder")
        return roots

    def _finish_run(self, report: IngestReport, status: str) -> None:
        self.manifest.finish_run(
            report.run_id,
            status=status,
            counts=report.counts,
            chunks_embedded=report.chunks_embedded,
            errors=report.to_json()["errors"],
            seconds=report.seconds,
        )


def _merge(outcome: ReadOutcome, report: IngestReport) -> None:
    report.seen = len(outcome.seen)
    report.unchanged = outcome.unchanged
    report.failures.extend(outcome.failures)
    report.redactions.update(outcome.redactions)
    report.stage_seconds["read"] += outcome.read_seconds


def _empty_roots(roots: list[str], files: list[Path]) -> list[DocumentFailure]:
    """A warning for each existing folder given that holds no file we can read."""
    found = [str(file) for file in files]  # discovered under the (already resolved) roots
    return [
        DocumentFailure(
            root,
            f"no supported files found (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})",
            "warning",
        )
        for root in roots
        if Path(root).is_dir() and not any(f.startswith(root.rstrip("/") + "/") for f in found)
    ]


def _gone(known: dict[str, DocumentEntry], outcome: ReadOutcome) -> list[DocumentEntry]:
    """Known documents not seen this time, except those of files that failed to read."""
    return [
        entry
        for doc_id, entry in known.items()
        if doc_id not in outcome.seen and entry.source not in outcome.incomplete_sources
    ]
