"""What the assistant did for each reply, kept beside the reply: the passages it retrieved,
the confidence gate's verdict, the sentences the verifier removed, the policy's decision, and
how long the customer waited.

A trace is written in the transaction that stores the reply (`TurnLedger.settle`), so every
stored reply of the web chat has one, and the operator console reads them back: the
overview's outcome shares and latencies, the content gaps' retrieved passages, a
transcript's turn-by-turn account. Only the start of each passage is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kb_assistant.conversations.tables import ID_CHARS
from kb_assistant.core.replies import Answer
from kb_assistant.storage.db import Base

PASSAGE_CHARS = 240  # the start of each retrieved passage a trace keeps
MOST_PASSAGES = 5  # as many as an answer is composed from, by default
MOST_REMOVALS = 20
PERSON_REQUEST = "person_request"  # the escalation reason when the customer asked for a person


class TurnTraceRow(Base):
    """The trace of one assistant reply (keyed by the reply's message id)."""

    __tablename__ = "conversation_traces"
    # Covers the overview's reads of a period (outcomes, reasons, latencies): index only.
    __table_args__ = (
        Index(
            "ix_conversation_traces_created_at",
            "created_at",
            "action",
            "escalation",
            "latency_ms",
        ),
    )

    message_id: Mapped[str] = mapped_column(
        ForeignKey("conversation_messages.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(String(ID_CHARS), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(16))
    escalation: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    composer: Mapped[str] = mapped_column(String(64))
    question_used: Mapped[str] = mapped_column(Text)
    policy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    passages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    removed: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


@dataclass(frozen=True)
class TraceRecord:
    """A trace as stored: plain values, ready for a row."""

    action: str
    escalation: str | None
    confidence: float
    latency_ms: float | None
    composer: str
    question_used: str
    policy: dict[str, Any] | None
    passages: list[dict[str, Any]]
    removed: list[dict[str, Any]]

    @classmethod
    def of(cls, answer: Answer, latency_ms: float | None, *, person: bool = False) -> TraceRecord:
        """The trace of `answer`; `person` when the customer asked for a person."""
        escalation = None
        if answer.action == "escalate":
            label = answer.policy.label if answer.policy is not None else None
            escalation = PERSON_REQUEST if person or not label or label == "none" else label
        return cls(
            action=answer.action,
            escalation=escalation,
            confidence=float(answer.confidence),
            latency_ms=latency_ms,
            composer=answer.composer[:64],
            question_used=answer.question_used[:2000],
            policy=None if answer.policy is None else dict(answer.policy.as_json()),
            passages=[
                {
                    "rank": rank,
                    "title": p.title,
                    "location": p.location,
                    "score": round(float(p.score), 4),
                    "visibility": p.visibility,
                    "doc_id": p.doc_id,
                    "text": p.text[:PASSAGE_CHARS],
                }
                for rank, p in enumerate(answer.passages[:MOST_PASSAGES], start=1)
            ],
            removed=[
                {"text": r.statement.text[:PASSAGE_CHARS], "check": r.check}
                for r in answer.removed[:MOST_REMOVALS]
            ],
        )


def add_trace(
    session: Session, message_id: str, conversation_id: str, at: datetime, trace: TraceRecord
) -> None:
    """Store `trace` for the reply `message_id` inside the caller's transaction (replacing
    the trace of a reply stored again)."""
    row = session.get(TurnTraceRow, message_id)
    if row is None:
        row = TurnTraceRow(message_id=message_id, conversation_id=conversation_id)
        session.add(row)
    row.created_at = at
    for name, value in _values(trace).items():
        setattr(row, name, value)


def traces_of(session: Session, message_ids: Sequence[str]) -> dict[str, TurnTraceRow]:
    """The traces of these replies, by message id (replies without one are left out)."""
    if not message_ids:
        return {}
    query = select(TurnTraceRow).where(TurnTraceRow.message_id.in_(list(message_ids)))
    return {row.message_id: row for row in session.scalars(query)}


def _values(trace: TraceRecord) -> Mapping[str, Any]:
    return {
        "action": trace.action,
        "escalation": trace.escalation,
        "confidence": trace.confidence,
        "latency_ms": trace.latency_ms,
        "composer": trace.composer,
        "question_used": trace.question_used,
        "policy": trace.policy,
        "passages": trace.passages,
        "removed": trace.removed,
    }
