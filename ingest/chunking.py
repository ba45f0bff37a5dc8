"""Chunking: documents into pieces the embedding model reads whole.

llama-index's `SentenceSplitter` does the splitting, counting tokens with the embedding
model's own tokenizer (no tiktoken), so a chunk never exceeds what the model reads.
FAQ entries stay whole: one question and its answer are one chunk. Chunks of paginated
documents keep the page range they span, for citations.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
from collections.abc import Callable, Sequence

from kb_assistant.domain import Chunk, Document

log = logging.getLogger(__name__)

Tokenize = Callable[[str], Sequence[int]]
SPECIAL_TOKENS = 2  # [CLS] and [SEP], added by the model around every input


def chunk_key(doc_id: str) -> str:
    """A short, stable prefix for the ids of a document's chunks."""
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:20]


class Chunker:
    """Splits documents into `Chunk`s of at most `chunk_tokens` model tokens."""

    def __init__(
        self, tokenize: Tokenize, *, chunk_tokens: int, chunk_overlap: int, max_tokens: int
    ) -> None:
        from llama_index.core.node_parser import SentenceSplitter

        limit = max_tokens - SPECIAL_TOKENS
        if chunk_tokens > limit:
            log.warning(
                "chunk size %d exceeds what the model reads (%d tokens); using %d",
                chunk_tokens,
                limit,
                limit,
            )
            chunk_tokens = limit
        self.chunk_tokens = chunk_tokens
        self.chunk_overlap = min(chunk_overlap, chunk_tokens // 2)
        self._splitter = SentenceSplitter(
            chunk_size=chunk_tokens,
            chunk_overlap=self.chunk_overlap,
            tokenizer=tokenize,
        )

    @property
    def config(self) -> str:
        """What, besides the content, decides the chunks (part of each document's fingerprint)."""
        return f"tokens={self.chunk_tokens},overlap={self.chunk_overlap}"

    def chunk(self, doc: Document, version: int) -> list[Chunk]:
        """The document's chunks; ids combine the document key, its version and the position."""
        text = doc.text
        if not text.strip():
            return []
        if doc.kind == "faq":
            pieces = [(text, 0)]
            embed_prefix = ""
        else:
            pieces = self._split(text, doc.title)
            embed_prefix = f"{doc.title}\n\n" if doc.title else ""
        starts, pages = _page_offsets(doc)
        key = chunk_key(doc.id)
        chunks = []
        for index, (piece, offset) in enumerate(pieces):
            page_start = _page_at(starts, pages, offset)
            page_end = _page_at(starts, pages, offset + max(len(piece) - 1, 0))
            chunks.append(
                Chunk(
                    id=f"{key}-v{version}-{index}",
                    doc_id=doc.id,
                    index=index,
                    text=piece,
                    embed_text=embed_prefix + piece,
                    page_start=page_start,
                    page_end=page_end,
                )
            )
        return chunks

    def _split(self, text: str, title: str) -> list[tuple[str, int]]:
        """Pieces with their character offset in `text` (the title's tokens are reserved)."""
        pieces = self._splitter.split_text_metadata_aware(text, metadata_str=title)
        located = []
        cursor = 0
        for piece in pieces:
            found = text.find(piece, cursor)
            if found < 0:  # whitespace was normalised by the splitter: keep the last position
                found = cursor
            located.append((piece, found))
            cursor = found + 1
        return located


def _page_offsets(doc: Document) -> tuple[list[int], list[int | None]]:
    """Start offset (in `doc.text`) and page number of every non-empty section."""
    starts: list[int] = []
    pages: list[int | None] = []
    offset = 0
    for section in doc.sections:
        if not section.text:
            continue
        starts.append(offset)
        pages.append(section.page)
        offset += len(section.text) + 2  # sections are joined by a blank line
    return starts, pages


def _page_at(starts: list[int], pages: list[int | None], offset: int) -> int | None:
    if not starts:
        return None
    return pages[max(bisect.bisect_right(starts, offset) - 1, 0)]
