"""A real run over the shared datasets: the shared PDFs and StackFAQ, with the real model."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.datasets import shared_pdfs, stackfaq_faqs, stackfaq_queries
from ingest.pipeline import IngestPipeline
from ingest.report import IngestReport
from kb_assistant.composition import build_ingest_pipeline, build_retriever
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ingested(
    eval_data: Path,
    real_embedder: SentenceTransformerEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Settings, IngestPipeline, IngestReport, list[Path]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("shared"))
    pipeline = build_ingest_pipeline(settings, embedder=real_embedder)
    files = [*shared_pdfs(eval_data), stackfaq_faqs(eval_data)]
    return settings, pipeline, pipeline.run(files), files


def test_everything_goes_in(
    ingested: tuple[Settings, IngestPipeline, IngestReport, list[Path]],
) -> None:
    _, pipeline, report, _ = ingested

    assert report.failed == 0, report.failures
    assert report.counts["added"] == 6 + 719
    assert report.chunks_embedded > 1000
    assert pipeline.vectors.count("public") == report.chunks_written
    assert pipeline.keywords.count("public") == report.chunks_written


def test_pdf_chunks_carry_their_pages(
    ingested: tuple[Settings, IngestPipeline, IngestReport, list[Path]],
) -> None:
    _, pipeline, _, _ = ingested
    pages: dict[str, set[int]] = {}
    for record in pipeline.vectors.records("public"):
        if record.metadata["kind"] == "pdf":
            start, end = int(record.metadata["page_start"]), int(record.metadata["page_end"])
            assert 1 <= start <= end
            pages.setdefault(str(record.metadata["location"]), set()).add(end)

    assert len(pages) == 6
    assert max(pages["Northwind_Health_Plus_Benefits_Details.pdf"]) >= 100


def test_unchanged_rerun_embeds_nothing(
    ingested: tuple[Settings, IngestPipeline, IngestReport, list[Path]],
) -> None:
    _, pipeline, first, files = ingested

    again = pipeline.run(files)

    assert again.chunks_embedded == 0
    assert again.counts["unchanged"] == first.counts["seen"]
    assert again.seconds < 2.0


def test_stackfaq_rephrasings_find_their_faq(
    ingested: tuple[Settings, IngestPipeline, IngestReport, list[Path]],
    eval_data: Path,
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    settings = ingested[0]
    retriever = build_retriever(settings, embedder=real_embedder)
    queries = stackfaq_queries(eval_data)[::10]

    hits = 0
    for query, gold in queries:
        passages = retriever.retrieve(query, "customer", k=5)
        hits += any(p.doc_id.split("#")[-1].split("/")[0] == gold for p in passages)

    assert hits / len(queries) >= 0.9
