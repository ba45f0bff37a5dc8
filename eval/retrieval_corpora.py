"""Evaluation corpora for retrieval: the datasets, indexed by the product and by a baseline.

- StackFAQ: web-app FAQ threads read by the product's own FAQ connector (each answer is a
  document carrying its thread's `faq_id`); queries are human rephrasings, one gold FAQ each.
- E-Manual: sections of a Samsung Smart TV manual as manual documents (`section_id`);
  questions name one or more gold sections (repeated sections share a title).

The product index is built with the real ingest parts: cleaning, redaction, the configured
chunker and the index writer (Chroma + BM25, with the metadata a live index has). The
baseline is llama-index's default pipeline over the same documents and the same model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors import ConnectorOptions
from connectors.registry import load_file
from eval.datasets import read_jsonl, stackfaq_faqs
from eval.retrieval_metrics import Query
from ingest.clean import clean_document
from ingest.reader import Pending
from ingest.report import IngestReport
from kb_assistant.composition import build_ingest_pipeline
from kb_assistant.domain import Document, Section
from kb_assistant.fusion import text_overlap
from kb_assistant.ports import Embedder, Vector
from kb_assistant.settings import Settings

DATASETS = ("stackfaq", "emanual")
NEAR_DUPLICATE = 0.8  # the threshold of `kb_assistant.fusion.collapse_near_duplicates`


class CachedQueryEmbedder:
    """An `Embedder` that embeds each distinct query once and records how long that took.

    The model is deterministic, so reusing a query's vector changes no result; the recorded
    time is added back to the latency of every retriever that embeds.
    """

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.seconds: dict[str, float] = {}
        self._vectors: dict[str, Vector] = {}

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    def tokenize(self, text: str) -> list[int]:
        return self.inner.tokenize(text)

    def embed_documents(self, texts: Sequence[str]) -> Vector:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vector:
        vector = self._vectors.get(text)
        if vector is None:
            started = time.perf_counter()
            vector = self.inner.embed_query(text)
            self.seconds[text] = time.perf_counter() - started
            self._vectors[text] = vector
        return vector

    def prime(self, texts: Iterable[str]) -> dict[str, float]:
        """Embed every query now (one at a time, as a live search would); seconds per query."""
        for text in texts:
            self.embed_query(text)
        return self.seconds


@dataclass
class Dataset:
    """Documents to index and queries with their gold units (`unit_key` in doc metadata)."""

    name: str
    title: str
    documents: list[Document]
    queries: list[Query]
    unit_key: str

    def limited(self, limit: int | None) -> Dataset:
        """The same corpus with at most `limit` queries, spread evenly over the query file."""
        if limit is None or limit >= len(self.queries):
            return self
        step = len(self.queries) / max(limit, 1)
        picked = [self.queries[int(i * step)] for i in range(max(limit, 0))]
        return Dataset(self.name, self.title, self.documents, picked, self.unit_key)


def load_stackfaq(root: Path, options: ConnectorOptions) -> Dataset:
    """StackFAQ through the product's FAQ connector: one document per answer."""
    result = load_file(stackfaq_faqs(root), None, None, options)
    if result.failures:
        raise RuntimeError(f"StackFAQ could not be read: {result.failures[0].error}")
    queries = [
        Query(q["query"], frozenset({q["gold_faq_id"]}))
        for q in read_jsonl(root / "stackfaq" / "queries.jsonl")
    ]
    return Dataset("stackfaq", "StackFAQ", result.documents, queries, "faq_id")


def load_emanual(root: Path) -> Dataset:
    """E-Manual QA: one public manual document per section, questions with gold sections."""
    folder = root / "emanual_qa"
    path = folder / "smart_tv_manual_sections.jsonl"
    documents = [
        Document(
            id=f"manual:{path.name}#{s['section_id']}",
            title=s["title"],
            sections=[Section(s["text"])],
            kind="pdf",
            visibility="public",
            source=str(path),
            location=f"{path.name} › {s['title']}",
            metadata={"section_id": s["section_id"]},
        )
        for s in read_jsonl(path)
    ]
    unit_of = copy_groups(documents)
    for document in documents:
        document.metadata["unit"] = unit_of[document.id]
    queries = [
        Query(
            q["question"],
            frozenset(unit_of[f"manual:{path.name}#{g}"] for g in q["gold_section_ids"]),
        )
        for q in read_jsonl(folder / "smart_tv_qa.jsonl")
    ]
    return Dataset("emanual", "E-Manual (Samsung Smart TV)", documents, queries, "unit")


