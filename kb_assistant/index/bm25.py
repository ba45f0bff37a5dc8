"""Keyword index: BM25 over bm25s's English terms, one snapshot folder per visibility.

A change writes a new snapshot folder (see `bm25_snapshot`) and then flips a pointer file
atomically; a reader never sees a half-written index, and readers in other processes map
the arrays from disk instead of each holding a copy. `update` tokenizes only what changed;
`rebuild` starts over from the vector index's records.

An index written before snapshots existed (llama-index's BM25 retriever folder) is still
read, converted in memory, and written in the new format by the next change.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from kb_assistant.domain import Visibility
from kb_assistant.index.bm25_snapshot import Snapshot, SnapshotFormatError, idf_weight
from kb_assistant.index.bm25_terms import terms
from kb_assistant.ports import Hit, IndexRecord

log = logging.getLogger(__name__)
TYPO_MIN_LENGTH = 5  # shorter words are too easily one edit from another word
_OPEN_ATTEMPTS = 3  # a writer may replace the folder between reading the pointer and opening it

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
    """`KeywordIndex` adapter; one snapshot per visibility under `directory`."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._loaded: dict[str, tuple[str, Snapshot]] = {}
        self._deletions: dict[str, tuple[str, dict[str, None]]] = {}

    def rebuild(self, visibility: Visibility, records: Iterable[IndexRecord]) -> int:
        return self._write(visibility, Snapshot.empty().apply([_kept(r) for r in records], ()))

    def update(
        self, visibility: Visibility, upserts: Sequence[IndexRecord], deletes: Collection[str]
    ) -> int:
        snapshot = self._snapshot(visibility) or Snapshot.empty()
        return self._write(visibility, snapshot.apply([_kept(r) for r in upserts], deletes))

    def query(self, visibility: Visibility, text: str, k: int) -> list[Hit]:
        snapshot = self._snapshot(visibility)
        if snapshot is None or k <= 0 or not text.strip():
            return []
        hits = []
        for i, score in snapshot.top(terms(text), k):
            record = snapshot.record(i)
            hits.append(Hit(id=record.id, score=score, text=record.text, metadata=record.metadata))
        return hits

    def unknown_terms(self, visibility: Visibility, text: str) -> set[str]:
        snapshot = self._snapshot(visibility)
        if snapshot is None or not snapshot.size:
            return {word.lower() for word in text.split() if word.strip()}
        unknown = {term for term in terms(text) if not snapshot.known(term)}
        if not unknown:
            return unknown
        near = self._near_words(visibility, snapshot)
        return {term for term in unknown if not _one_edit_from(term, near)}

    def weighted_coverage(self, visibility: Visibility, question: str, text: str) -> float:
        """The share of the question's words, weighted by how rare each is in this index
        (inverse document frequency), that `text` contains. A passage that lacks the one
        rare word a question hinges on ("free *trial* of Plus") scores low even when it
        shares the common ones."""
        snapshot = self._snapshot(visibility)
        if snapshot is None or not snapshot.size:
            return 0.0
        wanted = set(terms(question))
        if not wanted:
            return 0.0
        present = set(terms(text))
        weights = {term: idf_weight(snapshot, term) for term in wanted}
        total = sum(weights.values())
        return sum(w for term, w in weights.items() if term in present) / total

    def missing_terms(self, visibility: Visibility, question: str, text: str) -> dict[str, float]:
        """The question's words (as the customer wrote them) whose term `text` lacks, each
        with the term's rarity in this index (inverse document frequency scaled to 0–1: 1
        for a word no chunk contains). Stop words have no term and are never missing."""
        snapshot = self._snapshot(visibility)
        present = set(terms(text))
        near = _deletion_index(present)
        ceiling = math.log((snapshot.size + 1) / 0.5) if snapshot is not None else 0.0
        missing: dict[str, float] = {}
        for word in dict.fromkeys(question.lower().split()):
            word = word.strip(".,!?;:()\"'“”‘’")
            found = terms(word)
            if not found or found[0] in present or _one_edit_from(found[0], near):
                continue  # a typo of a word the text has ("parcle") is not missing
            if snapshot is None or not snapshot.size:
                missing[word] = 1.0
            else:
                missing[word] = idf_weight(snapshot, found[0]) / ceiling
        return missing

    def count(self, visibility: Visibility) -> int:
        snapshot = self._snapshot(visibility)
        return 0 if snapshot is None else snapshot.size

    def ids(self, visibility: Visibility) -> set[str]:
        """Every chunk id in the visibility's index (for consistency checks)."""
        snapshot = self._snapshot(visibility)
        return set() if snapshot is None else set(snapshot.ids)

    def reset(self) -> None:
        if self._directory.exists():
            shutil.rmtree(self._directory)
        self._loaded.clear()

    def _near_words(self, visibility: Visibility, snapshot: Snapshot) -> dict[str, None]:
        """Every indexed term with one letter deleted, for typo-tolerant lookups."""
        folder = self._loaded[visibility][0]
        cached = self._deletions.get(visibility)
        if cached is not None and cached[0] == folder:
            return cached[1]
        deletions = _deletion_index(snapshot.live_terms())
        self._deletions[visibility] = (folder, deletions)
        return deletions

    def _write(self, visibility: Visibility, snapshot: Snapshot) -> int:
        self._directory.mkdir(parents=True, exist_ok=True)
        if not snapshot.size:
            self._switch(visibility, None)
            return 0
        folder = f"{visibility}-{time.time_ns()}"
        snapshot.save(self._directory / folder)
        self._switch(visibility, folder)
        self._loaded[visibility] = (folder, snapshot)
        return snapshot.size

    def _snapshot(self, visibility: Visibility) -> Snapshot | None:
        for attempt in range(_OPEN_ATTEMPTS):
            folder = self._current(visibility)
            if folder is None:
                return None
            cached = self._loaded.get(visibility)
            if cached is not None and cached[0] == folder:
                return cached[1]
            try:
                snapshot = _open(self._directory / folder)
            except FileNotFoundError:
                if attempt + 1 == _OPEN_ATTEMPTS:
                    raise
                continue  # replaced meanwhile: read the pointer again
            self._loaded[visibility] = (folder, snapshot)
            return snapshot
        return None

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


