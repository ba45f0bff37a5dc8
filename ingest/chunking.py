"""Chunking: documents into pieces the embedding model reads whole.

llama-index's `SentenceSplitter` does the splitting, counting tokens with the embedding
model's own tokenizer (no tiktoken). No chunk is longer than the chunk size, whatever the
source: an FAQ entry that fits stays one chunk (question and answer together, as written);
a longer one is split like any document, every piece led by its question so that each is
found by it, the first piece being the entry's lead. A document whose sections carry headings
(a PDF with section titles) is split one heading at a time, so that no chunk mixes two parts
of it, and each chunk is embedded after "title › heading", so that it is found by what its
part is about. Chunks of paginated documents keep the page range they span, for citations.
Long texts are split one window at a time, so time and memory grow in step with the text.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby

from kb_assistant.domain import Chunk, Document

log = logging.getLogger(__name__)

Tokenize = Callable[[str], Sequence[int]]
SPECIAL_TOKENS = 2  # [CLS] and [SEP], added by the model around every input
# Real text has 4–6 characters per token; a chunk with far more is a run of characters the
# tokenizer reads as one unknown token (a pasted blob), cut so it stays a passage.
MAX_CHARS_PER_TOKEN = 16
TITLE_SHARE = 3  # a title, repeated in front of every chunk, takes at most 1/3 of it
WINDOW_CHARS = 100_000  # text handed to the sentence splitter at once
_FAQ_LAYOUT = re.compile(r"Q: (?P<question>[^\n]*)\nA: ")
_CUTS = ("\n\n", "\n", ". ", " ")
HEADING_SEPARATOR = " › "


def chunk_key(doc_id: str) -> str:
    """A short, stable prefix for the ids of a document's chunks."""
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Piece:
    """A chunk's text, what is embedded for it, and where its text starts in the document."""

    text: str
    embed_text: str
    offset: int


