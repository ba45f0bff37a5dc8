"""A small real index shared by the report's tests (model, Chroma, BM25, SQLite)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import Settings

FAQ_CSV = """\
question,answer
How long do I have to return an item?,You can return most items within 30 days of delivery for a full refund.
How much does delivery cost?,Standard delivery costs £3.95 and express delivery costs £6.95.
How do I contact customer service?,Use the chat on our website or email help@shop.example. We reply to emails within one working day.
What is <script>alert(1)</script>?,Yes.
"""  # noqa: E501
POLICY_MD = """\
# Shop policies

## What is the return window?

You can return most items within 28 days of delivery for a full refund.

## What does delivery cost?

Standard delivery is £4.95. Express delivery is £6.95.

## How do I contact customer service?

Use the chat on our website or email help@shop.example. We reply to emails within one working day.
"""


@pytest.fixture(scope="package")
def data_dir(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> Path:
    """A data directory with a small FAQ and policy indexed (shared: tests that store
    conversations or change the index work on a copy)."""
    from kb_assistant.composition import build_ingest_pipeline

    root = tmp_path_factory.mktemp("kb-report")
    (root / "kb").mkdir()
    (root / "kb" / "faq.csv").write_text(FAQ_CSV, encoding="utf-8")
    (root / "kb" / "policy.md").write_text(POLICY_MD, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("KB_") and name != "KB_EVAL_DATA":
                patch.delenv(name)
        patch.chdir(root)
        settings = Settings(data_dir=root / "data")
        report = build_ingest_pipeline(settings, embedder=real_embedder).run([root / "kb"])
    assert not report.failures, report.failures
    return root / "data"
