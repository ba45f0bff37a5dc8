"""One customer turn of the web chat: store the message, reply through the assistant, store
the reply, count it.

These functions block (the model, the indexes, the database): routes run them in the thread
pool, so the event loop keeps serving other customers meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kb_assistant.answering.types import Answer, AnswerRequest, Length, Tone
from kb_assistant.answering.wording import OFFER_HUMAN
from kb_assistant.api.errors import error_body
from kb_assistant.api.sse import sse_event
from kb_assistant.api.state import ApiState
from kb_assistant.conversations import StoredMessage
from kb_assistant.handoff import CustomerContact

log = logging.getLogger(__name__)

PERSON_REQUEST = "I'd like to talk to a person."
_OFFERS = frozenset(OFFER_HUMAN.values())


@dataclass(frozen=True)
class Turn:
    """The customer's stored message and the request the assistant answers."""

    conversation_id: str
    message: StoredMessage
    request: AnswerRequest
    contact: CustomerContact | None


def begin_turn(
    state: ApiState,
    conversation_id: str,
    text: str,
    length: Length | None = None,
    tone: Tone | None = None,
) -> Turn:
    """Store the customer's message; the request (with the conversation so far) to answer."""
    conversations = state.conversations
    conversation = conversations.get(conversation_id)
    history = conversations.history(conversation_id)
    message = conversations.add_message(conversation_id, "customer", text)
    request = AnswerRequest(
        text,
        "customer",
        history=history,
        length=length or state.settings.answer_length,
        tone=tone or state.settings.answer_tone,
    )
    return Turn(conversation_id, message, request, conversation.contact)


def finish_turn(state: ApiState, turn: Turn, answer: Answer) -> dict[str, Any]:
    """Store the reply (and tell the chat about a new case); the response body."""
    reply = state.conversations.add_message(
        turn.conversation_id,
        "assistant",
        answer.text,
        citations=public_citations(answer),
        action=answer.action,
        offer_human=offers_person(answer),
        reason=answer.reason,
        reply_to=turn.message.id,
        case_id=answer.case_id,
    )
    if answer.action == "escalate" and answer.case_id is not None:
        state.relay.sync(turn.conversation_id)  # the chat's `handoff` event for a new case
    state.metrics.record_answer(answer)
    return {
        "customer_message": turn.message.as_json(),
        "reply": reply.as_json(),
        "confidence": round(answer.confidence, 4),
        "reason": answer.reason,
        "case_id": answer.case_id,
    }


def reply(state: ApiState, turn: Turn) -> dict[str, Any]:
    """The whole reply at once."""
    answer = state.ready_assistant().reply(turn.request, turn.conversation_id, turn.contact)
    return finish_turn(state, turn, answer)


def reply_events(state: ApiState, turn: Turn) -> Iterator[str]:
    """The reply as SSE: `token` events as it is written, then one `done` (or `error`)."""
    assistant = state.ready_assistant()
    try:
        for event in assistant.stream(turn.request, turn.conversation_id, turn.contact):
            if event.kind == "delta" and event.text:
                yield sse_event("token", {"text": event.text})
            elif event.kind == "final" and event.answer is not None:
                yield sse_event("done", finish_turn(state, turn, event.answer))
                return
        raise RuntimeError("the reply ended without a final answer")
    except Exception:
        log.exception("streaming a reply in conversation %s failed", turn.conversation_id)
        message = "something went wrong on our side while replying; please try again"
        yield sse_event("error", error_body("internal_error", message))


def request_person(state: ApiState, conversation_id: str, reason: str | None) -> dict[str, Any]:
    """The customer asked for a person: hand the conversation over (once) and say so."""
    turn = begin_turn(state, conversation_id, (reason or "").strip() or PERSON_REQUEST)
    answer = state.ready_assistant().request_person(turn.request, conversation_id, turn.contact)
    return finish_turn(state, turn, answer)


def public_citations(answer: Answer) -> list[dict[str, Any]]:
    """The answer's citations in the chat's shape; only public sources, whatever happened
    upstream (the customer channel never retrieves others)."""
    return [
        {
            "number": c.number,
            "title": c.title,
            "location": c.location,
            "url": c.url,
            "page_start": c.page_start,
            "page_end": c.page_end,
        }
        for c in answer.citations
        if c.visibility == "public"
    ]


def offers_person(answer: Answer) -> bool:
    """Whether the reply offers the customer a person (an "I don't know", or an answer that
    ends with the offer)."""
    if answer.action == "dont_know":
        return True
    return answer.action == "answer" and any(s.text in _OFFERS for s in answer.statements)
