"""Durable customer turns: a message and the fact that it awaits a decision, stored together.

A customer's message is stored in the same transaction as a pending-turn row (an outbox):
the row says the message still needs the policy's decision and a reply, and which server
process is working on it. The row goes away only in the transaction that stores the reply.
So whatever moment a server dies at, a message is either answered or still pending, and
`TurnRecovery` (in the API) finds pending turns whose process is gone and decides them.

A streamed reply is stored as it is streamed: before each part goes to the customer, the
reply row holds everything sent so far. A reply whose server died mid-way stays in the
transcript marked `interrupted`, and the turn is answered again in full; the transcript
never shows text the store does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import (
    CursorResult,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from kb_assistant.conversations.store import checked_text, insert_message
from kb_assistant.conversations.tables import ID_CHARS, ConversationMessageRow, message_from_row
from kb_assistant.conversations.traces import TraceRecord, add_trace
from kb_assistant.conversations.types import MAX_TEXT_CHARS, StoredMessage
from kb_assistant.handoff.types import as_utc, utcnow
from kb_assistant.storage.db import Base
from kb_assistant.storage.processes import ProcessId, dead_here, this_process

TurnKind = Literal["message", "person"]
INTERRUPTED = "interrupted"  # the action of a streamed reply its server never finished
MAX_ERROR_CHARS = 2000


class PendingTurnRow(Base):
    """A customer message that has no decided reply yet."""

    __tablename__ = "conversation_pending_turns"

    message_id: Mapped[str] = mapped_column(
        ForeignKey("conversation_messages.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(String(ID_CHARS), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # a message, or the "talk to a person" button
    length: Mapped[str | None] = mapped_column(String(16))
    tone: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    owner: Mapped[str | None] = mapped_column(String(300))  # the process answering; None: free
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    reply_id: Mapped[str | None] = mapped_column(String(ID_CHARS))  # the reply being streamed
    last_error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class PendingTurn:
    """A stored customer message awaiting its decision and reply, and who works on it."""

    message: StoredMessage
    kind: TurnKind
    length: str | None
    tone: str | None
    created_at: datetime
    owner: str | None
    claimed_at: datetime
    attempts: int
    reply_id: str | None = None
    last_error: str | None = None


class TurnLedger:
    """Pending customer turns on the conversation store's database."""

    def __init__(self, engine: Engine, process: ProcessId | None = None) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.process = process or this_process()

    def begin(
        self,
        conversation_id: str,
        text: str,
        *,
        kind: TurnKind = "message",
        length: str | None = None,
        tone: str | None = None,
    ) -> PendingTurn:
        """Store the customer's message and its pending turn in one transaction, claimed by
        this process."""
        with self._sessions.begin() as session:
            message = insert_message(session, conversation_id, "customer", text)
            row = PendingTurnRow(
                message_id=message.id,
                conversation_id=conversation_id,
                kind=kind,
                length=length,
                tone=tone,
                created_at=message.created_at,
                owner=self.process.key(),
                claimed_at=message.created_at,
                attempts=1,
            )
            session.add(row)
            session.flush()
            return _turn(row, message)

    def progress(self, turn: PendingTurn, text: str, reply_id: str | None) -> str:
        """Store the reply streamed so far (before the customer sees it); the reply's id.

        The first call adds the reply to the conversation, later ones replace its text.
        """
        text = checked_text(text, MAX_TEXT_CHARS, "reply")
        with self._sessions.begin() as session:
            if reply_id is None:
                reply = insert_message(
                    session, turn.message.conversation_id, "assistant", text, reply_to=_id(turn)
                )
                reply_id = reply.id
            else:
                session.execute(
                    update(ConversationMessageRow)
                    .where(ConversationMessageRow.id == reply_id)
                    .values(text=text)
                )
            session.execute(
                update(PendingTurnRow)
                .where(PendingTurnRow.message_id == _id(turn))
                .values(reply_id=reply_id, claimed_at=utcnow())
            )
        return reply_id

    def settle(
        self,
        turn: PendingTurn,
        text: str,
        *,
        reply_id: str | None = None,
        trace: TraceRecord | None = None,
        **fields: Any,
    ) -> StoredMessage:
        """Store the reply (with its trace) and close the turn, in one transaction.

        When another process settled the turn first, its reply is returned and nothing is
        stored twice. `fields` are the reply's `StoredMessage` fields (citations, action…).
        """
        text = checked_text(text, MAX_TEXT_CHARS, "reply")
        with self._sessions.begin() as session:
            closed = session.execute(
                delete(PendingTurnRow).where(PendingTurnRow.message_id == _id(turn))
            )
            if _changed(closed) == 0:
                earlier = _settled_reply(session, _id(turn))
                if earlier is not None:
                    return message_from_row(earlier)
            if reply_id is not None:
                row = session.get(ConversationMessageRow, reply_id)
                if row is not None:
                    row.text = text
                    for name, value in fields.items():
                        setattr(row, name, _column_value(name, value))
                    session.flush()
                    _trace(session, row, trace)
                    return message_from_row(row)
            row = insert_message(
                session,
                turn.message.conversation_id,
                "assistant",
                text,
                reply_to=_id(turn),
                **fields,
            )
            _trace(session, row, trace)
            return message_from_row(row)

    def release(self, turn: PendingTurn, error: str) -> None:
        """This process gave up on the turn (the reply failed, or the customer left): free it
        for recovery, which decides it again."""
        with self._sessions.begin() as session:
            session.execute(
                update(PendingTurnRow)
                .where(
                    PendingTurnRow.message_id == _id(turn),
                    PendingTurnRow.owner == self.process.key(),
                )
                .values(owner=None, last_error=error[:MAX_ERROR_CHARS])
            )

    def pending(self, *, limit: int = 200) -> list[PendingTurn]:
        """Pending turns, oldest first."""
        query = (
            select(PendingTurnRow, ConversationMessageRow)
            .join(ConversationMessageRow, ConversationMessageRow.id == PendingTurnRow.message_id)
            .order_by(PendingTurnRow.created_at)
            .limit(limit)
        )
        with self._sessions() as session:
            return [_turn(turn, message) for turn, message in session.execute(query).all()]

    def count(self) -> int:
        """How many turns are pending."""
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(PendingTurnRow)) or 0)

    def recoverable(self, stale_after_s: float, *, limit: int = 200) -> list[PendingTurn]:
        """Pending turns nobody is working on: released ones, those of a process that died
        on this machine, and those without progress for `stale_after_s` seconds."""
        stale_before = utcnow() - timedelta(seconds=stale_after_s)
        return [
            turn
            for turn in self.pending(limit=limit)
            if turn.owner is None or turn.claimed_at < stale_before or _owner_dead(turn.owner)
        ]

    def claim(self, turn: PendingTurn) -> PendingTurn | None:
        """Take over `turn` as it was read (compare-and-swap); None when another process
        changed it first. A reply its previous owner left half-streamed is marked
        interrupted and the turn will get a new, whole reply."""
        now = utcnow()
        owner = PendingTurnRow.owner
        same_owner = owner.is_(None) if turn.owner is None else owner == turn.owner
        with self._sessions.begin() as session:
            taken = session.execute(
                update(PendingTurnRow)
                .where(
                    PendingTurnRow.message_id == _id(turn),
                    same_owner,
                    PendingTurnRow.claimed_at == turn.claimed_at,
                )
                .values(
                    owner=self.process.key(),
                    claimed_at=now,
                    attempts=PendingTurnRow.attempts + 1,
                    reply_id=None,
                )
            )
            if _changed(taken) != 1:
                return None
            if turn.reply_id is not None:
                _mark_interrupted(session, turn.reply_id)
        return replace(
            turn,
            owner=self.process.key(),
            claimed_at=now,
            attempts=turn.attempts + 1,
            reply_id=None,
        )


