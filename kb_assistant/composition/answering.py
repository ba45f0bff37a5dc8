"""Building the reply side: retrieval, the answer service and the whole reply flow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb_assistant.composition.indexes import (
    build_embedder,
    build_keyword_index,
    build_live_indexes,
    build_vector_index,
)
from kb_assistant.composition.stores import (
    build_handoff_sink,
    build_handoff_store,
    build_policy_engine,
)
from kb_assistant.ports import Embedder, KeywordIndex, VectorIndex
from kb_assistant.retrieval import HybridRetriever
from kb_assistant.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from kb_assistant.answering.service import AnswerService
    from kb_assistant.assistant import Assistant


def build_retriever(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    vectors: VectorIndex | None = None,
    keywords: KeywordIndex | None = None,
) -> HybridRetriever:
    embedder = embedder or build_embedder(settings)
    return HybridRetriever(
        embedder,
        vectors or build_vector_index(settings, embedder),
        keywords or build_keyword_index(settings),
        fusion=settings.retrieval_fusion,
        dense_weight=settings.retrieval_dense_weight,
        question_weight=settings.retrieval_question_weight,
        candidates=settings.retrieval_candidates,
    )


def build_answer_service(
    settings: Settings, *, embedder: Embedder | None = None, llm: LLM | None = None
) -> AnswerService:
    """The answering flow with the configured indexes, gate, verifier and (optional) LLM.

    `llm` replaces the configured LLM (tests pass a scripted one at this boundary).
    """
    from kb_assistant.answering.extractive import ExtractiveComposer
    from kb_assistant.answering.gate import ConfidenceGate
    from kb_assistant.answering.glossary import FollowingGlossary
    from kb_assistant.answering.llm import build_llm
    from kb_assistant.answering.llm_composer import LlmComposer
    from kb_assistant.answering.lookup import KeywordInternalLookup
    from kb_assistant.answering.service import AnswerService
    from kb_assistant.embedding.cache import CachedEmbedder
    from kb_assistant.verify import Verifier

    embedder = CachedEmbedder(embedder or build_embedder(settings))
    live = build_live_indexes(settings, embedder)
    vectors, keywords = live.vectors, live.keywords
    model = llm if llm is not None else build_llm(settings)
    return AnswerService(
        build_retriever(settings, embedder=embedder, vectors=vectors, keywords=keywords),
        embedder,
        ConfidenceGate.for_data_dir(settings.data_dir, embedder.model_id, settings.gate_threshold),
        Verifier(
            embedder,
            internal=KeywordInternalLookup(keywords),
            site_hosts=settings.site_hosts,
            redact_allowlist=settings.redact_allowlist,
        ),
        ExtractiveComposer(FollowingGlossary(vectors, lambda: live.version_id)),
        LlmComposer(model) if model is not None else None,
        passages=settings.answer_passages,
    )


def build_assistant(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    llm: LLM | None = None,
    store_cases: bool = True,
) -> Assistant:
    """The whole reply flow: the escalation policy, then answering or a handoff case.

    `store_cases=False` keeps one-off questions without a conversation (`kb-assistant ask`)
    out of the case store; their reply is the same.
    """
    from kb_assistant.assistant import Assistant, Handoffs

    answers = build_answer_service(settings, embedder=embedder, llm=llm)
    handoffs = Handoffs(
        build_handoff_store(settings), build_handoff_sink(settings), settings.handoff_response_time
    )
    policy = build_policy_engine(settings, answers.embedder)
    return Assistant(policy, answers, handoffs, store_cases=store_cases)
