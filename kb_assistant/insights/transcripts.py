"""Conversations as an operator reads them: a searchable list, and a whole transcript with
what the assistant did at each turn. Every text is redacted of personal data on the way out
(the store keeps what was written; the console never shows an email, a card or a phone)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from kb_assistant.conversations.tables import ConversationMessageRow, ConversationRow, FeedbackRow
from kb_assistant.conversations.traces import TurnTraceRow, traces_of
from kb_assistant.conversations.types import ConversationNotFoundError
from kb_assistant.core.redaction import Redactor
from kb_assistant.handoff.types import as_utc
from kb_assistant.insights.types import (
    ConversationDetail,
    ConversationPage,
    ConversationSummary,
    TracePassage,
    TraceRemoval,
    TranscriptLine,
    TurnTrace,
)

MAX_PAGE = 200
MAX_QUERY_CHARS = 200
SUMMARY_CHARS = 160
TRANSCRIPT_LIMIT = 2000


def _like(text: str) -> str:
    """`text` as a LIKE pattern matching it anywhere (its own % and _ taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Transcripts:
    """Reads conversations for operators, redacting as it goes."""

    def __init__(self, engine: Engine, redactor: Redactor) -> None:
        self._engine = engine
        self._redactor = redactor

    def redact(self, text: str, names: Sequence[str] = ()) -> str:
        return self._redactor.redact(text, names).text

    def search(self, query: str = "", *, offset: int = 0, limit: int = 50) -> ConversationPage:
        """Conversations, newest first; with `query`, those with a message holding it (or
        whose id starts with it)."""
        query = " ".join(query.split())[:MAX_QUERY_CHARS]
        offset, limit = max(0, offset), max(1, min(limit, MAX_PAGE))
        conversation = ConversationRow
        message = ConversationMessageRow
        matching = select(conversation.id, conversation.created_at)
        if query:
            holds = exists().where(
                message.conversation_id == conversation.id,
                func.lower(message.text).like(_like(query.lower()), escape="\\"),
            )
            matching = matching.where(or_(holds, conversation.id.startswith(query)))
        with Session(self._engine) as session:
            total = int(session.scalar(select(func.count()).select_from(matching.subquery())) or 0)
            page = session.execute(
                matching.order_by(conversation.created_at.desc(), conversation.id)
                .offset(offset)
                .limit(limit)
            ).all()
            summaries = _summaries(session, [(cid, when) for cid, when in page])
        return ConversationPage(
            query=query,
            total=total,
            offset=offset,
            limit=limit,
            conversations=[
                ConversationSummary(
                    id=s.id,
                    created_at=s.created_at,
                    messages=s.messages,
                    first_question=self.redact(s.first_question)[:SUMMARY_CHARS],
                    last_action=s.last_action,
                    escalated=s.escalated,
                    rated_down=s.rated_down,
                )
                for s in summaries
            ],
        )

    def detail(self, conversation_id: str) -> ConversationDetail:
        """The whole transcript with each reply's trace; `ConversationNotFoundError`."""
        with Session(self._engine) as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                raise ConversationNotFoundError(f"no conversation {conversation_id!r}")
            names = [row.contact["name"]] if row.contact and row.contact.get("name") else []
            messages = list(
                session.scalars(
                    select(ConversationMessageRow)
                    .where(ConversationMessageRow.conversation_id == conversation_id)
                    .order_by(ConversationMessageRow.seq)
                    .limit(TRANSCRIPT_LIMIT)
                )
            )
            ids = [m.id for m in messages]
            ratings = dict(
                session.execute(
                    select(FeedbackRow.message_id, FeedbackRow.rating).where(
                        FeedbackRow.message_id.in_(ids)
                    )
                ).all()
            )
            traces = traces_of(session, [m.id for m in messages if m.role == "assistant"])
        lines = [
            TranscriptLine(
                id=m.id,
                seq=m.seq,
                role=m.role,
                text=self.redact(m.text, names),
                created_at=as_utc(m.created_at),
                action=m.action or m.handoff_state,
                reason=m.reason,
                rating=ratings.get(m.id),
                agent=m.agent,
                citations=[_citation(c) for c in m.citations or ()],
                trace=None if m.id not in traces else self._trace(traces[m.id], names),
            )
            for m in messages
            if m.in_transcript or m.role != "system"
        ]
        cases = sorted({m.case_id for m in messages if m.case_id is not None})
        return ConversationDetail(
            id=row.id,
            created_at=as_utc(row.created_at),
            client=row.client,
            lines=lines,
            case_ids=cases,
        )

    def _trace(self, row: TurnTraceRow, names: Sequence[str]) -> TurnTrace:
        return TurnTrace(
            message_id=row.message_id,
            action=row.action,
            confidence=round(row.confidence, 4),
            latency_ms=None if row.latency_ms is None else round(row.latency_ms, 1),
            composer=row.composer,
            question_used=self.redact(row.question_used, names),
            escalation=row.escalation,
            policy=row.policy,
            passages=trace_passages(row.passages),
            removed=[
                TraceRemoval(self.redact(str(r.get("text", "")), names), str(r.get("check", "")))
                for r in row.removed or ()
            ],
        )


def trace_passages(stored: Sequence[dict[str, Any]]) -> list[TracePassage]:
    """A trace's stored passages as read-model passages (knowledge-base text: not redacted)."""
    return [
        TracePassage(
            rank=int(p.get("rank", i)),
            title=str(p.get("title", "")),
            location=str(p.get("location", "")),
            score=float(p.get("score", 0.0)),
            visibility=str(p.get("visibility", "")),
            text=str(p.get("text", "")),
        )
        for i, p in enumerate(stored or (), start=1)
    ]


def _citation(citation: object) -> str:
    if not isinstance(citation, dict):
        return ""
    title, where = str(citation.get("title") or ""), str(citation.get("location") or "")
    return f"{title} — {where}" if title and where else title or where


class _Summary:
    __slots__ = (
        "created_at",
        "escalated",
        "first_question",
        "id",
        "last_action",
        "messages",
        "rated_down",
    )

    def __init__(self, cid: str, created_at: Any) -> None:
        self.id = cid
        self.created_at = as_utc(created_at)
        self.messages = 0
        self.first_question = ""
        self.last_action: str | None = None
        self.escalated = False
        self.rated_down = False


def _summaries(session: Session, page: list[tuple[str, Any]]) -> list[_Summary]:
    """Counts, first question, last outcome and flags of a page of conversations (a fixed
    number of queries, whatever the page's size)."""
    found = {cid: _Summary(cid, when) for cid, when in page}
    if not found:
        return []
    ids = list(found)
    message = ConversationMessageRow
    for cid, n in session.execute(
        select(message.conversation_id, func.count())
        .where(message.conversation_id.in_(ids), message.role != "system")
        .group_by(message.conversation_id)
    ):
        found[cid].messages = int(n)
    first = (
        select(message.conversation_id, func.min(message.seq).label("seq"))
        .where(message.conversation_id.in_(ids), message.role == "customer")
        .group_by(message.conversation_id)
        .subquery()
    )
    for cid, text in session.execute(
        select(message.conversation_id, message.text).join(
            first,
            and_(message.conversation_id == first.c.conversation_id, message.seq == first.c.seq),
        )
    ):
        found[cid].first_question = " ".join(text.split())
    last = (
        select(message.conversation_id, func.max(message.seq).label("seq"))
        .where(message.conversation_id.in_(ids), message.action.is_not(None))
        .group_by(message.conversation_id)
        .subquery()
    )
    for cid, action in session.execute(
        select(message.conversation_id, message.action).join(
            last, and_(message.conversation_id == last.c.conversation_id, message.seq == last.c.seq)
        )
    ):
        found[cid].last_action = action
    for (cid,) in session.execute(
        select(message.conversation_id)
        .where(message.conversation_id.in_(ids), message.action == "escalate")
        .distinct()
    ):
        found[cid].escalated = True
    reply = aliased(ConversationMessageRow)
    for (cid,) in session.execute(
        select(FeedbackRow.conversation_id)
        .join(reply, reply.id == FeedbackRow.message_id)
        .where(FeedbackRow.conversation_id.in_(ids), FeedbackRow.rating == "down")
        .distinct()
    ):
        found[cid].rated_down = True
    return [found[cid] for cid, _ in page]
