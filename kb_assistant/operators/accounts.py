"""Operator accounts: the people who sign in to the console, with Argon2id password hashes.

A password is never stored, only its Argon2id hash (argon2-cffi, the reference
implementation's bindings, with its recommended parameters). Signing in with an unknown name
costs the same time as with a wrong password, so a caller cannot tell which names exist. A
hash made with weaker parameters than today's is replaced at the next successful sign-in.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, DateTime, Engine, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from kb_assistant.core.errors import ConflictError, KbError, NotFoundError, UsageError
from kb_assistant.handoff.types import as_utc, utcnow
from kb_assistant.storage.db import Base

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
MAX_NAME_CHARS = 64
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class OperatorError(KbError):
    """Something about an operator account failed; the message says what to do."""


class OperatorInputError(OperatorError, UsageError):
    """A name or password that cannot be used."""


class OperatorExistsError(OperatorError, ConflictError):
    """An account with this name exists already."""


class OperatorNotFoundError(OperatorError, NotFoundError):
    """No account has this name."""


@dataclass(frozen=True)
class Operator:
    """A console account (never its password)."""

    name: str
    created_at: datetime
    disabled: bool = False
    last_sign_in: datetime | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "disabled": self.disabled,
            "last_sign_in": None if self.last_sign_in is None else self.last_sign_in.isoformat(),
        }


class OperatorRow(Base):
    __tablename__ = "console_operators"

    name: Mapped[str] = mapped_column(String(MAX_NAME_CHARS), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    last_sign_in: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def checked_name(name: str) -> str:
    """The account name, or `OperatorInputError` saying what a name may hold."""
    name = unicodedata.normalize("NFC", name.strip())
    if not _NAME.fullmatch(name):
        raise OperatorInputError(
            "an operator name is 1–64 letters, digits and . _ @ - (starting with a letter or "
            f"digit), not {name[:80]!r}"
        )
    return name


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise OperatorInputError(
            f"a password needs at least {MIN_PASSWORD_CHARS} characters (a passphrase of a few "
            "words is easy to remember and hard to guess)"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise OperatorInputError(f"a password has at most {MAX_PASSWORD_CHARS} characters")
    if "\x00" in password:
        raise OperatorInputError("a password cannot hold a NUL character")
    return password


class OperatorAccounts:
    """Operator accounts on the main database's engine."""

    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._hasher = hasher or PasswordHasher()

    @cached_property
    def _decoy(self) -> str:
        """A hash no password matches, checked for unknown names; made at the first one."""
        return self._hasher.hash(secrets.token_urlsafe(16))

    def add(self, name: str, password: str) -> Operator:
        """A new account; `OperatorExistsError` when the name is taken."""
        name = checked_name(name)
        row = OperatorRow(
            name=name,
            password_hash=self._hasher.hash(checked_password(password)),
            created_at=utcnow(),
            disabled=False,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            raise OperatorExistsError(f"an operator named {name!r} exists already") from None
        return _operator(row)

    def set_password(self, name: str, password: str) -> Operator:
        hashed = self._hasher.hash(checked_password(password))
        with self._sessions.begin() as session:
            row = self._row(session, name)
            row.password_hash = hashed
            return _operator(row)

    def set_disabled(self, name: str, disabled: bool) -> Operator:
        """Disable (or enable again) an account; a disabled account cannot sign in and its
        sessions end at their next request."""
        with self._sessions.begin() as session:
            row = self._row(session, name)
            row.disabled = disabled
            return _operator(row)

    def get(self, name: str) -> Operator | None:
        with self._sessions() as session:
            row = session.get(OperatorRow, name)
            return None if row is None else _operator(row)

    def all(self) -> list[Operator]:
        with self._sessions() as session:
            rows = session.scalars(select(OperatorRow).order_by(OperatorRow.name))
            return [_operator(row) for row in rows]

    def authenticate(self, name: str, password: str) -> Operator | None:
        """The account when `password` is its password and it is enabled; None otherwise
        (the same work is done for a name that does not exist)."""
        try:
            name = checked_name(name)
        except OperatorInputError:
            name = ""
        with self._sessions.begin() as session:
            row = session.get(OperatorRow, name) if name else None
            if row is None:
                _verify(self._hasher, self._decoy, password)  # as long as a real check
                return None
            if not _verify(self._hasher, row.password_hash, password) or row.disabled:
                return None
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hasher.hash(password)
            row.last_sign_in = utcnow()
            return _operator(row)

    @staticmethod
    def _row(session: Session, name: str) -> OperatorRow:
        row = session.get(OperatorRow, checked_name(name))
        if row is None:
            raise OperatorNotFoundError(
                f"no operator named {name!r}: `kb-assistant operators list` shows them"
            )
        return row


def _verify(hasher: PasswordHasher, hashed: str, password: str) -> bool:
    try:
        return hasher.verify(hashed, password[:MAX_PASSWORD_CHARS])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _operator(row: OperatorRow) -> Operator:
    return Operator(
        name=row.name,
        created_at=as_utc(row.created_at),
        disabled=bool(row.disabled),
        last_sign_in=None if row.last_sign_in is None else as_utc(row.last_sign_in),
    )
