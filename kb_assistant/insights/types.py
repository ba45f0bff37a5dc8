"""What the people who run the assistant see: the read models behind the operator console
and the admin API's JSON.

Every type here is plain data (no database handles), built by the queries of this package
and rendered twice: as HTML pages by the console, as JSON by the admin API (`as_json`).
Texts that came from a conversation are already redacted of personal data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

OUTCOMES = ("answer", "dont_know", "escalate")


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


class JsonShape:
    """`as_json`: the dataclass's fields, times as ISO-8601 text."""

    def as_json(self) -> dict[str, Any]:
        return {k: _json(v) for k, v in asdict(self).items()}  # type: ignore[call-overload]


@dataclass(frozen=True)
class Period:
    """The days an overview covers, both ends included (UTC dates)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class DayCount(JsonShape):
    """Conversations begun on one day, and the assistant's replies that day by outcome."""

    day: date
    conversations: int
    answered: int = 0
    dont_know: int = 0
    escalated: int = 0


@dataclass(frozen=True)
class Overview(JsonShape):
    """How the assistant did over a period.

    `outcomes` counts the assistant's replies by action (answer, dont_know, escalate);
    `escalations` counts escalated replies by reason (the policy class, or `person_request`
    when the customer asked for a person). Latencies are from the customer's message being
    stored to the reply being stored, in milliseconds; None when nothing was answered.
    """

    start: date
    end: date
    conversations: int
    replies: int
    outcomes: dict[str, int]
    escalations: dict[str, int]
    thumbs_up: int
    thumbs_down: int
    latency_median_ms: float | None
    latency_p95_ms: float | None
    daily: list[DayCount] = field(default_factory=list)

    def share(self, outcome: str) -> float:
        """The share (0–1) of replies with this outcome; 0 when there were none."""
        return self.outcomes.get(outcome, 0) / self.replies if self.replies else 0.0

    @property
    def rated(self) -> int:
        return self.thumbs_up + self.thumbs_down

    @property
    def thumbs_up_rate(self) -> float | None:
        """👍 among rated replies (0–1), None when no reply was rated."""
        return self.thumbs_up / self.rated if self.rated else None


@dataclass(frozen=True)
class TracePassage(JsonShape):
    """A passage retrieved for a reply: where it is from and how it ranked."""

    rank: int
    title: str
    location: str
    score: float
    visibility: str
    text: str  # the start of the passage, bounded


@dataclass(frozen=True)
class TraceRemoval(JsonShape):
    """A sentence the verifier removed from a draft, and the check that removed it."""

    text: str
    check: str


@dataclass(frozen=True)
class TurnTrace(JsonShape):
    """What the assistant did for one reply: the passages it retrieved, the confidence
    gate's verdict, the sentences the verifier removed, the policy's decision."""

    message_id: str
    action: str
    confidence: float
    latency_ms: float | None
    composer: str
    question_used: str
    escalation: str | None
    policy: dict[str, Any] | None
    passages: list[TracePassage] = field(default_factory=list)
    removed: list[TraceRemoval] = field(default_factory=list)


@dataclass(frozen=True)
class TranscriptLine(JsonShape):
    """One message of a transcript as an operator reads it, with the reply's trace."""

    id: str
    seq: int
    role: str
    text: str  # redacted
    created_at: datetime
    action: str | None = None
    reason: str | None = None
    rating: str | None = None
    agent: str | None = None
    citations: list[str] = field(default_factory=list)  # "title — location"
    trace: TurnTrace | None = None


@dataclass(frozen=True)
class ConversationSummary(JsonShape):
    """A conversation in a list: when, how long, how it ended."""

    id: str
    created_at: datetime
    messages: int
    first_question: str  # redacted, bounded
    last_action: str | None
    escalated: bool
    rated_down: bool


@dataclass(frozen=True)
class ConversationPage(JsonShape):
    """A page of conversations matching a search, newest first."""

    query: str
    total: int
    offset: int
    limit: int
    conversations: list[ConversationSummary] = field(default_factory=list)


@dataclass(frozen=True)
class ConversationDetail(JsonShape):
    """A whole transcript, redacted, with a trace for each reply."""

    id: str
    created_at: datetime
    client: str | None
    lines: list[TranscriptLine] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class GapExample(JsonShape):
    """One customer question of a gap: what was asked, when, and what happened."""

    question: str  # redacted
    conversation_id: str
    asked_at: datetime
    kind: str  # "unanswered" or "rated_down"
    reply: str | None = None  # the reply rated down, redacted


@dataclass(frozen=True)
class ContentGap(JsonShape):
    """Questions that mean the same thing and that the knowledge base failed on, grouped.

    `key` names the group stably (a hash of its most central question), so a draft made
    from it can be found again; `passages` are those retrieved for its questions, most
    often first.
    """

    key: str
    label: str  # the most central question, redacted
    count: int
    unanswered: int
    rated_down: int
    last_asked: datetime
    examples: list[GapExample] = field(default_factory=list)
    passages: list[TracePassage] = field(default_factory=list)
    draft_id: int | None = None  # an FAQ draft made from this gap


@dataclass(frozen=True)
class GapReport(JsonShape):
    """Content gaps over a period, largest first."""

    start: date
    end: date
    questions: int
    gaps: list[ContentGap] = field(default_factory=list)


@dataclass(frozen=True)
class CaseRow(JsonShape):
    """A handoff case in the queue."""

    id: int
    conversation_id: str
    state: str
    reason: str  # the policy class
    urgent: bool
    agent: str | None
    created_at: datetime
    age_s: float
    question: str  # the customer's last message before the handoff, redacted


@dataclass(frozen=True)
class CaseQueue(JsonShape):
    """Cases matching the filters, newest first, and how many there are in each state."""

    state: str | None
    reason: str | None
    agent: str | None
    cases: list[CaseRow] = field(default_factory=list)
    by_state: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VersionRow(JsonShape):
    """One build of the index: state, when, what it holds, the re-index gate's recall."""

    version: str
    state: str
    mode: str
    created_at: datetime
    finished_at: datetime | None
    live_since: datetime | None
    chunks: int
    recall: float | None  # the gate's recall on its check questions, when it ran
    gate_passed: bool | None
    note: str | None


@dataclass(frozen=True)
class SourceRow(JsonShape):
    """A source document in the live index and when it was last synced."""

    title: str
    location: str
    kind: str
    visibility: str
    chunks: int
    synced_at: datetime | None


@dataclass(frozen=True)
class KnowledgeBase(JsonShape):
    """The index's versions and sources, and the knowledge-base health report's summary."""

    live_version: str | None
    versions: list[VersionRow] = field(default_factory=list)
    sources: list[SourceRow] = field(default_factory=list)
    health: dict[str, int] = field(default_factory=dict)  # finding kind -> count
    health_findings: list[dict[str, Any]] = field(default_factory=list)  # the first few
    health_error: str | None = None  # why the report could not be made


@dataclass(frozen=True)
class FaqDraftView(JsonShape):
    """An FAQ draft an operator edits and publishes."""

    id: int
    question: str
    answer: str
    state: str
    origin: str  # "case" or "gap"
    created_by: str
    created_at: datetime
    approved_by: str | None = None
    published_at: datetime | None = None
    doc_id: str | None = None
    error: str | None = None