class Chunker:
    """Splits documents into `Chunk`s of at most `chunk_tokens` model tokens."""

    def __init__(
        self,
        tokenize: Tokenize,
        *,
        chunk_tokens: int,
        chunk_overlap: int,
        max_tokens: int,
        window_chars: int = WINDOW_CHARS,
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
        self.max_chars = chunk_tokens * MAX_CHARS_PER_TOKEN
        self.window_chars = window_chars
        self._tokenize = tokenize
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
            pieces = self._faq_pieces(text, doc.title)
        elif any(section.heading for section in doc.sections):
            pieces = self._headed_pieces(doc)
        else:
            pieces = self._titled_pieces(text, doc.title)
        starts, pages = _page_offsets(doc)
        key = chunk_key(doc.id)
        return [
            Chunk(
                id=f"{key}-v{version}-{index}",
                doc_id=doc.id,
                index=index,
                text=piece.text,
                embed_text=piece.embed_text,
                page_start=_page_at(starts, pages, piece.offset),
                page_end=_page_at(starts, pages, piece.offset + max(len(piece.text) - 1, 0)),
            )
            for index, piece in enumerate(pieces)
        ]

    def fits(self, text: str) -> bool:
        """Whether `text` is within the chunk size (in tokens, and in characters)."""
        return len(text) <= self.max_chars and len(self._tokenize(text)) <= self.chunk_tokens

    def _faq_pieces(self, text: str, title: str) -> list[Piece]:
        """The entry whole when it fits; else pieces of its answer, each led by the question."""
        if self.fits(text):
            return [Piece(text, text, 0)]
        layout = _FAQ_LAYOUT.match(text)
        if layout is None:
            return self._titled_pieces(text, title)
        lead = f"Q: {self._bounded(layout['question'])}\nA: "
        answer = text[layout.end() :]
        return [
            Piece(lead + part, lead + part, layout.end() + offset)
            for part, offset in self._split(answer, lead)
        ]

    def _titled_pieces(self, text: str, title: str) -> list[Piece]:
        """Pieces of the text; each is embedded after the (bounded) title, for context."""
        title = self._bounded(title)
        prefix = f"{title}\n\n" if title else ""
        return [Piece(part, prefix + part, offset) for part, offset in self._split(text, prefix)]

    def _headed_pieces(self, doc: Document) -> list[Piece]:
        """Pieces of each run of sections under one heading, split on its own; each piece is
        embedded after the (bounded) "title › heading"."""
        pieces: list[Piece] = []
        start = 0
        sections = [section for section in doc.sections if section.text]
        for heading, run in groupby(sections, key=lambda section: section.heading):
            text = "\n\n".join(section.text for section in run)
            label = doc.title
            if heading and heading.casefold() not in doc.title.casefold():
                label = f"{doc.title}{HEADING_SEPARATOR}{heading}" if doc.title else heading
            pieces += [
                Piece(piece.text, piece.embed_text, start + piece.offset)
                for piece in self._titled_pieces(text, label)
            ]
            start += len(text) + 2  # sections are joined by a blank line
        return pieces

    def _bounded(self, title: str) -> str:
        """The title, cut at a word to a third of the chunk size so that text still fits."""
        limit = self.chunk_tokens // TITLE_SHARE
        longest = limit * MAX_CHARS_PER_TOKEN
        if len(title) <= longest and len(self._tokenize(title)) <= limit:
            return title
        low, high = 0, min(len(title), longest)
        while low < high:  # the longest start of the title within the limit, with "…"
            middle = (low + high + 1) // 2
            if len(self._tokenize(title[:middle] + "…")) <= limit:
                low = middle
            else:
                high = middle - 1
        start = title[:low]
        word_end = start.rfind(" ")
        return (start[:word_end] if word_end > low // 2 else start).rstrip() + "…"

    def _split(self, text: str, prefix: str) -> list[tuple[str, int]]:
        """Pieces of `text` with their offsets; `prefix` and each piece fit the chunk size."""
        parts: list[tuple[str, int]] = []
        for piece, offset in self._sentence_pieces(text, prefix):
            parts.extend((part, offset + inner) for part, inner in self._fit(piece, prefix))
        return parts

    def _sentence_pieces(self, text: str, prefix: str) -> Iterator[tuple[str, int]]:
        """The sentence splitter's pieces, one window at a time: a window's last piece is
        split again with the next window, so pieces do not break where windows do."""
        start = 0
        while True:
            end = _window_end(text, start, self.window_chars)
            window = text[start:end]
            pieces = _locate(self._splitter.split_text_metadata_aware(window, prefix), window)
            last, last_offset = pieces[-1] if pieces else ("", 0)
            if end < len(text) and last_offset > 0 and window.startswith(last, last_offset):
                yield from ((piece, start + offset) for piece, offset in pieces[:-1])
                start += last_offset
                continue
            yield from ((piece, start + offset) for piece, offset in pieces)
            if end >= len(text):
                return
            start = end

    def _fit(self, piece: str, prefix: str) -> list[tuple[str, int]]:
        """`piece` halved at a space until `prefix` + each part is within the chunk size.

        The splitter measures a piece as the sum of its parts, which a word cut in the
        middle can exceed; this makes the limit hold for what the model is given."""
        if len(piece) < 2 or (
            len(piece) <= self.max_chars
            and len(self._tokenize(prefix + piece)) <= self.chunk_tokens
        ):
            return [(piece, 0)]
        cut = _halfway(piece)
        head, tail = piece[:cut].rstrip(), piece[cut:].lstrip()
        skipped = len(piece) - cut - len(tail)
        parts = self._fit(head, prefix) if head else []
        if tail:
            parts += [(part, cut + skipped + inner) for part, inner in self._fit(tail, prefix)]
        return parts


def _window_end(text: str, start: int, size: int) -> int:
    """Where the window from `start` ends: after a paragraph, line, sentence or word break
    in its second half, else after `size` characters."""
    if len(text) - start <= size:
        return len(text)
    limit = start + size
    for separator in _CUTS:
        found = text.rfind(separator, start + size // 2, limit)
        if found >= 0:
            return found + len(separator)
    return limit


def _halfway(text: str) -> int:
    """A cut near the middle of `text`: at a space or line break, else exactly there."""
    middle = len(text) // 2
    before = max(text.rfind(" ", 0, middle), text.rfind("\n", 0, middle))
    if before > len(text) // 4:
        return before
    after = min((i for i in (text.find(" ", middle), text.find("\n", middle)) if i > 0), default=-1)
    return after if 0 < after < len(text) * 3 // 4 else middle


def _locate(pieces: Sequence[str], text: str) -> list[tuple[str, int]]:
    """Pieces with their offset in `text` (where the splitter normalised whitespace and a
    piece is not found as such, the previous piece's position stands in)."""
    located = []
    cursor = 0
    for piece in pieces:
        found = text.find(piece, cursor)
        if found < 0:
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
