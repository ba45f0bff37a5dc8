"""The conversation store: customers' chats, their messages (the chat's event log), ratings,
and the content gaps they reveal.

SQLAlchemy with portable SQL, so the same code runs on SQLite (default) and PostgreSQL, and
several server processes can share one database: a message written by any of them reaches
every chat that polls for events.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, cast

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kb_assistant.conversations.feedback import content_gaps, save_rating, source_usage
from kb_assistant.conversations.tables import (
    ConversationMessageRow,
    ConversationRow,
    FeedbackRow,
    conversation_from_row,
    message_from_row,
    row_fields,
)
from kb_assistant.conversations.types import (
    MAX_COMMENT_CHARS,
    MAX_TEXT_CHARS,
    RATINGS,
    ROLES,
    ContentGaps,
    Conversation,
    ConversationInputError,
    ConversationNotFoundError,
    Rating,
    Role,
    SourceUsage,
    StoredMessage,
)
from kb_assistant.core.replies import Turn
from kb_assistant.handoff.types import CustomerContact, utcnow

MAX_LIST = 1_000
_HISTORY_ROLES = ("customer", "assistant", "agent")
_SURROGATE = re.compile("[\ud800-\udfff]")


def new_id(prefix: str) -> str:
    """A random, unguessable id such as `c_3f2a…` (128 bits)."""
    return f"{prefix}_{uuid.uuid4().hex}"


class ConversationStore:
    """Conversations on the main database's engine (`Databases.main()`)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        """The database engine, for stores that keep their tables beside these."""
        return self._engine

    def create(
        self, *, client: str | None = None, contact: CustomerContact | None = None
    ) -> Conversation:
        """A new conversation; `client` says where it came from (the embedding page's origin)."""
        row = ConversationRow(
            id=new_id("c"),
            created_at=utcnow(),
            client=None if client is None else client[:200],
            contact=None if contact is None else contact.as_json(),
            last_event=0,
        )
        with self._sessions.begin() as session:
            session.add(row)
        return conversation_from_row(row)

    def get(self, conversation_id: str) -> Conversation:
        """The conversation; `ConversationNotFoundError` when there is none."""
        with self._sessions() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                raise ConversationNotFoundError(
                    f"no conversation has id {conversation_id!r}: start a new one"
                )
            return conversation_from_row(row)

    def exists(self, conversation_id: str) -> bool:
        with self._sessions() as session:
            return session.get(ConversationRow, conversation_id) is not None

    def add_message(
        self, conversation_id: str, role: Role, text: str, **fields: Any
    ) -> StoredMessage:
        """Append a message (its event number is the conversation's next one).

        `fields` are the optional `StoredMessage` fields: citations, action, offer_human,
        reason, reply_to, case_id, event, handoff_state, agent, in_transcript.
        """
        with self._sessions.begin() as session:
            return message_from_row(insert_message(session, conversation_id, role, text, **fields))

    def transcript(self, conversation_id: str, *, limit: int = 500) -> list[StoredMessage]:
        """The messages a chat shows, oldest first (the last `limit`), with their ratings."""
        _check_limit(limit)
        query = (
            select(ConversationMessageRow, FeedbackRow.rating)
            .outerjoin(FeedbackRow, FeedbackRow.message_id == ConversationMessageRow.id)
            .where(
                ConversationMessageRow.conversation_id == conversation_id,
                ConversationMessageRow.in_transcript.is_(True),
            )
            .order_by(ConversationMessageRow.seq.desc())
            .limit(limit)
        )
        with self._sessions() as session:
            rows = session.execute(query).all()
        return [
            message_from_row(row, cast(Rating | None, rating)) for row, rating in reversed(rows)
        ]

    def history(
        self, conversation_id: str, *, turns: int = 10, before: int | None = None
    ) -> tuple[Turn, ...]:
        """The last `turns` messages between the customer and us (those before event number
        `before`, when given), for follow-up questions."""
        query = (
            select(ConversationMessageRow.role, ConversationMessageRow.text)
            .where(
                ConversationMessageRow.conversation_id == conversation_id,
                ConversationMessageRow.role.in_(_HISTORY_ROLES),
            )
            .order_by(ConversationMessageRow.seq.desc())
            .limit(turns)
        )
        if before is not None:
            query = query.where(ConversationMessageRow.seq < before)
        with self._sessions() as session:
            rows = session.execute(query).all()
        return tuple(Turn(cast(Any, role), text) for role, text in reversed(rows))

    def events(
        self, conversation_id: str, after: int = 0, *, limit: int = 100
    ) -> list[StoredMessage]:
        """Agent replies and handoff changes with an event number above `after`, in order."""
        _check_limit(limit)
        query = (
            select(ConversationMessageRow)
            .where(
                ConversationMessageRow.conversation_id == conversation_id,
                ConversationMessageRow.seq > after,
                ConversationMessageRow.event.is_not(None),
            )
            .order_by(ConversationMessageRow.seq)
            .limit(limit)
        )
        with self._sessions() as session:
            return [message_from_row(row, None) for row in session.scalars(query)]

    def last_handoff(self, conversation_id: str) -> StoredMessage | None:
        """The conversation's latest handoff event (where its case stands), if any."""
        query = (
            select(ConversationMessageRow)
            .where(
                ConversationMessageRow.conversation_id == conversation_id,
                ConversationMessageRow.event == "handoff",
            )
            .order_by(ConversationMessageRow.seq.desc())
            .limit(1)
        )
        with self._sessions() as session:
            row = session.scalars(query).first()
            return None if row is None else message_from_row(row, None)

    def rate(
        self, conversation_id: str, message_id: str, rating: Rating, comment: str | None = None
    ) -> None:
        """Record the customer's rating of one of the assistant's replies (replacing any
        earlier rating of it)."""
        if rating not in RATINGS:
            raise ConversationInputError(f"unknown rating {rating!r}: use up or down")
        if comment is not None:
            comment = checked_text(comment, MAX_COMMENT_CHARS, "comment") or None
        for _ in range(3):
            try:
                with self._sessions.begin() as session:
                    save_rating(session, conversation_id, message_id, rating, comment)
                return
            except IntegrityError:
                continue  # a concurrent first rating won: replace it
        raise ConversationInputError(f"could not save the rating of {message_id!r}: try again")

    def content_gaps(self, *, limit: int = 100) -> ContentGaps:
        """Questions answered "I don't know" and replies rated down, newest first."""
        _check_limit(limit)
        with self._sessions() as session:
            return content_gaps(session, limit)

    def source_usage(self) -> SourceUsage:
        """How many answers cited each source, and over how many answers and what time."""
        with self._sessions() as session:
            return source_usage(session)

    def add_once(
        self, conversation_id: str, role: Role, text: str, **fields: Any
    ) -> StoredMessage | None:
        """`add_message`, or None when this case change or relayed reply is stored already
        (by this process or another that noticed it at the same time)."""
        try:
            return self.add_message(conversation_id, role, text, **fields)
        except IntegrityError:
            return None

    def handoff_states(self, case_id: int) -> set[str]:
        """The states of the case the conversation has been told about."""
        query = select(ConversationMessageRow.handoff_state).where(
            ConversationMessageRow.case_id == case_id,
            ConversationMessageRow.event == "handoff",
        )
        with self._sessions() as session:
            return {state for state in session.scalars(query) if state is not None}

    def last_relayed(self, conversation_id: str) -> int | None:
        """The id of the last case message relayed into the conversation."""
        query = select(func.max(ConversationMessageRow.case_message_id)).where(
            ConversationMessageRow.conversation_id == conversation_id
        )
        with self._sessions() as session:
            return session.scalars(query).one()

    def relayed(self, case_message_id: int) -> StoredMessage | None:
        """The chat's copy of a relayed case message, if it has one."""
        query = select(ConversationMessageRow).where(
            ConversationMessageRow.case_message_id == case_message_id
        )
        with self._sessions() as session:
            row = session.scalars(query).first()
            return None if row is None else message_from_row(row, None)

    def ping(self) -> None:
        """Raise when the database cannot be reached (for readiness checks)."""
        with self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def insert_message(
    session: Session, conversation_id: str, role: Role, text: str, **fields: Any
) -> ConversationMessageRow:
    """Append a message inside the caller's transaction (its event number is the
    conversation's next one); the row, flushed."""
    if role not in ROLES:
        raise ConversationInputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    text = checked_text(text, MAX_TEXT_CHARS, "message")
    row = ConversationMessageRow(
        id=new_id("m"),
        conversation_id=conversation_id,
        seq=_next_event(session, conversation_id),
        role=role,
        text=text,
        created_at=utcnow(),
        **row_fields(fields),
    )
    session.add(row)
    session.flush()
    return row


def _next_event(session: Session, conversation_id: str) -> int:
    """Take the conversation's next event number under its row lock."""
    bumped = session.execute(
        update(ConversationRow)
        .where(ConversationRow.id == conversation_id)
        .values(last_event=ConversationRow.last_event + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(bumped, "rowcount", 0) == 0:
        raise ConversationNotFoundError(
            f"no conversation has id {conversation_id!r}: start a new one"
        )
    query = select(ConversationRow.last_event).where(ConversationRow.id == conversation_id)
    return int(session.scalars(query).one())


def checked_text(value: str, most: int, what: str) -> str:
    """`value` without NUL characters (PostgreSQL cannot store them) and with any lone UTF-16
    surrogate (no database can store one) replaced by U+FFFD; refused when too long."""
    value = _SURROGATE.sub("\ufffd", value.replace("\x00", ""))
    if len(value) > most:
        raise ConversationInputError(
            f"the {what} is {len(value):,} characters long; at most {most:,} are allowed"
        )
    return value


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIST:
        raise ConversationInputError(f"limit must be between 1 and {MAX_LIST}, not {limit}")
