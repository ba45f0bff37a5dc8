"""Size limits of ingestion against real Chroma, BM25 and SQLite and the real model: files and
documents over the limits are refused with an error that says what to do, the rest of the
batch goes in, and what was indexed before keeps answering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.faq import MarkdownFaqConnector
from ingest.limits import MIB, SizeLimits, document_chars
from ingest.pipeline import IngestPipeline
from kb_assistant.composition import build_ingest_pipeline, build_retriever
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import Settings

RETURNS = "## How do I return an item?\nOpen your order, choose Return and print the label.\n"
SHIPPING = "## Do you ship abroad?\nWe ship to the EU, the UK and Norway in 3 to 7 days.\n"
LONG_ANSWER = " ".join(
    f"Step {n}: wrap the lamp shade number {n} in paper and tape the box." for n in range(60)
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def pipeline_for(
    settings: Settings, embedder: SentenceTransformerEmbedder, **limits: float
) -> IngestPipeline:
    return build_ingest_pipeline(settings.model_copy(update=limits), embedder=embedder)


def titles(settings: Settings, embedder: SentenceTransformerEmbedder, question: str) -> list[str]:
    passages = build_retriever(settings, embedder=embedder).retrieve(question, k=3)
    return [f"{p.title}: {p.text}" for p in passages]


def test_a_long_faq_entry_is_indexed_in_pieces_each_found_by_its_question(
    settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    faq = write(tmp_path / "kb" / "faq.md", f"## How do I pack a lamp?\n{LONG_ANSWER}\n")
    pipeline = pipeline_for(settings, real_embedder)

    report = pipeline.run([faq])

    assert report.exit_code == 0 and report.counts["added"] == 1
    assert report.chunks_embedded >= 3
    retriever = build_retriever(settings, embedder=real_embedder)
    hits = retriever.retrieve("How do I pack a lamp?")
    assert all(hit.text.startswith("Q: How do I pack a lamp?\nA: ") for hit in hits)
    assert any(hit.text.startswith("Q: How do I pack a lamp?\nA: Step 0:") for hit in hits)
    (late, *_) = retriever.retrieve("What do I do with lamp shade number 55?")
    assert late.title == "How do I pack a lamp?"
    assert late.text.startswith("Q: How do I pack a lamp?\nA: ") and "number 55 " in late.text


def test_a_document_over_the_limit_is_refused_and_its_indexed_version_kept(
    settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    faq = write(tmp_path / "kb" / "faq.md", RETURNS + SHIPPING)
    pipeline_for(settings, real_embedder, max_document_chars=1_000).run([faq.parent])
    huge = RETURNS.replace("print the label.", "print the label. " + LONG_ANSWER)
    write(faq, huge + SHIPPING.replace("Norway", "Iceland"))

    report = pipeline_for(settings, real_embedder, max_document_chars=1_000).run([faq.parent])

    (error,) = [f for f in report.failures if f.level == "error"]
    assert error.source == str(faq.resolve())
    assert "'How do I return an item?'" in error.error
    (refused, _) = MarkdownFaqConnector().load(faq).documents
    assert f"{document_chars(refused):,} characters" in error.error
    assert "over the limit of 1,000 per document (KB_MAX_DOCUMENT_CHARS)" in error.error
    assert "split it" in error.error.lower() and "stays as it was" in error.error
    assert report.exit_code == 1
    assert report.counts["updated"] == 1 and report.counts["deleted"] == 0
    (returns, *_) = titles(settings, real_embedder, "How do I return an item?")
    assert returns.endswith("Open your order, choose Return and print the label.")
    assert "Iceland" in titles(settings, real_embedder, "Do you ship abroad?")[0]


def test_a_file_over_the_limit_is_refused_unread_and_its_entries_kept(
    settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    faq = write(tmp_path / "kb" / "faq.md", RETURNS)
    other = write(tmp_path / "kb" / "shipping.md", SHIPPING)
    limit_mb = 1_000 / MIB  # a thousand bytes
    pipeline_for(settings, real_embedder, max_file_mb=limit_mb).run([faq.parent])
    # Not valid UTF-8 either: reading it would report that instead of its size.
    faq.write_bytes(b"## How do I return an item?\n" + b"\xff" * 5_000)
    write(other, SHIPPING.replace("Norway", "Iceland"))

    report = pipeline_for(settings, real_embedder, max_file_mb=limit_mb).run([faq.parent])

    (error,) = [f for f in report.failures if f.level == "error"]
    assert error.source == str(faq.resolve())
    assert error.error.startswith("faq.md: 4.9 KB, over the limit of 1,000 bytes per file")
    assert "KB_MAX_FILE_MB" in error.error and "not read" in error.error
    assert report.exit_code == 1 and report.counts["deleted"] == 0
    assert "print the label" in titles(settings, real_embedder, "How do I return an item?")[0]
    assert "Iceland" in titles(settings, real_embedder, "Do you ship abroad?")[0]


def test_limits_come_from_the_settings_with_sane_defaults(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = Settings()
    assert (defaults.max_file_mb, defaults.max_document_chars) == (100.0, 2_000_000)
    assert SizeLimits.of(defaults.max_file_mb, defaults.max_document_chars) == SizeLimits()

    monkeypatch.setenv("KB_MAX_FILE_MB", "2.5")
    monkeypatch.setenv("KB_MAX_DOCUMENT_CHARS", "50000")
    configured = Settings()
    limits = SizeLimits.of(configured.max_file_mb, configured.max_document_chars)
    assert limits == SizeLimits(max_file_bytes=int(2.5 * MIB), max_document_chars=50_000)


@pytest.mark.parametrize(
    ("name", "value"),
    [("max_file_mb", 0), ("max_file_mb", -1), ("max_document_chars", 999)],
)
def test_limits_that_cannot_work_are_refused(clean_env: Path, name: str, value: float) -> None:
    overrides: dict[str, Any] = {name: value}
    with pytest.raises(ValidationError, match=name):
        Settings(**overrides)
