"""Re-indexing the configured sources from the admin API: one job at a time, in a thread.

The job runs the same ingestion pipeline as `kb-assistant ingest` (built by the composition
root), so its rules hold: unchanged documents are skipped, per-document failures are
reported, never fatal, and a file or source that would lose too many entries keeps them
(`ingest.shrink`, with the default limit): the job is `done` and lists it in
`shrink_refused`; `kb-assistant ingest --allow-shrink` lets such a loss through.
Readers keep answering meanwhile: the keyword index switches to its new build atomically
and Chroma serves reads during writes.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from ingest.pipeline import IngestPipeline
from ingest.shrink import shrink_json
from kb_assistant.core.errors import ConflictError
from kb_assistant.handoff.types import utcnow

log = logging.getLogger(__name__)

JobState = Literal["running", "done", "failed"]
KEPT_JOBS = 20


class IngestJobError(ConflictError):
    """A job cannot start: `code` says why (`conflict`: one is running; `no_sources`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class IngestJob:
    """One ingestion run started from the admin API."""

    id: str
    sources: list[str]
    started_at: datetime = field(default_factory=utcnow)
    state: JobState = "running"
    finished_at: datetime | None = None
    report: dict[str, Any] | None = None
    error: str | None = None
    shrink_refused: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "state": self.state,
            "sources": self.sources,
            "started_at": self.started_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
            "report": self.report,
            "error": self.error,
            "shrink_refused": self.shrink_refused,
        }


class IngestJobs:
    """Starts ingestion jobs over `sources` and remembers the last few."""

    def __init__(
        self,
        pipeline: Callable[[], IngestPipeline],
        sources: Sequence[Path],
        *,
        optional_sources: Sequence[Path] = (),
        ingest_lock: threading.Lock | None = None,
        guard: Callable[[threading.Lock], AbstractContextManager[object]] | None = None,
    ) -> None:
        """`optional_sources` are indexed too when they exist (the agents' FAQ file);
        `ingest_lock` is shared with other ingestion in the process, and `guard(lock)` is
        entered while a job runs (default: the lock alone; the app adds the index lease)."""
        self.pipeline = pipeline
        self.sources = list(sources)
        self.optional_sources = list(optional_sources)
        self.ingest_lock = ingest_lock or threading.Lock()
        self._guard = guard or (lambda lock: lock)
        self._jobs: OrderedDict[str, IngestJob] = OrderedDict()
        self._lock = threading.Lock()

    def current_sources(self) -> list[Path]:
        """The configured sources, and the optional ones that exist now."""
        return [*self.sources, *(path for path in self.optional_sources if path.exists())]

    def start(self) -> IngestJob:
        """Start a job in a background thread; `IngestJobError` when one is running or there
        is nothing configured to ingest."""
        sources = self.current_sources()
        if not sources:
            raise IngestJobError(
                "no_sources",
                "no sources are configured: set KB_INGEST_SOURCES to the files or folders to index",
            )
        with self._lock:
            running = next((j for j in self._jobs.values() if j.state == "running"), None)
            if running is not None:
                raise IngestJobError(
                    "conflict", f"ingest job {running.id} is still running: wait for it to finish"
                )
            job = IngestJob(f"ingest-{uuid.uuid4().hex[:12]}", [str(p) for p in sources])
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT_JOBS:
                self._jobs.popitem(last=False)
        threading.Thread(target=self._run, args=(job,), name=job.id, daemon=True).start()
        return job

    def get(self, job_id: str) -> IngestJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _run(self, job: IngestJob) -> None:
        state: JobState = "failed"
        try:
            with self._guard(self.ingest_lock):
                report = self.pipeline().run([Path(source) for source in job.sources])
            job.report = report.to_json()
            job.shrink_refused = shrink_json(report)
            state = "done"
        except Exception as exc:  # reported on the job; the server keeps running
            log.exception("ingest job %s failed", job.id)
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished_at = utcnow()
            job.state = state  # last: a reader that sees the state sees the rest
