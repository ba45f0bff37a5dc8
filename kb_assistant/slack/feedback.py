"""Support agents' 👍/👎 on the Slack app's answers, kept in the store's database.

One rating per agent and answer message: a later click replaces the earlier one. Portable SQL,
so the ratings sit next to the web chat's in SQLite or PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import DateTime, Engine, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from kb_assistant.handoff.types import as_utc, utcnow
from kb_assistant.storage.db import Base

SlackRating = Literal["up", "down"]
MAX_QUESTION_CHARS = 2000


class SlackFeedbackRow(Base):
    __tablename__ = "slack_feedback"
    __table_args__ = (UniqueConstraint("user_id", "channel_id", "message_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(64))
    message_ts: Mapped[str] = mapped_column(String(32))
    rating: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class SlackFeedback:
    """One agent's rating of one answer message."""

    user_id: str
    channel_id: str
    message_ts: str
    rating: SlackRating
    question: str
    updated_at: datetime


class SlackFeedbackStore:
    """Ratings on the main database's engine (`Databases.main()`)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def record(
        self, *, user_id: str, channel_id: str, message_ts: str, rating: SlackRating, question: str
    ) -> None:
        """Store `user_id`'s rating of the answer at (`channel_id`, `message_ts`)."""
        if rating not in ("up", "down"):
            raise ValueError(f"a rating is 'up' or 'down', not {rating!r}")
        key = (user_id[:64], channel_id[:64], message_ts[:32])
        with self._sessions.begin() as session:
            row = session.scalars(
                select(SlackFeedbackRow).where(
                    SlackFeedbackRow.user_id == key[0],
                    SlackFeedbackRow.channel_id == key[1],
                    SlackFeedbackRow.message_ts == key[2],
                )
            ).one_or_none()
            if row is None:
                row = SlackFeedbackRow(user_id=key[0], channel_id=key[1], message_ts=key[2])
                session.add(row)
            row.rating, row.question = rating, question[:MAX_QUESTION_CHARS]
            row.updated_at = utcnow()

    def ratings(self, limit: int = 1000) -> list[SlackFeedback]:
        """The latest ratings, newest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(SlackFeedbackRow).order_by(SlackFeedbackRow.updated_at.desc()).limit(limit)
            )
            return [
                SlackFeedback(
                    r.user_id,
                    r.channel_id,
                    r.message_ts,
                    cast(SlackRating, r.rating),
                    r.question,
                    as_utc(r.updated_at),
                )
                for r in rows
            ]
