"""The generation time limit of the local model: a generation that passes it is cut, and the
customer gets the extractive answer in about the time the limit allows."""

from __future__ import annotations

import time

import pytest

from kb_assistant.answering.llm_errors import GenerationTimeLimitError
from kb_assistant.answering.local_llm import LocalLLM
from kb_assistant.composition import build_answer_service
from kb_assistant.core.replies import AnswerRequest
from kb_assistant.embedding.cache import CachedEmbedder
from kb_assistant.settings import Settings
from tests.llm_real.model import needs_model

pytestmark = needs_model

LIMIT_S = 0.3  # far less than the prompt alone takes to read on a CPU
MARGIN_S = 2.0  # retrieval, the gate, the extractive answer and its checks
QUESTION = AnswerRequest("How do I descale my kettle?")


@pytest.fixture(scope="module")
def hurried(local_llm: LocalLLM) -> LocalLLM:
    """The same loaded model, with a time limit it cannot meet."""
    return local_llm.model_copy(update={"time_limit_s": LIMIT_S})


def test_a_generation_past_the_limit_is_cut(hurried: LocalLLM) -> None:
    started = time.perf_counter()
    with pytest.raises(GenerationTimeLimitError, match="KB_LLM_TIME_LIMIT_S"):
        hurried.complete("Write a long story about a kettle. " * 40)
    assert time.perf_counter() - started < LIMIT_S + 0.5


def test_the_answer_falls_back_to_the_extractive_one_in_time(
    demo_settings: Settings, cached_embedder: CachedEmbedder, hurried: LocalLLM
) -> None:
    service = build_answer_service(demo_settings, embedder=cached_embedder, llm=hurried)
    service.answer(QUESTION)  # retrieval and embeddings warmed up
    started = time.perf_counter()
    answer = service.answer(QUESTION)
    elapsed = time.perf_counter() - started

    assert answer.action == "answer" and answer.composer == "extractive"
    assert answer.citations
    assert elapsed < LIMIT_S + MARGIN_S

    started = time.perf_counter()
    events = list(service.stream(QUESTION))
    final = events[-1].answer
    assert final is not None and final.composer == "extractive" and final.citations
    assert time.perf_counter() - started < LIMIT_S + MARGIN_S
