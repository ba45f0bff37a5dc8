"""FAQ drafts made from resolved handoff cases, and who approved them.

A draft pairs the customer's question with what the agent wrote back, both redacted of
personal data. It is created by the first agent who asks for it (one draft per case), edited
and approved by an agent, then published: written to the agents' FAQ file and indexed as a
public FAQ entry. The store keeps the approver, the time and the indexed document's id.

An operator can also start a draft from a content gap in the console (questions customers
asked that the knowledge base could not answer): one draft per gap, with no case, published
through the same approval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import DateTime, Engine, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from kb_assistant.core.errors import ConflictError, KbError, NotFoundError, UsageError
from kb_assistant.core.redaction import Redactor
from kb_assistant.handoff import Case, CaseMessage
from kb_assistant.handoff.types import as_utc, utcnow
from kb_assistant.storage.db import Base

FaqState = Literal["draft", "approved", "published"]
FaqOrigin = Literal["case", "gap"]
MAX_QUESTION_CHARS = 300
MAX_ANSWER_CHARS = 3000


class FaqError(KbError):
    """Base of the FAQ drafts' errors; the message says what to do."""


class FaqInputError(FaqError, UsageError):
    """An edited question or answer that cannot be published; `field` names which."""

    def __init__(self, field: Literal["question", "answer"], message: str) -> None:
        super().__init__(message)
        self.field = field


class FaqStateError(FaqError, ConflictError):
    """The draft is not in a state that allows the step (already published, say)."""


class FaqNotFoundError(FaqError, NotFoundError):
    """No such draft."""


@dataclass(frozen=True)
class FaqDraft:
    """A question and answer on its way to the knowledge base. Times are UTC."""

    id: int
    case_id: int | None
    question: str
    answer: str
    state: FaqState
    created_by: str
    created_at: datetime
    redactions: int = 0
    approved_by: str | None = None
    approved_by_id: str | None = None
    approved_at: datetime | None = None
    published_at: datetime | None = None
    doc_id: str | None = None
    error: str | None = None
    origin: FaqOrigin = "case"
    gap_key: str | None = None  # the content gap it was drafted from


@dataclass(frozen=True)
class DraftText:
    """The redacted question and answer of a new draft, and how many details were removed."""

    question: str
    answer: str
    redactions: int


