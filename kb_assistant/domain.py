"""Domain types shared by connectors, ingestion and the runtime.

Plain dataclasses with no behaviour beyond derived values, so that every layer
(connectors included) can import them without pulling in heavy dependencies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

Kind = Literal["faq", "pdf", "ticket"]
Visibility = Literal["public", "internal"]
FailureLevel = Literal["error", "warning"]

KINDS: tuple[Kind, ...] = get_args(Kind)
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)

DEFAULT_VISIBILITY: dict[Kind, Visibility] = {
    "faq": "public",
    "pdf": "public",
    "ticket": "internal",
}

# Who is asking: a customer (public knowledge only) or a support agent (internal too).
Channel = Literal["customer", "agent"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
CHANNEL_VISIBILITIES: dict[Channel, tuple[Visibility, ...]] = {
    "customer": ("public",),
    "agent": ("public", "internal"),
}


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a text, the content hash used throughout the index."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def source_key(doc_id: str) -> str:
    """An opaque, stable key of a document (its id, hashed): shown with a citation, it tells
    which document a passage came from without revealing where the source file lives."""
    return sha256_text(doc_id)[:16]


@dataclass(frozen=True)
class Section:
    """A contiguous piece of a document's text; `page` is set for paginated sources (1-based).

    `heading` names the part of the document the text is under, where the source has
    headings (a PDF's section titles): the section's own heading, after the one it sits under
    where there is one ("8. Product warranty › 8.1 What is covered").
    """

    text: str
    page: int | None = None
    heading: str | None = None


@dataclass
class Document:
    """One unit of knowledge read from a source: a FAQ entry, a PDF file, a ticket.

    `id` is stable across runs (source kind + file path + key inside the file), so a
    re-run can tell new, changed, unchanged and removed documents apart.
    `source` is the absolute path of the file the document came from; `location` is
    what a citation shows (URL, or file name with page range).
    `people` names persons mentioned in the source's metadata (a ticket's requester);
    they are redacted from the text and never stored.
    """

    id: str
    title: str
    sections: list[Section]
    kind: Kind
    visibility: Visibility
    source: str
    location: str
    url: str | None = None
    updated_at: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    people: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections if s.text)

    @property
    def content_hash(self) -> str:
        """Hash of the source content: title, text and page layout."""
        pages = ",".join(str(s.page) for s in self.sections)
        return sha256_text(f"{self.title}\x00{pages}\x00{self.text}")


@dataclass(frozen=True)
class DocumentFailure:
    """A per-document (or per-file) problem, returned as data instead of raised.

    `level="error"` means content that should have been indexed was not;
    `level="warning"` means there was nothing to index (an empty file, say).
    """

    source: str
    error: str
    level: FailureLevel = "error"


@dataclass
class LoadResult:
    """What a connector read from one file: its documents and its failures."""

    source: str
    documents: list[Document] = field(default_factory=list)
    failures: list[DocumentFailure] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when the file was read without errors, so documents missing from it are gone."""
        return not any(f.level == "error" for f in self.failures)


@dataclass(frozen=True)
class Chunk:
    """A piece of a document sized for the embedding model, ready to be indexed."""

    id: str
    doc_id: str
    index: int
    text: str
    embed_text: str
    page_start: int | None = None
    page_end: int | None = None

    @property
    def content_hash(self) -> str:
        return sha256_text(self.embed_text)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with what a citation needs."""

    chunk_id: str
    doc_id: str
    text: str
    title: str
    kind: str
    visibility: str
    location: str
    url: str | None
    page_start: int | None
    page_end: int | None
    score: float


def cite(passage: Passage) -> str:
    """How a passage is cited: its URL, or its location with the page range."""
    if passage.url:
        return passage.url
    if passage.page_start is None:
        return passage.location
    if passage.page_end is None or passage.page_end == passage.page_start:
        return f"{passage.location}, p. {passage.page_start}"
    return f"{passage.location}, pp. {passage.page_start}–{passage.page_end}"
