"""Request dependencies: the app's state, conversation tokens, the admin key, rate limits.

Every value read here from a path, query or header is refused (422) when it holds a NUL or a
lone surrogate: parameters through `UsableText`, headers through `header_value`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from kb_assistant.api.errors import ApiError
from kb_assistant.api.ratelimit import SlidingWindowLimiter, retry_after
from kb_assistant.api.schemas import UsableText, text_problem
from kb_assistant.api.state import ApiState
from kb_assistant.api.tokens import TokenError


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.kb
    return state


StateDep = Annotated[ApiState, Depends(get_state)]

_bearer = HTTPBearer(auto_error=False, description="the conversation token")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="KB_ADMIN_API_KEY")


@dataclass(frozen=True)
class ConversationAccess:
    """A request proven to be about this conversation, and when its token expires."""

    conversation_id: str
    expires: int


def conversation_access(
    state: StateDep,
    cid: Annotated[str, Path(max_length=64, description="the conversation id (c_…)"), UsableText],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
    token: Annotated[
        str | None, Query(max_length=512, description="the token, for EventSource"), UsableText
    ] = None,
) -> ConversationAccess:
    """The conversation token from `Authorization: Bearer` or `?token=`, checked.

    422 when the id or the token holds a NUL or a lone surrogate; 401 when the token is
    missing, malformed, tampered with or expired; 403 when it is valid but for another
    conversation.
    """
    given = header_value("Authorization", bearer.credentials) if bearer is not None else token
    if not given:
        raise ApiError(
            401,
            "a conversation token is required: send `Authorization: Bearer <token>` (or "
            "?token=) with the token you got when the conversation was created",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        owner, expires = state.tokens.verify(given)
    except TokenError as exc:
        raise ApiError(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    if not hmac.compare_digest(owner.encode(), cid.encode()):
        raise ApiError(403, "this token is for another conversation")
    return ConversationAccess(cid, expires)


AccessDep = Annotated[ConversationAccess, Depends(conversation_access)]


def admin_access(state: StateDep, key: Annotated[str | None, Depends(_api_key)] = None) -> None:
    """503 when no admin key is configured, 401 when the given key is missing or wrong."""
    key = header_value("X-API-Key", key)
    expected = state.settings.admin_api_key
    if expected is None:
        raise ApiError(503, "set KB_ADMIN_API_KEY to enable the admin API", "admin_disabled")
    if key is None or not hmac.compare_digest(key.encode(), expected.get_secret_value().encode()):
        raise ApiError(401, "a valid admin key is required in the X-API-Key header", "unauthorized")


def header_value(name: str, value: str | None) -> str | None:
    """The value of the header `name`; 422 when it holds a NUL or a lone surrogate."""
    problem = text_problem(value) if value is not None else None
    if problem is not None:
        raise ApiError(422, f"the {name} header {problem}")
    return value


def client_address(request: Request) -> str:
    """The address a client's calls are counted under: the connection's peer, or the client
    a trusted proxy names in `X-Forwarded-For` (`kb-assistant serve` believes only the
    proxies in KB_TRUSTED_PROXIES; any other client could name any address)."""
    return request.client.host if request.client is not None else "unknown"


def client_quota(request: Request, state: StateDep) -> None:
    """Count the call against the client address's limit; 429 when it is over."""
    limit(state, state.limits.client, "client", client_address(request))


def limit(state: ApiState, limiter: SlidingWindowLimiter, scope: str, key: str) -> None:
    """Count a hit on `limiter`; 429 with `Retry-After` when the key is over its limit."""
    wait = limiter.hit(key)
    if wait:
        state.metrics.rate_limited.labels(scope).inc()
        what = "this conversation" if scope == "conversation" else "your address"
        raise ApiError(
            429,
            f"too many messages from {what}: wait {retry_after(wait)} s and try again",
            headers={"Retry-After": retry_after(wait)},
        )
