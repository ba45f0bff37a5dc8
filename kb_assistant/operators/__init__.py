"""The people who run the assistant: operator accounts (Argon2id password hashes) and their
console sessions (a hashed cookie token and a CSRF token each), on the main database."""

from __future__ import annotations

from kb_assistant.operators.accounts import (
    MIN_PASSWORD_CHARS,
    Operator,
    OperatorAccounts,
    OperatorError,
    OperatorExistsError,
    OperatorInputError,
    OperatorNotFoundError,
    checked_name,
)
from kb_assistant.operators.sessions import ConsoleSession, ConsoleSessions, NewSession

__all__ = [
    "MIN_PASSWORD_CHARS",
    "ConsoleSession",
    "ConsoleSessions",
    "NewSession",
    "Operator",
    "OperatorAccounts",
    "OperatorError",
    "OperatorExistsError",
    "OperatorInputError",
    "OperatorNotFoundError",
    "checked_name",
]
