"""Incremental ingestion against real Chroma, BM25 and SQLite in a temporary directory.

The deterministic hashing embedder keeps these fast; the real model is exercised by the
CLI and shared-data tests.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import IngestPipeline, IngestUsageError
from kb_assistant.composition import build_ingest_pipeline
from kb_assistant.embedding import HashingEmbedder
from kb_assistant.index.bm25 import Bm25Index
from kb_assistant.index.chroma import IndexMismatchError
from kb_assistant.ports import IndexRecord, Vector
from kb_assistant.settings import Settings

FAQ = """\
# Orders

## How do I track my parcel?
Open your order page and press Track. The tracking number is in your dispatch email.

## Can I change my delivery address?
Yes, until the order is dispatched. Open the order and choose Change address.

# Returns

## How do I return an item?
1. Open your order.
2. Choose Return.
3. Print the label and drop the parcel at a post office.
"""

FAQ_2 = """\
## Do you ship abroad?
We ship to the EU, the UK and Norway. Delivery takes 3 to 7 working days.

## How much is shipping?
Shipping is free above 50 euros, otherwise 4.95 euros.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write(root / "faq.md", FAQ)
    write(root / "shipping.md", FAQ_2)
    return root


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def pipeline(settings: Settings, embedder: HashingEmbedder) -> IngestPipeline:
    return build_ingest_pipeline(settings, embedder=embedder)


def assert_consistent(pipeline: IngestPipeline) -> None:
    """Vectors, keyword index and manifest hold exactly the same chunks."""
    assert isinstance(pipeline.keywords, Bm25Index)
    for visibility in ("public", "internal"):
        listed = pipeline.manifest.chunk_ids(visibility)
        assert pipeline.vectors.ids(visibility) == listed
        assert pipeline.keywords.count(visibility) == len(listed)
        assert pipeline.keywords.ids(visibility) == listed


def test_first_run_indexes_every_entry(pipeline: IngestPipeline, kb: Path) -> None:
    report = pipeline.run([kb])

    assert report.counts == {
        "seen": 5,
        "added": 5,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "failed": 0,
    }
    assert report.chunks_embedded == 5
    assert report.exit_code == 0
    assert_consistent(pipeline)
    hits = pipeline.keywords.query("public", "change delivery address", 3)
    assert hits and hits[0].metadata["title"] == "Can I change my delivery address?"


def test_unchanged_rerun_embeds_nothing(
    pipeline: IngestPipeline, kb: Path, embedder: HashingEmbedder
) -> None:
    pipeline.run([kb])
    calls = embedder.calls

    report = pipeline.run([kb])

    assert report.chunks_embedded == 0
    assert report.counts["unchanged"] == 5
    assert report.counts["added"] + report.counts["updated"] + report.counts["deleted"] == 0
    assert embedder.calls == calls
    assert_consistent(pipeline)


def test_changed_entry_replaces_only_its_chunks(pipeline: IngestPipeline, kb: Path) -> None:
    pipeline.run([kb])
    before = pipeline.vectors.ids("public")
    changed = FAQ.replace("until the order is dispatched", "until the order leaves our warehouse")
    write(kb / "faq.md", changed)

    report = pipeline.run([kb])

    assert report.counts["updated"] == 1
    assert report.counts["unchanged"] == 4
    assert report.chunks_embedded == 1
    after = pipeline.vectors.ids("public")
    assert len(before - after) == 1 and len(after - before) == 1
    hit = pipeline.keywords.query("public", "leaves our warehouse", 1)[0]
    assert "leaves our warehouse" in hit.text
    assert_consistent(pipeline)


