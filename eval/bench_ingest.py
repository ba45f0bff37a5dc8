"""Ingestion benchmark: pipeline throughput against the bare encoder, fp32 against bf16.

Corpus: the shared PDFs and the StackFAQ FAQs. For each dtype, in one process and with
the model already loaded for both:
- baseline: `SentenceTransformer.encode` alone on exactly the texts the pipeline embeds;
- pipeline: a full build (read, clean, redact, chunk, embed, Chroma + BM25 + manifest);
- an unchanged re-run of the pipeline.
Then the command line cold (process start and model load included) for peak memory, and
dense retrieval quality (StackFAQ recall@5) with each dtype's vectors.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.datasets import shared_pdfs, stackfaq_faqs, stackfaq_queries
from kb_assistant.composition import build_ingest_pipeline, connector_options
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.embedding.hardware import resolve_dtype
from kb_assistant.settings import Settings

DTYPES = ("float32", "bfloat16")


@dataclass
class DtypeResult:
    dtype: str
    chunks: int = 0
    encoder_seconds: list[float] = field(default_factory=list)
    pipeline_seconds: list[float] = field(default_factory=list)
    rerun_seconds: float = 0.0
    rerun_embedded: int = -1
    recall_at_5: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def encoder_rate(self) -> float:
        return self.chunks / statistics.median(self.encoder_seconds)

    @property
    def pipeline_rate(self) -> float:
        return self.chunks / statistics.median(self.pipeline_seconds)


def corpus(root: Path) -> list[Path]:
    return [*shared_pdfs(root), stackfaq_faqs(root)]


def embed_texts(
    settings: Settings, embedder: SentenceTransformerEmbedder, files: list[Path]
) -> tuple[list[str], list[str]]:
    """The unique texts a full build embeds, and the FAQ id (or "") of each."""
    pipeline = build_ingest_pipeline(settings, embedder=embedder)
    from ingest.known import KnownDocuments
    from ingest.progress import NoProgress
    from ingest.reader import SourceReader

    reader = SourceReader(
        chunker=pipeline.chunker,
        redactor=pipeline.redactor,
        options=connector_options(settings),
        kind=None,
        visibility=None,
        known=KnownDocuments.of({}),
        source_states={},
        progress=NoProgress(),
    )
    texts: dict[str, str] = {}
    for pending in reader.read(files):
        for chunk in pending.chunks:
            texts.setdefault(chunk.embed_text, pending.doc.metadata.get("faq_id", ""))
    return list(texts), list(texts.values())


def run_dtype(
    dtype: str, settings_dir: Path, files: list[Path], repeat: int, root: Path
) -> tuple[DtypeResult, np.ndarray]:
    settings = Settings(data_dir=settings_dir / "probe", embedding_dtype=dtype)
    embedder = SentenceTransformerEmbedder(settings.embedding_model, dtype=dtype)
    model = embedder.warm_up()
    texts, faq_ids = embed_texts(settings, embedder, files)
    result = DtypeResult(dtype=dtype, chunks=len(texts))
    vectors = np.zeros((0, 0), dtype=np.float32)
    for attempt in range(repeat):
        started = time.perf_counter()
        vectors = model.encode(texts, batch_size=embedder.batch_size)
        result.encoder_seconds.append(time.perf_counter() - started)
        run_settings = Settings(data_dir=settings_dir / f"{dtype}-{attempt}", embedding_dtype=dtype)
        pipeline = build_ingest_pipeline(run_settings, embedder=embedder)
        started = time.perf_counter()
        report = pipeline.run(files)
        result.pipeline_seconds.append(time.perf_counter() - started)
        if report.chunks_embedded != len(texts) or report.failed:
            raise RuntimeError(f"pipeline embedded {report.chunks_embedded} of {len(texts)} chunks")
        result.stages = dict(report.stage_seconds)
    started = time.perf_counter()
    rerun = pipeline.run(files)
    result.rerun_seconds = time.perf_counter() - started
    result.rerun_embedded = rerun.chunks_embedded
    result.recall_at_5 = faq_recall_at_5(embedder, np.asarray(vectors), faq_ids, root)
    return result, np.asarray(vectors, dtype=np.float32)


def faq_recall_at_5(
    embedder: SentenceTransformerEmbedder, vectors: np.ndarray, faq_ids: list[str], root: Path
) -> float:
    """Dense-only StackFAQ recall@5: a query hits when a top-5 chunk belongs to its FAQ."""
    rows = [i for i, faq in enumerate(faq_ids) if faq]
    matrix = vectors[rows] / np.linalg.norm(vectors[rows], axis=1, keepdims=True)
    labels = np.array([faq_ids[i] for i in rows])
    queries = stackfaq_queries(root)
    query_vectors = embedder.embed_documents([q for q, _ in queries])
    top = np.argsort(-(query_vectors @ matrix.T), axis=1)[:, :5]
    hits = [gold in set(labels[t]) for t, (_, gold) in zip(top, queries, strict=True)]
    return float(np.mean(hits))


def cold_cli_run(files: list[Path], data_dir: Path) -> dict[str, Any]:
    """The command line from a fresh process: wall time, peak memory, report."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "kb_assistant",
            "ingest",
            *map(str, files),
            "--json",
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if completed.returncode != 0:
        raise RuntimeError(f"ingest failed: {completed.stderr[-2000:]}")
    return {
        "wall_seconds": wall,
        "peak_rss_mb": max(peak_kb, before) / 1024,
        "report": json.loads(completed.stdout),
    }


def run(root: Path, repeat: int = 1) -> dict[str, Any]:
    files = corpus(root)
    results: dict[str, DtypeResult] = {}
    vectors: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        for dtype in DTYPES:
            results[dtype], vectors[dtype] = run_dtype(dtype, Path(tmp), files, repeat, root)
        cold = cold_cli_run(files, Path(tmp) / "cold")
    unit = {k: v / np.linalg.norm(v, axis=1, keepdims=True) for k, v in vectors.items()}
    cosine = np.sum(unit["float32"] * unit["bfloat16"], axis=1)
    return {
        "files": [f.name for f in files],
        "results": results,
        "cosine_min": float(cosine.min()),
        "cosine_mean": float(cosine.mean()),
        "auto_dtype": resolve_dtype("auto", "cpu"),
        "cold": cold,
    }
