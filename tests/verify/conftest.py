"""Demo knowledge-base documents and passages for the verifier tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors import ConnectorOptions, read_sources
from kb_assistant.core.text import split_sentences
from kb_assistant.domain import Document, Passage
from tests.conftest import DEMO_KB

PassageOf = Callable[[str], Passage]


@pytest.fixture(scope="session")
def demo_documents() -> list[Document]:
    """Every document of the demo knowledge base, as the connectors read it."""
    results = read_sources([DEMO_KB], None, None, ConnectorOptions())
    return [doc for result in results for doc in result.documents]


@pytest.fixture(scope="session")
def public_sentences(demo_documents: list[Document]) -> list[str]:
    """Every sentence of the demo FAQ, billing CSV and PDF manuals."""
    return [
        sentence
        for doc in demo_documents
        if doc.visibility == "public"
        for sentence in split_sentences(doc.text)
    ]


def as_passage(doc: Document, text: str | None = None) -> Passage:
    return Passage(
        chunk_id=f"{doc.id}-0",
        doc_id=doc.id,
        text=doc.text if text is None else text,
        title=doc.title,
        kind=doc.kind,
        visibility=doc.visibility,
        location=doc.location,
        url=doc.url,
        page_start=None,
        page_end=None,
        score=1.0,
    )


@pytest.fixture(scope="session")
def passage_of(demo_documents: list[Document]) -> PassageOf:
    """The demo passage whose title starts with the given text (a FAQ question, a ticket)."""

    def find(title: str) -> Passage:
        matches = [doc for doc in demo_documents if doc.title.startswith(title)]
        assert len(matches) == 1, f"{len(matches)} documents titled {title!r}"
        return as_passage(matches[0])

    return find
