"""Protective layers around every request: security headers, the CORS allow-list (and a
readable `Origin`), and a cap on the request body's size (and a body that is UTF-8).

All three are pure ASGI middleware, so streamed replies and event streams pass through
untouched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb_assistant.api.errors import error_body
from kb_assistant.api.schemas import text_problem

MAX_BODY_BYTES = 64 * 1024
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
)
CUSTOMER_API = "/api/v1/"
ADMIN_API = "/api/v1/admin"
_ALLOWED_METHODS = "GET, POST, OPTIONS"
_ALLOWED_HEADERS = "Authorization, Content-Type, Accept, Last-Event-ID"
_EXPOSED_HEADERS = "Retry-After"
_BINARY_BODIES = (b"multipart/", b"application/octet-stream")  # bodies that need not be text


async def send_json(
    send: Send, status: int, body: object, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """A complete JSON response, for middleware that answers without calling the app."""
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class SecurityHeadersMiddleware:
    """`X-Content-Type-Options` and `Referrer-Policy` on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"x-content-type-options", b"referrer-policy")
                ]
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"strict-origin-when-cross-origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class CorsMiddleware:
    """Lets pages on the allowed origins (and the server's own) call the customer API.

    Admin calls never get CORS headers: the admin API is for servers and people, not pages.
    A preflight from an origin that is not allowed is refused with 403; an `Origin` holding a
    NUL (the customer API stores it with the conversation) with 422.
    """

    def __init__(self, app: ASGIApp, origins: Iterable[str]) -> None:
        self.app = app
        self.origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        origin = _header(scope, b"origin")
        if (
            scope["type"] != "http"
            or origin is None
            or not path.startswith(CUSTOMER_API)
            or path.startswith(ADMIN_API)
        ):
            await self.app(scope, receive, send)
            return
        problem = text_problem(origin)
        if problem is not None:
            body = error_body("invalid_request", f"the Origin header {problem}")
            await send_json(send, 422, body)
            return
        allowed = origin in self.origins or origin == _own_origin(scope)
        preflight = scope["method"] == "OPTIONS" and _header(
            scope, b"access-control-request-method"
        )
        if preflight:
            await self._preflight(send, origin, allowed)
            return
        if not allowed:
            await self.app(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"access-control-allow-origin", origin.encode()))
                headers.append((b"access-control-expose-headers", _EXPOSED_HEADERS.encode()))
                headers.append((b"vary", b"Origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_cors)

    async def _preflight(self, send: Send, origin: str, allowed: bool) -> None:
        if not allowed:
            body = error_body(
                "forbidden", f"pages on {origin} may not call this API: add it to KB_CORS_ORIGINS"
            )
            await send_json(send, 403, body, [(b"vary", b"Origin")])
            return
        headers = [
            (b"access-control-allow-origin", origin.encode()),
            (b"access-control-allow-methods", _ALLOWED_METHODS.encode()),
            (b"access-control-allow-headers", _ALLOWED_HEADERS.encode()),
            (b"access-control-max-age", b"600"),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


class BodyLimitMiddleware:
    """Refuses a request body over `max_bytes` with 413, before any of it is parsed, and a
    text body (anything but multipart and octet-stream) that is not UTF-8 with 400: the
    parsers would otherwise fail on it in their own ways."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        body, more, over = bytearray(), True, False
        while more:  # read the whole (bounded) body first, then replay it to the app
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(b"", message, receive), send)
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            over = over or len(body) > self.max_bytes
            if over:
                body.clear()
        if over:
            await self._refuse(send)
            return
        problem = _encoding_problem(scope, bytes(body))
        if problem is not None:
            await send_json(send, 400, error_body("bad_request", problem))
            return
        await self.app(scope, _replay(bytes(body), None, receive), send)

    async def _refuse(self, send: Send) -> None:
        kib = self.max_bytes // 1024
        body = error_body(
            "message_too_large", f"the request body is larger than {kib} KiB: send less"
        )
        await send_json(send, 413, body, [(b"connection", b"close")])


def _replay(body: bytes, first: Message | None, receive: Receive) -> Receive:
    """A `receive` that hands out the buffered body once, then the real channel's messages."""
    pending: list[Message] = (
        [first]
        if first is not None
        else [{"type": "http.request", "body": body, "more_body": False}]
    )

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


def _encoding_problem(scope: Scope, body: bytes) -> str | None:
    """Why a text body cannot be read (it is not UTF-8), or None."""
    kind = (_header(scope, b"content-type") or "").lower().encode("latin-1")
    if not body or kind.startswith(_BINARY_BODIES):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"the body is not valid UTF-8 (byte 0x{body[exc.start]:02X} at offset {exc.start}): "
            "send text encoded as UTF-8"
        )
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _own_origin(scope: Scope) -> str | None:
    host = _header(scope, b"host")
    if host is None:
        return None
    return f"{scope.get('scheme', 'http')}://{host}"
