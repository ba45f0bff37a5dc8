"""Building the writing side: the ingestion pipeline, re-index jobs and the FAQ publisher."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from connectors import ConnectorOptions
from ingest.chunking import Chunker
from ingest.limits import SizeLimits
from ingest.pipeline import IngestPipeline, SourceSpec
from ingest.progress import Progress
from kb_assistant.composition.answering import build_retriever
from kb_assistant.composition.indexes import (
    build_embedder,
    build_keyword_index,
    build_lease,
    build_manifest,
    build_ray_embedder,
    build_registry,
    build_vector_index,
    drop_version_data,
    embedded_chroma_path,
    live_version,
    open_writable_version,
    writing_index,
)
from kb_assistant.core.redaction import Redactor
from kb_assistant.index.chroma_disk import remove_orphan_segment_folders
from kb_assistant.index.versions import IndexVersion
from kb_assistant.ports import Embedder
from kb_assistant.settings import Settings

if TYPE_CHECKING:
    from ingest.gate import Search
    from ingest.reindex import Consistency, ReindexJob
    from kb_assistant.faq import FaqPublisher


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
    version = version or open_writable_version(settings)
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
        return lambda question, channel, k: retriever.retrieve(question, channel, k)

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
