"""Where each handoff case is shown in the agents' Slack channel (`slack_case_messages`), so the
buttons and the message's thread find their case, and what state the message shows."""

from __future__ import annotations

from sqlalchemy import Engine, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from kb_assistant.storage.db import Base


class SlackCaseMessageRow(Base):
    __tablename__ = "slack_case_messages"
    __table_args__ = (UniqueConstraint("channel_id", "message_ts"),)

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    message_ts: Mapped[str] = mapped_column(String(32))
    shown_state: Mapped[str] = mapped_column(String(16), default="open")


class SlackCaseMessages:
    """Which channel message shows which case, on any SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def record(self, case_id: int, channel_id: str, message_ts: str, state: str = "open") -> None:
        """Remember that `case_id` is shown at (`channel_id`, `message_ts`) in `state`."""
        with self._sessions.begin() as session:
            row = session.get(SlackCaseMessageRow, case_id)
            if row is None:
                row = SlackCaseMessageRow(case_id=case_id)
                session.add(row)
            row.channel_id, row.message_ts, row.shown_state = channel_id, message_ts, state

    def shown(self, case_id: int, state: str) -> None:
        """The case's message now shows `state`."""
        with self._sessions.begin() as session:
            row = session.get(SlackCaseMessageRow, case_id)
            if row is not None:
                row.shown_state = state

    def unsettled(self) -> dict[int, str]:
        """Case id → the state its message shows, for the messages not showing "resolved"."""
        query = select(SlackCaseMessageRow.case_id, SlackCaseMessageRow.shown_state).where(
            SlackCaseMessageRow.shown_state != "resolved"
        )
        with self._sessions() as session:
            return {case_id: state for case_id, state in session.execute(query)}

    def case_at(self, channel_id: str, message_ts: str) -> int | None:
        """The case shown at (`channel_id`, `message_ts`), if any."""
        with self._sessions() as session:
            return session.scalar(
                select(SlackCaseMessageRow.case_id).where(
                    SlackCaseMessageRow.channel_id == channel_id,
                    SlackCaseMessageRow.message_ts == message_ts,
                )
            )

    def place_of(self, case_id: int) -> tuple[str, str] | None:
        """(channel, ts) of the case's message, if one was posted."""
        with self._sessions() as session:
            row = session.get(SlackCaseMessageRow, case_id)
            return None if row is None else (row.channel_id, row.message_ts)
