"""The keyword index at 100,000 chunks against llama-index's BM25 retriever, in one run.

Corpus: the re-index benchmark's entries (`eval.bench_reindex`: texts from the shared
datasets, repeated with a variant number until the target size), one chunk each, with their
titles. Questions: 200 StackFAQ rephrasings.

Measured for both: a build from the records and its save, opening the saved index as a new
process would (the first query included), and query latency. For ours also: an update with
1 % of the chunks replaced, 0.1 % removed and 0.1 % added (what an incremental run does), and
the same questions' top-5 compared with the baseline's (the scores are the same BM25).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.answers_eval import percentile
from eval.bench_reindex import base_entries, variant_entries
from eval.datasets import stackfaq_queries
from kb_assistant.index.bm25 import Bm25Index
from kb_assistant.ports import IndexRecord

TARGET_CHUNKS = 100_000
QUESTIONS = 200
TOP_K = 5
REPLACED_SHARE = 0.01
REMOVED_SHARE = 0.001


def corpus(root: Path, chunks: int) -> list[IndexRecord]:
    entries = variant_entries(base_entries(root), chunks)
    return [
        IndexRecord(e.id, e.answer, {"title": e.question, "doc_id": e.id, "kind": "faq"})
        for e in entries
    ]


def change(records: Sequence[IndexRecord]) -> tuple[list[IndexRecord], set[str]]:
    """1 % of the chunks replaced (new ids, as a changed document gets), 0.1 % removed,
    0.1 % added: the upserts and the deletions an incremental run hands the index."""
    step, removed_step = round(1 / REPLACED_SHARE), round(1 / REMOVED_SHARE)
    upserts: list[IndexRecord] = []
    deletes: set[str] = set()
    for i, record in enumerate(records):
        if i % removed_step == 1:
            deletes.add(record.id)
        elif i % step == step // 2:
            deletes.add(record.id)
            upserts.append(
                IndexRecord(f"{record.id}-v2", f"Updated: {record.text}", record.metadata)
            )
    added = len(records) // removed_step
    upserts += [
        IndexRecord(f"new-{i}", f"New entry {i}: {r.text}", r.metadata)
        for i, r in enumerate(records[:added])
    ]
    return upserts, deletes


def timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = call()
    return value, time.perf_counter() - started


def latencies(ask: Any, questions: Sequence[str]) -> dict[str, float]:
    seconds = []
    for question in questions:
        _, elapsed = timed(lambda q=question: ask(q))
        seconds.append(elapsed)
    return {"p50_ms": percentile(seconds, 50) * 1000, "p95_ms": percentile(seconds, 95) * 1000}


def llama_index_baseline(
    records: Sequence[IndexRecord], folder: Path, questions: Sequence[str]
) -> dict[str, Any]:
    """llama-index's BM25Retriever over the same chunks (what the index used to be)."""
    from llama_index.core.schema import TextNode
    from llama_index.retrievers.bm25 import BM25Retriever

    def build() -> None:
        nodes = [
            TextNode(
                id_=r.id,
                text=r.text,
                metadata=dict(r.metadata),
                excluded_embed_metadata_keys=[k for k in r.metadata if k != "title"],
                excluded_llm_metadata_keys=list(r.metadata),
            )
            for r in records
        ]
        BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=TOP_K).persist(str(folder))

    _, build_s = timed(build)

    def open_and_ask() -> Any:
        retriever = BM25Retriever.from_persist_dir(str(folder))
        retriever.retrieve(questions[0])
        return retriever

    retriever, open_s = timed(open_and_ask)

    def ask(question: str) -> list[str]:
        return [n.node.node_id for n in retriever.retrieve(question) if (n.score or 0) > 0]

    top = {q: ask(q) for q in questions}
    return {"build_s": build_s, "open_s": open_s, **latencies(ask, questions), "top": top}


