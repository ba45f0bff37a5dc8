"""The operator console at `/console`: pages a support lead reads to see how the assistant is
doing and what to fix — overview, content gaps (and the FAQ drafts made from them),
conversations, handoff cases, the knowledge base.

Pages are rendered on the server (no build step, no CDN, no inline script or style) and sent
with their own strict Content-Security-Policy; every page needs a signed-in operator
(`console_auth`), and every form a CSRF token. The same data is available as JSON from the
admin API (`routes_admin`). Page handlers are plain functions: FastAPI runs them on the thread
pool, so a slow query never stalls the event loop.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kb_assistant.api.console_auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    ConsoleDenied,
    Identity,
    check_csrf,
    check_login_token,
    check_origin,
    clear_cookie,
    identify,
    login_limiter,
    login_token,
    read_form,
    required,
    safe_next,
    set_cookie,
)
from kb_assistant.api.deps import client_address
from kb_assistant.api.pages import static_file
from kb_assistant.api.state import ApiState
from kb_assistant.composition.console import draft_view
from kb_assistant.composition.indexes import build_registry
from kb_assistant.core.errors import HTTP_STATUS, KbError
from kb_assistant.faq.drafts import FaqInputError
from kb_assistant.handoff.types import utcnow
from kb_assistant.insights.cases import case_queue
from kb_assistant.insights.overview import overview, period_ending
from kb_assistant.kbreport import render_html
from kb_assistant.web.console.render import STATIC_DIR, render

log = logging.getLogger(__name__)

CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
PERIODS = (7, 30, 90, 365)
DEFAULT_DAYS = 30
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)

T = TypeVar("T")

router = APIRouter(prefix="/console", include_in_schema=False)
Days = Annotated[int, Query(ge=1, le=366)]


def install(app: FastAPI) -> None:
    """Add the console's routes, and its error pages for `ConsoleDenied`."""
    app.state.console_logins = login_limiter()
    app.include_router(router)
    app.add_exception_handler(ConsoleDenied, _denied)


def _state(request: Request) -> ApiState:
    state: ApiState = request.app.state.kb
    return state


def page(
    request: Request, template: str, http_status: int = 200, /, **context: Any
) -> HTMLResponse:
    """A rendered console page with the console's security headers."""
    return HTMLResponse(render(template, **context), status_code=http_status, headers=_headers())


def _headers(csp: str = CONSOLE_CSP) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
    }


def _common(identity: Identity, name: str, title: str) -> dict[str, Any]:
    return {"operator": identity.operator, "csrf": identity.csrf, "page": name, "title": title}


def _days(days: int) -> int:
    return days if days in PERIODS else DEFAULT_DAYS


def _today() -> date:
    return utcnow().date()


async def _denied(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleDenied)
    if exc.to_login:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/console/login?next={_quoted(target)}", status_code=303)
    state = _state(request)
    identity = await run_in_threadpool(identify, request, state)
    context: dict[str, Any] = {"status": exc.status, "message": exc.message, "title": "Problem"}
    if identity is not None:
        context |= _common(identity, "", "Problem")
    return page(request, "error.html", exc.status, **context)


def _quoted(target: str) -> str:
    return quote(target, safe="/")


def _product_errors(work: Callable[[], T]) -> T:
    """Run a page's work; a product error (not found, unusable input, not ready yet)
    becomes its page, with its message."""
    try:
        return work()
    except KbError as error:
        status = HTTP_STATUS[error.category]
        if error.category == "internal":
            log.exception("a console page failed")
            raise ConsoleDenied(status, "Something went wrong on our side. Try again.") from None
        raise ConsoleDenied(status, str(error)) from None


# Signing in and out.


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    state = _state(request)
    if identify(request, state) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    token = login_token(request)
    response = page(
        request, "login.html", error=None, next=safe_next(next), csrf=token, title="Sign in"
    )
    set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
