"""Fixtures of the re-index tests: a private copy of the demo knowledge base with its sources
file and golden questions, and settings over an empty data directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb_assistant.embedding import HashingEmbedder, SentenceTransformerEmbedder
from kb_assistant.settings import Settings
from tests.conftest import DEMO_KB

SOURCES = """\
sources:
  - name: help-center
    connector: faq
    paths: [kb/faq]
    visibility: public
  - name: manuals
    connector: pdf
    paths: ["kb/manuals/*.pdf"]
    visibility: public
  - name: tickets
    connector: ticket
    paths: [kb/tickets]
    visibility: internal
gate:
  golden_questions: golden-questions.jsonl
  max_recall_drop: 0.05
  k: 5
keep_versions: {keep}
"""


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """`<tmp>/site` with `kb/` (a copy of the demo KB), `sources.yaml` and the golden file."""
    site = tmp_path / "site"
    shutil.copytree(DEMO_KB, site / "kb")
    shutil.copy(DEMO_KB.parent / "golden-questions.jsonl", site / "golden-questions.jsonl")
    (site / "sources.yaml").write_text(SOURCES.format(keep=3), encoding="utf-8")
    return site


@pytest.fixture
def job_settings(clean_env: Path) -> Settings:
    return Settings(data_dir=clean_env / "data")


@pytest.fixture
def embedder(real_embedder: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
    return real_embedder


@pytest.fixture
def quick_embedder() -> HashingEmbedder:
    """For tests of the jobs' bookkeeping (versions, pruning, recovery), where what matters
    is what is stored where, not how good the vectors are."""
    return HashingEmbedder()