def copy_groups(documents: Sequence[Document]) -> dict[str, str]:
    """Document id → the id of its unit: copies of one section (same title, near-identical
    text by the retriever's own near-duplicate measure) are one unit, so finding either copy
    finds the section and a second copy adds nothing."""
    unit_of: dict[str, str] = {}
    by_title: dict[str, list[Document]] = {}
    for document in documents:
        by_title.setdefault(document.title, []).append(document)
    for group in by_title.values():
        for i, document in enumerate(group):
            original = next(
                (
                    unit_of[earlier.id]
                    for earlier in group[:i]
                    if text_overlap(earlier.text, document.text) >= NEAR_DUPLICATE
                ),
                str(document.metadata["section_id"]),
            )
            unit_of[document.id] = original
    return unit_of


def load_dataset(name: str, root: Path, options: ConnectorOptions) -> Dataset:
    if name == "stackfaq":
        return load_stackfaq(root, options)
    if name == "emanual":
        return load_emanual(root)
    raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


def isolated_settings(settings: Settings, data_dir: Path) -> Settings:
    """The user's model, chunking and retrieval settings, with every store in `data_dir`."""
    return settings.model_copy(
        update={"data_dir": data_dir, "chroma_url": None, "chroma_path": None, "database_url": ""}
    )


@dataclass
class IndexStats:
    """What indexing produced: chunk id → unit, counts and time."""

    unit_of: dict[str, str]
    documents: int
    chunks: int
    seconds: float


def build_product_index(settings: Settings, embedder: Embedder, dataset: Dataset) -> IndexStats:
    """Index the documents into `settings.data_dir` the way ingestion does.

    Same steps as the pipeline's reader and writer (clean, redact, chunk, embed, write
    Chroma and BM25), starting from documents because not every dataset is a file a
    connector reads.
    """
    started = time.perf_counter()
    pipeline = build_ingest_pipeline(settings, embedder=embedder)
    pending = []
    for doc in dataset.documents:
        cleaned, _ = pipeline.redactor.redact_document(clean_document(doc))
        chunks = pipeline.chunker.chunk(cleaned, 1)
        if chunks:
            pending.append(Pending(cleaned, chunks, fingerprint=doc.content_hash, previous=None))
    run_id = pipeline.manifest.start_run([f"eval:{dataset.name}"], True)
    report = IngestReport(run_id=run_id)
    touched = pipeline.writer.write(pending, run_id, report)
    pipeline.writer.rebuild_keywords(touched, report)
    unit_of = {
        record.id: str(record.metadata[f"meta_{dataset.unit_key}"])
        for record in pipeline.vectors.records("public")
    }
    return IndexStats(
        unit_of=unit_of,
        documents=len(pending),
        chunks=len(unit_of),
        seconds=time.perf_counter() - started,
    )


UnitRanker = Callable[[str], list[str]]


def build_llama_baseline(
    dataset: Dataset, model_path: str, top_k: int
) -> tuple[UnitRanker, IndexStats]:
    """llama-index defaults: `VectorStoreIndex.from_documents` (default node parser, in-memory
    store) with `HuggingFaceEmbedding` of the same model, retrieving `top_k` nodes.

    Returns a function from a question to the units of the retrieved nodes, best first.
    """
    from llama_index.core import Document as LlamaDocument
    from llama_index.core import VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    started = time.perf_counter()
    key = dataset.unit_key
    documents = [
        LlamaDocument(
            text=doc.text,
            metadata=_baseline_metadata(doc, key),
            excluded_embed_metadata_keys=[key],
            excluded_llm_metadata_keys=[key],
        )
        for doc in dataset.documents
    ]
    embed_model = HuggingFaceEmbedding(model_name=model_path, device="cpu")
    index = VectorStoreIndex.from_documents(documents, embed_model=embed_model)
    retriever = index.as_retriever(similarity_top_k=top_k)

    def rank(question: str) -> list[str]:
        return [str(node.metadata[key]) for node in retriever.retrieve(question)]

    chunks = len(index.docstore.docs)
    stats = IndexStats({}, len(documents), chunks, time.perf_counter() - started)
    return rank, stats


def _baseline_metadata(doc: Document, key: str) -> dict[str, Any]:
    """The unit id, plus the title where the text does not already start with it."""
    metadata: dict[str, Any] = {key: doc.metadata[key]}
    if doc.kind != "faq":
        metadata["title"] = doc.title
    return metadata
