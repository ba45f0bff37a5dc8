"""One customer turn of the web chat: store the message, reply through the assistant, store
the reply, count it.

The message is stored together with its pending turn (`TurnLedger`), and the turn is closed
only in the transaction that stores the reply: a server that dies in between leaves the turn
pending, and recovery (`kb_assistant.api.recovery`) decides and answers it. A streamed reply
is stored before each part is sent, so the customer never sees text the store lacks.

These functions block (the model, the indexes, the database): routes run them in the thread
pool, so the event loop keeps serving other customers meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kb_assistant.answering.wording import OFFER_HUMAN
from kb_assistant.api.errors import error_body
from kb_assistant.api.sse import sse_event
from kb_assistant.api.state import ApiState
from kb_assistant.conversations import PendingTurn, StoredMessage, TurnKind
from kb_assistant.conversations.traces import TraceRecord
from kb_assistant.core.replies import Answer, AnswerRequest, Length, Tone
from kb_assistant.faults import crash_point
from kb_assistant.handoff import CustomerContact
from kb_assistant.handoff.types import utcnow

log = logging.getLogger(__name__)

PERSON_REQUEST = "I'd like to talk to a person."
_OFFERS = frozenset(OFFER_HUMAN.values())


@dataclass(frozen=True)
class Turn:
    """The customer's stored message, its pending turn and the request the assistant answers."""

    conversation_id: str
    pending: PendingTurn
    request: AnswerRequest
    contact: CustomerContact | None

    @property
    def message(self) -> StoredMessage:
        return self.pending.message


def begin_turn(
    state: ApiState,
    conversation_id: str,
    text: str,
    length: Length | None = None,
    tone: Tone | None = None,
    kind: TurnKind = "message",
) -> Turn:
    """Store the customer's message with its pending turn; the request (with the
    conversation so far) to answer."""
    conversations = state.conversations
    conversation = conversations.get(conversation_id)
    history = conversations.history(conversation_id)
    pending = state.turns.begin(conversation_id, text, kind=kind, length=length, tone=tone)
    crash_point("turn.stored")
    request = AnswerRequest(
        text,
        "customer",
        history=history,
        length=length or state.settings.answer_length,
        tone=tone or state.settings.answer_tone,
    )
    return Turn(conversation_id, pending, request, conversation.contact)


def finish_turn(
    state: ApiState, turn: Turn, answer: Answer, *, reply_id: str | None = None
) -> dict[str, Any]:
    """Store the reply and close the turn (and tell the chat about a new case); the
    response body."""
    crash_point("reply.composed")
    waited = utcnow() - turn.message.created_at
    trace = TraceRecord.of(
        answer, waited.total_seconds() * 1000, person=turn.pending.kind == "person"
    )
    reply = state.turns.settle(
        turn.pending,
        answer.text,
        reply_id=reply_id,
        trace=trace,
        citations=public_citations(answer),
        action=answer.action,
        offer_human=offers_person(answer),
        reason=answer.reason,
        case_id=answer.case_id,
    )
    crash_point("reply.stored")
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
    assistant = state.ready_assistant()
    with released_on_failure(state, turn):
        answer = assistant.reply(turn.request, turn.conversation_id, turn.contact)
        return finish_turn(state, turn, answer)


def reply_events(state: ApiState, turn: Turn) -> Iterator[str]:
    """The reply as SSE: `token` events as it is written, then one `done` (or `error`).

    Each part is stored before it is sent. A customer who goes away mid-way (the stream is
    closed) leaves the turn to recovery, which answers it in full for when they come back.
    """
    assistant = state.ready_assistant()
    shown, reply_id = "", None
    try:
        for event in assistant.stream(turn.request, turn.conversation_id, turn.contact):
            if event.kind == "delta" and event.text:
                shown += event.text
                reply_id = state.turns.progress(turn.pending, shown, reply_id)
                yield sse_event("token", {"text": event.text})
                crash_point("reply.streaming")
            elif event.kind == "final" and event.answer is not None:
                body = finish_turn(state, turn, event.answer, reply_id=reply_id)
                yield sse_event("done", body)
                return
        raise RuntimeError("the reply ended without a final answer")
    except GeneratorExit:
        state.turns.release(turn.pending, "the customer closed the stream before the end")
        raise
    except Exception as exc:
        log.exception("streaming a reply in conversation %s failed", turn.conversation_id)
        state.turns.release(turn.pending, f"{type(exc).__name__}: {exc}")
        message = "something went wrong on our side while replying; please try again"
        yield sse_event("error", error_body("internal_error", message))


def request_person(state: ApiState, conversation_id: str, reason: str | None) -> dict[str, Any]:
    """The customer asked for a person: hand the conversation over (once) and say so."""
    text = (reason or "").strip() or PERSON_REQUEST
    turn = begin_turn(state, conversation_id, text, kind="person")
    assistant = state.ready_assistant()
    with released_on_failure(state, turn):
        answer = assistant.request_person(turn.request, conversation_id, turn.contact)
        return finish_turn(state, turn, answer)


@contextmanager
def released_on_failure(state: ApiState, turn: Turn) -> Iterator[None]:
    """A reply that fails leaves its turn to recovery instead of holding it."""
    try:
        yield
    except Exception as exc:
        state.turns.release(turn.pending, f"{type(exc).__name__}: {exc}")
        raise


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
            "passage_text": c.passage_text,
            "abridged": c.abridged,
            "source": c.source,
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
