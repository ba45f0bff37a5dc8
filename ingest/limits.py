"""Size limits of ingestion: the largest file read and the largest document indexed.

A source file or a document far larger than any real FAQ, manual or ticket (a runaway
export, a log pasted into an answer) would take minutes and gigabytes to chunk and embed and
then slow every question down. Such input is refused with a failure that says what to do;
the rest of the batch goes in, and what the index already holds for it keeps answering.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connectors.text_io import source_of
from kb_assistant.domain import Document, DocumentFailure, LoadResult

MIB = 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 100 * MIB
# About 500 pages of dense text: a long policy PDF fits, a runaway export does not.
DEFAULT_MAX_DOCUMENT_CHARS = 2_000_000


def document_chars(doc: Document) -> int:
    """Characters of the document's text (its sections joined), without building that text."""
    texts = [section.text for section in doc.sections if section.text]
    return sum(len(text) for text in texts) + 2 * max(len(texts) - 1, 0)


def _size(size: float) -> str:
    """A byte count for people: "512 bytes", "40.0 KB", "52.4 MB" (binary units)."""
    if size < 1024:
        return f"{size:,.0f} bytes"
    if size < MIB:
        return f"{size / 1024:,.1f} KB"
    return f"{size / MIB:,.1f} MB"


def _short(text: str, length: int = 80) -> str:
    text = " ".join(text[: length * 4].split())
    return text if len(text) <= length else text[: length - 1] + "…"


@dataclass(frozen=True)
class SizeLimits:
    """The largest file (bytes) ingestion reads and the largest document (characters) it
    indexes; both are checked before any cleaning, chunking or embedding."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS

    @classmethod
    def of(cls, max_file_mb: float, max_document_chars: int) -> SizeLimits:
        """Limits as the settings give them (`KB_MAX_FILE_MB`, `KB_MAX_DOCUMENT_CHARS`)."""
        return cls(int(max_file_mb * MIB), max_document_chars)

    def check_file(self, path: Path) -> DocumentFailure | None:
        """A failure for a file over the size limit, found by its size alone (nothing is read);
        None when it is within the limit or cannot be looked at (reading then reports why)."""
        try:
            size = path.stat().st_size
        except OSError:
            return None
        if size <= self.max_file_bytes:
            return None
        message = (
            f"{path.name}: {_size(size)}, over the limit of {_size(self.max_file_bytes)} per "
            f"file (KB_MAX_FILE_MB); not read. Split it into smaller files or raise "
            f"KB_MAX_FILE_MB; what is indexed from it stays as it was"
        )
        return DocumentFailure(source_of(path), message)

    def check_document(self, doc: Document) -> DocumentFailure | None:
        """A failure for a document whose text is over the limit; None when it fits."""
        chars = document_chars(doc)
        if chars <= self.max_document_chars:
            return None
        message = (
            f"{_short(doc.title)!r} ({_short(doc.location)}): {chars:,} characters, over the "
            f"limit of {self.max_document_chars:,} per document (KB_MAX_DOCUMENT_CHARS); not "
            f"indexed. Split it into smaller documents (for an FAQ, shorter answers or more "
            f"entries) or raise KB_MAX_DOCUMENT_CHARS; its indexed version, if any, stays as "
            f"it was"
        )
        return DocumentFailure(doc.source, message)

    def screen(self, result: LoadResult) -> None:
        """Move the documents over the limit out of `result`, each as an error, so that the
        file counts as incomplete and none of its indexed documents is taken for gone."""
        kept: list[Document] = []
        for doc in result.documents:
            failure = self.check_document(doc)
            if failure is None:
                kept.append(doc)
            else:
                result.failures.append(failure)
        result.documents[:] = kept
