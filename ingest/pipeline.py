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
- nor are they deleted when their file, or their source as a whole, would lose all its
  entries or more than `max_shrink` of them, unless `allow_shrink` (see `ingest.shrink`);
- `full=True` forgets everything and rebuilds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from connectors import ConnectorOptions, discover_files
from connectors.registry import SUPPORTED_SUFFIXES
from connectors.text_io import source_of
from ingest.background import Prefetcher
from ingest.chunking import Chunker
from ingest.globs import glob_match
from ingest.known import KnownDocuments
from ingest.limits import SizeLimits
from ingest.progress import NoProgress, Progress
from ingest.reader import Pending, ReadOutcome, SourceReader
from ingest.report import IngestReport
from ingest.shrink import DEFAULT_MAX_SHRINK, ShrinkGuard
from ingest.writer import IndexWriter
from kb_assistant.core.errors import UsageError
from kb_assistant.core.redaction import Redactor
from kb_assistant.domain import DocumentFailure, Kind, Visibility
from kb_assistant.ports import (
    Embedder,
    KeywordIndex,
    Manifest,
    SourceState,
    VectorIndex,
)


class IngestUsageError(UsageError, ValueError):
    """The request itself is wrong (a path that does not exist, say); nothing was changed."""


@dataclass(frozen=True)
class SourceSpec:
    """One source of a run: files or folders, read as `kind` (default: by file type) with
    `visibility` (default: by kind) and connector `options` (default: the pipeline's).
    With `pattern` (an absolute glob such as `/kb/faq/**/*.md`), only the files under
    `paths` that match it belong to the source. `allow_shrink` lets a run delete any share
    of the source's entries (for a source meant to shrink, such as a rolling export)."""

    paths: tuple[Path, ...]
    kind: Kind | None = None
    visibility: Visibility | None = None
    options: ConnectorOptions | None = None
    pattern: str | None = None
    name: str = ""
    allow_shrink: bool = False

    def matches(self, source: str) -> bool:
        return self.pattern is None or glob_match(source, self.pattern)


@dataclass(frozen=True)
class _Plan:
    spec: SourceSpec
    roots: list[str]
    files: list[Path]


