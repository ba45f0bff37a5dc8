"""What the operator console and the admin API's read endpoints are built from: operator
accounts and sessions, the read models over conversations and cases, content gaps, FAQ
drafts with their publisher, and the knowledge base's page (versions, sources, health).

The knowledge-base health report reads the whole live index, so it is made at most once per
`HEALTH_TTL_S` for each live version, in the thread that asks, and kept in memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from kb_assistant.composition.indexes import NothingIndexedError, build_registry
from kb_assistant.composition.report import health_report
from kb_assistant.core.errors import NotFoundError, UnavailableError
from kb_assistant.core.redaction import Redactor
from kb_assistant.faq import FaqDraft, FaqDraftStore, FaqPublisher
from kb_assistant.faq.drafts import DraftText
from kb_assistant.handoff.types import as_utc, utcnow
from kb_assistant.insights.gaps import GapFinder
from kb_assistant.insights.overview import period_ending
from kb_assistant.insights.transcripts import Transcripts
from kb_assistant.insights.types import (
    FaqDraftView,
    GapReport,
    KnowledgeBase,
    SourceRow,
    VersionRow,
)
from kb_assistant.operators import ConsoleSessions, OperatorAccounts
from kb_assistant.storage.databases import database_exists, databases_for
from kb_assistant.storage.tables import DocumentRow

if TYPE_CHECKING:
    from kb_assistant.index.versions import IndexVersion
    from kb_assistant.kbreport import KbReport
    from kb_assistant.ports import Embedder
    from kb_assistant.settings import Settings

log = logging.getLogger(__name__)

HEALTH_TTL_S = 600.0
HEALTH_FINDINGS = 20
SOURCES = 500
_FINDING_KINDS = (
    "contradictions",
    "duplicates",
    "near_duplicates",
    "boilerplate",
    "unreadable",
    "long_units",
    "short_units",
)


@dataclass
class HealthCache:
    """The health report of the live version, made at most once per `ttl_s`."""

    make: Callable[[], KbReport]
    ttl_s: float = HEALTH_TTL_S
    _made: dict[int | None, tuple[float, KbReport]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, version: int | None) -> KbReport:
        with self._lock:
            found = self._made.get(version)
            if found is not None and time.monotonic() - found[0] < self.ttl_s:
                return found[1]
            report = self.make()
            self._made = {version: (time.monotonic(), report)}
            return report


@dataclass
class ConsoleServices:
    """Everything the console's pages and the admin API's read endpoints use."""

    settings: Settings
    engine: Engine
    accounts: OperatorAccounts
    sessions: ConsoleSessions
    transcripts: Transcripts
    drafts: FaqDraftStore
    redactor: Redactor
    health: HealthCache
    publisher: Callable[[], FaqPublisher]
    embedder: Callable[[], Embedder]

    def gaps(self) -> GapFinder:
        return GapFinder(
            self.engine,
            self.embedder(),
            self.redactor,
            similarity=self.settings.console_gap_similarity,
        )

    def knowledge_base(self) -> KnowledgeBase:
        return knowledge_base(self.settings, self.health)

    def publish(self, draft_id: int, question: str, answer: str, operator: str) -> FaqDraft:
        """Approve the edited draft and index it, as agents' approvals in Slack are; a failure
        is kept on the draft (which stays approved) and raised."""
        approved = self.drafts.approve(draft_id, question, answer, operator, f"console:{operator}")
        try:
            doc_id = self.publisher().publish(approved)
        except Exception as error:
            self.drafts.failed(draft_id, f"{type(error).__name__}: {error}")
            raise
        return self.drafts.published(draft_id, doc_id)

    def gap_report(self, days: int) -> GapReport:
        """The content gaps of the last `days` days, each with the FAQ draft started from
        it (if any); `ModelNotReadyError` while the assistant's model is not loaded."""
        report = self.gaps().report(period_ending(utcnow().date(), days))
        drafts = self.drafts.for_gaps([g.key for g in report.gaps])
        return replace(report, gaps=[replace(g, draft_id=drafts.get(g.key)) for g in report.gaps])

    def draft_gap(self, key: str, days: int, operator: str) -> FaqDraft:
        """The FAQ draft of the gap `key`: the one already started, or a new one whose
        question is the gap's (already redacted) and whose answer the operator writes;
        `GapNotFoundError` when the last `days` days have no such gap."""
        existing = self.drafts.for_gap(key)
        if existing is not None:
            return existing
        gap = next((g for g in self.gap_report(days).gaps if g.key == key), None)
        if gap is None:
            raise GapNotFoundError(
                f"no content gap {key!r} in the last {days} days: reload the list of gaps"
            )
        return self.drafts.start_from_gap(key, DraftText(gap.label, "", 0), operator)


class GapNotFoundError(NotFoundError):
    """No content gap has this key in the period asked about."""


class ModelNotReadyError(UnavailableError):
    """The assistant's model is still loading; what needs it waits."""


