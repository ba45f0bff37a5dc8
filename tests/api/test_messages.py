"""Customer messages: answers with sources, streamed replies, handoffs, ratings."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from kb_assistant.verify.money import money_commitment
from tests.api.conftest import ANSWERABLE, REFUND, Chat, parse_sse

MESSAGE_KEYS = {
    "id",
    "role",
    "text",
    "created_at",
    "citations",
    "action",
    "offer_human",
    "feedback",
}


def test_an_answerable_question_gets_an_answer_with_public_sources(client: TestClient) -> None:
    chat = Chat.start(client)

    body = chat.send(ANSWERABLE)

    assert set(body) == {"customer_message", "reply", "confidence", "reason", "case_id"}
    assert body["customer_message"]["role"] == "customer"
    assert body["customer_message"]["text"] == ANSWERABLE
    reply = body["reply"]
    assert set(reply) == MESSAGE_KEYS
    assert (reply["role"], reply["action"], body["case_id"]) == ("assistant", "answer", None)
    assert reply["id"].startswith("m_") and reply["feedback"] is None
    assert reply["citations"], "an answer cites its sources"
    citation = reply["citations"][0]
    assert set(citation) == {
        "number",
        "title",
        "location",
        "url",
        "page_start",
        "page_end",
        "passage_text",
        "abridged",
        "source",
    }
    assert citation["passage_text"] and isinstance(citation["abridged"], bool)
    assert isinstance(citation["source"], str) and "/" not in citation["source"]
    assert f"[{citation['number']}]" in reply["text"]
    assert 0.0 <= body["confidence"] <= 1.0


def test_a_streamed_reply_sends_tokens_then_the_same_json_as_a_plain_reply(
    client: TestClient,
) -> None:
    streamed, plain = Chat.start(client), Chat.start(client)

    with client.stream(
        "POST",
        f"{streamed.url}/messages",
        json={"text": ANSWERABLE},
        headers={**streamed.auth, "Accept": "text/event-stream"},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.read().decode())
    expected = plain.send(ANSWERABLE)

    names = [name for name, _ in events]
    assert names[-1] == "done" and names.count("done") == 1
    assert names[:-1] and set(names[:-1]) == {"token"}
    done = events[-1][1]
    assert set(done) == set(expected)
    assert _comparable(done) == _comparable(expected)
    assert "".join(data["text"] for _, data in events[:-1]).strip() == done["reply"]["text"]


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    """The reply without what differs between two conversations (ids and times)."""
    reply = {k: v for k, v in body["reply"].items() if k not in ("id", "created_at")}
    return {"reply": reply, "reason": body["reason"], "case_id": body["case_id"]}


def test_a_refund_request_goes_to_a_person_and_the_transcript_shows_the_handoff(
    client: TestClient,
) -> None:
    chat = Chat.start(client, contact={"name": "Ada", "email": "ada@example.com"})

    body = chat.send(REFUND)

    reply = body["reply"]
    assert (reply["action"], body["reason"]) == ("escalate", "money_action")
    assert isinstance(body["case_id"], int)
    assert reply["citations"] == [] and money_commitment(reply["text"]) is None
    transcript = chat.transcript()
    assert transcript["handoff"] == {"case_id": body["case_id"], "state": "open", "agent": None}
    assert [m["role"] for m in transcript["messages"]] == ["customer", "assistant"]
    assert transcript["messages"][1]["id"] == reply["id"]
    case = client.app.state.kb.cases.get(body["case_id"])  # type: ignore[attr-defined]
    assert case.packet.contact is not None and case.packet.contact.email == "ada@example.com"


def test_talk_to_a_person_opens_one_human_request_case(client: TestClient) -> None:
    chat = Chat.start(client)
    chat.send(ANSWERABLE)

    first = client.post(f"{chat.url}/handoff", json={}, headers=chat.auth)
    again = client.post(f"{chat.url}/handoff", json={"reason": "still waiting"}, headers=chat.auth)

    assert first.status_code == 200 and again.status_code == 200
    opened, repeated = first.json(), again.json()
    assert (opened["reply"]["action"], opened["reason"]) == ("escalate", "human_request")
    assert repeated["case_id"] == opened["case_id"]
    assert "already" in repeated["reply"]["text"].lower()
    case = client.app.state.kb.cases.get(opened["case_id"])  # type: ignore[attr-defined]
    assert case.packet.label == "human_request"
    assert [t.role for t in case.packet.transcript][:2] == ["customer", "assistant"]
    assert chat.transcript()["handoff"]["state"] == "open"


def test_a_follow_up_question_uses_the_conversation_so_far(client: TestClient) -> None:
    chat = Chat.start(client)
    chat.send(ANSWERABLE)

    follow_up = chat.send("and to Ireland?")

    assert follow_up["reply"]["action"] == "answer"
    history = client.app.state.kb.conversations.history(chat.conversation_id)  # type: ignore[attr-defined]
    assert [t.text for t in history if t.role == "customer"] == [ANSWERABLE, "and to Ireland?"]


def test_feedback_is_recorded_and_a_second_rating_replaces_the_first(
    client: TestClient,
) -> None:
    chat = Chat.start(client)
    reply = chat.send(ANSWERABLE)["reply"]
    url = f"{chat.url}/feedback"

    up = client.post(url, json={"message_id": reply["id"], "rating": "up"}, headers=chat.auth)
    down = client.post(
        url,
        json={"message_id": reply["id"], "rating": "down", "comment": "too long"},
        headers=chat.auth,
    )

    assert up.json() == {"ok": True} and down.json() == {"ok": True}
    shown = [m for m in chat.transcript()["messages"] if m["id"] == reply["id"]]
    assert shown[0]["feedback"] == "down"
    missing = client.post(url, json={"message_id": "m_nope", "rating": "up"}, headers=chat.auth)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = client.post(url, json={"message_id": reply["id"], "rating": "meh"}, headers=chat.auth)
    assert bad.status_code == 422


def test_a_customer_message_cannot_be_rated(client: TestClient) -> None:
    chat = Chat.start(client)
    mine = chat.send(ANSWERABLE)["customer_message"]

    response = client.post(
        f"{chat.url}/feedback", json={"message_id": mine["id"], "rating": "up"}, headers=chat.auth
    )

    assert response.status_code == 422
    assert "assistant" in response.json()["error"]["message"]


def test_a_general_money_question_is_answered_with_the_offer_of_a_person(
    client: TestClient,
) -> None:
    body = Chat.start(client).send("What is your returns policy?")

    reply = body["reply"]
    assert (reply["action"], reply["offer_human"]) == ("answer", True)
    assert money_commitment(reply["text"]) is None
    assert body["case_id"] is None
