"""Re-index jobs over a real index (Chroma, BM25, SQLite in the test's directory): incremental
runs, full rebuilds behind the quality gate, versions, rollback, pruning, recovery after a job
that died, and the lease between jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.reindex import EXIT_GATE_REFUSED, EXIT_OK, ReindexJob
from ingest.sources import load_sources_config
from kb_assistant.cli import main
from kb_assistant.composition import (
    build_lease,
    build_manifest,
    build_registry,
    build_reindex_job,
    build_vector_index,
)
from kb_assistant.embedding import HashingEmbedder, SentenceTransformerEmbedder
from kb_assistant.index.lease import LeaseHeldError
from kb_assistant.settings import Settings
from tests.reindex.conftest import SOURCES


def job(settings: Settings, embedder: SentenceTransformerEmbedder | HashingEmbedder) -> ReindexJob:
    return build_reindex_job(settings, embedder=embedder)


def consistent(
    settings: Settings, embedder: SentenceTransformerEmbedder | HashingEmbedder
) -> dict[str, int]:
    """Chunks per visibility of the live version, after checking vectors against manifest."""
    vectors, manifest = build_vector_index(settings, embedder), build_manifest(settings)
    counts = {}
    for visibility in ("public", "internal"):
        assert vectors.ids(visibility) == manifest.chunk_ids(visibility), visibility
        counts[visibility] = vectors.count(visibility)
    return counts


def test_first_run_builds_a_live_version_and_the_next_one_changes_only_what_changed(
    job_settings: Settings, embedder: SentenceTransformerEmbedder, kb_copy: Path
) -> None:
    config = load_sources_config(kb_copy / "sources.yaml")
    first = job(job_settings, embedder).run(config)
    assert (first.mode, first.switched, first.exit_code) == ("full", True, EXIT_OK)
    assert first.gate is not None and first.gate.passed and first.gate.new.value >= 0.9
    counts = consistent(job_settings, embedder)
    assert counts["public"] > 50 and counts["internal"] > 20

    again = job(job_settings, embedder).run(config)
    assert again.mode == "incremental" and again.version == first.version
    assert again.ingest is not None and again.ingest.chunks_embedded == 0

    faq = kb_copy / "kb/faq/billing-and-payments.csv"
    faq.write_text(faq.read_text(encoding="utf-8").replace("Visa", "Visa Electron"), "utf-8")
    changed = job(job_settings, embedder).run(config)
    assert changed.ingest is not None and changed.ingest.updated == 1
    assert 0 < changed.ingest.chunks_embedded < 10
    assert consistent(job_settings, embedder) == counts


def test_a_full_rebuild_becomes_live_and_rollback_brings_the_old_one_back(
    job_settings: Settings,
    quick_embedder: HashingEmbedder,
    kb_copy: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = load_sources_config(kb_copy / "sources.yaml")
    job(job_settings, quick_embedder).run(config)
    rebuilt = job(job_settings, quick_embedder).run(config, full=True)
    registry = build_registry(job_settings)

    assert (rebuilt.version, rebuilt.live_before, rebuilt.live_after) == ("v2", "v1", "v2")
    assert [(v.name, v.state) for v in registry.all()] == [("v2", "live"), ("v1", "retired")]
    assert registry.get(2).gate is not None and registry.get(2).gate["passed"]  # type: ignore[index]

    data_dir = str(job_settings.data_dir)
    assert main(["rollback", "--data-dir", data_dir]) == 0
    assert "v1 is live again" in capsys.readouterr().out
    assert registry.live_id() == 1
    assert main(["versions", "--json", "--data-dir", data_dir]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["live"] == "v1" and [v["state"] for v in listed["versions"]] == [
        "retired",
        "live",
    ]


def test_the_gate_refuses_a_rebuild_that_lost_a_source_and_the_live_version_stays(
    job_settings: Settings, quick_embedder: HashingEmbedder, kb_copy: Path
) -> None:
    config = load_sources_config(kb_copy / "sources.yaml")
    job(job_settings, quick_embedder).run(config)
    live_counts = consistent(job_settings, quick_embedder)
    without_faq = kb_copy / "without-faq.yaml"
    help_center = "  - name: help-center\n    connector: faq\n    paths: [kb/faq]\n"
    text = SOURCES.format(keep=3).replace(help_center + "    visibility: public\n", "")
    assert "help-center" not in text
    without_faq.write_text(text, encoding="utf-8")

    refused = job(job_settings, quick_embedder).run(load_sources_config(without_faq), full=True)

    assert refused.exit_code == EXIT_GATE_REFUSED and not refused.switched
    assert refused.gate is not None and refused.gate.live is not None
    assert refused.gate.new.value < refused.gate.live.value - 0.05
    assert "refused" in refused.message.lower() and "keeps serving" in refused.message
    registry = build_registry(job_settings)
    assert registry.live_id() == 1 and registry.get(2).state == "refused"
    assert consistent(job_settings, quick_embedder) == live_counts


def test_old_versions_beyond_the_kept_number_are_deleted(
    job_settings: Settings, quick_embedder: HashingEmbedder, kb_copy: Path
) -> None:
    sources = kb_copy / "sources.yaml"
    sources.write_text(SOURCES.format(keep=1), encoding="utf-8")
    config = load_sources_config(sources)
    for _ in range(3):
        last = job(job_settings, quick_embedder).run(config, full=True)

    registry = build_registry(job_settings)
    assert [v.name for v in registry.all()] == ["v3", "v2"] and last.pruned == ["v1"]
    assert not (job_settings.data_dir / "index" / "v1").exists()
    live = build_vector_index(job_settings, quick_embedder, registry.get(3))
    assert live.count("public") > 0
    client_names = _collections(job_settings)
    assert not any(name.startswith("kb-v1-") for name in client_names)


def test_a_version_left_building_by_a_dead_job_is_deleted_by_the_next_job(
    job_settings: Settings, quick_embedder: HashingEmbedder, kb_copy: Path
) -> None:
    config = load_sources_config(kb_copy / "sources.yaml")
    job(job_settings, quick_embedder).run(config)
    registry = build_registry(job_settings)
    orphan = registry.create("full")  # as a job killed halfway through a rebuild leaves it
    (orphan.keyword_dir).mkdir(parents=True)

    report = job(job_settings, quick_embedder).run(config)

    assert report.recovered == [orphan.name]
    assert registry.get(orphan.id).state == "failed" and not orphan.keyword_dir.exists()
    assert registry.live_id() == 1


def test_a_second_job_is_refused_while_one_writes(
    job_settings: Settings,
    quick_embedder: HashingEmbedder,
    kb_copy: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = load_sources_config(kb_copy / "sources.yaml")
    with build_lease(job_settings).hold("a long rebuild"):
        with pytest.raises(LeaseHeldError, match="a long rebuild"):
            job(job_settings, quick_embedder).run(config)
        args = ["--config", str(kb_copy / "sources.yaml"), "--data-dir", str(job_settings.data_dir)]
        code = main(["reindex", *args, "--json"])
        assert code == 4 and "a long rebuild" in capsys.readouterr().err
    assert build_registry(job_settings).all() == []


def test_a_bad_sources_file_is_exit_code_2(
    job_settings: Settings, kb_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = kb_copy / "bad.yaml"
    bad.write_text("sources: []\n", encoding="utf-8")
    assert main(["reindex", "--config", str(bad)]) == 2
    assert "bad.yaml" in capsys.readouterr().err


def _collections(settings: Settings) -> list[str]:
    from kb_assistant.index.chroma_client import chroma_client

    client = chroma_client(settings.chroma_url, settings.resolved_chroma_path)
    return [collection.name for collection in client.list_collections()]


def test_the_glossary_of_answers_follows_a_switch_to_a_new_version(
    job_settings: Settings, quick_embedder: HashingEmbedder, kb_copy: Path
) -> None:
    from kb_assistant.answering.glossary import FollowingGlossary
    from kb_assistant.composition import build_live_indexes

    tickets_only = kb_copy / "tickets-only.yaml"
    tickets_only.write_text(
        "sources:\n  - {name: tickets, connector: ticket, paths: [kb/tickets]}\n", "utf-8"
    )
    job(job_settings, quick_embedder).run(load_sources_config(tickets_only))
    live = build_live_indexes(
        job_settings.model_copy(update={"index_refresh_s": 0.01}), quick_embedder
    )
    glossary = FollowingGlossary(live.vectors, lambda: live.version_id)
    assert len(glossary) == 0

    config = load_sources_config(kb_copy / "sources.yaml")
    assert job(job_settings, quick_embedder).run(config, full=True).switched
    live.refresh(force=True)

    assert len(glossary) > 0 and live.version_id == 2


def test_status_of_an_empty_data_directory_makes_no_version(
    job_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--json", "--data-dir", str(job_settings.data_dir)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["live_version"] is None and status["documents"] == []
    assert build_registry(job_settings).all() == []
