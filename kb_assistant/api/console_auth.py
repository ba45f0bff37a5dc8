"""Who is signed in to the operator console, and whether a form really came from it.

Two ways in, and the admin API key is neither:

- **a password**: an operator account (`kb-assistant operators add`) signs in at
  `/console/login` and gets a session cookie (HttpOnly, SameSite=Strict, `Secure` over HTTPS,
  scoped to `/console`) whose hash the database holds;
- **single sign-on**: a trusted proxy names the operator in `KB_CONSOLE_SSO_HEADER` and
  proves the header is its own with `KB_CONSOLE_SSO_SECRET` in `X-Console-Proxy-Secret`.

Every POST carries a CSRF token in its form (the session's own; for single sign-on an HMAC
of the operator's name), compared in constant time; a POST whose `Origin` (or, without one,
`Sec-Fetch-Site`) says another site sent it is refused as well. The sign-in form, before
there is a session, uses a double-submit token: a random cookie repeated in the form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from fastapi import Request
from fastapi.responses import Response

from kb_assistant.api.ratelimit import SlidingWindowLimiter
from kb_assistant.api.state import ApiState

SESSION_COOKIE = "kb_console"
LOGIN_COOKIE = "kb_console_login"
COOKIE_PATH = "/console"
PROXY_SECRET_HEADER = "X-Console-Proxy-Secret"
MAX_FORM_BYTES = 16 * 1024
LOGIN_ATTEMPTS = 10  # per client address …
LOGIN_WINDOW_S = 300.0  # … in this many seconds


class ConsoleDenied(Exception):
    """The request may not go on: `status` and a message for the page (or a redirect to the
    sign-in page when `to_login`)."""

    def __init__(self, status: int, message: str, *, to_login: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.to_login = to_login


@dataclass(frozen=True)
class Identity:
    """The signed-in operator, how they signed in, and the CSRF token their forms carry."""

    operator: str
    csrf: str
    via: str  # "password" or "sso"


def login_limiter() -> SlidingWindowLimiter:
    return SlidingWindowLimiter(LOGIN_ATTEMPTS, LOGIN_WINDOW_S)


def identify(request: Request, state: ApiState) -> Identity | None:
    """The operator this request comes from, or None (not signed in)."""
    settings = state.settings
    if settings.console_sso_header and settings.console_sso_secret is not None:
        named = request.headers.get(settings.console_sso_header, "").strip()
        proof = request.headers.get(PROXY_SECRET_HEADER, "")
        expected = settings.console_sso_secret.get_secret_value()
        if named and hmac.compare_digest(proof.encode(), expected.encode()):
            account = state.console.accounts.get(named) if _plain(named) else None
            if account is not None and account.disabled:
                return None
            return Identity(named[:64], sso_csrf(expected, named), "sso")
    token = request.cookies.get(SESSION_COOKIE, "")
    session = state.console.sessions.find(token) if token else None
    if session is None:
        return None
    return Identity(session.operator, session.csrf, "password")


def required(request: Request, state: ApiState) -> Identity:
    """The signed-in operator; `ConsoleDenied` sending the browser to the sign-in page."""
    identity = identify(request, state)
    if identity is None:
        raise ConsoleDenied(401, "Sign in to use the console.", to_login=True)
    return identity


def sso_csrf(secret: str, operator: str) -> str:
    """The CSRF token of an operator signed in by the proxy (stable, unguessable)."""
    key = hashlib.sha256(f"console-csrf:{secret}".encode()).digest()
    return hmac.new(key, operator.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


async def read_form(request: Request) -> dict[str, str]:
    """A URL-encoded form body (the console's forms), each field's last value; `ConsoleDenied`
    for another kind of body, one too large, or one that is not UTF-8."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if not body:
        return {}
    if kind != "application/x-www-form-urlencoded":
        raise ConsoleDenied(415, "The console accepts only its own forms.")
    if len(body) > MAX_FORM_BYTES:
        raise ConsoleDenied(413, "That form is too large.")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise ConsoleDenied(400, "That form could not be read (it is not UTF-8).") from None
    return {name: value.replace("\x00", "") for name, value in pairs}


def check_origin(request: Request) -> None:
    """Refuse a POST another site's page sent (by `Origin`, else `Sec-Fetch-Site`)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        if _origin_of(origin) != _origin_of(str(request.base_url)):
            raise ConsoleDenied(403, "This form was sent from another site; it was refused.")
        return
    if origin == "null" or request.headers.get("sec-fetch-site") == "cross-site":
        raise ConsoleDenied(403, "This form was sent from another site; it was refused.")


def check_csrf(identity: Identity, form: dict[str, str]) -> None:
    given = form.get("csrf", "")
    if not given or not hmac.compare_digest(given.encode(), identity.csrf.encode()):
        raise ConsoleDenied(
            403, "This form has expired or did not come from the console. Reload the page."
        )


def login_token(request: Request) -> str:
    """The sign-in form's double-submit token: the one in the cookie, or a new one."""
    token = request.cookies.get(LOGIN_COOKIE, "")
    return token if 20 <= len(token) <= 100 else secrets.token_urlsafe(32)


def check_login_token(request: Request, form: dict[str, str]) -> None:
    cookie, given = request.cookies.get(LOGIN_COOKIE, ""), form.get("csrf", "")
    if not cookie or not given or not hmac.compare_digest(cookie.encode(), given.encode()):
        raise ConsoleDenied(
            403, "The sign-in form expired (or cookies are blocked). Reload and try again."
        )


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only (never another site)."""
    if not target:
        return "/console"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console") or "\\" in target:
        return "/console"
    return target


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _plain(name: str) -> bool:
    return 0 < len(name) <= 64 and name.isprintable()