def build_console(
    settings: Settings,
    engine: Engine,
    *,
    publisher: Callable[[], FaqPublisher],
    embedder: Callable[[], Embedder],
) -> ConsoleServices:
    """The console's services on the main database's `engine`; `publisher` and `embedder`
    are called when first needed (the model loads with the assistant)."""
    redactor = Redactor(settings.redact_allowlist)
    return ConsoleServices(
        settings=settings,
        engine=engine,
        accounts=OperatorAccounts(engine),
        sessions=ConsoleSessions(
            engine,
            idle=timedelta(minutes=settings.console_idle_minutes),
            lifetime=timedelta(hours=settings.console_session_hours),
        ),
        transcripts=Transcripts(engine, redactor),
        drafts=FaqDraftStore(engine),
        redactor=redactor,
        health=HealthCache(lambda: health_report(settings)),
        publisher=publisher,
        embedder=embedder,
    )


def knowledge_base(settings: Settings, health: HealthCache) -> KnowledgeBase:
    """Index versions (with the re-index gate's recall), the live version's sources and
    when each was last synced, and the health report's summary."""
    registry = build_registry(settings)
    versions = registry.all()
    live = registry.live()
    sources = _sources(settings, live)
    counts: dict[str, int] = {}
    findings: list[dict[str, object]] = []
    error = None
    try:
        report = health.get(None if live is None else live.id)
        summary = report.summary()
        counts = {kind: summary.get(kind, 0) for kind in _FINDING_KINDS}
        findings = _findings(report)
    except NothingIndexedError as exc:
        error = str(exc)
    except Exception as exc:  # the page still shows versions and sources
        log.exception("the knowledge-base health report could not be made")
        error = f"the health report could not be made: {type(exc).__name__}: {exc}"
    return KnowledgeBase(
        live_version=None if live is None else live.name,
        versions=[
            _version(v, sum(s.chunks for s in sources) if live and v.id == live.id else None)
            for v in sorted(versions, key=lambda v: v.id, reverse=True)
        ],
        sources=sources,
        health=counts,
        health_findings=findings,
        health_error=error,
    )


def _version(version: IndexVersion, indexed: int | None = None) -> VersionRow:
    """A version's row; `indexed` counts the live version's chunks when its build recorded
    none (a version filled incrementally)."""
    gate = version.gate or {}
    recall = gate.get("recall_new")
    passed = gate.get("passed")
    return VersionRow(
        version=version.name,
        state=version.state,
        mode=version.mode,
        created_at=version.created_at,
        finished_at=version.finished_at,
        live_since=version.live_since,
        chunks=sum(version.chunks.values()) or indexed or 0,
        recall=float(recall) if isinstance(recall, int | float) else None,
        gate_passed=bool(passed) if isinstance(passed, bool) else None,
        note=version.note,
    )


def _sources(settings: Settings, live: IndexVersion | None) -> list[SourceRow]:
    """The live version's documents grouped by source file."""
    url = live.manifest_url if live is not None else settings.resolved_database_url
    if not database_exists(url):
        return []
    databases = databases_for(settings)
    engine = databases.manifest(url) if live is not None else databases.main()
    if not inspect(engine).has_table("documents"):
        return []
    doc = DocumentRow
    query = (
        select(
            doc.source,
            func.min(doc.title),
            func.min(doc.location),
            func.min(doc.kind),
            func.min(doc.visibility),
            func.sum(doc.chunk_count),
            func.max(doc.ingested_at),
            func.count(),
        )
        .group_by(doc.source)
        .order_by(doc.source)
        .limit(SOURCES)
    )
    rows = []
    with Session(engine) as session:
        for source, title, location, kind, visibility, chunks, synced, documents in session.execute(
            query
        ):
            shown = (
                title if documents == 1 else f"{source.rsplit('/', 1)[-1]} ({documents} entries)"
            )
            rows.append(
                SourceRow(
                    title=str(shown or source),
                    location=str(location if documents == 1 else source),
                    kind=str(kind),
                    visibility=str(visibility),
                    chunks=int(chunks or 0),
                    synced_at=None if synced is None else as_utc(synced),
                )
            )
    return rows


def _findings(report: KbReport) -> list[dict[str, object]]:
    """The first findings of the report, each as a kind and one line."""
    found: list[dict[str, object]] = []
    for c in report.contradictions:
        first, second = c.first, c.second
        found.append(
            {
                "kind": "contradiction",
                "summary": f"{first.title}: “{first.sentence}” ≠ {second.title}: "
                f"“{second.sentence}”",
            }
        )
    for group in report.duplicates:
        titles = ", ".join(sorted({u.title for u in group.units})[:4])
        found.append({"kind": "duplicate", "summary": f"{titles}: “{group.excerpt}”"})
    for pair in report.near_duplicates:
        found.append(
            {
                "kind": "near duplicate",
                "summary": f"{pair.first.title} ({pair.first.location}) ≈ {pair.second.title} "
                f"({pair.second.location}), similarity {pair.similarity:.2f}",
            }
        )
    for source in report.unreadable:
        found.append({"kind": "unreadable", "summary": f"{source.source}: {source.message}"})
    return found[:HEALTH_FINDINGS]


def draft_view(draft: FaqDraft) -> FaqDraftView:
    """A draft as the console shows it."""
    return FaqDraftView(
        id=draft.id,
        question=draft.question,
        answer=draft.answer,
        state=draft.state,
        origin=draft.origin,
        created_by=draft.created_by,
        created_at=draft.created_at,
        approved_by=draft.approved_by,
        published_at=draft.published_at,
        doc_id=draft.doc_id,
        error=draft.error,
    )
