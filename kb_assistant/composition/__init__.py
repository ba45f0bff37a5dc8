"""The composition root: the one place where adapters are built from `Settings` and wired.

- `indexes`: the embedding model, index versions and the lease, vector and keyword indexes;
- `ingestion`: the ingestion pipeline, re-index jobs, the FAQ publisher;
- `stores`: the policy engine, the case and conversation stores, the handoff sinks;
- `answering`: retrieval, the answer service and the reply flow (`Assistant`);
- `channels`: the agents' Slack app, for both of its hosts (Socket Mode and the HTTP API);
- `report`, `health`: what the knowledge-base report reads, and its summary after a re-index.

The adapters (stores, indexes, the model, the Slack client) are built here from `Settings`;
the rest of the product receives them.
"""

from __future__ import annotations

from kb_assistant.composition.answering import (
    build_answer_service,
    build_assistant,
    build_retriever,
)
from kb_assistant.composition.indexes import (
    NothingIndexedError,
    build_embedder,
    build_keyword_index,
    build_lease,
    build_live_indexes,
    build_manifest,
    build_ray_embedder,
    build_registry,
    build_vector_index,
    configure_process,
    drop_version_data,
    embedded_chroma_path,
    live_version,
    open_writable_version,
    writing_index,
)
from kb_assistant.composition.ingestion import (
    FAQ_LEASE_WAIT_S,
    build_faq_publisher,
    build_ingest_pipeline,
    build_reindex_job,
    connector_options,
)
from kb_assistant.composition.stores import (
    build_conversation_store,
    build_handoff_sink,
    build_handoff_store,
    build_policy_engine,
)

__all__ = [
    "FAQ_LEASE_WAIT_S",
    "NothingIndexedError",
    "build_answer_service",
    "build_assistant",
    "build_conversation_store",
    "build_embedder",
    "build_faq_publisher",
    "build_handoff_sink",
    "build_handoff_store",
    "build_ingest_pipeline",
    "build_keyword_index",
    "build_lease",
    "build_live_indexes",
    "build_manifest",
    "build_policy_engine",
    "build_ray_embedder",
    "build_registry",
    "build_reindex_job",
    "build_retriever",
    "build_vector_index",
    "configure_process",
    "connector_options",
    "drop_version_data",
    "embedded_chroma_path",
    "live_version",
    "open_writable_version",
    "writing_index",
]
