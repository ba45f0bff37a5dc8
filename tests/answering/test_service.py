"""The answering flow end to end: the real model over the demo knowledge base.

The demo index is built once for this module; answers to the same request are computed once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from kb_assistant.answering.service import AnswerService, StreamEvent
from kb_assistant.answering.wording import DONT_KNOW, OFFER_HUMAN, OPENINGS
from kb_assistant.composition import build_answer_service
from kb_assistant.core.replies import Answer, AnswerRequest, Turn
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.embedding.cache import CachedEmbedder
from kb_assistant.settings import Settings
from tests.fakes.llm import ScriptedLLM

KETTLE_GUIDE = "Harbor & Pine Stovetop Whistle Kettle Quick-Start Guide"
DESCALE = AnswerRequest("How do I descale my kettle?")
# Sentences of the kettle guide's descaling section, as a model would cite them.
GOOD_REPLY = (
    "Descale the kettle about once a month, or whenever you see a white layer [1].\n\n"
    "1. Fill the kettle halfway with a mix of equal parts water and white vinegar [1].\n"
    "2. Bring it to the boil, turn off the heat and leave it to stand for 30 minutes [1].\n"
    "3. Pour the solution away [1]."
)
MONEY = "We will refund you in full [1]."
BAD_REPLY = (
    f"{MONEY} I've issued a £50 credit to your account [1]. "
    "You'll get your money back within 3 days [1]. Our kettles are made on the moon [2]."
)

Ask = Callable[[AnswerRequest], Answer]
MakeService = Callable[..., AnswerService]


class FailingLLM(ScriptedLLM):
    """A model server that cannot be reached."""

    def _reply(self, prompt: str) -> str:
        raise ConnectionError("connection refused")


@pytest.fixture(scope="module")
def shared_embedder(real_embedder: SentenceTransformerEmbedder) -> CachedEmbedder:
    """One vector cache for every service of this module (they embed the same sentences)."""
    return CachedEmbedder(real_embedder)


@pytest.fixture(scope="module")
def make_service(demo_settings: Settings, shared_embedder: CachedEmbedder) -> MakeService:
    def make(llm: ScriptedLLM | None = None) -> AnswerService:
        return build_answer_service(demo_settings, embedder=shared_embedder, llm=llm)

    return make


@pytest.fixture(scope="module")
def ask(make_service: MakeService) -> Ask:
    """The extractive service's answer to a request, computed once per request."""
    return functools.cache(make_service().answer)


def body(answer: Answer) -> str:
    """The reply without its source list."""
    return answer.text.split("\n\nSources:")[0]


def test_an_answerable_question_is_answered_with_public_sources(ask: Ask) -> None:
    answer = ask(DESCALE)
    assert answer.action == "answer"
    assert answer.composer == "extractive"
    assert answer.confidence >= 0.7
    assert answer.text.startswith(OPENINGS[("casual", "how")])
    assert "white vinegar" in body(answer)
    assert "\n\nSources:\n[1] " in answer.text
    assert answer.citations
    assert answer.citations[0].title == KETTLE_GUIDE
    assert {c.visibility for c in answer.citations} == {"public"}
    assert "[1]" not in body(answer)
    assert set(answer.timings) >= {"retrieve", "gate", "compose", "verify"}


def test_an_off_topic_question_gets_dont_know_and_the_offer_of_a_person(ask: Ask) -> None:
    answer = ask(AnswerRequest("What is the capital of France?"))
    assert answer.action == "dont_know"
    assert answer.text == DONT_KNOW["casual"]
    assert "member of our team" in answer.text
    assert answer.citations == []
    assert answer.confidence < 0.5


def test_agents_can_cite_internal_tickets_but_customers_never_do(ask: Ask) -> None:
    question = "My kettle has stopped whistling"
    agent = ask(AnswerRequest(question, channel="agent"))
    assert agent.action == "answer"
    assert "internal" in {c.visibility for c in agent.citations}
    assert "Ticket 10203" in agent.text
    customer = ask(AnswerRequest(question))
    assert customer.action == "answer"
    assert {c.visibility for c in customer.citations} == {"public"}
    assert {p.visibility for p in customer.passages} == {"public"}
    assert "Ticket" not in customer.text
    assert "whistle" in body(customer)


