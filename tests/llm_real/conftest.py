"""The real local model (SmolLM2-135M-Instruct run by llama.cpp), loaded once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eval.recording_llm import RecordingLLM
from kb_assistant.answering.local_llm import LocalLLM
from kb_assistant.answering.service import AnswerService
from kb_assistant.composition import build_answer_service
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.embedding.cache import CachedEmbedder
from kb_assistant.settings import Settings
from tests.llm_real.model import MISSING, local_settings


@pytest.fixture(scope="session")
def local_llm(demo_settings: Settings) -> Iterator[LocalLLM]:
    """SmolLM2 through the product's own builder, loaded once and unloaded at the end."""
    if MISSING is not None:
        pytest.skip(MISSING)
    from kb_assistant.answering.llm import build_llm

    llm = build_llm(local_settings(demo_settings))
    assert isinstance(llm, LocalLLM)
    llm.warm_up()
    yield llm
    llm.close()


@pytest.fixture(scope="session")
def recorder(local_llm: LocalLLM) -> RecordingLLM:
    """The local model, keeping what it was asked and what it wrote."""
    return RecordingLLM(local_llm)


@pytest.fixture(scope="session")
def cached_embedder(real_embedder: SentenceTransformerEmbedder) -> CachedEmbedder:
    return CachedEmbedder(real_embedder)


@pytest.fixture(scope="session")
def service(
    demo_settings: Settings, cached_embedder: CachedEmbedder, recorder: RecordingLLM
) -> AnswerService:
    """The answering flow over the demo knowledge base, composing with the local model."""
    return build_answer_service(demo_settings, embedder=cached_embedder, llm=recorder)