def _check_disjoint(plans: Sequence[_Plan]) -> None:
    """A file read by two sources would be deleted and re-added by turns: refuse it."""
    owner: dict[Path, str] = {}
    for number, plan in enumerate(plans, start=1):
        label = plan.spec.name or f"source {number}"
        for file in plan.files:
            if file in owner and owner[file] != label:
                raise IngestUsageError(
                    f"{file} belongs to two sources ({owner[file]} and {label}); "
                    "make their paths or patterns disjoint"
                )
            owner[file] = label


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
        limits: SizeLimits | None = None,
        max_shrink: float = DEFAULT_MAX_SHRINK,
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
        self.limits = limits or SizeLimits()
        self.max_shrink = max_shrink
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
        allow_shrink: bool = False,
    ) -> IngestReport:
        """Ingest `paths` (files or folders); see the module docstring for the rules."""
        spec = SourceSpec(tuple(paths), kind, visibility)
        return self.run_sources([spec], full=full, allow_shrink=allow_shrink)

    def run_sources(
        self,
        specs: Sequence[SourceSpec],
        *,
        full: bool = False,
        between: Callable[[], None] | None = None,
        allow_shrink: bool = False,
        baseline: Manifest | None = None,
    ) -> IngestReport:
        """Ingest several sources in one run, each with its own kind, visibility, options
        and file pattern; the keyword index is rebuilt once at the end. `between` is called
        after each source (a job checks that it still holds the index lease there).

        Unless `allow_shrink`, a file or source that would lose too many entries keeps them
        and the report says so; with a `baseline` manifest (a rebuild into a new version)
        the sources are compared with what it holds instead."""
        started = time.monotonic()
        plans = [self._plan(spec) for spec in specs]
        _check_disjoint(plans)
        roots = list(dict.fromkeys(root for plan in plans for root in plan.roots))
        run_id = self.manifest.start_run(roots, full)
        report = IngestReport(run_id=run_id)
        status = "failed"
        try:
            touched = self.writer.reset() if full else self.writer.reconcile()
            self.progress.start("Ingesting", sum(len(plan.files) for plan in plans), "files")
            guard = ShrinkGuard(self.max_shrink, allow_shrink, baseline)
            for plan in plans:
                touched |= self._run_plan(plan, run_id, report, guard)
                if between is not None:
                    between()
            self.writer.rebuild_keywords(touched, report)
            status = "partial" if report.failed else "ok"
        finally:
            report.seconds = time.monotonic() - started
            self.progress.finish()
            self._finish_run(report, status)
        return report

    def _plan(self, spec: SourceSpec) -> _Plan:
        roots = self._resolve_roots(spec.paths)
        existing = [Path(root) for root in roots if Path(root).exists()]
        files = [f for f in discover_files(existing) if spec.matches(source_of(f))]
        return _Plan(spec, roots, files)

    def _run_plan(
        self, plan: _Plan, run_id: int, report: IngestReport, guard: ShrinkGuard
    ) -> set[Visibility]:
        spec = plan.spec
        known = KnownDocuments.under(self.manifest, plan.roots, spec.matches)
        states = {
            path: state
            for path, state in self.manifest.sources_under(plan.roots).items()
            if spec.matches(path)
        }
        if spec.pattern is None:
            report.failures.extend(_empty_roots(plan.roots, plan.files))
        reader = self._reader(spec, known, states)
        written: dict[str, str] = {}  # document id → file, of every document written
        read = _noting_sources(reader.read(plan.files), written)
        if self.overlap_reading:
            pending = Prefetcher(read, buffer=256, name="kb-ingest-reader")
            touched = self.writer.write(pending, run_id, report, pending.has_ready)
        else:
            touched = self.writer.write(read, run_id, report)
        _merge(reader.outcome, report)
        outcome = reader.outcome
        gone = known.gone(outcome.seen, outcome.incomplete_sources)
        check = guard.check(
            known,
            gone,
            written,
            files=outcome.complete_states,
            roots=plan.roots,
            matches=spec.matches,
            name=spec.name,
            allow=spec.allow_shrink,
        )
        report.failures.extend(check.refusals)
        held = {entry.source for entry in gone if check.holds(entry.source)}
        gone = [entry for entry in gone if entry.source not in held]
        touched |= self.writer.delete(gone, report)
        # The files of held entries keep their remembered state: the next run checks them again.
        complete = {path: s for path, s in outcome.complete_states.items() if path not in held}
        self.manifest.forget_sources(sorted(set(states) - set(outcome.complete_states) - held))
        self.manifest.save_sources(complete, run_id)
        return touched

    def _reader(
        self, spec: SourceSpec, known: KnownDocuments, states: dict[str, SourceState]
    ) -> SourceReader:
        return SourceReader(
            chunker=self.chunker,
            redactor=self.redactor,
            options=spec.options or self.options,
            kind=spec.kind,
            visibility=spec.visibility,
            known=known,
            source_states=states,
            progress=self.progress,
            limits=self.limits,
        )

    def _resolve_roots(self, paths: Sequence[Path]) -> list[str]:
        if not paths:
            raise IngestUsageError("give at least one file or folder to ingest")
        roots = [str(Path(p).expanduser().resolve()) for p in paths]
        for root in roots:
            if not Path(root).exists() and not self.manifest.document_sources_under([root]):
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


def _noting_sources(pending: Iterable[Pending], written: dict[str, str]) -> Iterator[Pending]:
    """Pass `pending` through, noting each document's file in `written`."""
    for item in pending:
        written[item.doc.id] = item.doc.source
        yield item


def _merge(outcome: ReadOutcome, report: IngestReport) -> None:
    """Add one source's reading outcome to the run's report."""
    report.seen += len(outcome.seen)
    report.unchanged += outcome.unchanged
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
