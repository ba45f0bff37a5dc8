"""Building the index side: the embedding model, index versions, the lease, the vector and
keyword indexes and the manifests.

Read paths open what exists: `live_version` and the `build_*_index` builders given no version
open the live one and never create a version. Writers say so: `open_writable_version` makes a
first, empty version live when there is none, for incremental writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import inspect, text

from kb_assistant.core.errors import NotFoundError
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.index.bm25 import Bm25Index
from kb_assistant.index.chroma import ChromaIndex
from kb_assistant.index.chroma_client import chroma_client
from kb_assistant.index.lease import HeldLease, IndexLease
from kb_assistant.index.live import LiveIndexes
from kb_assistant.index.versions import IndexVersion, VersionRegistry
from kb_assistant.ports import Embedder, KeywordIndex, VectorIndex
from kb_assistant.settings import Settings
from kb_assistant.storage.databases import databases_for
from kb_assistant.storage.manifest import ManifestStore


class NothingIndexedError(NotFoundError, RuntimeError):
    """Nothing has been indexed in the data directory yet, so there is no index to read."""


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
        batch_tokens=settings.embedding_batch_tokens,
        allow_download=settings.allow_model_download,
        threads=settings.embedding_threads,
    )


def build_registry(settings: Settings) -> VersionRegistry:
    """The index versions and the live pointer (`KB_INDEX_DATABASE_URL`)."""
    return VersionRegistry(
        databases_for(settings).index_registry(),
        settings.data_dir,
        settings.collection_prefix,
        settings.resolved_database_url,
    )


def build_lease(settings: Settings) -> IndexLease:
    """The one-writer-at-a-time lease on the index (`KB_INDEX_DATABASE_URL`)."""
    engine = databases_for(settings).index_registry()
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


def open_writable_version(
    settings: Settings, registry: VersionRegistry | None = None
) -> IndexVersion:
    """The live version, or a first (empty) one created and made live, for incremental
    writes. Writes the registry when there is no version yet; readers use `live_version`."""
    registry = registry or build_registry(settings)
    live = live_version(settings, registry)
    if live is not None:
        return live
    first = registry.create(mode="incremental")
    registry.finish(first.id, "ready", chunks={}, note="first version, filled incrementally")
    return registry.switch(first.id)


def readable_version(settings: Settings) -> IndexVersion:
    """The live version, to read; `NothingIndexedError` when nothing has been indexed yet."""
    live = live_version(settings)
    if live is None:
        raise NothingIndexedError(
            f"nothing is indexed in {settings.data_dir} yet: run `kb-assistant ingest` or "
            "`kb-assistant reindex` first"
        )
    return live


def build_vector_index(
    settings: Settings, embedder: Embedder, version: IndexVersion | None = None
) -> ChromaIndex:
    """The vector index of `version` (default: the live one, read only)."""
    version = version or readable_version(settings)
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
    """The keyword index of `version` (default: the live one, read only)."""
    return Bm25Index((version or readable_version(settings)).keyword_dir)


def build_manifest(settings: Settings, version: IndexVersion | None = None) -> ManifestStore:
    """The manifest of `version` (default: the live one, read only)."""
    url = (version or readable_version(settings)).manifest_url
    return ManifestStore(databases_for(settings).manifest(url))


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
    engine = databases_for(settings).main()
    if not inspect(engine).has_table("documents"):
        return False
    with engine.connect() as connection:
        return bool(connection.execute(text("SELECT 1 FROM documents LIMIT 1")).first())


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
        ManifestStore(databases_for(settings).manifest(version.manifest_url)).reset_documents()
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
        batch_tokens=settings.embedding_batch_tokens,
        threads=settings.embedding_threads,
        allow_download=settings.allow_model_download,
    )
