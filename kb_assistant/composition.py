"""Composition root: the one place where adapters are built from `Settings` and wired."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from connectors import ConnectorOptions
from ingest.chunking import Chunker
from ingest.pipeline import IngestPipeline
from ingest.progress import Progress
from ingest.redact import Redactor
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.index.bm25 import Bm25Index
from kb_assistant.index.chroma import ChromaIndex, chroma_client
from kb_assistant.ports import Embedder, KeywordIndex, VectorIndex
from kb_assistant.retrieval import HybridRetriever
from kb_assistant.settings import Settings
from kb_assistant.storage.db import make_engine
from kb_assistant.storage.manifest import ManifestStore

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from kb_assistant.answering.service import AnswerService
    from kb_assistant.assistant import Assistant
    from kb_assistant.faq import FaqPublisher


def configure_process(settings: Settings) -> None:
    """Process-wide switches that must be set before the ML libraries are imported."""
    if not settings.allow_model_download:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def build_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    configure_process(settings)
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        device=settings.embedding_device,
        dtype=settings.embedding_dtype,
        batch_size=settings.embedding_batch_size,
        allow_download=settings.allow_model_download,
        threads=settings.embedding_threads,
    )


def build_vector_index(settings: Settings, embedder: Embedder) -> ChromaIndex:
    client = chroma_client(settings.chroma_url, settings.resolved_chroma_path)
    return ChromaIndex(client, prefix=settings.collection_prefix, model_id=embedder.model_id)


def build_keyword_index(settings: Settings) -> Bm25Index:
    return Bm25Index(settings.keyword_index_dir)


def build_manifest(settings: Settings) -> ManifestStore:
    return ManifestStore(make_engine(settings.resolved_database_url))


def connector_options(settings: Settings, encoding: str = "utf-8") -> ConnectorOptions:
    return ConnectorOptions(
        encoding=encoding,
        faq_question_field=settings.faq_question_field,
        faq_answer_field=settings.faq_answer_field,
        faq_id_field=settings.faq_id_field,
        faq_url_field=settings.faq_url_field,
    )


def build_ingest_pipeline(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    encoding: str = "utf-8",
) -> IngestPipeline:
    """The ingestion pipeline with the configured model, indexes and manifest."""
    embedder = embedder or build_embedder(settings)
    chunker = Chunker(
        embedder.tokenize,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        max_tokens=embedder.max_tokens,
    )
    return IngestPipeline(
        embedder=embedder,
        vectors=build_vector_index(settings, embedder),
        keywords=build_keyword_index(settings),
        manifest=build_manifest(settings),
        chunker=chunker,
        redactor=Redactor(settings.redact_allowlist),
        options=connector_options(settings, encoding),
        flush_chunks=settings.ingest_flush_chunks,
        progress=progress,
        overlap_reading=settings.embedding_device != "cpu",
    )


def build_faq_publisher(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    pipeline: Callable[[], IngestPipeline] | None = None,
    lock: AbstractContextManager[object] | None = None,
) -> FaqPublisher:
    """Publishes approved FAQ drafts to the agents' FAQ file (written in the field names the
    FAQ reader is configured for) and indexes it; `lock` is shared with other ingestion."""
    from kb_assistant.faq import AgentFaqFile, FaqFields, FaqPublisher

    fields = FaqFields(
        question=settings.faq_question_field or "question",
        answer=settings.faq_answer_field or "answer",
        id=settings.faq_id_field or "id",
    )
    return FaqPublisher(
        AgentFaqFile(settings.resolved_agent_faq_path, fields),
        pipeline or (lambda: build_ingest_pipeline(settings, embedder=embedder)),
        lock,
    )


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
    from kb_assistant.answering.glossary import Glossary
    from kb_assistant.answering.llm import build_llm
    from kb_assistant.answering.llm_composer import LlmComposer
    from kb_assistant.answering.lookup import KeywordInternalLookup
    from kb_assistant.answering.service import AnswerService
    from kb_assistant.embedding.cache import CachedEmbedder
    from kb_assistant.verify import Verifier

    embedder = CachedEmbedder(embedder or build_embedder(settings))
    vectors = build_vector_index(settings, embedder)
    keywords = build_keyword_index(settings)
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
        ExtractiveComposer(Glossary.from_index(vectors)),
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
    from kb_assistant.handoff import build_handoff_sink, build_handoff_store
    from kb_assistant.policy import build_policy_engine

    answers = build_answer_service(settings, embedder=embedder, llm=llm)
    handoffs = Handoffs(
        build_handoff_store(settings), build_handoff_sink(settings), settings.handoff_response_time
    )
    policy = build_policy_engine(settings, answers.embedder)
    return Assistant(policy, answers, handoffs, store_cases=store_cases)
