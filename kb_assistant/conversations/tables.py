"""Tables of customer conversations, their messages and the customers' ratings, and the
conversions between their rows and the conversation types.

Portable SQL (SQLite by default, PostgreSQL with another URL), on the same `Base` as the
other stores. `conversations.last_event` is the counter every new message takes its event
number from; (conversation, seq) is unique, so two writers can never share a number.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kb_assistant.conversations.types import Conversation, EventKind, Rating, Role, StoredMessage
from kb_assistant.handoff.types import MAX_ID_CHARS, CustomerContact, as_utc
from kb_assistant.storage.db import Base

ID_CHARS = 64


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(ID_CHARS), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    client: Mapped[str | None] = mapped_column(String(MAX_ID_CHARS))
    contact: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_event: Mapped[int] = mapped_column(Integer, default=0)


class ConversationMessageRow(Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_conversation_message_seq"),
        # A case's change (open, claimed, resolved) and a relayed reply appear once, however
        # many processes notice them at the same time.
        UniqueConstraint("case_id", "handoff_state", name="uq_conversation_handoff_state"),
        UniqueConstraint("case_message_id", name="uq_conversation_case_message"),
        Index("ix_conversation_messages_action", "action", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(ID_CHARS), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    action: Mapped[str | None] = mapped_column(String(16))
    offer_human: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(String(ID_CHARS))
    case_id: Mapped[int | None] = mapped_column(Integer)
    case_message_id: Mapped[int | None] = mapped_column(Integer)  # the relayed case message
    event: Mapped[str | None] = mapped_column(String(16))
    handoff_state: Mapped[str | None] = mapped_column(String(16))
    agent: Mapped[str | None] = mapped_column(String(MAX_ID_CHARS))
    in_transcript: Mapped[bool] = mapped_column(Boolean, default=True)


class FeedbackRow(Base):
    """A customer's rating of one reply; rating it again replaces the row's values."""

    __tablename__ = "conversation_feedback"

    message_id: Mapped[str] = mapped_column(
        ForeignKey("conversation_messages.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(String(ID_CHARS), index=True)
    rating: Mapped[str] = mapped_column(String(8), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


_FIELDS = frozenset(
    {
        "citations",
        "action",
        "offer_human",
        "reason",
        "reply_to",
        "case_id",
        "case_message_id",
        "event",
        "handoff_state",
        "agent",
        "in_transcript",
    }
)


def row_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown message fields: {', '.join(sorted(unknown))}")
    values = {"citations": [], "offer_human": False, "in_transcript": True, **fields}
    values["citations"] = [dict(c) for c in values["citations"]]
    return values


def message_from_row(row: ConversationMessageRow, rating: Rating | None = None) -> StoredMessage:
    return StoredMessage(
        id=row.id,
        conversation_id=row.conversation_id,
        seq=row.seq,
        role=cast(Role, row.role),
        text=row.text,
        created_at=as_utc(row.created_at),
        citations=tuple(row.citations or ()),
        action=row.action,
        offer_human=bool(row.offer_human),
        reason=row.reason,
        reply_to=row.reply_to,
        case_id=row.case_id,
        event=cast(EventKind | None, row.event),
        handoff_state=row.handoff_state,
        agent=row.agent,
        in_transcript=bool(row.in_transcript),
        feedback=rating,
    )


def conversation_from_row(row: ConversationRow) -> Conversation:
    contact = None if row.contact is None else CustomerContact(**row.contact)
    return Conversation(row.id, as_utc(row.created_at), row.client, contact)
