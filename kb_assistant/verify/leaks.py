"""Internal text in a customer answer: wording shared with tickets and agent notes.

The customer channel retrieves public passages only, but an answer could still carry internal
wording (an LLM that saw it elsewhere, a public passage quoting a ticket). A statement leaks
when it shares a run of `NGRAM` words with an internal chunk near it, unless the same run is
in a public passage the statement cites: agents' ticket replies often quote the public FAQ,
and repeating the FAQ is fine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from kb_assistant.core.text import STOPWORDS, words
from kb_assistant.ports import Embedder, VectorIndex

NGRAM = 6  # six words in a row are a quotation, not a common phrase


class InternalLookup(Protocol):
    """Finds the internal chunks nearest to a text."""

    def near(self, text: str, k: int) -> list[str]:
        """Texts of the `k` internal chunks nearest to `text`."""
        ...


class VectorInternalLookup:
    """`InternalLookup` over the internal collection of a vector index."""

    def __init__(self, embedder: Embedder, vectors: VectorIndex) -> None:
        self.embedder = embedder
        self.vectors = vectors

    def near(self, text: str, k: int) -> list[str]:
        if not text.strip() or self.vectors.count("internal") == 0:
            return []
        hits = self.vectors.query("internal", self.embedder.embed_query(text), k)
        return [hit.text for hit in hits]


def ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    """Runs of `n` normalised words of `text`, leaving out runs made only of stop words."""
    tokens = words(text)
    runs = (tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return {run for run in runs if any(token not in STOPWORDS for token in run)}


def shared_internal_ngram(
    text: str, internal: Iterable[str], public: Sequence[str], n: int = NGRAM
) -> str | None:
    """The first run of words `text` shares with an internal text and no `public` text."""
    own = ngrams(text, n)
    if not own:
        return None
    leaked: set[tuple[str, ...]] = set()
    for chunk in internal:
        leaked |= own & ngrams(chunk, n)
    for passage in public if leaked else ():
        leaked -= ngrams(passage, n)
    tokens = words(text)
    for start in range(len(tokens) - n + 1):
        if tuple(tokens[start : start + n]) in leaked:
            return " ".join(tokens[start : start + n])
    return None
