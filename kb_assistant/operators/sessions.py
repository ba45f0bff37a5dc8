"""Console sessions: who is signed in, until when, and the token their forms must carry.

The browser holds a random session token (256 bits) in an HttpOnly cookie; the database
holds only its SHA-256, so a copy of the database signs nobody in. Each session has its own
CSRF token, which every form of the console carries and every POST must return. A session
ends when its operator signs out, after `idle` without a request, after `lifetime` whatever
happens, or when its account is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Engine, ForeignKey, String, delete
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from kb_assistant.handoff.types import as_utc, utcnow
from kb_assistant.operators.accounts import MAX_NAME_CHARS, OperatorRow
from kb_assistant.storage.db import Base

TOKEN_BYTES = 32
TOUCH_EVERY = timedelta(minutes=1)  # how often a request moves `last_seen` on


class SessionRow(Base):
    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator: Mapped[str] = mapped_column(
        String(MAX_NAME_CHARS),
        ForeignKey("console_operators.name", ondelete="CASCADE"),
        index=True,
    )
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in operator and the CSRF token of their session."""

    operator: str
    csrf: str
    expires_at: datetime


@dataclass(frozen=True)
class NewSession:
    """A session just begun: the token for the cookie (shown once) and the session."""

    token: str
    session: ConsoleSession


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class ConsoleSessions:
    """Sessions on the main database's engine."""

    def __init__(self, engine: Engine, *, idle: timedelta, lifetime: timedelta) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.idle = idle
        self.lifetime = lifetime

    def begin(self, operator: str) -> NewSession:
        """A new session for `operator` (ending their expired ones)."""
        token, now = secrets.token_urlsafe(TOKEN_BYTES), utcnow()
        row = SessionRow(
            token_hash=token_hash(token),
            operator=operator,
            csrf=secrets.token_urlsafe(TOKEN_BYTES),
            created_at=now,
            last_seen=now,
            expires_at=now + self.lifetime,
        )
        with self._sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.expires_at < now))
            session.add(row)
        return NewSession(token, _session(row))

    def find(self, token: str) -> ConsoleSession | None:
        """The live session of this cookie token (its idle clock restarted), or None."""
        if not token or len(token) > 128:
            return None
        now = utcnow()
        with self._sessions.begin() as session:
            row = session.get(SessionRow, token_hash(token))
            if row is None:
                return None
            account = session.get(OperatorRow, row.operator)
            idle_since = as_utc(row.last_seen)
            if (
                account is None
                or account.disabled
                or as_utc(row.expires_at) <= now
                or now - idle_since >= self.idle
            ):
                session.delete(row)
                return None
            if now - idle_since >= TOUCH_EVERY:
                row.last_seen = now
            return _session(row)

    def end(self, token: str) -> None:
        """Sign out: the session is gone (a token that matches none is ignored)."""
        with self._sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash(token)))

    def end_all(self, operator: str) -> int:
        """End every session of `operator` (a changed password, a disabled account)."""
        with self._sessions.begin() as session:
            result = session.execute(delete(SessionRow).where(SessionRow.operator == operator))
            return int(getattr(result, "rowcount", 0) or 0)


def _session(row: SessionRow) -> ConsoleSession:
    return ConsoleSession(row.operator, row.csrf, as_utc(row.expires_at))
