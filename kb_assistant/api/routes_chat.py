"""The customer (widget) endpoints under `/api/v1`: conversations, messages (JSON or a
streamed reply), the transcript, the live event stream, ratings and "talk to a person".

Thin: check the token and the limits, hand the work to `chat` in the thread pool.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from kb_assistant.api import chat
from kb_assistant.api.deps import AccessDep, StateDep, client_quota, limit
from kb_assistant.api.errors import ApiError
from kb_assistant.api.schemas import (
    ConversationIn,
    ErrorOut,
    FeedbackIn,
    HandoffIn,
    MessageIn,
    OkOut,
    ReplyOut,
    TokenOut,
    TranscriptOut,
)
from kb_assistant.api.sse import (
    MAX_EVENT_ID,
    SSE_HEADERS,
    LastEventIdHeader,
    conversation_events,
    resume_point,
)
from kb_assistant.api.state import ApiState
from kb_assistant.handoff import CaseNotFoundError, CustomerContact

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 401, 403, 404, 413, 422, 429, 503)
}
router = APIRouter(prefix="/api/v1", tags=["chat"], responses=_ERRORS)
Quota = Depends(client_quota)


@router.post("/conversations", status_code=201, response_model=TokenOut, dependencies=[Quota])
def create_conversation(
    state: StateDep, request: Request, body: ConversationIn | None = None
) -> dict[str, Any]:
    """Start a conversation; its id and a short-lived token for the calls about it."""
    given = body.contact if body is not None else None
    contact = None
    if given is not None and (given.name or given.email):
        contact = CustomerContact(email=given.email, name=given.name)
    conversation = state.conversations.create(client=request.headers.get("origin"), contact=contact)
    return state.tokens.issue(conversation.id).as_json()


@router.post("/conversations/{cid}/token", response_model=TokenOut, dependencies=[Quota])
def refresh_token(state: StateDep, access: AccessDep) -> dict[str, Any]:
    """A fresh token for the conversation (send the current, still valid one)."""
    state.conversations.get(access.conversation_id)
    return state.tokens.issue(access.conversation_id).as_json()


@router.get("/conversations/{cid}", response_model=TranscriptOut)
def transcript(state: StateDep, access: AccessDep) -> dict[str, Any]:
    """The conversation so far and where its handoff stands, so a reloaded page restores it."""
    cid = access.conversation_id
    state.conversations.get(cid)
    state.relay.sync(cid)  # changes made elsewhere (Slack, another process) show too
    messages = [m.as_json() for m in state.conversations.transcript(cid)]
    return {"conversation_id": cid, "handoff": handoff_status(state, cid), "messages": messages}


@router.post(
    "/conversations/{cid}/messages",
    response_model=ReplyOut,
    dependencies=[Quota],
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def send_message(
    state: StateDep, access: AccessDep, body: MessageIn, request: Request
) -> Any:
    """The assistant's reply to a customer message: JSON, or with `Accept: text/event-stream`
    a stream of `token` events and one `done` event holding the same JSON."""
    text = checked_text(state, body.text)
    state.ready_assistant()
    limit(state, state.limits.conversation, "conversation", access.conversation_id)
    turn = await run_in_threadpool(
        chat.begin_turn, state, access.conversation_id, text, body.length, body.tone
    )
    if "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(
            chat.reply_events(state, turn), media_type="text/event-stream", headers=SSE_HEADERS
        )
    return await run_in_threadpool(chat.reply, state, turn)


@router.get(
    "/conversations/{cid}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(
    state: StateDep,
    access: AccessDep,
    request: Request,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_EVENT_ID, description="the last event id seen")
    ] = None,
    last_event_id: LastEventIdHeader = None,
) -> StreamingResponse:
    """Live events of the conversation: `agent_message` and `handoff` (Server-Sent Events)."""
    cid = access.conversation_id
    await run_in_threadpool(state.conversations.get, cid)
    await run_in_threadpool(state.relay.sync, cid)
    stream = conversation_events(
        request,
        state.conversations,
        cid,
        resume_point(last_event_id, after),
        until=access.expires,
        catch_up=lambda: state.relay.sync(cid),
    )
    return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)


@router.post("/conversations/{cid}/feedback", response_model=OkOut, dependencies=[Quota])
def feedback(state: StateDep, access: AccessDep, body: FeedbackIn) -> dict[str, Any]:
    """Rate one of the assistant's replies (rating it again replaces the first rating)."""
    state.conversations.rate(access.conversation_id, body.message_id, body.rating, body.comment)
    state.metrics.feedback.labels(body.rating).inc()
    return {"ok": True}


@router.post("/conversations/{cid}/handoff", response_model=ReplyOut, dependencies=[Quota])
async def handoff(
    state: StateDep, access: AccessDep, body: HandoffIn | None = None
) -> dict[str, Any]:
    """The customer asked for a person: open (once) a case and tell them a person will reply."""
    reason = body.reason if body is not None else None
    if reason is not None:
        reason = checked_text(state, reason, allow_empty=True)
    state.ready_assistant()
    limit(state, state.limits.conversation, "conversation", access.conversation_id)
    return await run_in_threadpool(chat.request_person, state, access.conversation_id, reason)


def checked_text(state: ApiState, text: str, *, allow_empty: bool = False) -> str:
    """The customer's text, or 422 when empty and 413 when over `KB_MAX_MESSAGE_CHARS`."""
    most = state.settings.max_message_chars
    if len(text) > most:
        raise ApiError(
            413,
            f"the message is {len(text):,} characters long; at most {most:,} are allowed: "
            "shorten it or send it in parts",
        )
    if not allow_empty and not text.strip():
        raise ApiError(422, "the message is empty: write something to send")
    return text


def handoff_status(state: ApiState, conversation_id: str) -> dict[str, Any] | None:
    """The conversation's current (or last) case: id, state and the agent on it."""
    case = state.cases.active_case(conversation_id)
    if case is None:
        last = state.conversations.last_handoff(conversation_id)
        if last is None or last.case_id is None:
            return None
        try:
            case = state.cases.get(last.case_id)
        except CaseNotFoundError:
            return None
    agent = case.resolved_by if case.state == "resolved" else case.claimed_by
    return {"case_id": case.id, "state": case.state, "agent": agent}
