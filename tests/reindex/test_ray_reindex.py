"""`kb-assistant reindex --ray`: the job embeds on Ray actors (a local Ray on this machine)
and writes the index alone; the result passes the same checks and gate as without Ray."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip(
    "ray", reason='Ray is an optional extra: pip install "kb-assistant[ray]" to run this test'
)

from ingest.ray_embedder import RayEmbedder
from ingest.reindex import EXIT_OK
from ingest.sources import load_sources_config
from kb_assistant.composition import build_reindex_job
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import Settings


def test_a_full_rebuild_embedded_on_ray_goes_live(
    job_settings: Settings, real_embedder: SentenceTransformerEmbedder, kb_copy: Path
) -> None:
    settings = job_settings.model_copy(
        update={"ray_enabled": True, "ray_actors": 2, "embedding_threads": 1}
    )
    job = build_reindex_job(settings, embedder=real_embedder)
    try:
        report = job.run(load_sources_config(kb_copy / "sources.yaml"), full=True)
        embedder = job.hooks.pipeline_for(job.hooks.registry.get(1)).embedder
        assert isinstance(embedder, RayEmbedder) and embedder.stats.texts > 0
    finally:
        job.close()

    assert report.exit_code == EXIT_OK and report.switched
    assert report.ingest is not None and report.ingest.chunks_embedded > 100
    assert report.consistency is not None and report.consistency.ok
    assert report.gate is not None and report.gate.new.value >= 0.9
