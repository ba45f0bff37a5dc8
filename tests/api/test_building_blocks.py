"""The API's building blocks on their own: the conversation store (real SQLite), the rate
limiter, SSE formatting, and the assistant's streamed reply (real model and index)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import anyio
import pytest
from starlette.requests import Request

from kb_assistant.api.ratelimit import SlidingWindowLimiter, retry_after
from kb_assistant.api.sse import KEEP_ALIVE, conversation_events, sse_event
from kb_assistant.assistant import Assistant
from kb_assistant.conversations import (
    ConversationInputError,
    ConversationNotFoundError,
    ConversationStore,
)
from kb_assistant.core.replies import AnswerRequest
from tests.api.conftest import ANSWERABLE, REFUND, parse_sse
from tests.storage.engines import upgraded_engine


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(upgraded_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}"))


def test_every_message_takes_the_next_event_number_even_from_many_writers(
    store: ConversationStore,
) -> None:
    conversation = store.create()

    def write(worker: int) -> None:
        for n in range(10):
            store.add_message(conversation.id, "agent", f"{worker}-{n}", event="agent_message")

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    events = store.events(conversation.id)
    assert [m.seq for m in events] == list(range(1, 41))
    assert [m.seq for m in store.events(conversation.id, after=38)] == [39, 40]


def test_events_are_agent_replies_and_case_changes_only(store: ConversationStore) -> None:
    cid = store.create().id
    store.add_message(cid, "customer", "hello")
    store.add_message(cid, "assistant", "hi", action="answer")
    store.add_message(
        cid,
        "system",
        "A person will reply.",
        event="handoff",
        handoff_state="open",
        case_id=7,
        in_transcript=False,
    )
    store.add_message(cid, "agent", "Sam here", event="agent_message", agent="Sam", case_id=7)

    assert [m.role for m in store.events(cid)] == ["system", "agent"]
    assert [m.role for m in store.transcript(cid)] == ["customer", "assistant", "agent"]
    assert store.last_handoff(cid).handoff_json() == {  # type: ignore[union-attr]
        "case_id": 7,
        "state": "open",
        "agent": None,
        "message": "A person will reply.",
    }
    assert [t.role for t in store.history(cid)] == ["customer", "assistant", "agent"]


def test_the_store_refuses_unknown_conversations_and_oversized_text(
    store: ConversationStore,
) -> None:
    with pytest.raises(ConversationNotFoundError):
        store.add_message("c_missing", "customer", "hello")
    cid = store.create().id
    with pytest.raises(ConversationInputError, match="at most"):
        store.add_message(cid, "customer", "x" * 20_001)
    assert store.add_message(cid, "customer", "a\x00b").text == "ab"


def test_the_limiter_allows_n_per_window_and_says_when_to_retry() -> None:
    now = [100.0]
    limiter = SlidingWindowLimiter(2, 10.0, clock=lambda: now[0])

    assert limiter.hit("a") == 0 and limiter.hit("a") == 0
    wait = limiter.hit("a")
    assert wait == pytest.approx(10.0) and retry_after(wait) == "10"
    assert limiter.hit("b") == 0  # keys are independent
    now[0] = 105.0
    assert limiter.hit("a") == pytest.approx(5.0)  # refused hits are not counted
    now[0] = 110.01
    assert limiter.hit("a") == 0


def test_the_limiter_forgets_quiet_keys_when_full() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(1, 1.0, clock=lambda: now[0], max_keys=3)
    for key in "abc":
        limiter.hit(key)
    now[0] = 5.0
    assert limiter.hit("d") == 0 and limiter.hit("a") == 0
    assert limiter.hit("d") > 0


def test_an_sse_event_is_one_json_line_per_field() -> None:
    text = sse_event("token", {"text": "two\nlines"}, event_id=3)
    assert text == 'id: 3\nevent: token\ndata: {"text":"two\\nlines"}\n\n'
    assert parse_sse(text) == [("token", {"text": "two\nlines"})]


def test_the_assistant_streams_the_same_reply_it_gives_at_once(api_assistant: Assistant) -> None:
    request = AnswerRequest(ANSWERABLE)

    events = list(api_assistant.stream(request))
    whole = api_assistant.reply(request)

    assert [e.kind for e in events][-1] == "final" and events[0].kind == "delta"
    final = events[-1].answer
    assert final is not None and final.text == whole.text and final.action == "answer"
    assert final.policy is not None and final.policy.label == "none"
    assert "policy" in final.timings
    assert "".join(e.text for e in events[:-1]).strip() == final.text


def test_a_streamed_escalation_is_one_delta_and_opens_a_case(api_assistant: Assistant) -> None:
    events = list(api_assistant.stream(AnswerRequest(REFUND), "conv-streamed-refund"))

    assert [e.kind for e in events] == ["delta", "final"]
    final = events[-1].answer
    assert final is not None and final.action == "escalate" and final.case_id is not None
    assert events[0].text == final.text
    case = api_assistant.handoffs.store.active_case("conv-streamed-refund")
    assert case is not None and case.id == final.case_id


def test_a_quiet_event_stream_sends_keep_alives_and_ends_when_the_token_expires(
    store: ConversationStore,
) -> None:
    cid = store.create().id
    store.add_message(cid, "agent", "earlier", event="agent_message")
    store.add_message(cid, "agent", "later", event="agent_message")

    async def connected() -> dict[str, object]:
        await anyio.sleep(0.01)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def collect() -> list[str]:
        request = Request({"type": "http", "method": "GET", "headers": []}, connected)
        stream = conversation_events(
            request, store, cid, 1, until=time.time() + 0.5, poll_s=0.05, keep_alive_s=0.2
        )
        return [chunk async for chunk in stream]

    started = time.monotonic()
    chunks = anyio.run(collect)

    assert time.monotonic() - started < 3  # ended at the token's expiry
    assert chunks[0].startswith("retry:")
    assert parse_sse("".join(chunks)) == [
        ("agent_message", store.events(cid, after=1)[0].as_json())
    ]
    assert KEEP_ALIVE in chunks
