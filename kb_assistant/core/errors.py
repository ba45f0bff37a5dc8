"""The root of the product's errors, and the few categories callers act on.

Every error the product raises on purpose derives from `KbError` through one category:

- `UsageError`: the request, input or configuration cannot be used as given (fix it and retry);
- `NotFoundError`: what was named does not exist;
- `ConflictError`: it exists, but its state does not allow the operation (a case already
  claimed, a lease held by another process);
- `UnavailableError`: something the product depends on cannot be reached or loaded now;
- plain `KbError`: a failure on the product's side.

The command line and the HTTP API map errors by category (`EXIT_CODES`, `HTTP_STATUS`), not
name by name, so a new error class needs no new handler.
"""

from __future__ import annotations

from typing import ClassVar, Literal

Category = Literal["usage", "not_found", "conflict", "unavailable", "internal"]

# Exit status of a command that failed with an error of the category.
EXIT_CODES: dict[Category, int] = {
    "usage": 2,
    "not_found": 2,
    "conflict": 2,
    "unavailable": 2,
    "internal": 1,
}
# HTTP status of a request that failed with an error of the category.
HTTP_STATUS: dict[Category, int] = {
    "usage": 422,
    "not_found": 404,
    "conflict": 409,
    "unavailable": 503,
    "internal": 500,
}


class KbError(Exception):
    """An error the product raises on purpose; `category` says what the caller can do."""

    category: ClassVar[Category] = "internal"


class UsageError(KbError):
    """The request, input or configuration cannot be used as given."""

    category: ClassVar[Category] = "usage"


class NotFoundError(KbError, LookupError):
    """What was named does not exist."""

    category: ClassVar[Category] = "not_found"


class ConflictError(KbError):
    """It exists, but its current state does not allow the operation."""

    category: ClassVar[Category] = "conflict"


class UnavailableError(KbError):
    """Something the product depends on cannot be reached or loaded now."""

    category: ClassVar[Category] = "unavailable"