def ours(records: Sequence[IndexRecord], folder: Path, questions: Sequence[str]) -> dict[str, Any]:
    index = Bm25Index(folder)
    _, build_s = timed(lambda: index.rebuild("public", records))

    def open_and_ask() -> Bm25Index:
        reader = Bm25Index(folder)
        reader.query("public", questions[0], TOP_K)
        return reader

    reader, open_s = timed(open_and_ask)

    def ask(question: str) -> list[str]:
        return [hit.id for hit in reader.query("public", question, TOP_K)]

    top = {q: ask(q) for q in questions}
    measured = latencies(ask, questions)
    upserts, deletes = change(records)
    count, update_s = timed(lambda: index.update("public", upserts, deletes))
    expected = len(records) - len(deletes) + len(upserts)
    if count != expected:
        raise AssertionError(f"the update left {count} chunks, not {expected}")
    return {
        "build_s": build_s,
        "open_s": open_s,
        **measured,
        "top": top,
        "update_s": update_s,
        "upserts": len(upserts),
        "deletes": len(deletes),
        "after_update": count,
    }


def run(root: Path, chunks: int = TARGET_CHUNKS) -> dict[str, Any]:
    records = corpus(root, chunks)
    questions = [q for q, _ in stackfaq_queries(root)][:QUESTIONS]
    with tempfile.TemporaryDirectory(prefix="kb-bench-keywords-") as tmp:
        # Imports and the stemmer's start-up are paid here, by neither measurement.
        llama_index_baseline(records[:50], Path(tmp) / "warm-llama-index", questions[:2])
        ours(records[:50], Path(tmp) / "warm-ours", questions[:2])
        baseline = llama_index_baseline(records, Path(tmp) / "llama-index", questions)
        result = ours(records, Path(tmp) / "ours", questions)
    same = sum(baseline["top"][q] == result["top"][q] for q in questions)
    overlap = sum(
        len(set(baseline["top"][q]) & set(result["top"][q])) / max(1, len(baseline["top"][q]))
        for q in questions
    )
    return {
        "chunks": len(records),
        "questions": len(questions),
        "baseline": {k: v for k, v in baseline.items() if k != "top"},
        "ours": {k: v for k, v in result.items() if k != "top"},
        "same_top": same,
        "top_overlap": overlap / len(questions),
    }


def render(result: dict[str, Any], machine: str) -> str:
    base, our = result["baseline"], result["ours"]
    return "\n".join(
        [
            f"## Keyword index at {result['chunks']:,} chunks",
            "",
            "The re-index benchmark's corpus (shared-dataset texts repeated with a variant number, "
            f"one chunk each, with titles); {result['questions']} StackFAQ questions. Our index "
            "(`kb_assistant/index/bm25.py`, numpy snapshots mapped from disk) against "
            "llama-index's `BM25Retriever` (bm25s), which it replaced, in the same run.",
            "",
            "| index | build + save | open + first query | query p50 | query p95 | "
            "update: 1 % replaced, 0.1 % removed, 0.1 % added |",
            "|---|---|---|---|---|---|",
            f"| llama-index BM25Retriever | {base['build_s']:.2f} s | {base['open_s']:.2f} s "
            f"| {base['p50_ms']:.1f} ms | {base['p95_ms']:.1f} ms | a full rebuild |",
            f"| ours | {our['build_s']:.2f} s | {our['open_s']:.2f} s | {our['p50_ms']:.1f} ms "
            f"| {our['p95_ms']:.1f} ms | {our['update_s']:.2f} s ({our['upserts']:,} added, "
            f"{our['deletes']:,} removed) |",
            "",
            f"Same ranking: the top-{TOP_K} lists are identical for {result['same_top']} of "
            f"{result['questions']} questions and overlap {result['top_overlap']:.1%} on average "
            "(the scores are the same BM25; equal scores can be ordered differently).",
            "",
            f"Machine: {machine}.",
            "",
            "Reproduce: `python -m eval.bench --only keywords`.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m eval.bench_keywords --chunks 10000`: a quick run, printed."""
    import argparse

    from eval.bench import machine
    from eval.datasets import eval_data_root

    parser = argparse.ArgumentParser(prog="python -m eval.bench_keywords")
    parser.add_argument("--chunks", type=int, default=TARGET_CHUNKS)
    args = parser.parse_args(argv)
    print(render(run(eval_data_root(), args.chunks), machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
