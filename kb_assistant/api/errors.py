"""One error shape for every failure: `{"error": {"code": "snake_case", "message": "..."}}`.

Our own errors (`ApiError`), FastAPI's validation errors (422, or 400 for a body that is not
JSON), Starlette's HTTP errors (404, 405, ...), the stores' errors, and anything unexpected
(500 `internal_error`: the details go to the server's log, never to the client).

A message may quote what the client sent (a field's name): anything in it that cannot be
encoded as UTF-8 (a lone surrogate) is written as its escape, so an error never fails itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb_assistant.api.schemas import text_problem
from kb_assistant.core.errors import HTTP_STATUS, KbError

log = logging.getLogger(__name__)

FASTAPI_UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's 400 detail

CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "message_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "not_ready",
}


class ApiError(Exception):
    """A failure the client can act on: its status, code, message and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, f"http_{status}")
        self.message = message
        self.headers = dict(headers or {})


def error_body(code: str, message: str) -> dict[str, Any]:
    """The contract's body; `message` made encodable (a lone surrogate as `\\udxxx`)."""
    printable = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return {"error": {"code": code, "message": printable}}


def error_response(
    status: int, message: str, code: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON error response (the code defaults to the one for the status)."""
    body = error_body(code or CODES.get(status, f"http_{status}"), message)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def describe_validation(errors: Sequence[Any]) -> str:
    """FastAPI's validation errors as one sentence: where, and what is wrong."""
    parts = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {_error_message(error)}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "the request is not valid: " + "; ".join(parts) + more


def _error_message(error: Any) -> str:
    """Pydantic's message, or for text it could not read (a lone surrogate) what is wrong."""
    given = error.get("input")
    if error.get("type") == "string_unicode" and isinstance(given, str):
        return text_problem(given) or str(error.get("msg"))
    return str(error.get("msg", "invalid"))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(KbError, _product_error)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.code, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    broken = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if broken is not None:
        detail = (broken.get("ctx") or {}).get("error", "JSON decode error")
        position = broken.get("loc", ("body", "?"))[-1]
        return error_response(
            400,
            f"the body is not valid JSON ({detail} at character {position}): send a JSON object",
        )
    return error_response(422, describe_validation(errors))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and message == "Not Found":
        message = "nothing here: check the address (the API lives under /api/v1)"
    elif exc.status_code == 400 and message == FASTAPI_UNREADABLE_BODY:
        message = "the body could not be read as JSON: send one JSON object, encoded as UTF-8"
    elif exc.status_code == 405:
        message = "this address does not accept that method: see /docs for what it does accept"
    return error_response(exc.status_code, message, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "something went wrong on our side; please try again shortly")


async def _product_error(request: Request, exc: Exception) -> JSONResponse:
    """A product error, by its category: the client's to fix (not found, unusable input, a
    state that forbids it) with its message; the server's (unavailable, internal) with a
    general one, the details going to the log."""
    assert isinstance(exc, KbError)
    status = HTTP_STATUS[exc.category]
    if status < 500:
        return error_response(status, str(exc))
    log.error("%s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
    if exc.category == "unavailable":
        return error_response(status, "the assistant is not ready; please try again shortly")
    return error_response(500, "something went wrong on our side; please try again shortly")