def _mark_interrupted(session: Session, reply_id: str) -> None:
    session.execute(
        update(ConversationMessageRow)
        .where(ConversationMessageRow.id == reply_id, ConversationMessageRow.action.is_(None))
        .values(action=INTERRUPTED, reason=INTERRUPTED)
    )


def _settled_reply(session: Session, message_id: str) -> ConversationMessageRow | None:
    """The newest finished reply to `message_id`."""
    query = (
        select(ConversationMessageRow)
        .where(
            ConversationMessageRow.reply_to == message_id,
            ConversationMessageRow.action.is_not(None),
            ConversationMessageRow.action != INTERRUPTED,
        )
        .order_by(ConversationMessageRow.seq.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def _owner_dead(owner: str) -> bool:
    process = ProcessId.parse(owner)
    return process is not None and dead_here(process)


def _column_value(name: str, value: Any) -> Any:
    return [dict(c) for c in value] if name == "citations" else value


def _id(turn: PendingTurn) -> str:
    return turn.message.id


def _changed(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _turn(row: PendingTurnRow, message: ConversationMessageRow) -> PendingTurn:
    return PendingTurn(
        message=message_from_row(message),
        kind=cast(TurnKind, row.kind),
        length=row.length,
        tone=row.tone,
        created_at=as_utc(row.created_at),
        owner=row.owner,
        claimed_at=as_utc(row.claimed_at),
        attempts=row.attempts,
        reply_id=row.reply_id,
        last_error=row.last_error,
    )


def _trace(session: Session, reply: ConversationMessageRow, trace: TraceRecord | None) -> None:
    if trace is not None:
        add_trace(session, reply.id, reply.conversation_id, utcnow(), trace)