async def sign_in(request: Request) -> Response:
    state = _state(request)
    check_origin(request)
    form = await read_form(request)
    check_login_token(request, form)
    target = safe_next(form.get("next"))
    limiter = request.app.state.console_logins
    if limiter.hit(client_address(request)):
        raise ConsoleDenied(429, "Too many sign-in attempts from here. Wait a few minutes.")
    name, password = form.get("username", ""), form.get("password", "")
    account = await run_in_threadpool(state.console.accounts.authenticate, name, password)
    if account is None:
        log.warning("console sign-in refused for %r from %s", name[:64], client_address(request))
        token = login_token(request)
        refused = page(
            request,
            "login.html",
            401,
            error="That name and password do not match an operator account.",
            next=target,
            csrf=token,
            title="Sign in",
        )
        set_cookie(refused, request, LOGIN_COOKIE, token, max_age=3600)
        return refused
    started = await run_in_threadpool(state.console.sessions.begin, account.name)
    log.info("operator %s signed in to the console", account.name)
    response = RedirectResponse(target, status_code=303)
    lifetime = int(state.settings.console_session_hours * 3600)
    set_cookie(response, request, SESSION_COOKIE, started.token, max_age=lifetime)
    clear_cookie(response, request, LOGIN_COOKIE)
    return response


