"""Answer-first customer replies over the demo knowledge base, with the real model."""

from __future__ import annotations

import pytest

from kb_assistant.answering.budget import WORD_BUDGET, word_count
from kb_assistant.answering.service import AnswerService
from kb_assistant.answering.wording import OFFER_HUMAN
from kb_assistant.composition import build_answer_service
from kb_assistant.core.replies import AnswerRequest
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import Settings

QUESTION = "How long does delivery take to the EU?"
OTHER_REGIONS = ("UK standard", "UK express", "United States")


@pytest.fixture(scope="module")
def service(demo_settings: Settings, real_embedder: SentenceTransformerEmbedder) -> AnswerService:
    return build_answer_service(demo_settings, embedder=real_embedder)


def test_a_customer_asking_about_one_region_gets_that_line_and_little_else(
    service: AnswerService,
) -> None:
    answer = service.answer(AnswerRequest(QUESTION))
    assert answer.action == "answer"
    claims = [s for s in answer.statements if s.kind not in ("framing", "excerpt")]
    assert any("European Union" in s.text for s in claims[:2]), claims
    assert not any(region in answer.text for region in OTHER_REGIONS)
    body = [s for s in answer.statements if s.text not in OFFER_HUMAN.values()]
    assert sum(word_count(s.text) for s in body if s.kind != "step") <= WORD_BUDGET["normal"]
    [citation] = answer.citations
    assert citation.abridged and "United States" in str(citation.passage_text)


def test_an_agent_still_sees_every_region(service: AnswerService) -> None:
    answer = service.answer(AnswerRequest(QUESTION, channel="agent"))
    assert all(region in answer.text for region in OTHER_REGIONS)
