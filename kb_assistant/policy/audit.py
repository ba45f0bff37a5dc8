"""The policy's audit log: every decision, with what decided it, in the store.

Who decided that a message was (or was not) a money matter must be answerable later, so each
decision is stored with its time (UTC), conversation, class, action, score, the rule or model
that fired and the policy version. The message is stored redacted (no emails, phones, cards,
IBANs) and truncated: the log explains decisions, it is not a transcript.

The language of a message the assistant does not answer in is kept in a table of its own,
`policy_decision_languages` (decision id → ISO 639-1 code), and so is the note on a decision
kept for review (`policy_decision_reviews`: a rule escalated what the model calls `none`).
The tables belong to the main database's migrations (`kb_assistant.storage.migrate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from kb_assistant.core.decisions import PolicyDecision
from kb_assistant.core.redaction import Redactor
from kb_assistant.storage.db import Base

MESSAGE_CHARS = 500  # stored characters of a (redacted) message


class PolicyDecisionRow(Base):
    """One audited policy decision."""

    __tablename__ = "policy_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(128), index=True)
    message: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Float)
    rule: Mapped[str] = mapped_column(String(128))
    decided_by: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(String(64))
    frustration: Mapped[float] = mapped_column(Float)


class PolicyDecisionLanguageRow(Base):
    """The language of an audited decision's message, when the assistant does not answer in it."""

    __tablename__ = "policy_decision_languages"

    decision_id: Mapped[int] = mapped_column(
        ForeignKey("policy_decisions.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), index=True)


class PolicyDecisionReviewRow(Base):
    """Why an audited decision should be looked at again (the rule and model disagreed)."""

    __tablename__ = "policy_decision_reviews"

    decision_id: Mapped[int] = mapped_column(
        ForeignKey("policy_decisions.id", ondelete="CASCADE"), primary_key=True
    )
    note: Mapped[str] = mapped_column(String(256))


@dataclass(frozen=True)
class AuditEntry:
    """An audited decision as read back from the log."""

    id: int
    created_at: datetime
    conversation_id: str | None
    message: str
    label: str
    action: str
    urgent: bool
    score: float
    rule: str
    decided_by: str
    policy_version: str
    frustration: float
    language: str | None = None  # ISO 639-1, for a language the assistant does not answer in
    review: str | None = None  # why the decision should be looked at again


class PolicyAudit:
    """Writes and reads policy decisions (SQLite or PostgreSQL through SQLAlchemy)."""

    def __init__(self, engine: Engine, redactor: Redactor | None = None) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._redactor = redactor or Redactor()

    def record(
        self, decision: PolicyDecision, message: str, *, conversation_id: str | None = None
    ) -> int:
        """Store one decision; returns its id."""
        row = PolicyDecisionRow(
            created_at=datetime.now(UTC),
            conversation_id=conversation_id,
            message=self.redacted(message),
            label=decision.label,
            action=decision.action,
            urgent=decision.urgent,
            score=round(decision.score, 4),
            rule=decision.rule[:128],
            decided_by=decision.decided_by,
            policy_version=decision.policy_version[:64],
            frustration=round(decision.frustration.score, 4),
        )
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            if decision.language:
                language = decision.language[:8]
                session.add(PolicyDecisionLanguageRow(decision_id=row.id, language=language))
            if decision.review:
                session.add(PolicyDecisionReviewRow(decision_id=row.id, note=decision.review[:256]))
            return int(row.id)

    def redacted(self, message: str) -> str:
        """The message as stored: personal data replaced, then cut to `MESSAGE_CHARS`.

        Redaction runs on a little more than is kept, so a card number cut in half at the
        boundary is still recognised and replaced.
        """
        text = self._redactor.redact(message[: MESSAGE_CHARS + 100]).text
        return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"

    def recent(
        self,
        limit: int = 50,
        *,
        conversation_id: str | None = None,
        for_review: bool = False,
    ) -> list[AuditEntry]:
        """The latest decisions, newest first (optionally of one conversation, or only those
        kept for review)."""
        query = (
            select(
                PolicyDecisionRow, PolicyDecisionLanguageRow.language, PolicyDecisionReviewRow.note
            )
            .outerjoin(
                PolicyDecisionLanguageRow,
                PolicyDecisionLanguageRow.decision_id == PolicyDecisionRow.id,
            )
            .outerjoin(
                PolicyDecisionReviewRow,
                PolicyDecisionReviewRow.decision_id == PolicyDecisionRow.id,
            )
            .order_by(PolicyDecisionRow.id.desc())
            .limit(limit)
        )
        if conversation_id is not None:
            query = query.where(PolicyDecisionRow.conversation_id == conversation_id)
        if for_review:
            query = query.where(PolicyDecisionReviewRow.note.is_not(None))
        with self._sessions() as session:
            return [_entry(*found) for found in session.execute(query)]


def _entry(
    row: PolicyDecisionRow, language: str | None = None, review: str | None = None
) -> AuditEntry:
    created = row.created_at
    if created.tzinfo is None:  # SQLite returns naive datetimes; every stored time is UTC
        created = created.replace(tzinfo=UTC)
    return AuditEntry(
        id=row.id,
        created_at=created,
        conversation_id=row.conversation_id,
        message=row.message,
        label=row.label,
        action=row.action,
        urgent=row.urgent,
        score=row.score,
        rule=row.rule,
        decided_by=row.decided_by,
        policy_version=row.policy_version,
        frustration=row.frustration,
        language=language,
        review=review,
    )