@router.post("/logout")
async def sign_out(request: Request) -> Response:
    state = _state(request)
    check_origin(request)
    form = await read_form(request)
    identity = await run_in_threadpool(required, request, state)
    check_csrf(identity, form)
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        await run_in_threadpool(state.console.sessions.end, token)
    response = RedirectResponse("/console/login", status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    return response


# Pages.


@router.get("")
def overview_page(request: Request, days: Days = DEFAULT_DAYS) -> Response:
    state = _state(request)
    identity = required(request, state)
    days = _days(days)
    seen = overview(state.console.engine, period_ending(_today(), days))
    return page(
        request,
        "overview.html",
        overview=seen,
        days=days,
        period_options=list(PERIODS),
        **_common(identity, "overview", "Overview"),
    )


@router.get("/gaps")
def gaps_page(request: Request, days: Days = DEFAULT_DAYS) -> Response:
    state = _state(request)
    identity = required(request, state)
    days = _days(days)
    report = _product_errors(lambda: state.console.gap_report(days))
    return page(
        request,
        "gaps.html",
        report=report,
        days=days,
        period_options=list(PERIODS),
        **_common(identity, "gaps", "Content gaps"),
    )


@router.post("/gaps/{key}/draft")
async def draft_from_gap(
    request: Request, key: Annotated[str, PathParam(pattern=r"^[0-9a-f]{16}$")]
) -> Response:
    state = _state(request)
    check_origin(request)
    form = await read_form(request)
    identity = await run_in_threadpool(required, request, state)
    check_csrf(identity, form)
    days = _days(int(form["days"]) if form.get("days", "").isdigit() else DEFAULT_DAYS)

    def work() -> Response:
        draft = state.console.draft_gap(key, days, identity.operator)
        return RedirectResponse(f"/console/faq/{draft.id}", status_code=303)

    return await run_in_threadpool(_product_errors, work)


@router.get("/faq/{draft_id}")
def faq_page(request: Request, draft_id: Annotated[int, PathParam(ge=1, le=2**31)]) -> Response:
    state = _state(request)
    identity = required(request, state)

    def work() -> Response:
        draft = state.console.drafts.get(draft_id)
        notice = (
            "Published: customers asking this now get this answer."
            if (draft.state == "published")
            else None
        )
        return page(
            request,
            "faq_draft.html",
            draft=draft_view(draft),
            error=draft.error,
            field=None,
            notice=notice,
            **_common(identity, "gaps", "FAQ draft"),
        )

    return _product_errors(work)


@router.post("/faq/{draft_id}")
async def save_faq(
    request: Request, draft_id: Annotated[int, PathParam(ge=1, le=2**31)]
) -> Response:
    state = _state(request)
    check_origin(request)
    form = await read_form(request)
    identity = await run_in_threadpool(required, request, state)
    check_csrf(identity, form)
    question, answer = form.get("question", ""), form.get("answer", "")
    action = form.get("action", "save")

    def work() -> Response:
        drafts = state.console.drafts
        try:
            if action == "publish":
                state.console.publish(draft_id, question, answer, identity.operator)
                log.info("operator %s published FAQ draft %s", identity.operator, draft_id)
            else:
                drafts.save(draft_id, question, answer)
        except FaqInputError as error:
            draft = drafts.get(draft_id)
            edited = draft_view(draft)
            return page(
                request,
                "faq_draft.html",
                422,
                draft=replace(edited, question=question[:300], answer=answer[:3000]),
                error=str(error),
                field=error.field,
                notice=None,
                **_common(identity, "gaps", "FAQ draft"),
            )
        except KbError:
            raise
        except Exception as error:  # publishing failed; the draft keeps the error
            log.exception("publishing FAQ draft %s failed", draft_id)
            raise ConsoleDenied(
                503, f"The entry could not be published: {error}. Try again shortly."
            ) from None
        return RedirectResponse(f"/console/faq/{draft_id}", status_code=303)

    return await run_in_threadpool(_product_errors, work)


@router.get("/conversations")
def conversations_page(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    state = _state(request)
    identity = required(request, state)
    results = state.console.transcripts.search(q, offset=offset, limit=50)
    return page(
        request,
        "conversations.html",
        results=results,
        **_common(identity, "conversations", "Conversations"),
    )


@router.get("/conversations/{cid}")
def conversation_page(request: Request, cid: Annotated[str, PathParam(max_length=64)]) -> Response:
    state = _state(request)
    identity = required(request, state)
    return _product_errors(
        lambda: page(
            request,
            "conversation.html",
            detail=state.console.transcripts.detail(cid),
            **_common(identity, "conversations", "Conversation"),
        )
    )


@router.get("/cases")
def cases_page(
    request: Request,
    state_filter: Annotated[str, Query(alias="state", max_length=16)] = "",
    reason: Annotated[str, Query(max_length=32)] = "",
    agent: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    state = _state(request)
    identity = required(request, state)
    queue = case_queue(
        state.cases.engine,
        state.console.redactor,
        state=state_filter or None,
        reason=reason or None,
        agent=agent or None,
    )
    return page(request, "cases.html", queue=queue, **_common(identity, "cases", "Cases"))


@router.get("/kb")
def kb_page(request: Request) -> Response:
    state = _state(request)
    identity = required(request, state)
    kb = state.console.knowledge_base()
    return page(request, "kb.html", kb=kb, **_common(identity, "kb", "Knowledge base"))


@router.get("/kb/report")
def kb_report_page(request: Request) -> Response:
    """The full health report, as `kb-assistant kb report --html` writes it: its one inline
    stylesheet is allowed by its hash, nothing else."""
    state = _state(request)
    required(request, state)

    def work() -> Response:
        live = build_registry(state.settings).live()
        html = render_html(state.console.health.get(None if live is None else live.id))
        hashes = " ".join(
            f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'"
            for css in _STYLE.findall(html)
        )
        styles = hashes or "'none'"
        csp = CONSOLE_CSP.replace("style-src 'self'", f"style-src {styles}")
        return HTMLResponse(html, headers=_headers(csp))

    return _product_errors(work)


@router.api_route("/static/{name}", methods=["GET", "HEAD"])
def console_static(name: Annotated[str, PathParam(max_length=100)]) -> Response:
    return static_file(name, STATIC_DIR)


@router.api_route("/{rest:path}", methods=["GET", "HEAD"])
def not_found(request: Request, rest: str) -> Response:
    raise ConsoleDenied(404, "There is no console page here.")