class FaqDraftRow(Base):
    __tablename__ = "faq_drafts"
    __table_args__ = (UniqueConstraint("gap_key", name="uq_faq_drafts_gap_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    origin: Mapped[str] = mapped_column(String(16), default="case", server_default="case")
    gap_key: Mapped[str | None] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    redactions: Mapped[int] = mapped_column(Integer, default=0)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_by_id: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    doc_id: Mapped[str | None] = mapped_column(String(1000))
    error: Mapped[str | None] = mapped_column(Text)


def draft_text(case: Case, messages: Sequence[CaseMessage], redactor: Redactor) -> DraftText:
    """The customer's question and the agent's replies on `case`, redacted.

    The question is the customer's message that handed the conversation over; the answer is
    every reply the agents sent on this case, in order (empty when they wrote none: the
    agent writes it in the draft).
    """
    names = [case.packet.contact.name] if case.packet.contact and case.packet.contact.name else []
    question = next(
        (turn.text for turn in reversed(case.packet.transcript) if turn.role == "customer"), ""
    )
    replies = [m.text for m in messages if m.case_id == case.id and m.direction == "to_customer"]
    asked = redactor.redact(" ".join(question.split()), names)
    answered = redactor.redact("\n\n".join(reply.strip() for reply in replies), names)
    removed = sum(asked.counts.values()) + sum(answered.counts.values())
    return DraftText(asked.text[:MAX_QUESTION_CHARS], answered.text[:MAX_ANSWER_CHARS], removed)


def checked_entry(question: str, answer: str) -> tuple[str, str]:
    """The question on one line and the answer trimmed, or `FaqInputError` naming the field."""
    question = " ".join(question.split())
    answer = "\n".join(line.rstrip() for line in answer.strip().splitlines())
    if not question:
        raise FaqInputError("question", "Write the question the way a customer would ask it.")
    if len(question) > MAX_QUESTION_CHARS:
        raise FaqInputError("question", f"Keep the question under {MAX_QUESTION_CHARS} characters.")
    if not answer:
        raise FaqInputError("answer", "Write the answer customers should get.")
    if len(answer) > MAX_ANSWER_CHARS:
        raise FaqInputError("answer", f"Keep the answer under {MAX_ANSWER_CHARS} characters.")
    return question, answer


class FaqDraftStore:
    """FAQ drafts on any SQLAlchemy engine; one draft per case, one per content gap."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def get(self, draft_id: int) -> FaqDraft:
        with self._sessions() as session:
            row = session.get(FaqDraftRow, draft_id)
            if row is None:
                raise FaqNotFoundError(f"FAQ draft {draft_id} does not exist")
            return _draft(row)

    def for_case(self, case_id: int) -> FaqDraft | None:
        """The case's draft, if one was started."""
        with self._sessions() as session:
            row = session.scalar(select(FaqDraftRow).where(FaqDraftRow.case_id == case_id))
            return None if row is None else _draft(row)

    def start(self, case_id: int, text: DraftText, created_by: str) -> FaqDraft:
        """The case's draft: a new one from `text`, or the one already started (kept as it is,
        with any edits)."""
        return self._start(
            lambda: self.for_case(case_id), text, created_by, case_id=case_id, origin="case"
        )

    def for_gap(self, gap_key: str) -> FaqDraft | None:
        """The draft started from this content gap, if any."""
        with self._sessions() as session:
            row = session.scalar(select(FaqDraftRow).where(FaqDraftRow.gap_key == gap_key))
            return None if row is None else _draft(row)

    def for_gaps(self, gap_keys: Sequence[str]) -> dict[str, int]:
        """The draft id of each of these gaps that has one."""
        if not gap_keys:
            return {}
        query = select(FaqDraftRow.gap_key, FaqDraftRow.id).where(
            FaqDraftRow.gap_key.in_(list(gap_keys))
        )
        with self._sessions() as session:
            return {key: draft_id for key, draft_id in session.execute(query) if key}

    def start_from_gap(self, gap_key: str, text: DraftText, created_by: str) -> FaqDraft:
        """The gap's draft: a new one from `text` (already redacted), or the one already
        started."""
        return self._start(
            lambda: self.for_gap(gap_key), text, created_by, gap_key=gap_key, origin="gap"
        )

    def _start(
        self,
        existing: Callable[[], FaqDraft | None],
        text: DraftText,
        created_by: str,
        **origin: object,
    ) -> FaqDraft:
        """A new draft with `origin`'s columns, unless `existing()` finds one (before, or
        after another agent or operator started it at the same moment)."""
        found = existing()
        if found is not None:
            return found
        row = FaqDraftRow(
            question=text.question[:MAX_QUESTION_CHARS],
            answer=text.answer[:MAX_ANSWER_CHARS],
            state="draft",
            created_by=created_by,
            created_at=utcnow(),
            redactions=text.redactions,
            **origin,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                return _draft(row)
        except IntegrityError:
            found = existing()
            if found is None:
                raise
            return found

    def save(self, draft_id: int, question: str, answer: str) -> FaqDraft:
        """Keep an operator's edits without approving them (`FaqStateError` once
        published, `FaqInputError` for bad text)."""
        question, answer = checked_entry(question, answer)
        with self._sessions.begin() as session:
            row = self._row(session, draft_id)
            if row.state == "published":
                raise FaqStateError("this FAQ entry was already published")
            row.question, row.answer = question, answer
            return _draft(row)

    def recent(self, limit: int = 50) -> list[FaqDraft]:
        """The newest drafts, of every origin and state."""
        query = select(FaqDraftRow).order_by(FaqDraftRow.id.desc()).limit(limit)
        with self._sessions() as session:
            return [_draft(row) for row in session.scalars(query)]

    def approve(
        self,
        draft_id: int,
        question: str,
        answer: str,
        approver: str,
        approver_id: str | None = None,
    ) -> FaqDraft:
        """Record the edited text and its approver (a name, and an account id such as a Slack
        user id); `FaqStateError` once it is published, `FaqInputError` for bad text."""
        question, answer = checked_entry(question, answer)
        with self._sessions.begin() as session:
            row = self._row(session, draft_id)
            if row.state == "published":
                raise FaqStateError(
                    f"this FAQ entry was already published, approved by {row.approved_by}"
                )
            row.question, row.answer, row.state = question, answer, "approved"
            row.approved_by, row.approved_by_id = approver, approver_id
            row.approved_at, row.error = utcnow(), None
            return _draft(row)

    def published(self, draft_id: int, doc_id: str) -> FaqDraft:
        """The approved draft is in the index as `doc_id`."""
        with self._sessions.begin() as session:
            row = self._row(session, draft_id)
            row.state, row.doc_id, row.published_at, row.error = (
                "published",
                doc_id,
                utcnow(),
                None,
            )
            return _draft(row)

    def failed(self, draft_id: int, error: str) -> FaqDraft:
        """Publishing the approved draft failed; it stays approved, to be approved again."""
        with self._sessions.begin() as session:
            row = self._row(session, draft_id)
            row.error = error[:2000]
            return _draft(row)

    def published_drafts(self) -> list[FaqDraft]:
        """Every published draft, oldest first (what the agents' FAQ file should hold)."""
        query = select(FaqDraftRow).where(FaqDraftRow.state == "published")
        with self._sessions() as session:
            return [_draft(row) for row in session.scalars(query.order_by(FaqDraftRow.id))]

    @staticmethod
    def _row(session: Session, draft_id: int) -> FaqDraftRow:
        row = session.get(FaqDraftRow, draft_id)
        if row is None:
            raise FaqNotFoundError(f"FAQ draft {draft_id} does not exist")
        return row


def _draft(row: FaqDraftRow) -> FaqDraft:
    return FaqDraft(
        id=row.id,
        case_id=row.case_id,
        question=row.question,
        answer=row.answer,
        state=cast(FaqState, row.state),
        created_by=row.created_by,
        created_at=as_utc(row.created_at),
        redactions=row.redactions or 0,
        approved_by=row.approved_by,
        approved_by_id=row.approved_by_id,
        approved_at=None if row.approved_at is None else as_utc(row.approved_at),
        published_at=None if row.published_at is None else as_utc(row.published_at),
        doc_id=row.doc_id,
        error=row.error,
        origin=cast(FaqOrigin, row.origin or "case"),
        gap_key=row.gap_key,
    )
