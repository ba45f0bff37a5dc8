"""No seeded personal data reaches any store: Chroma documents and metadata, BM25, SQLite."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ingest.pipeline import IngestPipeline
from kb_assistant.composition import build_ingest_pipeline
from kb_assistant.embedding import HashingEmbedder
from kb_assistant.settings import Settings
from tests.conftest import DEMO_KB

SEEDED = json.loads((DEMO_KB.parent / "seeded_pii.json").read_text(encoding="utf-8"))


def stored_text(pipeline: IngestPipeline, data_dir: Path) -> str:
    """Everything the indexes and the database hold, as one searchable text."""
    parts = []
    for visibility in ("public", "internal"):
        for record in pipeline.vectors.records(visibility):
            parts.append(record.text)
            parts.append(json.dumps(dict(record.metadata), ensure_ascii=False))
    for file in data_dir.rglob("*"):
        if file.is_file() and "chroma" not in file.parts:
            parts.append(file.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestPipeline, str]:
    data_dir = tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=data_dir)
    pipeline = build_ingest_pipeline(settings, embedder=HashingEmbedder())
    report = pipeline.run([DEMO_KB])
    assert report.failed == 0 and report.counts["added"] > 90
    assert sum(report.redactions.values()) >= 30
    return pipeline, stored_text(pipeline, data_dir)


def test_demo_tickets_were_indexed(ingested: tuple[IngestPipeline, str]) -> None:
    pipeline, text = ingested
    assert pipeline.vectors.count("internal") >= 30
    assert "[EMAIL]" in text and "[CARD]" in text and "[IBAN]" in text and "[NAME]" in text


@pytest.mark.parametrize("kind", ["emails", "phones", "cards", "ibans"])
def test_no_seeded_contact_or_payment_detail_is_stored(
    ingested: tuple[IngestPipeline, str], kind: str
) -> None:
    _, text = ingested
    digits_only = re.sub(r"\D", "", text)
    for value in SEEDED[kind]:
        assert value.lower() not in text.lower(), value
        if kind != "emails":
            # Also catch the same number stored with other spacing.
            digits = re.sub(r"\D", "", value)
            assert len(digits) < 8 or digits not in digits_only, value


def test_no_requester_name_is_stored(ingested: tuple[IngestPipeline, str]) -> None:
    _, text = ingested
    for name in SEEDED["names"]:
        assert not re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE), name
