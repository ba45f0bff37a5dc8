"""Contract for the `Manifest`, on real SQLite."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kb_assistant.ports import ChunkEntry, DocumentEntry, Manifest
from kb_assistant.storage.manifest import ManifestStore
from tests.storage.engines import upgraded_engine


@pytest.fixture
def manifest(tmp_path: Path) -> Manifest:
    return ManifestStore(upgraded_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}", "manifest"))


def entry(doc_id: str, source: str, hashes: list[str], version: int = 1) -> DocumentEntry:
    return DocumentEntry(
        id=doc_id,
        source=source,
        kind="faq",
        visibility="public",
        title=doc_id,
        location=source,
        content_hash="h",
        fingerprint=f"fp{version}",
        version=version,
        chunks=tuple(ChunkEntry(f"{doc_id}-{version}-{i}", i, h) for i, h in enumerate(hashes)),
    )


def test_documents_under_matches_files_and_folders_only(manifest: Manifest) -> None:
    manifest.save_documents([entry("a", "/kb/faq.md", ["x"]), entry("b", "/kb2/faq.md", ["y"])], 1)

    assert set(manifest.documents_under(["/kb"])) == {"a"}
    assert set(manifest.documents_under(["/kb/faq.md"])) == {"a"}
    assert manifest.documents_under(["/k"]) == {}
    assert manifest.documents_under(["/kb"])["a"].chunks[0].content_hash == "x"


def test_sources_and_entries_are_read_separately(manifest: Manifest) -> None:
    saved = [entry(f"d{i}", f"/kb/f{i % 3}.md", ["x", f"h{i}"]) for i in range(1200)]
    manifest.save_documents([*saved, entry("other", "/kb2/faq.md", ["y"])], 1)

    sources = manifest.document_sources_under(["/kb"])
    assert sources == {e.id: e.source for e in saved}
    assert manifest.document_sources_under(["/kb/f1.md"]) == {
        e.id: e.source for e in saved if e.source == "/kb/f1.md"
    }
    wanted = [f"d{i}" for i in range(0, 1200, 2)] + ["unknown", "d0"]  # past one IN batch
    found = manifest.documents(wanted)
    assert set(found) == {f"d{i}" for i in range(0, 1200, 2)}
    assert found["d4"] == dataclasses.replace(saved[4], ingested_at=found["d4"].ingested_at)
    assert manifest.documents([]) == {}


def test_save_replaces_chunks(manifest: Manifest) -> None:
    manifest.save_documents([entry("a", "/kb/a.md", ["x", "y"])], 1)
    manifest.save_documents([entry("a", "/kb/a.md", ["z"], version=2)], 2)

    assert manifest.chunk_ids("public") == {"a-2-0"}
    assert manifest.find_chunks_by_hash(["x", "z"]) == {"z": ("a-2-0", "public")}
    assert manifest.stats() == {("faq", "public"): (1, 1)}


def test_delete_and_invalidate(manifest: Manifest) -> None:
    manifest.save_documents([entry("a", "/kb/a.md", ["x"]), entry("b", "/kb/b.md", ["y"])], 1)

    assert manifest.invalidate_documents_with_chunks(["b-1-0"]) == 1
    assert manifest.documents_under(["/kb"])["b"].fingerprint == ""
    manifest.delete_documents(["a"])
    assert manifest.chunk_count("public") == 1


def test_runs_and_meta(manifest: Manifest) -> None:
    run_id = manifest.start_run(["/kb"], full=False)
    manifest.finish_run(
        run_id, status="ok", counts={"seen": 2}, chunks_embedded=3, errors=[], seconds=1.5
    )
    manifest.set_meta("k", "v")

    last = manifest.last_run()
    assert last is not None and last.status == "ok" and last.counts == {"seen": 2}
    assert last.finished_at is not None and manifest.get_meta("k") == "v"
    assert last.started_at.tzinfo is not None and last.finished_at >= last.started_at
