"""Keyword index: llama-index's BM25 retriever (bm25s + English stemming), persisted on disk.

BM25 cannot be updated in place, so a change rebuilds the visibility's index from the
vector index's records into a fresh folder and then flips a pointer file atomically;
a reader never sees a half-written index.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kb_assistant.domain import Visibility
from kb_assistant.ports import Hit, IndexRecord

log = logging.getLogger(__name__)
TYPO_MIN_LENGTH = 5  # shorter words are too easily one edit from another word

# Metadata copied into the keyword index: what a passage needs to be cited.
_KEPT_METADATA = (
    "doc_id",
    "title",
    "kind",
    "visibility",
    "location",
    "url",
    "page_start",
    "page_end",
)


class Bm25Index:
    """`KeywordIndex` adapter; one persisted BM25 index per visibility under `directory`."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._loaded: dict[str, tuple[str, Any]] = {}
        self._deletions: dict[str, tuple[str, dict[str, None]]] = {}

    def rebuild(self, visibility: Visibility, records: Iterable[IndexRecord]) -> int:
        from llama_index.core.schema import TextNode

        BM25Retriever = _retriever_class()

        nodes = [_to_node(TextNode, record) for record in records]
        self._directory.mkdir(parents=True, exist_ok=True)
        if not nodes:
            self._switch(visibility, None)
            return 0
        retriever = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=10)
        folder = f"{visibility}-{time.time_ns()}"
        retriever.persist(str(self._directory / folder), show_progress=False)
        self._switch(visibility, folder)
        return len(nodes)

    def query(self, visibility: Visibility, text: str, k: int) -> list[Hit]:
        retriever = self._retriever(visibility)
        if retriever is None or k <= 0 or not text.strip():
            return []
        retriever.similarity_top_k = min(k, self.count(visibility))
        hits = []
        for scored in retriever.retrieve(text):
            score = float(scored.score or 0.0)
            if score <= 0.0:  # bm25s pads the top-k with non-matching documents
                continue
            node = scored.node
            hits.append(
                Hit(id=node.node_id, score=score, text=node.get_content(), metadata=node.metadata)
            )
        return hits

    def unknown_terms(self, visibility: Visibility, text: str) -> set[str]:
        retriever = self._retriever(visibility)
        if retriever is None:
            return {word.lower() for word in text.split() if word.strip()}
        vocabulary = retriever.bm25.vocab_dict
        unknown = {token for token in _tokens(retriever, text) if token not in vocabulary}
        if not unknown:
            return unknown
        near = self._near_words(visibility, retriever)
        return {token for token in unknown if not _one_edit_from(token, near)}

    def weighted_coverage(self, visibility: Visibility, question: str, text: str) -> float:
        """The share of the question's words, weighted by how rare each is in this index
        (inverse document frequency), that `text` contains. A passage that lacks the one
        rare word a question hinges on ("free *trial* of Plus") scores low even when it
        shares the common ones."""
        retriever = self._retriever(visibility)
        if retriever is None:
            return 0.0
        wanted = set(_tokens(retriever, question))
        if not wanted:
            return 0.0
        present = set(_tokens(retriever, text))
        weights = {token: self._idf(retriever, token) for token in wanted}
        total = sum(weights.values())
        return sum(w for token, w in weights.items() if token in present) / total

    @staticmethod
    def _idf(retriever: Any, token: str) -> float:
        """log((N + 1) / (df + 0.5)): a word no chunk contains weighs the most."""
        scores = retriever.bm25.scores
        documents = int(scores["num_docs"])
        token_id = retriever.bm25.vocab_dict.get(token)
        indptr = scores["indptr"]
        frequency = 0
        if token_id is not None and token_id + 1 < len(indptr):
            frequency = int(indptr[token_id + 1] - indptr[token_id])
        return math.log((documents + 1) / (frequency + 0.5))

    def _near_words(self, visibility: Visibility, retriever: Any) -> dict[str, None]:
        """Every vocabulary word with one letter deleted, for typo-tolerant lookups."""
        folder = self._loaded[visibility][0]
        cached = self._deletions.get(visibility)
        if cached is not None and cached[0] == folder:
            return cached[1]
        deletions: dict[str, None] = {}
        for word in retriever.bm25.vocab_dict:
            if isinstance(word, str) and len(word) >= TYPO_MIN_LENGTH:
                deletions[word] = None
                for i in range(len(word)):
                    deletions[word[:i] + word[i + 1 :]] = None
        self._deletions[visibility] = (folder, deletions)
        return deletions

    def count(self, visibility: Visibility) -> int:
        retriever = self._retriever(visibility)
        return 0 if retriever is None else len(retriever.corpus)

    def reset(self) -> None:
        if self._directory.exists():
            shutil.rmtree(self._directory)
        self._loaded.clear()

    def _retriever(self, visibility: Visibility) -> Any:
        folder = self._current(visibility)
        if folder is None:
            return None
        cached = self._loaded.get(visibility)
        if cached is not None and cached[0] == folder:
            return cached[1]
        retriever = _retriever_class().from_persist_dir(
            str(self._directory / folder), show_progress=False
        )
        self._loaded[visibility] = (folder, retriever)
        return retriever

    def _pointer(self, visibility: Visibility) -> Path:
        return self._directory / f"{visibility}.current"

    def _current(self, visibility: Visibility) -> str | None:
        try:
            folder = self._pointer(visibility).read_text().strip()
        except FileNotFoundError:
            return None
        return folder if folder and (self._directory / folder).is_dir() else None

    def _switch(self, visibility: Visibility, folder: str | None) -> None:
        """Point readers at `folder` atomically, then remove older builds."""
        pointer = self._pointer(visibility)
        if folder is None:
            pointer.unlink(missing_ok=True)
        else:
            tmp = pointer.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(folder)
            os.replace(tmp, pointer)
        for old in self._directory.glob(f"{visibility}-*"):
            if old.name != folder and old.is_dir():
                with contextlib.suppress(OSError):
                    shutil.rmtree(old)
        self._loaded.pop(visibility, None)


def _one_edit_from(word: str, deletions: dict[str, None]) -> bool:
    """Whether `word` is one insertion, deletion or substitution away from a vocabulary word
    (a symmetric-deletion lookup: "kettel", "adress", "warrenty" are known words)."""
    if len(word) < TYPO_MIN_LENGTH:
        return False
    if word in deletions:
        return True
    return any(word[:i] + word[i + 1 :] in deletions for i in range(len(word)))


def _tokens(retriever: Any, text: str) -> list[str]:
    """`text` tokenised the way the index was: stop words out, stemmed."""
    import bm25s

    tokens = bm25s.tokenize(
        text,
        stopwords="en",
        stemmer=retriever.stemmer,
        token_pattern=retriever.token_pattern,
        return_ids=False,
        show_progress=False,
    )
    return [token for token in tokens[0] if token]


def _retriever_class() -> Any:
    from llama_index.retrievers.bm25 import BM25Retriever

    # bm25s forces its logger to DEBUG on import; let the application's configuration decide.
    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return BM25Retriever


def _to_node(node_type: Any, record: IndexRecord) -> Any:
    metadata = {key: record.metadata[key] for key in _KEPT_METADATA if key in record.metadata}
    return node_type(
        id_=record.id,
        text=record.text,
        metadata=metadata,
        # Only the title joins the text in the index; other fields are for citations.
        excluded_embed_metadata_keys=[key for key in metadata if key != "title"],
        excluded_llm_metadata_keys=list(metadata),
    )
