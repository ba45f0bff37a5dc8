"""Tables of the handoff store (cases, their transcript turns, relayed messages) and the
conversions between their rows and the handoff types.

Portable SQL only (SQLite by default, PostgreSQL with another URL). One active case per
conversation is enforced by the database itself: `active_conversation` holds the
conversation id while the case is open or claimed and NULL once resolved, under a unique
constraint (both databases allow any number of NULLs in a unique column).
"""

from __future__ import annotations

from dataclasses import replace
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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb_assistant.handoff.types import (
    MAX_ID_CHARS,
    Case,
    CaseMessage,
    CasePacket,
    CaseState,
    Direction,
    TranscriptTurn,
    TurnRole,
    as_utc,
)
from kb_assistant.storage.db import Base


class HandoffCaseRow(Base):
    __tablename__ = "handoff_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(MAX_ID_CHARS), index=True)
    active_conversation: Mapped[str | None] = mapped_column(String(MAX_ID_CHARS), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    label: Mapped[str] = mapped_column(String(32), index=True)
    urgent: Mapped[bool] = mapped_column(Boolean)
    # The packet's JSON without its transcript (in `turns`) and urgency (in `urgent`).
    packet: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(MAX_ID_CHARS))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(MAX_ID_CHARS))
    turns: Mapped[list[HandoffTurnRow]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        order_by="HandoffTurnRow.position",
        lazy="selectin",
    )


class HandoffTurnRow(Base):
    """One transcript turn; (case, position) is unique so concurrent appends cannot interleave."""

    __tablename__ = "handoff_turns"
    __table_args__ = (UniqueConstraint("case_id", "position", name="uq_handoff_turn_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("handoff_cases.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    case: Mapped[HandoffCaseRow] = relationship(back_populates="turns")


class HandoffMessageRow(Base):
    """A message relayed between agent and customer; ids grow in the order they were stored."""

    __tablename__ = "handoff_messages"
    __table_args__ = (Index("ix_handoff_messages_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("handoff_cases.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(String(MAX_ID_CHARS))
    direction: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(MAX_ID_CHARS))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def new_case_row(packet: CasePacket, now: datetime) -> HandoffCaseRow:
    """A new open case holding `packet`, active for its conversation."""
    stored = packet.as_json()
    for derived in ("transcript", "urgent", "sentiment_label"):
        stored.pop(derived)
    return HandoffCaseRow(
        conversation_id=packet.conversation_id,
        active_conversation=packet.conversation_id,
        state="open",
        label=packet.label,
        urgent=packet.urgent,
        packet=stored,
        created_at=now,
        updated_at=now,
        turns=[turn_row(position, turn) for position, turn in enumerate(packet.transcript)],
    )


def turn_row(position: int, turn: TranscriptTurn) -> HandoffTurnRow:
    return HandoffTurnRow(position=position, role=turn.role, text=turn.text, at=turn.at)


def case_from_row(row: HandoffCaseRow) -> Case:
    """The case a row (with its turns loaded) stores."""
    packet = CasePacket.from_json({**row.packet, "urgent": row.urgent})
    turns = tuple(TranscriptTurn(cast(TurnRole, t.role), t.text, t.at) for t in row.turns)
    return Case(
        id=row.id,
        conversation_id=row.conversation_id,
        state=cast(CaseState, row.state),
        packet=replace(packet, transcript=turns),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        claimed_at=None if row.claimed_at is None else as_utc(row.claimed_at),
        claimed_by=row.claimed_by,
        resolved_at=None if row.resolved_at is None else as_utc(row.resolved_at),
        resolved_by=row.resolved_by,
    )


def message_from_row(row: HandoffMessageRow) -> CaseMessage:
    return CaseMessage(
        id=row.id,
        case_id=row.case_id,
        conversation_id=row.conversation_id,
        direction=cast(Direction, row.direction),
        author=row.author,
        text=row.text,
        created_at=as_utc(row.created_at),
    )
