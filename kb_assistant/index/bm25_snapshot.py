"""One immutable BM25 index of a visibility, as numpy arrays that load memory-mapped.

A snapshot keeps, per chunk, its id, text, metadata, length and term counts (document by
document), and the BM25 score of every (term, chunk) pair in compressed sparse columns (term
by term) for queries. Scores follow bm25s's default ("lucene") variant exactly, so a query
ranks as llama-index's BM25 retriever would.

`apply` derives the next snapshot from this one: only added or replaced chunks are
tokenized; the statistics every score depends on (document frequencies, the average length)
are then recomputed over the whole corpus in a few vectorised passes. An incremental run
therefore costs little beyond its change, at any corpus size.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kb_assistant.core.errors import KbError
from kb_assistant.index.bm25_terms import indexed_text, terms_of_many
from kb_assistant.ports import IndexRecord

FORMAT = 1
K1 = 1.5
B = 0.75
COMPACT_MIN_UNUSED = 10_000  # terms no chunk holds any more, before ids are renumbered

Ints = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float32]
Bytes = npt.NDArray[np.uint8]

_ARRAYS = ("doc_offsets", "doc_terms", "doc_tf", "doc_len", "data", "indices", "indptr")
_COLUMNS = ("ids", "texts", "metadata")


class SnapshotFormatError(KbError):
    """A folder that is not a keyword-index snapshot of this format."""


@dataclass(frozen=True)
class StringColumn:
    """Strings stored as one UTF-8 blob and offsets: cheap to filter, save and map."""

    blob: Bytes
    offsets: Ints

    @classmethod
    def of(cls, strings: Sequence[str]) -> StringColumn:
        encoded = [s.encode("utf-8") for s in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return bytes(self.blob[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))

    def keep(self, mask: npt.NDArray[np.bool_]) -> StringColumn:
        lengths = np.diff(self.offsets)
        offsets = np.zeros(int(mask.sum()) + 1, dtype=np.int64)
        np.cumsum(lengths[mask], out=offsets[1:])
        return StringColumn(np.asarray(self.blob[np.repeat(mask, lengths)]), offsets)

    def extend(self, other: StringColumn) -> StringColumn:
        offsets = np.concatenate([self.offsets, other.offsets[1:] + self.offsets[-1]])
        return StringColumn(np.concatenate([self.blob, other.blob]), offsets)


@dataclass(frozen=True)
class Snapshot:
    """Chunks, their term statistics and their BM25 scores; see the module docstring."""

    ids: StringColumn
    texts: StringColumn
    metadata: StringColumn
    vocabulary: dict[str, int]  # every term ever given an id in this lineage
    doc_offsets: Ints  # chunk i's terms are doc_terms[doc_offsets[i]:doc_offsets[i + 1]]
    doc_terms: Int32s  # distinct term ids, chunk by chunk
    doc_tf: Int32s  # how often each of those terms occurs in its chunk
    doc_len: Int32s  # each chunk's number of terms, repeats counted
    data: Floats  # BM25 scores, term by term (compressed sparse columns)
    indices: Int32s  # the chunk of each score
    indptr: Ints  # term t's scores are data[indptr[t]:indptr[t + 1]]

    @classmethod
    def empty(cls) -> Snapshot:
        none = StringColumn.of([])
        zero = np.zeros(1, dtype=np.int64)
        nothing = np.zeros(0, dtype=np.int32)
        return cls(
            none, none, none, {}, zero, nothing, nothing, nothing,
            np.zeros(0, dtype=np.float32), nothing, zero,
        )  # fmt: skip

    @property
    def size(self) -> int:
        return len(self.ids)

    def document_frequency(self, term_id: int) -> int:
        if term_id + 1 >= len(self.indptr):
            return 0
        return int(self.indptr[term_id + 1] - self.indptr[term_id])

    def known(self, term: str) -> bool:
        term_id = self.vocabulary.get(term)
        return term_id is not None and self.document_frequency(term_id) > 0

    def live_terms(self) -> Iterator[str]:
        """The terms at least one chunk contains."""
        return (
            term for term, term_id in self.vocabulary.items() if self.document_frequency(term_id)
        )

    def scores(self, query_terms: Sequence[str]) -> npt.NDArray[np.float64]:
        """Every chunk's BM25 score for these terms (a repeated term counts again)."""
        columns = [self.vocabulary[t] for t in query_terms if t in self.vocabulary]
        columns = [c for c in columns if c + 1 < len(self.indptr)]
        if not columns or not self.size:
            return np.zeros(self.size, dtype=np.float64)
        spans = [(int(self.indptr[c]), int(self.indptr[c + 1])) for c in columns]
        chunks = np.concatenate([self.indices[a:b] for a, b in spans])
        weights = np.concatenate([self.data[a:b] for a, b in spans]).astype(np.float64)
        summed = np.bincount(chunks, weights=weights, minlength=self.size)
        return summed.astype(np.float64, copy=False)

    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The best `k` chunks with a positive score, best first (ties: earlier chunk)."""
        scores = self.scores(query_terms)
        k = min(k, self.size)
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k] if k < self.size else np.arange(self.size)
        ranked = best[np.lexsort((best, -scores[best]))]
        return [(int(i), float(scores[i])) for i in ranked if scores[i] > 0.0]

    def apply(self, upserts: Sequence[IndexRecord], deletes: Collection[str]) -> Snapshot:
        """The snapshot after removing `deletes` and adding or replacing `upserts`."""
        replaced = set(deletes) | {record.id for record in upserts}
        keep = np.fromiter((i not in replaced for i in self.ids), dtype=bool, count=self.size)
        vocabulary = dict(self.vocabulary)
        new_offsets, new_terms, new_tf, new_len = _count_terms(upserts, vocabulary)
        lengths = np.diff(self.doc_offsets)
        kept_terms = np.repeat(keep, lengths)
        doc_offsets = np.zeros(int(keep.sum()) + len(upserts) + 1, dtype=np.int64)
        np.cumsum(np.concatenate([lengths[keep], np.diff(new_offsets)]), out=doc_offsets[1:])
        doc_terms = np.concatenate([self.doc_terms[kept_terms], new_terms]).astype(np.int32)
        doc_tf = np.concatenate([self.doc_tf[kept_terms], new_tf]).astype(np.int32)
        doc_len = np.concatenate([self.doc_len[keep], new_len]).astype(np.int32)
        doc_terms, vocabulary = _compact(doc_terms, vocabulary)
        data, indices, indptr = _score_columns(
            doc_offsets, doc_terms, doc_tf, doc_len, len(vocabulary)
        )
        column = StringColumn.of
        return Snapshot(
            ids=self.ids.keep(keep).extend(column([r.id for r in upserts])),
            texts=self.texts.keep(keep).extend(column([r.text for r in upserts])),
            metadata=self.metadata.keep(keep).extend(
                column([json.dumps(r.metadata, ensure_ascii=False) for r in upserts])
            ),
            vocabulary=vocabulary,
            doc_offsets=doc_offsets,
            doc_terms=doc_terms,
            doc_tf=doc_tf,
            doc_len=doc_len,
            data=data,
            indices=indices,
            indptr=indptr,
        )

    def record(self, i: int) -> IndexRecord:
        return IndexRecord(self.ids[i], self.texts[i], json.loads(self.metadata[i]))

    def save(self, folder: Path) -> None:
        """Write the snapshot into a new folder (the caller then points readers at it)."""
        folder.mkdir(parents=True)
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))
        for name in _COLUMNS:
            column: StringColumn = getattr(self, name)
            np.save(folder / f"{name}.blob.npy", column.blob)
            np.save(folder / f"{name}.offsets.npy", column.offsets)
        (folder / "vocabulary.json").write_text(
            json.dumps(self.vocabulary, ensure_ascii=False), encoding="utf-8"
        )
        # Written last: a folder without it is incomplete and never read.
        meta = {"format": FORMAT, "k1": K1, "b": B, "chunks": self.size}
        (folder / "snapshot.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Snapshot:
        """Map a saved snapshot (arrays are read from disk as they are used)."""
        try:
            meta = json.loads((folder / "snapshot.json").read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise SnapshotFormatError(f"{folder} is not a keyword-index snapshot") from exc
        if meta.get("format") != FORMAT:
            raise SnapshotFormatError(f"{folder}: snapshot format {meta.get('format')!r}")

        def mapped(name: str) -> Any:
            return np.load(folder / f"{name}.npy", mmap_mode="r")

        vocabulary = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
        fields: dict[str, Any] = {name: mapped(name) for name in _ARRAYS}
        for name in _COLUMNS:
            fields[name] = StringColumn(mapped(f"{name}.blob"), mapped(f"{name}.offsets"))
        return cls(vocabulary=vocabulary, **fields)


def _count_terms(
    records: Sequence[IndexRecord], vocabulary: dict[str, int]
) -> tuple[Ints, Int32s, Int32s, Int32s]:
    """Term ids and counts of each record, giving new terms the next free ids."""
    offsets = np.zeros(len(records) + 1, dtype=np.int64)
    terms: list[int] = []
    counts: list[int] = []
    lengths: list[int] = []
    for i, doc in enumerate(terms_of_many([indexed_text(r) for r in records])):
        frequency: dict[int, int] = {}
        for term in doc:
            term_id = vocabulary.setdefault(term, len(vocabulary))
            frequency[term_id] = frequency.get(term_id, 0) + 1
        terms.extend(frequency)
        counts.extend(frequency.values())
        lengths.append(len(doc))
        offsets[i + 1] = offsets[i] + len(frequency)
    return (
        offsets,
        np.asarray(terms, dtype=np.int32),
        np.asarray(counts, dtype=np.int32),
        np.asarray(lengths, dtype=np.int32),
    )


def _compact(doc_terms: Int32s, vocabulary: dict[str, int]) -> tuple[Int32s, dict[str, int]]:
    """Renumber the terms once most ids belong to terms no chunk contains any more."""
    present = np.bincount(doc_terms, minlength=len(vocabulary)) > 0
    unused = len(vocabulary) - int(present.sum())
    if unused < max(COMPACT_MIN_UNUSED, len(vocabulary) // 2):
        return doc_terms, vocabulary
    renumbered = np.cumsum(present) - 1
    kept = {term: int(renumbered[i]) for term, i in vocabulary.items() if present[i]}
    return renumbered[doc_terms].astype(np.int32), kept


def _score_columns(
    doc_offsets: Ints, doc_terms: Int32s, doc_tf: Int32s, doc_len: Int32s, vocabulary_size: int
) -> tuple[Floats, Int32s, Ints]:
    """BM25 ("lucene" variant, as bm25s) of every (term, chunk) pair, by term."""
    chunks = len(doc_len)
    if chunks == 0:
        empty = np.zeros(0, dtype=np.int32)
        return np.zeros(0, dtype=np.float32), empty, np.zeros(vocabulary_size + 1, np.int64)
    frequency = np.bincount(doc_terms, minlength=vocabulary_size).astype(np.float64)
    idf = np.where(
        frequency > 0, np.log1p((chunks - frequency + 0.5) / (frequency + 0.5)), 0.0
    ).astype(np.float32)
    average = float(doc_len.mean())
    owner = np.repeat(np.arange(chunks, dtype=np.int32), np.diff(doc_offsets))
    tf = doc_tf.astype(np.float64)
    norm = K1 * ((1 - B) + B * doc_len[owner].astype(np.float64) / average) if average else K1
    scores = (idf[doc_terms] * (tf / (norm + tf))).astype(np.float32)
    order = np.argsort(doc_terms, kind="stable")
    indptr = np.zeros(vocabulary_size + 1, dtype=np.int64)
    np.cumsum(frequency.astype(np.int64), out=indptr[1:])
    return scores[order], owner[order], indptr


def idf_weight(snapshot: Snapshot, term: str) -> float:
    """log((N + 1) / (df + 0.5)): a term no chunk contains weighs the most."""
    term_id = snapshot.vocabulary.get(term)
    frequency = 0 if term_id is None else snapshot.document_frequency(term_id)
    return math.log((snapshot.size + 1) / (frequency + 0.5))
