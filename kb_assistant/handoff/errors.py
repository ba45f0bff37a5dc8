"""Errors of the handoff area: one base class, one subclass per thing that can go wrong.

Callers catch `HandoffError` to handle them all, or a subclass to handle one case (an HTTP
API turns `CaseNotFoundError` into 404 and `CaseStateError` into 409, for instance).
"""

from __future__ import annotations

from kb_assistant.core.errors import (
    ConflictError,
    KbError,
    NotFoundError,
    UnavailableError,
    UsageError,
)


class HandoffError(KbError):
    """Something about a handoff case failed; the message says what and what to do."""


class CaseNotFoundError(HandoffError, NotFoundError):
    """No case has this id."""


class CaseStateError(HandoffError, ConflictError):
    """The case is not in a state that allows this step (claiming a resolved case, say)."""


class NoActiveCaseError(HandoffError, ConflictError):
    """The conversation has no open or claimed case to attach a message to."""


class HandoffInputError(HandoffError, UsageError, ValueError):
    """A text, name or id given to the store is empty, too long or malformed."""


class HandoffDeliveryError(HandoffError, UnavailableError):
    """A case could not be delivered to a sink (it stays stored either way).

    `errors` holds the individual failures when several sinks failed.
    """

    def __init__(self, message: str, errors: tuple[Exception, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors
