"""Composition root: the one place where adapters are built from `Settings` and wired."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlalchemy import inspect, text

from connectors import ConnectorOptions
from ingest.chunking import Chunker
from ingest.limits import SizeLimits
from ingest.pipeline import IngestPipeline, SourceSpec
from ingest.progress import Progress
from ingest.redact import Redactor
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.index.bm25 import Bm25Index
from kb_assistant.index.chroma import ChromaIndex, chroma_client
from kb_assistant.index.chroma_disk import remove_orphan_segment_folders
from kb_assistant.index.lease import HeldLease, IndexLease
from kb_assistant.index.live import LiveIndexes
from kb_assistant.index.versions import IndexVersion, VersionRegistry
from kb_assistant.ports import Embedder, KeywordIndex, VectorIndex
from kb_assistant.retrieval import Channel, HybridRetriever
from kb_assistant.settings import Settings
from kb_assistant.storage.db import make_engine
from kb_assistant.storage.manifest import ManifestStore

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from ingest.gate import Search
    from ingest.reindex import Consistency, ReindexJob
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


def build_registry(settings: Settings) -> VersionRegistry:
    """The index versions and the live pointer (`KB_INDEX_DATABASE_URL`)."""
    return VersionRegistry(
        make_engine(settings.resolved_index_database_url),
        settings.data_dir,
        settings.collection_prefix,
        settings.resolved_database_url,
    )


def build_lease(settings: Settings) -> IndexLease:
    """The one-writer-at-a-time lease on the index (`KB_INDEX_DATABASE_URL`)."""
    engine = make_engine(settings.resolved_index_database_url)
    return IndexLease(engine, ttl_s=settings.lease_ttl_s)


@contextmanager
def writing_index(
    settings: Settings,
    purpose: str,
    *,
    wait_s: float = 0.0,
    lock: AbstractContextManager[object] | None = None,
) -> Iterator[HeldLease]:
    """Hold the process's `lock` (if any) and the index lease while writing the index;
    `LeaseHeldError` when another job holds the lease for longer than `wait_s`."""
    with lock or nullcontext(), build_lease(settings).hold(purpose, wait_s) as held:
        yield held


def live_version(
    settings: Settings, registry: VersionRegistry | None = None
) -> IndexVersion | None:
    """The version that serves; an index built before versions existed is adopted as v0."""
    registry = registry or build_registry(settings)
    live = registry.live()
    if live is None and _has_unversioned_index(settings):
        live = registry.adopt_legacy()
    return live


def writable_version(settings: Settings, registry: VersionRegistry | None = None) -> IndexVersion:
    """The live version, or a first (empty) one made live, for incremental writes."""
    registry = registry or build_registry(settings)
    live = live_version(settings, registry)
    if live is not None:
        return live
    first = registry.create(mode="incremental")
    registry.finish(first.id, "ready", chunks={}, note="first version, filled incrementally")
    return registry.switch(first.id)


def build_vector_index(
    settings: Settings, embedder: Embedder, version: IndexVersion | None = None
) -> ChromaIndex:
    """The vector index of `version` (default: the live one)."""
    version = version or writable_version(settings)
    client = chroma_client(settings.chroma_url, settings.resolved_chroma_path)
    return ChromaIndex(
        client,
        prefix=version.collection_prefix,
        model_id=embedder.model_id,
        local_path=embedded_chroma_path(settings),
        embed_questions=embedder.embed_documents,
    )


def embedded_chroma_path(settings: Settings) -> Path | None:
    """The embedded Chroma's folder; None with a Chroma server (whose disk is its own)."""
    return None if settings.chroma_url else settings.resolved_chroma_path


def build_keyword_index(settings: Settings, version: IndexVersion | None = None) -> Bm25Index:
    """The keyword index of `version` (default: the live one)."""
    return Bm25Index((version or writable_version(settings)).keyword_dir)


def build_manifest(settings: Settings, version: IndexVersion | None = None) -> ManifestStore:
    """The manifest of `version` (default: the live one)."""
    return ManifestStore(make_engine((version or writable_version(settings)).manifest_url))


def build_live_indexes(settings: Settings, embedder: Embedder) -> LiveIndexes:
    """Vector and keyword indexes that follow the live version (for answering processes)."""

    def open_version(version: IndexVersion) -> tuple[VectorIndex, KeywordIndex]:
        return build_vector_index(settings, embedder, version), build_keyword_index(
            settings, version
        )

    live_version(settings)  # adopt an index built before versions existed
    chroma_client(settings.chroma_url, settings.resolved_chroma_path)  # reachable? fail now
    return LiveIndexes(build_registry(settings), open_version, settings.index_refresh_s)


def _has_unversioned_index(settings: Settings) -> bool:
    """Whether the data directory holds an index built before versions existed."""
    if any(settings.keyword_index_dir.glob("*.current")):
        return True
    engine = make_engine(settings.resolved_database_url)
    if not inspect(engine).has_table("documents"):
        return False
    with engine.connect() as connection:
        return bool(connection.execute(text("SELECT 1 FROM documents LIMIT 1")).first())


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
    version: IndexVersion | None = None,
) -> IngestPipeline:
    """The ingestion pipeline with the configured model, writing `version` (default: the
    live one, incrementally; a first version is made when there is none)."""
    embedder = embedder or build_embedder(settings)
    version = version or writable_version(settings)
    chunker = Chunker(
        embedder.tokenize,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        max_tokens=embedder.max_tokens,
    )
    return IngestPipeline(
        embedder=embedder,
        vectors=build_vector_index(settings, embedder, version),
        keywords=build_keyword_index(settings, version),
        manifest=build_manifest(settings, version),
        chunker=chunker,
        redactor=Redactor(settings.redact_allowlist),
        options=connector_options(settings, encoding),
        flush_chunks=settings.ingest_flush_chunks,
        progress=progress,
        overlap_reading=settings.embedding_device != "cpu",
        limits=SizeLimits.of(settings.max_file_mb, settings.max_document_chars),
        max_shrink=settings.max_shrink,
    )


FAQ_LEASE_WAIT_S = 20.0


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
        lambda: writing_index(
            settings, "publishing an approved FAQ entry", wait_s=FAQ_LEASE_WAIT_S, lock=lock
        ),
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
    from kb_assistant.handoff import build_handoff_sink, build_handoff_store
    from kb_assistant.policy import build_policy_engine

    answers = build_answer_service(settings, embedder=embedder, llm=llm)
    handoffs = Handoffs(
        build_handoff_store(settings), build_handoff_sink(settings), settings.handoff_response_time
    )
    policy = build_policy_engine(settings, answers.embedder)
    return Assistant(policy, answers, handoffs, store_cases=store_cases)


def build_reindex_job(
    settings: Settings, *, embedder: Embedder | None = None, progress: Progress | None = None
) -> ReindexJob:
    """A re-index job over the configured indexes, model and database.

    The agents' FAQ file (approved entries from Slack) is always one of the job's sources,
    so a rebuild never loses them.
    """
    from ingest.reindex import ReindexJob, VersionHooks, check_consistency

    embedder = embedder or build_embedder(settings)
    registry = build_registry(settings)
    live_version(settings, registry)  # adopt an index built before versions existed

    writer_embedder = build_ray_embedder(settings) if settings.uses_ray else embedder

    def pipeline_for(version: IndexVersion) -> IngestPipeline:
        return build_ingest_pipeline(
            settings, embedder=writer_embedder, version=version, progress=progress
        )

    def search_for(version: IndexVersion) -> Search:
        retriever = build_retriever(
            settings,
            embedder=embedder,
            vectors=build_vector_index(settings, embedder, version),
            keywords=build_keyword_index(settings, version),
        )
        return lambda question, channel, k: retriever.retrieve(question, cast(Channel, channel), k)

    def check(version: IndexVersion, full: bool) -> Consistency:
        vectors = build_vector_index(settings, embedder, version)
        return check_consistency(vectors, build_manifest(settings, version), full)

    def drop(version: IndexVersion) -> None:
        drop_version_data(settings, version, embedder.model_id)

    def tidy() -> list[str]:
        local = embedded_chroma_path(settings)
        return [] if local is None else remove_orphan_segment_folders(local)

    faq_file = settings.resolved_agent_faq_path
    extra = [SourceSpec((faq_file,), "faq", "public", name="approved by agents")]
    return ReindexJob(
        VersionHooks(
            registry=registry,
            lease=build_lease(settings),
            pipeline_for=pipeline_for,
            search_for=search_for,
            check=check,
            drop=drop,
            manifest_for=lambda version: build_manifest(settings, version),
            keep_versions=settings.index_keep_versions,
            extra_sources=extra if faq_file.is_file() else (),
            close=getattr(writer_embedder, "close", None),
            tidy=tidy,
        )
    )


def drop_version_data(settings: Settings, version: IndexVersion, model_id: str) -> None:
    """Delete a version's collections, keyword index and manifest (never call on the live one)."""
    import shutil

    client = chroma_client(settings.chroma_url, settings.resolved_chroma_path)
    local = embedded_chroma_path(settings)
    ChromaIndex(
        client, prefix=version.collection_prefix, model_id=model_id, local_path=local
    ).reset()
    shutil.rmtree(version.keyword_dir, ignore_errors=True)
    if version.manifest_url == settings.resolved_database_url:  # the adopted legacy index
        ManifestStore(make_engine(version.manifest_url)).reset_documents()
    else:
        build_registry(settings).remove_folder(version)


def build_ray_embedder(settings: Settings) -> Embedder:
    """The configured model on Ray actors (`KB_RAY_ADDRESS`, or a local Ray)."""
    from ingest.ray_embedder import RayEmbedder

    configure_process(settings)
    return RayEmbedder(
        settings.embedding_model,
        address=settings.ray_address,
        actors=settings.ray_actors or None,
        device=settings.embedding_device,
        dtype=settings.embedding_dtype,
        batch_size=settings.embedding_batch_size,
        threads=settings.embedding_threads,
        allow_download=settings.allow_model_download,
    )
