"""Recovery of undecided customer messages, in process: a message a dead server left pending,
one whose reply failed, and one that keeps failing are all decided — money claims as cases —
with the reply stored where the customer will see it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb_assistant.answering.service import StreamEvent
from kb_assistant.api.app import create_app
from kb_assistant.api.recovery import APOLOGY, MAX_ANSWER_ATTEMPTS, RECOVERY_RULE, TurnRecovery
from kb_assistant.api.state import ApiState
from kb_assistant.assistant import Assistant
from kb_assistant.conversations import INTERRUPTED, TurnLedger
from kb_assistant.core.replies import Answer, AnswerRequest
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import Settings
from tests.api.conftest import ANSWERABLE, REFUND, AppFactory, Chat
from tests.conftest import dead_process


def state_of(client: TestClient) -> ApiState:
    state: ApiState = client.app.state.kb  # type: ignore[attr-defined]
    return state


def recovery_of(client: TestClient) -> TurnRecovery:
    return TurnRecovery(state_of(client))


def orphan(client: TestClient, chat: Chat, text: str) -> str:
    """A message a server stored and then died on; its id."""
    ledger = TurnLedger(state_of(client).conversations.engine, dead_process())
    return ledger.begin(chat.conversation_id, text).message.id


@pytest.fixture
def quiet_client(make_client: AppFactory) -> TestClient:
    """An app whose own background recovery is off, so that tests sweep when they choose."""
    return make_client(recovery_interval_s=0)


def test_a_money_claim_left_by_a_dead_server_becomes_a_case_with_its_reply(
    quiet_client: TestClient, api_assistant: Assistant
) -> None:
    chat = Chat.start(quiet_client)
    message_id = orphan(quiet_client, chat, REFUND)

    assert recovery_of(quiet_client).sweep() == 1

    state = state_of(quiet_client)
    case = state.cases.active_case(chat.conversation_id)
    assert case is not None and case.packet.label == "money_action"
    messages = chat.transcript()["messages"]
    assert [m["role"] for m in messages] == ["customer", "assistant"]
    assert messages[0]["id"] == message_id and messages[1]["action"] == "escalate"
    assert state.turns.count() == 0
    audit = api_assistant.policy.audit  # type: ignore[attr-defined]
    decided = audit.recent(conversation_id=chat.conversation_id)
    assert [entry.label for entry in decided] == ["money_action"]
    assert b'kb_recovered_turns_total{outcome="answered"} 1.0' in state.metrics.render()


def test_a_half_streamed_answer_is_kept_marked_interrupted_and_answered_in_full(
    quiet_client: TestClient,
) -> None:
    chat = Chat.start(quiet_client)
    ledger = TurnLedger(state_of(quiet_client).conversations.engine, dead_process())
    turn = ledger.begin(chat.conversation_id, ANSWERABLE)
    ledger.progress(turn, "Delivery takes ", None)

    assert recovery_of(quiet_client).sweep() == 1

    replies = [m for m in chat.transcript()["messages"] if m["role"] == "assistant"]
    assert [(m["text"], m["action"]) for m in replies[:1]] == [("Delivery takes ", INTERRUPTED)]
    assert replies[1]["action"] == "answer" and "deliver" in replies[1]["text"].lower()
    assert state_of(quiet_client).turns.count() == 0


def test_a_turn_being_answered_by_a_live_server_is_left_alone(quiet_client: TestClient) -> None:
    chat = Chat.start(quiet_client)
    state_of(quiet_client).turns.begin(chat.conversation_id, ANSWERABLE)

    assert recovery_of(quiet_client).sweep() == 0
    assert state_of(quiet_client).turns.count() == 1


class BrokenAnswers:
    """Answering that fails the way an unreachable index does (the policy still works)."""

    def __init__(self, embedder: SentenceTransformerEmbedder) -> None:
        self.embedder = embedder

    def answer(self, request: AnswerRequest) -> Answer:
        raise ConnectionError("the vector index cannot be reached")

    def stream(self, request: AnswerRequest) -> Iterator[StreamEvent]:
        raise ConnectionError("the vector index cannot be reached")


@pytest.fixture
def broken_client(
    clean_env: Any, api_assistant: Assistant, real_embedder: SentenceTransformerEmbedder
) -> Iterator[TestClient]:
    broken = Assistant(
        api_assistant.policy,
        BrokenAnswers(real_embedder),  # type: ignore[arg-type]
        api_assistant.handoffs,
        store_cases=False,
    )
    settings = Settings(data_dir=clean_env / "data", recovery_interval_s=0)
    app = create_app(settings, assistant=broken, embedder=real_embedder)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_failed_reply_is_retried_then_handed_to_a_person_with_an_apology(
    broken_client: TestClient,
) -> None:
    chat = Chat.start(broken_client)
    response = broken_client.post(
        f"{chat.url}/messages", json={"text": ANSWERABLE}, headers=chat.auth
    )
    assert response.status_code == 500
    state = state_of(broken_client)
    [released] = state.turns.pending()
    assert released.owner is None and "cannot be reached" in (released.last_error or "")

    recovery = recovery_of(broken_client)
    for _ in range(MAX_ANSWER_ATTEMPTS - 1):  # tried again at each sweep while it may work
        assert recovery.sweep() == 0
    assert state.turns.pending()[0].attempts == MAX_ANSWER_ATTEMPTS
    assert recovery.sweep() == 1

    case = state.cases.active_case(chat.conversation_id)
    assert case is not None and case.packet.label == "human_request"
    assert RECOVERY_RULE in case.packet.reason
    reply = chat.transcript()["messages"][-1]
    assert reply["action"] == "escalate" and reply["text"].startswith(APOLOGY)
    assert state.turns.count() == 0


def test_a_failed_streamed_reply_leaves_its_turn_to_recovery(broken_client: TestClient) -> None:
    chat = Chat.start(broken_client)
    headers = {**chat.auth, "Accept": "text/event-stream"}
    response = broken_client.post(f"{chat.url}/messages", json={"text": REFUND}, headers=headers)
    assert "event: error" in response.text
    state = state_of(broken_client)
    assert [t.owner for t in state.turns.pending()] == [None]
