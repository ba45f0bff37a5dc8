"""Embedded Chroma keeps each collection's vectors in a folder named after its segment and
leaves that folder behind when the collection is deleted. Pruned, abandoned and reset
versions must not leave theirs: after any number of rebuilds the Chroma directory holds the
folders of the kept versions' collections and nothing else."""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from ingest.sources import load_sources_config
from kb_assistant.cli import main
from kb_assistant.composition import build_registry, build_reindex_job, build_vector_index
from kb_assistant.embedding import HashingEmbedder
from kb_assistant.index.chroma import ChromaIndex
from kb_assistant.index.chroma_client import chroma_client
from kb_assistant.ports import IndexRecord
from kb_assistant.settings import Settings

KEEP_ONE = """\
sources:
  - {name: help-center, connector: faq, paths: [kb/faq]}
  - {name: tickets, connector: ticket, paths: [kb/tickets]}
keep_versions: 1
"""


def folders(settings: Settings) -> set[str]:
    return {p.name for p in settings.resolved_chroma_path.iterdir() if p.is_dir()}


def vector_segments(settings: Settings) -> set[str]:
    """The vector segments Chroma's own catalogue lists, one per existing collection."""
    catalogue = settings.resolved_chroma_path / "chroma.sqlite3"
    with closing(sqlite3.connect(catalogue)) as db:
        rows = db.execute("SELECT id FROM segments WHERE scope = 'VECTOR'").fetchall()
    return {row[0] for row in rows}


def rebuild(settings: Settings, embedder: HashingEmbedder, site: Path, times: int) -> None:
    config = load_sources_config(site / "keep-one.yaml")
    for _ in range(times):
        report = build_reindex_job(settings, embedder=embedder).run(config, full=True)
        assert report.switched, report.message


@pytest.fixture
def site(kb_copy: Path) -> Path:
    (kb_copy / "keep-one.yaml").write_text(KEEP_ONE, encoding="utf-8")
    return kb_copy


def test_rebuilds_leave_only_the_kept_versions_folders_and_rollback_works(
    job_settings: Settings,
    quick_embedder: HashingEmbedder,
    site: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rebuild(job_settings, quick_embedder, site, times=4)

    registry = build_registry(job_settings)
    assert [(v.name, v.state) for v in registry.all()] == [("v4", "live"), ("v3", "retired")]
    # kept versions × (public, internal) × (chunks, their questions)
    assert len(folders(job_settings)) == 2 * 2 * 2
    assert folders(job_settings) == vector_segments(job_settings)

    data_dir = ["--data-dir", str(job_settings.data_dir)]
    assert main(["versions", "--json", *data_dir]) == 0
    assert [v["version"] for v in json.loads(capsys.readouterr().out)["versions"]] == ["v4", "v3"]
    assert main(["rollback", *data_dir]) == 0
    assert registry.live_id() == 3
    vectors = build_vector_index(job_settings, quick_embedder, registry.get(3))
    question = quick_embedder.embed_query("Which cards can I pay with?")
    assert vectors.query("public", question, 3)


def test_earlier_leftovers_and_an_abandoned_version_are_removed_by_the_next_jobs(
    job_settings: Settings, quick_embedder: HashingEmbedder, site: Path
) -> None:
    rebuild(job_settings, quick_embedder, site, times=1)
    kept = folders(job_settings)
    leftover = _leftover_of_a_deleted_collection(job_settings)
    strangers = _folders_that_are_not_chroma_segments(job_settings)
    config = load_sources_config(site / "keep-one.yaml")

    tidied = build_reindex_job(job_settings, embedder=quick_embedder).run(config)

    assert tidied.mode == "incremental" and tidied.removed_folders == [leftover]
    assert folders(job_settings) == kept | strangers

    abandoned = build_registry(job_settings).create("full")  # as a job killed while building
    _fill(build_vector_index(job_settings, quick_embedder, abandoned))
    assert len(folders(job_settings)) == len(kept | strangers) + 2

    recovered = build_reindex_job(job_settings, embedder=quick_embedder).run(config)

    assert recovered.recovered == [abandoned.name]
    assert folders(job_settings) == kept | strangers
    assert kept == vector_segments(job_settings)


def _fill(vectors: ChromaIndex) -> None:
    """Write a few vectors into both collections of an index."""
    records = [IndexRecord(f"c{i}", f"text {i}", {"doc_id": f"d{i}"}) for i in range(50)]
    embeddings = np.random.default_rng(1).random((50, 256), dtype=np.float32)
    for visibility in ("public", "internal"):
        vectors.upsert(visibility, records, embeddings)


def _leftover_of_a_deleted_collection(settings: Settings) -> str:
    """A collection deleted straight through Chroma, as versions were deleted before their
    folders were removed; returns the folder it left."""
    client = chroma_client(None, settings.resolved_chroma_path)
    before = folders(settings)
    collection = client.create_collection("kb-v99-public", embedding_function=None)
    collection.add(ids=[str(i) for i in range(50)], embeddings=np.ones((50, 8), np.float32))
    client.delete_collection("kb-v99-public")
    [folder] = folders(settings) - before
    return folder


def _folders_that_are_not_chroma_segments(settings: Settings) -> set[str]:
    """A folder not named by a UUID and a UUID folder holding a subfolder: never touched."""
    notes = settings.resolved_chroma_path / "operator-notes"
    (notes / "inside").mkdir(parents=True)
    odd = settings.resolved_chroma_path / str(uuid.uuid4())
    (odd / "nested").mkdir(parents=True)
    return {notes.name, odd.name}