def _deletion_index(words: Iterable[str]) -> dict[str, None]:
    """Every word of typo length, and each with one letter deleted: the dictionary side of
    a symmetric-deletion lookup (`_one_edit_from`)."""
    deletions: dict[str, None] = {}
    for word in words:
        if len(word) >= TYPO_MIN_LENGTH:
            deletions[word] = None
            for i in range(len(word)):
                deletions[word[:i] + word[i + 1 :]] = None
    return deletions


def _kept(record: IndexRecord) -> IndexRecord:
    """The record with only the metadata a citation needs."""
    metadata = {key: record.metadata[key] for key in _KEPT_METADATA if key in record.metadata}
    return IndexRecord(record.id, record.text, metadata)


def _open(folder: Path) -> Snapshot:
    try:
        return Snapshot.load(folder)
    except SnapshotFormatError:
        if not (folder / "retriever.json").exists():
            raise
    log.warning(
        "keyword index %s is in the format of an earlier release; it is converted in memory "
        "until the next ingest or re-index run writes it anew",
        folder,
    )
    return Snapshot.empty().apply(_legacy_records(folder), ())


def _legacy_records(folder: Path) -> list[IndexRecord]:
    """The chunks of a folder written by llama-index's BM25 retriever."""
    from llama_index.core.vector_stores.utils import metadata_dict_to_node

    records = []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            node = metadata_dict_to_node(json.loads(line))
            records.append(_kept(IndexRecord(node.node_id, node.get_content(), node.metadata)))
    return records