def test_a_follow_up_is_answered_about_the_earlier_topic(ask: Ask) -> None:
    history = (
        Turn("customer", "Do you ship outside the UK?"),
        Turn("assistant", "Yes, we deliver to the EU and the US."),
    )
    follow_up = ask(AnswerRequest("what about lamps?", history=history))
    assert follow_up.question_used == "Do you ship outside the UK? what about lamps?"
    assert follow_up.action == "answer"
    assert follow_up.citations[0].title == "Do you ship outside the UK?"
    assert "lamps" in body(follow_up)
    alone = ask(AnswerRequest("what about lamps?"))
    assert alone.question_used == "what about lamps?"
    assert alone.citations[0].title != "Do you ship outside the UK?"


def test_an_upset_customer_gets_an_apology_and_the_offer_of_a_person(ask: Ask) -> None:
    answer = ask(AnswerRequest(DESCALE.question, upset=True))
    assert answer.action == "answer"
    assert answer.text.startswith("I'm sorry")
    assert OFFER_HUMAN["casual"] in answer.text
    assert OFFER_HUMAN["casual"] not in ask(DESCALE).text


def test_a_short_answer_says_less_than_a_normal_one(ask: Ask) -> None:
    question = "How do I track my parcel?"
    short = ask(AnswerRequest(question, length="short"))
    normal = ask(AnswerRequest(question))
    assert short.action == normal.action == "answer"
    assert len(body(short)) < len(body(normal))
    assert len(short.statements) < len(normal.statements)


def test_a_professional_tone_changes_the_opening(ask: Ask) -> None:
    question = "How do I track my parcel?"
    casual = ask(AnswerRequest(question))
    professional = ask(AnswerRequest(question, tone="professional"))
    assert casual.text.startswith(OPENINGS[("casual", "how")])
    assert professional.text.startswith(OPENINGS[("professional", "how")])
    assert body(casual).split("\n\n", 1)[1] == body(professional).split("\n\n", 1)[1]


def test_a_good_llm_reply_is_used_without_its_markers(make_service: MakeService) -> None:
    llm = ScriptedLLM([GOOD_REPLY])
    answer = make_service(llm).answer(DESCALE)
    assert answer.passages[0].title == KETTLE_GUIDE  # what [1] refers to
    assert answer.composer == "llm"
    assert answer.action == "answer"
    assert answer.removed == []
    assert body(answer) == (
        "Descale the kettle about once a month, or whenever you see a white layer.\n\n"
        "1. Fill the kettle halfway with a mix of equal parts water and white vinegar.\n"
        "2. Bring it to the boil, turn off the heat and leave it to stand for 30 minutes.\n"
        "3. Pour the solution away."
    )
    assert [c.title for c in answer.citations] == [KETTLE_GUIDE]
    assert answer.tokens_in > 0 and answer.tokens_out > 0
    assert len(llm.prompts) == 1
    assert DESCALE.question in llm.prompts[0]


def test_an_unsupported_money_promising_reply_falls_back_to_the_extractive_answer(
    make_service: MakeService, ask: Ask
) -> None:
    answer = make_service(ScriptedLLM([BAD_REPLY])).answer(DESCALE)
    assert answer.action == "answer"
    assert answer.composer == "extractive"
    assert answer.text == ask(DESCALE).text
    removed = {r.statement.text: r.check for r in answer.removed}
    assert removed["We will refund you in full."] == "money"
    assert removed["I've issued a £50 credit to your account."] == "money"
    assert removed["You'll get your money back within 3 days."] == "money"
    assert removed["Our kettles are made on the moon."] == "support"
    assert "refund" not in answer.text.lower()


def test_a_failing_llm_leaves_the_extractive_answer(make_service: MakeService, ask: Ask) -> None:
    answer = make_service(FailingLLM()).answer(DESCALE)
    assert answer.action == "answer"
    assert answer.composer == "extractive"
    assert answer.text == ask(DESCALE).text


def events_of(service: AnswerService, request: AnswerRequest) -> list[StreamEvent]:
    events = list(service.stream(request))
    assert [e.kind for e in events[:-1]] == ["delta"] * (len(events) - 1)
    assert events[-1].kind == "final"
    assert events[-1].answer is not None
    return events


def test_stream_without_llm_sends_the_whole_reply_then_the_answer(
    make_service: MakeService, ask: Ask
) -> None:
    events = events_of(make_service(), DESCALE)
    assert [e.text for e in events[:-1]] == [ask(DESCALE).text]
    final = events[-1].answer
    assert final is not None
    assert final.text == ask(DESCALE).text


