"""Customers' ratings of replies, and the content gaps they reveal together with the
questions answered "I don't know": what the knowledge base is missing; and the sources
customers' answers cited: what it holds that nobody reaches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from kb_assistant.conversations.tables import ConversationMessageRow, FeedbackRow
from kb_assistant.conversations.types import (
    CitedSource,
    ContentGaps,
    ConversationInputError,
    MessageNotFoundError,
    SourceUsage,
    ThumbsDown,
    UnansweredQuestion,
)
from kb_assistant.handoff.types import as_utc, utcnow

USAGE_BATCH = 2_000  # replies read at a time when counting citations


def content_gaps(session: Session, limit: int) -> ContentGaps:
    """Questions answered "I don't know" and replies rated down (with the question they
    answered), newest first, at most `limit` of each."""
    question = aliased(ConversationMessageRow)
    reply = ConversationMessageRow
    unanswered = (
        select(reply, question.text)
        .outerjoin(question, question.id == reply.reply_to)
        .where(reply.action == "dont_know")
        .order_by(reply.created_at.desc())
        .limit(limit)
    )
    disliked = (
        select(FeedbackRow, reply.text, question.text)
        .join(reply, reply.id == FeedbackRow.message_id)
        .outerjoin(question, question.id == reply.reply_to)
        .where(FeedbackRow.rating == "down")
        .order_by(FeedbackRow.updated_at.desc())
        .limit(limit)
    )
    return ContentGaps(
        [
            UnansweredQuestion(q or "", r.conversation_id, as_utc(r.created_at), r.reason)
            for r, q in session.execute(unanswered)
        ],
        [
            ThumbsDown(q or "", a, f.comment, f.conversation_id, as_utc(f.updated_at))
            for f, a, q in session.execute(disliked)
        ],
    )


def source_usage(session: Session, batch: int = USAGE_BATCH) -> SourceUsage:
    """How many answers cited each source, over every answer the assistant gave customers.

    An answer's citations are the passages it was built from, shown to the customer. The
    replies are streamed `batch` at a time: memory grows with the sources cited, not with
    the conversations stored.
    """
    reply = ConversationMessageRow
    answered = (reply.role == "assistant", reply.action == "answer")
    span = select(func.count(), func.min(reply.created_at), func.max(reply.created_at))
    answers, first, last = session.execute(span.where(*answered)).one()
    cited: Counter[CitedSource] = Counter()
    rows = session.execute(
        select(reply.citations).where(*answered), execution_options={"yield_per": batch}
    )
    for citations in rows.scalars():
        cited.update({CitedSource.of(c) for c in citations or () if isinstance(c, Mapping)})
    return SourceUsage(
        int(answers),
        None if first is None else as_utc(first),
        None if last is None else as_utc(last),
        dict(cited),
    )


def save_rating(
    session: Session, conversation_id: str, message_id: str, rating: str, comment: str | None
) -> None:
    """Inside a transaction: rate one of the assistant's replies, replacing an earlier rating."""
    message = session.get(ConversationMessageRow, message_id)
    if message is None or message.conversation_id != conversation_id:
        raise MessageNotFoundError(
            f"this conversation has no message {message_id!r}: rate one of its replies"
        )
    if message.role != "assistant":
        raise ConversationInputError("only the assistant's replies can be rated")
    now = utcnow()
    row = session.get(FeedbackRow, message_id)
    if row is None:
        session.add(
            FeedbackRow(
                message_id=message_id,
                conversation_id=conversation_id,
                rating=rating,
                comment=comment,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
    else:
        row.rating, row.comment, row.updated_at = rating, comment, now
