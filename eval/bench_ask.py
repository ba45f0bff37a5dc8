"""`ask` latency without an LLM on a 100k-chunk index.

The demo knowledge base is ingested for real; then the public collection is filled up to
100,000 chunks with text from the shared datasets (E-Manual sections, StackFAQ answers,
Bitext replies, the PDFs' text). Embedding 100k chunks would take ~12 minutes on this CPU,
so a few thousand unique filler texts are embedded for real and the rest are variants of
them: the text carries a variant tag and the vector is the original plus small noise,
renormalised. That is enough to measure search cost at this size (HNSW and BM25 scale with
the count, not the wording); retrieval quality is measured elsewhere on real data.

Latency is measured for the whole reply flow `Assistant.reply`, as `kb-assistant ask` runs
it: the money policy (rules, classifier, audit row), retrieval, gate, extractive composer,
verifier and rendering, over the hand-written demo questions, after one warm-up.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from eval.answers_eval import percentile
from eval.calibrate_gate import index_demo
from eval.datasets import read_jsonl
from eval.questions import load_answerable, load_unanswerable
from kb_assistant.ports import IndexRecord
from kb_assistant.settings import Settings

TARGET_CHUNKS = 100_000
TARGET_P95_MS = 200
UNIQUE_FILLER = 5_000
NOISE = 0.02
CHUNK_CHARS = 1_000


def filler_texts(root: Path) -> Iterator[tuple[str, str]]:
    """(title, text) pairs from the shared datasets, each at most about one chunk long."""
    for row in read_jsonl(root / "emanual_qa" / "smart_tv_manual_sections.jsonl"):
        yield row["title"], row["text"][:CHUNK_CHARS]
    for row in read_jsonl(root / "stackfaq" / "faqs.jsonl"):
        for answer in row.get("answers", []):
            yield row.get("question", "FAQ"), str(answer)[:CHUNK_CHARS]
    bitext = root / "bitext_customer_support" / "bitext_customer_support_training_4514.csv"
    with bitext.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            yield row.get("instruction", "Support reply"), row.get("response", "")[:CHUNK_CHARS]
    for path in sorted((root / "pdfs" / "text").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for start in range(0, len(text), CHUNK_CHARS):
            yield path.stem, text[start : start + CHUNK_CHARS]


def fill_index(settings: Settings, embedder: Any, root: Path) -> int:
    """Top the public collection up to TARGET_CHUNKS and rebuild its keyword index."""
    from kb_assistant.composition import build_keyword_index, build_vector_index

    vectors = build_vector_index(settings, embedder)
    unique = [(t, x) for t, x in filler_texts(root) if x.strip()][:UNIQUE_FILLER]
    base = embedder.embed_documents([x for _, x in unique])
    needed = TARGET_CHUNKS - vectors.count("public")
    rng = np.random.default_rng(7)
    batch_records: list[IndexRecord] = []
    batch_vectors: list[np.ndarray] = []
    for i in range(needed):
        title, text = unique[i % len(unique)]
        variant = i // len(unique)
        vector = base[i % len(unique)] + (rng.normal(0, NOISE, base.shape[1]) if variant else 0)
        batch_vectors.append(vector / np.linalg.norm(vector))
        meta: dict[str, str | int | float | bool] = {
            "doc_id": f"filler:{i}",
            "title": f"{title} (variant {variant})",
            "questions": title,  # a document's chunks share its title
            "kind": "pdf",
            "visibility": "public",
            "location": f"filler-{variant}.txt",
        }
        batch_records.append(IndexRecord(f"filler-{i}", f"{text} [variant {variant}]", meta))
        if len(batch_records) == 5_000 or i == needed - 1:
            vectors.upsert("public", batch_records, np.stack(batch_vectors).astype(np.float32))
            batch_records, batch_vectors = [], []
    build_keyword_index(settings).rebuild("public", vectors.records("public"))
    return vectors.count("public")


def run(root: Path) -> dict[str, Any]:
    from kb_assistant.composition import build_assistant, build_embedder
    from kb_assistant.core.replies import AnswerRequest

    settings = Settings()
    embedder = build_embedder(settings)
    with tempfile.TemporaryDirectory() as tmp:
        local = settings.model_copy(update={"data_dir": Path(tmp), "database_url": ""})
        started = time.perf_counter()
        index_demo(local, embedder)
        chunks = fill_index(local, embedder, root)
        build_seconds = time.perf_counter() - started
        service = build_assistant(local, embedder=embedder, store_cases=False)
        questions = [q.question for q in load_answerable() if q.channel == "customer"]
        questions += [q.question for q in load_unanswerable()]
        service.reply(AnswerRequest("How do I return an item?"))  # warm-up
        latencies: list[float] = []
        stages: dict[str, list[float]] = {
            "policy": [],
            "retrieve": [],
            "gate": [],
            "compose": [],
            "verify": [],
        }
        for question in questions:
            begun = time.perf_counter()
            answer = service.reply(AnswerRequest(question))
            latencies.append(time.perf_counter() - begun)
            for stage, values in stages.items():
                values.append(answer.timings.get(stage, 0.0))
        floor = search_floor(local, embedder, questions)
    return {
        "chunks": chunks,
        "questions": len(questions),
        "build_seconds": build_seconds,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "max_ms": max(latencies) * 1000,
        "stage_p95_ms": {k: percentile(v, 95) * 1000 for k, v in stages.items()},
        "floor_p50_ms": percentile(floor, 50) * 1000,
        "floor_p95_ms": percentile(floor, 95) * 1000,
    }


def search_floor(settings: Settings, embedder: Any, questions: list[str]) -> list[float]:
    """Per question, the bare model embedding the question plus one dense search of the
    same index: what any retrieval-based reply costs at least (no policy, keywords, gate,
    composing or checks)."""
    from kb_assistant.composition import build_vector_index

    vectors = build_vector_index(settings, embedder)
    vectors.query("public", embedder.embed_query("warm up"), 30)
    seconds = []
    for question in questions:
        begun = time.perf_counter()
        vectors.query("public", embedder.embed_query(question), 30)
        seconds.append(time.perf_counter() - begun)
    return seconds


def render(result: dict[str, Any], machine_line: str) -> str:
    stages = ", ".join(f"{k} {v:.0f} ms" for k, v in result["stage_p95_ms"].items())
    verdict = "meets" if result["p95_ms"] <= TARGET_P95_MS else "misses"
    return "\n".join(
        [
            "## `ask` latency on a 100k-chunk index (no LLM)",
            "",
            f"{result['chunks']:,} public chunks: the demo knowledge base plus filler from the "
            "shared datasets (a few thousand real embeddings, the rest noisy variants of them; "
            "see eval/bench_ask.py). One `Assistant.reply` (the money policy, then the "
            "answer, as `kb-assistant ask` runs it) per question for "
            f"{result['questions']} demo questions, after a warm-up.",
            "",
            "| | p50 | p95 | max |",
            "|---|---|---|---|",
            f"| `Assistant.reply` | {result['p50_ms']:.0f} ms | {result['p95_ms']:.0f} ms "
            f"| {result['max_ms']:.0f} ms |",
            f"| floor: embed the question, one dense search | {result['floor_p50_ms']:.0f} ms "
            f"| {result['floor_p95_ms']:.0f} ms | – |",
            "",
            "The floor row is measured in the same run over the same index: the bare model "
            "embedding the question and one dense search, what any retrieval-based reply "
            "costs at least.",
            "",
            f"p95 per stage: {stages}. Target p95 ≤ {TARGET_P95_MS} ms: **{verdict}**. Index build "
            f"{result['build_seconds']:.0f} s. Machine: {machine_line}.",
            "",
            "Reproduce: `make bench` or `python -m eval.bench --only ask`.",
        ]
    )