def test_stream_with_llm_sends_only_verified_sentences(make_service: MakeService) -> None:
    reply = GOOD_REPLY.replace("\n\n1.", f" {MONEY}\n\n1.", 1)
    events = events_of(make_service(ScriptedLLM([reply])), DESCALE)
    deltas = [e.text for e in events[:-1]]
    assert deltas == [
        "Descale the kettle about once a month, or whenever you see a white layer. ",
        "Fill the kettle halfway with a mix of equal parts water and white vinegar. ",
        "Bring it to the boil, turn off the heat and leave it to stand for 30 minutes. ",
        "Pour the solution away. ",
    ]
    final = events[-1].answer
    assert final is not None
    assert final.composer == "llm"
    assert [s.text + " " for s in final.statements] == deltas
    assert [r.check for r in final.removed] == ["money"]


def test_stream_with_a_failing_llm_ends_with_the_extractive_answer(
    make_service: MakeService, ask: Ask
) -> None:
    events = events_of(make_service(FailingLLM()), DESCALE)
    assert len(events) == 1
    final = events[-1].answer
    assert final is not None
    assert (final.composer, final.text) == ("extractive", ask(DESCALE).text)


def test_the_answer_about_delivery_times_gives_the_times(ask: Ask) -> None:
    answer = ask(AnswerRequest("How long does delivery take?"))
    assert "3–5 business days" in body(answer)


def test_the_answer_about_the_returns_policy_gives_the_return_window(ask: Ask) -> None:
    answer = ask(AnswerRequest("What is your returns policy?"))
    assert "30 days" in body(answer)


@pytest.mark.xfail(
    strict=True,
    reason="the internal-leak check removes a step worded like a ticket even though the "
    "kettle guide says the same ('halfway with equal parts water and'), leaving a gap in "
    "the steps",
)
def test_a_public_step_in_words_an_internal_ticket_also_uses_is_kept(
    make_service: MakeService,
) -> None:
    reply = GOOD_REPLY.replace("with a mix of equal parts", "with equal parts")
    answer = make_service(ScriptedLLM([reply])).answer(DESCALE)
    assert answer.removed == []


def excerpts_by_source(text: str) -> dict[str, list[str]]:
    """Source line → the excerpt lines under it, from an agent reply."""
    sources: dict[str, list[str]] = {}
    current = ""
    for line in text.split("\n\nSources:\n", 1)[1].splitlines():
        if line.startswith("> "):
            sources[current].append(line)
        else:
            current = line
            sources[current] = []
    return sources


def test_agents_get_markers_and_source_excerpts(ask: Ask) -> None:
    answer = ask(AnswerRequest(DESCALE.question, channel="agent"))
    assert answer.action == "answer"
    assert not answer.text.startswith(OPENINGS[("casual", "how")])
    assert "white vinegar" in answer.text
    assert "[1]" in body(answer)
    excerpts = excerpts_by_source(answer.text)
    assert list(excerpts) == [
        f"[{c.number}] {c.title} ({c.location}, {c.visibility})" for c in answer.citations
    ]
    assert any(excerpts.values())


def test_agent_excerpts_are_not_removed_as_unsupported(ask: Ask) -> None:
    answer = ask(AnswerRequest(DESCALE.question, channel="agent"))
    unsupported = [r for r in answer.removed if r.check == "support"]
    assert [r.detail for r in unsupported if r.statement.kind == "excerpt"] == []


def test_a_manuals_running_footer_is_not_read_into_its_answers(ask: Ask) -> None:
    # The kettle guide prints its help-centre address at the foot of every page: furniture,
    # removed at ingestion, so it neither pads the answer nor trips the link check.
    answer = ask(AnswerRequest(DESCALE.question, channel="agent"))
    assert [r.detail for r in answer.removed if r.check == "link"] == []
    assert "help.harborpine.example" not in answer.text


def test_a_refused_question_never_reaches_the_llm(make_service: MakeService) -> None:
    llm = ScriptedLLM([GOOD_REPLY, GOOD_REPLY])
    service = make_service(llm)
    refused = AnswerRequest("What is the capital of France?")
    assert service.answer(refused).action == "dont_know"
    events = events_of(service, refused)
    assert [e.text for e in events[:-1]] == [DONT_KNOW["casual"]]
    assert llm.prompts == []
