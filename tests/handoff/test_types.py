"""Handoff value types: JSON round trips, UTC times, what a packet refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kb_assistant.domain import Passage
from kb_assistant.handoff import (
    Case,
    CaseMessage,
    CasePacket,
    CasePassage,
    CustomerContact,
    HandoffInputError,
    TranscriptTurn,
)
from tests.handoff.conftest import T0, make_packet, turn


def test_a_packet_survives_a_json_round_trip() -> None:
    packet = make_packet(
        "conv-7",
        turn("I want my money back"),
        turn("Let me get someone", 1, "assistant"),
        contact=CustomerContact(email="kim@example.org"),
        sentiment=0.8,
        sentiment_signals=("all caps", "repeated failure"),
    )

    data = json.loads(json.dumps(packet.as_json()))

    assert CasePacket.from_json(data) == packet
    assert data["sentiment_label"] == "frustrated"
    assert data["transcript"][0] == {
        "role": "customer",
        "text": "I want my money back",
        "at": "2025-03-01T09:30:00+00:00",
    }


def test_turn_times_are_kept_in_utc() -> None:
    paris = timezone(timedelta(hours=1))

    aware = TranscriptTurn("customer", "Hi", datetime(2025, 3, 1, 10, 30, tzinfo=paris))
    naive = TranscriptTurn("customer", "Hi", datetime(2025, 3, 1, 9, 30))

    assert aware.at == naive.at == T0
    assert aware.at.tzinfo is UTC and naive.at.tzinfo is UTC


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(HandoffInputError, match="unknown transcript role 'bot'"):
        TranscriptTurn("bot", "Hi")  # type: ignore[arg-type]


@pytest.mark.parametrize(("conversation_id", "problem"), [(" ", "is empty"), ("c" * 201, "201")])
def test_a_packet_needs_a_usable_conversation_id(conversation_id: str, problem: str) -> None:
    with pytest.raises(HandoffInputError, match=problem):
        make_packet(conversation_id)


def test_a_retrieved_passage_is_cut_to_an_excerpt() -> None:
    passage = Passage(
        chunk_id="c1",
        doc_id="d1",
        text="word " * 400,
        title="Refund policy",
        kind="faq",
        visibility="public",
        location="faq.md",
        url="https://example.org/faq#refunds",
        page_start=None,
        page_end=None,
        score=0.7,
    )

    excerpt = CasePassage.from_passage(passage, excerpt_chars=100)

    assert len(excerpt.excerpt) == 100 and excerpt.excerpt.endswith("…")
    assert (excerpt.title, excerpt.visibility, excerpt.url) == (
        "Refund policy",
        "public",
        "https://example.org/faq#refunds",
    )


def test_cases_and_messages_serialise_with_utc_times() -> None:
    case = Case(7, "conv-1", "claimed", make_packet(), T0, T0, T0, "alice")
    message = CaseMessage(3, 7, "conv-1", "to_customer", "alice", "Hello", T0)

    case_json = json.loads(json.dumps(case.as_json()))
    message_json = json.loads(json.dumps(message.as_json()))

    assert case_json["claimed_at"] == "2025-03-01T09:30:00+00:00"
    assert case_json["resolved_at"] is None
    assert case_json["packet"]["draft_answer"] == "Charges usually show within a day."
    assert message_json == {
        "id": 3,
        "case_id": 7,
        "conversation_id": "conv-1",
        "direction": "to_customer",
        "author": "alice",
        "text": "Hello",
        "created_at": "2025-03-01T09:30:00+00:00",
    }