def test_incremental_runs_update_the_keyword_index_in_place(
    pipeline: IngestPipeline, kb: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline.run([kb])
    write(kb / "faq.md", FAQ.replace("Print the label", "Print the prepaid courier label"))
    (kb / "shipping.md").unlink()
    write(kb / "more.md", "## Do you gift wrap?\nYes, choose gift wrap at checkout for 3 euros.\n")

    with caplog.at_level("INFO", logger="ingest.writer"):
        report = pipeline.run([kb])

    assert (report.counts["updated"], report.counts["added"], report.counts["deleted"]) == (1, 1, 2)
    assert "keyword index public updated: 4 chunks" in caplog.text
    assert "rebuilt" not in caplog.text
    assert_consistent(pipeline)
    rebuilt = Bm25Index(tmp_path / "rebuilt")
    rebuilt.rebuild("public", pipeline.vectors.records("public"))
    for question in ("prepaid courier label", "gift wrap checkout", "ship to Norway", "track"):
        ours = [
            (h.id, round(h.score, 5), h.text)
            for h in pipeline.keywords.query("public", question, 4)
        ]
        fresh = [(h.id, round(h.score, 5), h.text) for h in rebuilt.query("public", question, 4)]
        assert ours == fresh, question


def test_removed_file_and_entry_are_deleted(pipeline: IngestPipeline, kb: Path) -> None:
    pipeline.run([kb])
    (kb / "shipping.md").unlink()
    write(kb / "faq.md", FAQ.split("# Returns")[0])

    report = pipeline.run([kb], allow_shrink=True)  # 3 of 5 entries: more than the default half

    assert report.counts["deleted"] == 3
    assert report.counts["unchanged"] == 2
    assert pipeline.vectors.count("public") == 2
    assert not pipeline.keywords.query("public", "ship abroad Norway", 5)
    assert_consistent(pipeline)


def test_deleting_a_duplicate_keeps_the_original(pipeline: IngestPipeline, kb: Path) -> None:
    shutil.copy(kb / "shipping.md", kb / "shipping-copy.md")
    first = pipeline.run([kb])
    assert first.counts["added"] == 7
    assert first.chunks_embedded == 5  # identical text is embedded once
    (kb / "shipping-copy.md").unlink()

    report = pipeline.run([kb])

    assert report.counts["deleted"] == 2
    assert pipeline.vectors.count("public") == 5
    titles = {hit.metadata["doc_id"] for hit in pipeline.keywords.query("public", "Norway", 5)}
    assert titles == {f"faq:{kb / 'shipping.md'}#do-you-ship-abroad"}
    assert_consistent(pipeline)


def test_moved_file_reuses_vectors(pipeline: IngestPipeline, kb: Path) -> None:
    pipeline.run([kb])
    (kb / "shipping.md").rename(kb / "delivery.md")

    report = pipeline.run([kb])

    assert report.counts["added"] == 2 and report.counts["deleted"] == 2
    assert report.chunks_embedded == 0
    assert report.chunks_reused == 2
    assert_consistent(pipeline)


def test_file_that_fails_to_read_keeps_its_documents(
    pipeline: IngestPipeline, tmp_path: Path
) -> None:
    faqs = tmp_path / "faqs.json"
    faqs.write_text(json.dumps([{"question": "Where is my order?", "answer": "Look it up."}]))
    pipeline.run([faqs])
    faqs.write_text('[{"question": "Where is my order?", "answer": ')  # truncated upload

    report = pipeline.run([faqs])

    assert report.exit_code == 1
    assert report.failed == 1 and report.counts["deleted"] == 0
    assert "faqs.json" in report.failures[0].source
    assert pipeline.vectors.count("public") == 1


def test_one_bad_file_does_not_stop_the_batch(pipeline: IngestPipeline, kb: Path) -> None:
    (kb / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")

    report = pipeline.run([kb])

    assert report.failed == 1
    assert report.counts["added"] == 5
    assert report.to_json()["errors"][0]["source"].endswith("broken.pdf")


def test_full_rebuild(pipeline: IngestPipeline, kb: Path) -> None:
    pipeline.run([kb])

    report = pipeline.run([kb], full=True)

    assert report.counts["added"] == 5 and report.chunks_embedded == 5
    assert_consistent(pipeline)


def test_visibility_change_moves_chunks(pipeline: IngestPipeline, kb: Path) -> None:
    pipeline.run([kb])

    report = pipeline.run([kb], visibility="internal")

    assert report.counts["updated"] == 5
    assert report.chunks_embedded == 0  # vectors reused across collections
    assert pipeline.vectors.count("public") == 0
    assert pipeline.vectors.count("internal") == 5
    assert_consistent(pipeline)


class CrashingEmbedder(HashingEmbedder):
    """Dies on its n-th call, the way a killed worker stops a run half-way."""

    def __init__(self, crash_on_call: int) -> None:
        super().__init__()
        self.crash_on_call = crash_on_call

    def embed_documents(self, texts: Sequence[str]) -> Vector:
        if self.calls + 1 == self.crash_on_call:
            raise RuntimeError("worker killed")
        return super().embed_documents(texts)


def test_interrupted_run_is_repaired(settings: Settings, kb: Path) -> None:
    settings.ingest_flush_chunks = 1
    crashing = build_ingest_pipeline(settings, embedder=CrashingEmbedder(crash_on_call=5))
    with pytest.raises(RuntimeError, match="worker killed"):
        crashing.run([kb])
    pipeline = build_ingest_pipeline(settings, embedder=HashingEmbedder())
    # Damage of the kind a crash between two writes leaves: an orphan and a lost vector.
    orphan = IndexRecord("orphan-v1-0", "left behind", {"doc_id": "gone"})
    pipeline.vectors.upsert("public", [orphan], np.ones((1, 256), dtype=np.float32) / 16)
    pipeline.vectors.delete("public", [sorted(pipeline.manifest.chunk_ids("public"))[0]])

    report = pipeline.run([kb])

    assert report.counts["added"] == 3 and report.counts["updated"] == 1
    assert report.counts["unchanged"] == 1
    assert "orphan-v1-0" not in pipeline.vectors.ids("public")
    assert_consistent(pipeline)
    assert pipeline.manifest.last_run() is not None


def test_missing_path_is_a_usage_error(pipeline: IngestPipeline, tmp_path: Path) -> None:
    with pytest.raises(IngestUsageError, match="no such file or folder"):
        pipeline.run([tmp_path / "nope"])


def test_removed_folder_given_again_is_emptied(pipeline: IngestPipeline, kb: Path) -> None:
    pipeline.run([kb])
    shutil.rmtree(kb)

    report = pipeline.run([kb], allow_shrink=True)  # all of them: never without being asked

    assert report.counts["deleted"] == 5
    assert pipeline.vectors.count("public") == 0
    assert_consistent(pipeline)


def test_other_model_needs_a_full_rebuild(settings: Settings, kb: Path) -> None:
    build_ingest_pipeline(settings, embedder=HashingEmbedder(dimension=256)).run([kb])
    other = build_ingest_pipeline(settings, embedder=HashingEmbedder(dimension=128))

    with pytest.raises(IndexMismatchError, match="--full"):
        other.run([kb])
    assert other.run([kb], full=True).counts["added"] == 5


def test_pdf_chunks_keep_page_ranges(pipeline: IngestPipeline, tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    markers = {1: "amber", 2: "birch", 3: "cedar"}
    path = tmp_path / "manual.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle("Lamp manual")
    for marker in markers.values():
        text = pdf.beginText(50, 800)
        for line in range(40):
            words = " ".join(f"{marker}{(line * 7 + k) % 13}" for k in range(8))
            text.textLine(f"Step {line} of the {marker} chapter: {words}.")
        pdf.drawText(text)
        pdf.showPage()
    pdf.save()

    report = pipeline.run([path])

    assert report.failed == 0
    records = list(pipeline.vectors.records("public"))
    assert len(records) > 3
    starts = set()
    for record in records:
        start, end = int(record.metadata["page_start"]), int(record.metadata["page_end"])
        starts.add(start)
        pages_in_text = {page for page, marker in markers.items() if marker in record.text}
        assert pages_in_text and min(pages_in_text) == start and max(pages_in_text) == end
    assert starts == {1, 2, 3}


def test_unchanged_files_are_not_parsed_again(
    pipeline: IngestPipeline, kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.reader

    pipeline.run([kb])
    write(kb / "shipping.md", FAQ_2 + "\n## Do you deliver on Saturdays?\nYes, in cities.\n")
    parsed: list[str] = []
    real_load = ingest.reader.load_file

    def spy(path: Path, *args: object) -> object:
        parsed.append(path.name)
        return real_load(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest.reader, "load_file", spy)
    report = pipeline.run([kb])

    assert parsed == ["shipping.md"]
    assert report.counts["added"] == 1 and report.counts["unchanged"] == 5
    assert_consistent(pipeline)


def test_new_chunk_settings_rechunk_unchanged_files(settings: Settings, tmp_path: Path) -> None:
    long_text = " ".join(f"Sentence {i} about the warranty of lamps and sofas." for i in range(300))
    write(
        tmp_path / "kb" / "tickets.csv",
        "id,subject,description,resolution,status,created_at,tags\n"
        f'1,Lamp,"{long_text}",Replaced the lamp.,solved,2026-01-01,lamps\n',
    )
    build_ingest_pipeline(settings, embedder=HashingEmbedder()).run([tmp_path / "kb"])
    before = build_ingest_pipeline(settings, embedder=HashingEmbedder()).vectors.count("internal")

    settings.chunk_tokens = 120
    smaller = build_ingest_pipeline(settings, embedder=HashingEmbedder())
    report = smaller.run([tmp_path / "kb"])

    assert report.counts["updated"] == 1
    assert smaller.vectors.count("internal") > before > 1
    assert_consistent(smaller)


def test_overlapped_reading_gives_the_same_index(settings: Settings, kb: Path) -> None:
    sequential = build_ingest_pipeline(settings, embedder=HashingEmbedder())
    sequential.run([kb])
    expected = {r.id: r.text for r in sequential.vectors.records("public")}
    settings.data_dir = settings.data_dir.parent / "overlapped"
    settings.ingest_flush_chunks = 1
    overlapped = build_ingest_pipeline(settings, embedder=HashingEmbedder())
    overlapped.overlap_reading = True

    report = overlapped.run([kb])

    assert report.counts["added"] == 5
    assert {r.id: r.text for r in overlapped.vectors.records("public")} == expected
    assert_consistent(overlapped)


def test_folder_without_readable_files_is_reported(
    pipeline: IngestPipeline, tmp_path: Path
) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "logo.png").write_bytes(b"\x89PNG")

    report = pipeline.run([tmp_path / "images"])

    assert report.exit_code == 0
    assert report.failures[0].level == "warning"
    assert "no supported files" in report.failures[0].error


def test_touched_but_identical_file_is_not_parsed(
    pipeline: IngestPipeline, kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import ingest.reader

    pipeline.run([kb])
    stat = (kb / "faq.md").stat()
    os.utime(kb / "faq.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    parsed: list[Path] = []
    real_load = ingest.reader.load_file
    monkeypatch.setattr(
        ingest.reader, "load_file", lambda path, *a: parsed.append(path) or real_load(path, *a)
    )

    report = pipeline.run([kb])

    assert parsed == [] and report.counts["unchanged"] == 5


def test_batches_go_out_early_only_when_the_reader_has_nothing_waiting() -> None:
    from types import SimpleNamespace

    from ingest.writer import MIN_BATCH_CHUNKS, _batches

    per_doc = MIN_BATCH_CHUNKS // 2 + 1  # two documents make an early batch
    docs = [SimpleNamespace(chunks=[0] * per_doc) for _ in range(6)]
    waiting = iter([True, False, True, True, True, True])

    early = list(_batches(docs, 1000, lambda: next(waiting)))  # type: ignore[arg-type]
    sequential = list(_batches(docs, 1000, None))  # type: ignore[arg-type]
    full = list(_batches(docs, 3 * per_doc, None))  # type: ignore[arg-type]

    assert [len(batch) for batch in early] == [2, 4]  # the reader was idle after the 2nd
    assert [len(batch) for batch in sequential] == [6]
    assert [len(batch) for batch in full] == [3, 3]
