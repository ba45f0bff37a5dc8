"""The handoff case store: one active case per conversation, its life cycle and its messages.

SQLAlchemy with portable SQL, so the same code runs on SQLite (default) and PostgreSQL.
Every write that touches an existing case first takes that case's row lock with a plain
UPDATE (a write lock on SQLite), so concurrent writers queue instead of overwriting each
other; opening a case relies on the unique `active_conversation` column, and a writer that
loses the race reads the winner's case instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from kb_assistant.handoff.errors import (
    CaseNotFoundError,
    CaseStateError,
    HandoffError,
    HandoffInputError,
    NoActiveCaseError,
)
from kb_assistant.handoff.tables import (
    HandoffCaseRow,
    HandoffMessageRow,
    case_from_row,
    message_from_row,
    new_case_row,
    turn_row,
)
from kb_assistant.handoff.types import (
    ACTIVE_STATES,
    CASE_STATES,
    DIRECTIONS,
    Case,
    CaseMessage,
    CasePacket,
    CaseState,
    Direction,
    as_utc,
    check_name,
    utcnow,
)

MAX_TEXT_CHARS = 20_000  # one message, transcript turn, draft or excerpt
MAX_LIST = 1_000
_OPEN_ATTEMPTS = 5


class HandoffStore:
    """Cases handed to people, on the main database's engine (`Databases.main()`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def open_case(self, packet: CasePacket) -> tuple[Case, bool]:
        """The conversation's active case and whether this call created it.

        Idempotent: while a case is open or claimed, another call for the same conversation
        returns it (with `False`), after appending the packet's turns that its transcript does
        not have yet and marking it urgent if the new packet is.
        """
        packet = _checked_packet(packet)
        for _ in range(_OPEN_ATTEMPTS):
            try:
                with self._sessions.begin() as session:
                    return _open_or_extend(session, packet)
            except IntegrityError:
                continue  # another writer opened the case or appended first: read it again
        raise HandoffError(
            f"could not open a case for conversation {packet.conversation_id!r}: concurrent "
            f"writers conflicted {_OPEN_ATTEMPTS} times; try again"
        )

    def get(self, case_id: int) -> Case:
        """The case with this id; `CaseNotFoundError` when there is none."""
        with self._sessions() as session:
            return case_from_row(_row(session, case_id))

    def active_case(self, conversation_id: str) -> Case | None:
        """The conversation's open or claimed case, if it has one."""
        with self._sessions() as session:
            row = session.scalars(_active(conversation_id)).one_or_none()
            return None if row is None else case_from_row(row)

    def list_cases(self, state: CaseState | None = None, *, limit: int = 100) -> list[Case]:
        """Cases, newest first, optionally only those in `state` (at most `limit`)."""
        if state is not None and state not in CASE_STATES:
            raise HandoffInputError(f"unknown case state {state!r}: use {', '.join(CASE_STATES)}")
        if not 1 <= limit <= MAX_LIST:
            raise HandoffInputError(f"limit must be between 1 and {MAX_LIST}, not {limit}")
        query = select(HandoffCaseRow).order_by(HandoffCaseRow.id.desc()).limit(limit)
        if state is not None:
            query = query.where(HandoffCaseRow.state == state)
        with self._sessions() as session:
            return [case_from_row(row) for row in session.scalars(query)]

    def claim(self, case_id: int, agent: str) -> Case:
        """`agent` takes an open case (again by the same agent: no change)."""
        check_name(agent, "agent name")
        now = utcnow()
        with self._sessions.begin() as session:
            changed = _update(
                session,
                HandoffCaseRow.id == case_id,
                ("open",),
                state="claimed",
                claimed_at=now,
                claimed_by=agent,
                updated_at=now,
            )
            row = _row(session, case_id)
            if not changed and not (row.state == "claimed" and row.claimed_by == agent):
                raise CaseStateError(_refusal(row, "claim"))
            return case_from_row(row)

    def resolve(self, case_id: int, agent: str) -> Case:
        """`agent` closes an open or claimed case; the conversation can then open a new one."""
        check_name(agent, "agent name")
        now = utcnow()
        with self._sessions.begin() as session:
            changed = _update(
                session,
                HandoffCaseRow.id == case_id,
                ACTIVE_STATES,
                state="resolved",
                resolved_at=now,
                resolved_by=agent,
                active_conversation=None,
                updated_at=now,
            )
            row = _row(session, case_id)
            if not changed:
                raise CaseStateError(_refusal(row, "resolve"))
            return case_from_row(row)

    def add_message(
        self, conversation_id: str, direction: Direction, author: str, text: str
    ) -> CaseMessage:
        """Store a message between the agent and the customer on the conversation's active case.

        Raises `NoActiveCaseError` when the conversation has no open or claimed case.
        """
        check_name(conversation_id, "conversation id")
        check_name(author, "author")
        if direction not in DIRECTIONS:
            raise HandoffInputError(
                f"unknown direction {direction!r}: use one of {', '.join(DIRECTIONS)}"
            )
        text = _checked_text(text, "message", allow_empty=False)
        now = utcnow()
        with self._sessions.begin() as session:
            active = HandoffCaseRow.active_conversation == conversation_id
            if not _update(session, active, ACTIVE_STATES, updated_at=now):
                raise NoActiveCaseError(
                    f"conversation {conversation_id!r} has no open case: messages can only be "
                    "relayed while a person handles it (open a case first)"
                )
            case_id = session.scalars(select(HandoffCaseRow.id).where(active)).one()
            row = HandoffMessageRow(
                case_id=case_id,
                conversation_id=conversation_id,
                direction=direction,
                author=author,
                text=text,
                created_at=now,
            )
            session.add(row)
            session.flush()
            return message_from_row(row)

    def messages(
        self, conversation_id: str, after_id: int | None = None, *, limit: int = 500
    ) -> list[CaseMessage]:
        """The conversation's relayed messages in the order they were stored (all its cases).

        `after_id` returns only newer ones, for a chat that polls.
        """
        if not 1 <= limit <= MAX_LIST:
            raise HandoffInputError(f"limit must be between 1 and {MAX_LIST}, not {limit}")
        query = (
            select(HandoffMessageRow)
            .where(HandoffMessageRow.conversation_id == conversation_id)
            .order_by(HandoffMessageRow.id)
            .limit(limit)
        )
        if after_id is not None:
            query = query.where(HandoffMessageRow.id > after_id)
        with self._sessions() as session:
            return [message_from_row(row) for row in session.scalars(query)]


