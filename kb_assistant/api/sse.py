"""Server-Sent Events: the wire format, and the conversation event stream.

The event stream polls the conversation store (every `poll_s`, half a second by default)
instead of listening in memory, so an agent's reply reaches the customer whichever server
process stored it. Each event carries its event number as the SSE `id`, so a browser that
reconnects sends `Last-Event-ID` and gets only what it missed.

A cursor (`?after=`, `Last-Event-ID`) must be an event number the database can hold, 0 to
`MAX_EVENT_ID`; anything else is refused with 422 before the stream opens (a browser only
sends back an `id` this stream gave it, so it never meets that refusal).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from kb_assistant.api.schemas import MAX_ID
from kb_assistant.conversations import ConversationStore, StoredMessage

log = logging.getLogger(__name__)
T = TypeVar("T")

KEEP_ALIVE = ": keep-alive\n\n"
RECONNECT_MS = 3000
SSE_HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",  # tell nginx-style proxies not to buffer the stream
}
MAX_EVENT_ID = MAX_ID

LastEventIdHeader = Annotated[
    int | None,
    Header(
        alias="Last-Event-ID",
        ge=0,
        le=MAX_EVENT_ID,
        description="sent by a reconnecting browser: the last event id it got (wins over `after`)",
    ),
]


def sse_event(event: str, data: Any, event_id: int | None = None) -> str:
    """One SSE event: optional `id:`, `event:`, and the data as one line of JSON."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"{head}event: {event}\ndata: {payload}\n\n"


def conversation_event(message: StoredMessage) -> str:
    """An agent's reply (`agent_message`) or a case change (`handoff`) as an SSE event."""
    if message.event == "handoff":
        return sse_event("handoff", message.handoff_json(), message.seq)
    return sse_event("agent_message", message.as_json(), message.seq)


def resume_point(last_event_id: int | None, after: int | None) -> int:
    """The last event the client has: `Last-Event-ID` (a reconnecting browser's), else
    `?after=`, else none (0). Both were checked as `LastEventIdHeader` and the route's
    `after` declare them."""
    if last_event_id is not None:
        return last_event_id
    return after or 0


async def conversation_events(
    request: Request,
    store: ConversationStore,
    conversation_id: str,
    after: int,
    *,
    until: float,
    catch_up: Callable[[], None] | None = None,
    poll_s: float = 0.5,
    catch_up_s: float = 2.0,
    keep_alive_s: float = 15.0,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[str]:
    """Events of the conversation after event `after`, as they are stored.

    `catch_up` (every `catch_up_s`) stores what happened elsewhere and the chat has not
    seen yet (a case claimed from Slack). Ends when the client disconnects, or at `until`
    (unix seconds: the token's expiry; the client reconnects with a fresh token and
    `Last-Event-ID`).
    """
    yield f"retry: {RECONNECT_MS}\n\n"
    quiet_since = caught_up = time.monotonic()
    while clock() < until:
        if await request.is_disconnected():
            return
        if catch_up is not None and time.monotonic() - caught_up >= catch_up_s:
            caught_up = time.monotonic()
            await _quietly(catch_up, conversation_id)
        events = await _quietly(partial(store.events, conversation_id, after), conversation_id)
        for message in events or ():
            after = message.seq
            yield conversation_event(message)
        if events:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= keep_alive_s:
            quiet_since = time.monotonic()
            yield KEEP_ALIVE
        await anyio.sleep(poll_s)


async def _quietly(work: Callable[[], T], conversation_id: str) -> T | None:
    """`work()` in the thread pool; a database hiccup is logged and the stream goes on."""
    try:
        return await run_in_threadpool(work)
    except Exception as exc:
        log.warning("polling events of %s failed: %s", conversation_id, exc)
        return None
