"""The whole reply flow: the money policy before retrieval, handoff cases, and answers.

Real parts throughout: the demo knowledge base in Chroma and BM25, the real model, the
trained policy classifier, the case store and audit log in SQLite, and a helpdesk webhook
on loopback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from kb_assistant.answering.wording import OFFER_HUMAN
from kb_assistant.assistant import Assistant
from kb_assistant.cli import main
from kb_assistant.composition import build_assistant, build_handoff_store
from kb_assistant.core.replies import AnswerRequest, Turn
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.embedding.cache import CachedEmbedder
from kb_assistant.policy import PolicyAudit
from kb_assistant.settings import Settings
from kb_assistant.verify.money import money_commitment
from tests.handoff.receiver import Receiver
from tests.storage.engines import upgraded_engine

REFUND = "I was charged twice for my order last week and I want my money back"


@pytest.fixture(scope="module")
def helpdesk() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def assistant(
    demo_settings: Settings, real_embedder: SentenceTransformerEmbedder, helpdesk: Receiver
) -> Assistant:
    settings = demo_settings.model_copy(
        update={"handoff_webhook_url": helpdesk.url, "handoff_response_time": "within 3 hours"}
    )
    return build_assistant(settings, embedder=CachedEmbedder(real_embedder))


def test_a_refund_request_opens_one_case_and_the_customer_hears_a_person_will_reply(
    assistant: Assistant, helpdesk: Receiver
) -> None:
    before = len(helpdesk.deliveries)
    history = (Turn("customer", "hi"), Turn("assistant", "Hello! How can I help?"))
    reply = assistant.reply(AnswerRequest(REFUND, history=history), "conv-refund")

    assert (reply.action, reply.reason) == ("escalate", "money_action")
    assert "within 3 hours" in reply.text
    assert money_commitment(reply.text) is None
    assert reply.citations == []
    case = assistant.handoffs.store.get(reply.case_id or 0)
    assert case.state == "open" and case.conversation_id == "conv-refund"
    packet = case.packet
    assert packet.label == "money_action" and packet.score == pytest.approx(reply.confidence)
    assert [t.text for t in packet.transcript] == ["hi", "Hello! How can I help?", REFUND]
    assert packet.draft_answer is None or packet.draft_answer not in reply.text
    sent = [json.loads(d.body) for d in helpdesk.deliveries[before:]]
    assert [body["conversation_id"] for body in sent] == ["conv-refund"]


def test_once_a_person_has_the_conversation_money_questions_wait_for_them(
    assistant: Assistant, helpdesk: Receiver
) -> None:
    first = assistant.reply(AnswerRequest(REFUND), "conv-waiting")
    delivered = len(helpdesk.deliveries)
    again = assistant.reply(AnswerRequest("what is your refund policy?"), "conv-waiting")

    assert (again.action, again.case_id) == ("escalate", first.case_id)
    assert "already" in again.text.lower()
    assert len(helpdesk.deliveries) == delivered  # the same case, announced once
    messages = assistant.handoffs.store.messages("conv-waiting")
    assert [(m.direction, m.text) for m in messages] == [
        ("from_customer", "what is your refund policy?")
    ]
    other = assistant.reply(AnswerRequest("How do I descale my kettle?"), "conv-waiting")
    assert other.action == "answer" and "vinegar" in other.text


def test_a_general_money_question_is_answered_commits_to_nothing_and_offers_a_person(
    assistant: Assistant,
) -> None:
    reply = assistant.reply(AnswerRequest("What is your refund policy?"), "conv-info")

    assert reply.action == "answer"
    assert reply.policy is not None and reply.policy.label == "money_info"
    assert OFFER_HUMAN["casual"] in reply.text
    assert money_commitment(reply.text) is None
    assert assistant.handoffs.store.active_case("conv-info") is None
    plain = assistant.answers.answer(AnswerRequest("What is your refund policy?"))
    assert OFFER_HUMAN["casual"] not in plain.text  # the offer comes from the policy


def test_frustration_softens_the_answer_and_offers_a_person_without_escalating(
    assistant: Assistant,
) -> None:
    history = (Turn("customer", "how do I reset my password"),)
    question = "THIS IS USELESS!!! how do I reset my password, third time asking"
    reply = assistant.reply(AnswerRequest(question, history=history), "conv-angry")

    assert reply.policy is not None and reply.policy.frustration.frustrated
    assert reply.action == "answer"
    assert OFFER_HUMAN["casual"] in reply.text
    assert assistant.handoffs.store.active_case("conv-angry") is None
    plain = assistant.answers.answer(AnswerRequest(question))
    assert OFFER_HUMAN["casual"] not in plain.text  # the offer comes from the policy


def test_agents_are_classified_but_never_handed_off(assistant: Assistant) -> None:
    reply = assistant.reply(AnswerRequest(REFUND, channel="agent"), "conv-agent")

    assert reply.policy is not None and reply.policy.escalate
    assert reply.action != "escalate"
    assert assistant.handoffs.store.active_case("conv-agent") is None


def test_every_decision_is_audited_with_its_conversation(
    assistant: Assistant, demo_settings: Settings
) -> None:
    assistant.reply(AnswerRequest("Someone stole my card and is using it"), "conv-audit")
    audit = PolicyAudit(upgraded_engine(demo_settings.resolved_database_url))
    [entry] = audit.recent(5, conversation_id="conv-audit")
    assert (entry.label, entry.action) == ("security", "escalate")
    case = assistant.handoffs.store.active_case("conv-audit")
    assert case is not None and case.packet.urgent


def test_a_failing_helpdesk_loses_no_case(
    demo_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    with Receiver(statuses=[500] * 10) as broken:
        settings = demo_settings.model_copy(update={"handoff_webhook_url": broken.url})
        flow = build_assistant(settings, embedder=CachedEmbedder(real_embedder))
        reply = flow.reply(AnswerRequest(REFUND), "conv-broken-helpdesk")
        assert len(broken.deliveries) >= 2  # it was retried
    assert reply.action == "escalate"
    case = build_handoff_store(demo_settings).active_case("conv-broken-helpdesk")
    assert case is not None and case.id == reply.case_id


def test_ask_escalates_with_the_class_as_reason(
    demo_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = str(demo_settings.data_dir)
    assert main(["ask", REFUND, "--data-dir", data_dir, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["action"], shown["reason"], shown["case"]) == ("escalate", "money_action", None)
    assert shown["policy"]["rule"]

    argv = ["ask", REFUND, "--data-dir", data_dir, "--json", "--conversation", "cli-1"]
    assert main(argv) == 0
    opened = json.loads(capsys.readouterr().out)
    assert isinstance(opened["case"], int)
    assert build_handoff_store(demo_settings).get(opened["case"]).conversation_id == "cli-1"