def _open_or_extend(session: Session, packet: CasePacket) -> tuple[Case, bool]:
    """Inside one transaction: extend the active case under its lock, or insert a new one."""
    now = utcnow()
    active = HandoffCaseRow.active_conversation == packet.conversation_id
    # A no-op UPDATE: takes the active case's row lock, or finds there is none.
    if not _update(session, active, ACTIVE_STATES, state=HandoffCaseRow.state):
        row = new_case_row(packet, now)
        session.add(row)
        session.flush()  # a concurrent insert for the conversation fails here
        return case_from_row(row), True
    locked = _active(packet.conversation_id).execution_options(populate_existing=True)
    case_row = session.scalars(locked).one()  # read after the lock: turns are current
    known = {(t.role, t.text, as_utc(t.at)) for t in case_row.turns}
    new = [t for t in packet.transcript if (t.role, t.text, t.at) not in known]
    for position, turn in enumerate(new, start=len(case_row.turns)):
        case_row.turns.append(turn_row(position, turn))
    if new or (packet.urgent and not case_row.urgent):
        case_row.urgent = case_row.urgent or packet.urgent
        case_row.updated_at = now
    session.flush()
    return case_from_row(case_row), False


def _update(
    session: Session, where: ColumnElement[bool], states: Sequence[str], **values: Any
) -> bool:
    """Update the case matching `where` if its state is one of `states`; whether one was."""
    statement = (
        update(HandoffCaseRow)
        .where(where, HandoffCaseRow.state.in_(states))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount > 0


def _active(conversation_id: str) -> Select[HandoffCaseRow]:
    return select(HandoffCaseRow).where(HandoffCaseRow.active_conversation == conversation_id)


def _row(session: Session, case_id: int) -> HandoffCaseRow:
    row = session.get(HandoffCaseRow, case_id, populate_existing=True)
    if row is None:
        raise CaseNotFoundError(f"no handoff case has id {case_id}: check the id")
    return row


def _refusal(row: HandoffCaseRow, step: str) -> str:
    """Why `step` cannot be taken on the case, and what can be done instead."""
    if row.state == "resolved":
        when = _when(row.resolved_at)
        return (
            f"cannot {step} case {row.id}: it was resolved by {row.resolved_by} at {when}; "
            "a new message from the customer opens a new case"
        )
    when = _when(row.claimed_at)
    return (
        f"cannot {step} case {row.id}: {row.claimed_by} claimed it at {when} and is handling "
        "it; ask them, or let them resolve it"
    )


def _when(moment: datetime | None) -> str:
    return "an unknown time" if moment is None else as_utc(moment).isoformat(timespec="seconds")


def _checked_text(text: str, what: str, *, allow_empty: bool = True) -> str:
    """`text` without NUL characters (PostgreSQL cannot store them), refused when too long."""
    if not isinstance(text, str):
        raise HandoffInputError(f"the {what} must be text, not {type(text).__name__}")
    text = text.replace("\x00", "")
    if not allow_empty and not text.strip():
        raise HandoffInputError(f"the {what} is empty: write something to send")
    if len(text) > MAX_TEXT_CHARS:
        raise HandoffInputError(
            f"the {what} is {len(text):,} characters long; at most {MAX_TEXT_CHARS:,} are "
            "allowed: shorten it or split it into several messages"
        )
    return text


def _checked_packet(packet: CasePacket) -> CasePacket:
    """The packet with its texts checked (and NUL characters removed)."""
    turns = tuple(
        replace(turn, text=_checked_text(turn.text, f"transcript turn {number}"))
        for number, turn in enumerate(packet.transcript, start=1)
    )
    _checked_text(packet.reason, "reason")
    if packet.draft_answer is not None:
        _checked_text(packet.draft_answer, "draft answer")
    for number, passage in enumerate(packet.passages, start=1):
        _checked_text(passage.excerpt, f"excerpt of passage {number}")
    return replace(packet, transcript=turns)
