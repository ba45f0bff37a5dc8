"""`kb-assistant eval retrieval`: score every retriever on the same queries.

Each dataset is indexed once, by the product's ingest parts, into a temporary data folder.
On that index: BM25 alone, dense alone, the product's `HybridRetriever` with reciprocal-rank
fusion and with weighted fusion over a grid of dense weights, and llama-index's default
pipeline over the same documents and model as a baseline. Rankings are judged per gold unit
(see `eval.retrieval_metrics`).

Latency is per query and end to end, measured on real searches; the query's embedding time
is added to every retriever that embeds. Each query is embedded once and its vector reused
(the model is deterministic). The rest of the weight grid and the fusion variants run the
product's search over the rankings those searches fetched, and are not timed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from eval.retrieval_corpora import (
    DATASETS,
    CachedQueryEmbedder,
    Dataset,
    build_llama_baseline,
    build_product_index,
    isolated_settings,
    load_dataset,
)
from eval.retrieval_metrics import (
    Ranker,
    Row,
    best_dense_weight,
    evaluate,
    first_occurrences,
    mean_scores,
    row,
    score_query,
    target_check,
    unit_ranking,
)
from kb_assistant.composition import (
    build_embedder,
    build_keyword_index,
    build_vector_index,
    connector_options,
)
from kb_assistant.domain import Channel
from kb_assistant.fusion import FusionMethod, fuse
from kb_assistant.ports import Hit, Vector
from kb_assistant.retrieval import HybridRetriever
from kb_assistant.settings import Settings

WEIGHTS = (0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
CANDIDATE_VARIANTS = (10, 60)
BASELINE_TOP_K = (10, 30)
CHANNEL: Channel = "customer"

Memo = dict[tuple[str, str, int], list[Hit]]
Log = Callable[[str], None]


class MemoRetriever(HybridRetriever):
    """The product's hybrid search over rankings fetched once per question and depth.

    Fusion and near-duplicate collapsing run again for each configuration; the dense and
    keyword rankings are the ones a live search gets, shared through `memo`.
    """

    def __init__(self, base: HybridRetriever, memo: Memo, **fusion: Any) -> None:
        super().__init__(base.embedder, base.vectors, base.keywords, **fusion)
        self.memo = memo

    def dense_ranking(
        self, question: str, channel: Channel, n: int, query: Vector | None = None
    ) -> list[Hit]:
        key = (f"dense:{channel}", question, n)  # the query vector follows from the question
        if key not in self.memo:
            self.memo[key] = super().dense_ranking(question, channel, n, query)
        return self.memo[key]

    def keyword_ranking(self, question: str, channel: Channel, n: int) -> list[Hit]:
        key = (f"keyword:{channel}", question, n)
        if key not in self.memo:
            self.memo[key] = super().keyword_ranking(question, channel, n)
        return self.memo[key]


def configured(
    base: HybridRetriever,
    fusion: FusionMethod,
    weight: float | None = None,
    candidates: int | None = None,
    memo: Memo | None = None,
) -> HybridRetriever:
    """A retriever on `base`'s indexes with other fusion settings (memoised with `memo`)."""
    options: dict[str, Any] = {
        "fusion": fusion,
        "dense_weight": base.dense_weight if weight is None else weight,
        "candidates": candidates or base.candidates,
    }
    if memo is not None:
        return MemoRetriever(base, memo, **options)
    return HybridRetriever(base.embedder, base.vectors, base.keywords, **options)


def ranker(retriever: HybridRetriever, mode: str, unit_of: Mapping[str, str]) -> Ranker:
    """Question → units, by the `dense`, `keyword`, `hybrid` or `fused` ranking.

    `hybrid` is the product's search, asked for as many passages as there are candidates
    per ranking so that ten distinct units are there to score; `fused` is the same fusion
    without the near-duplicate collapse.
    """
    n = retriever.candidates

    def chunk_ids(text: str) -> list[str]:
        if mode == "hybrid":
            return [passage.chunk_id for passage in retriever.retrieve(text, CHANNEL, n)]
        dense = retriever.dense_ranking(text, CHANNEL, n) if mode != "keyword" else []
        keyword = retriever.keyword_ranking(text, CHANNEL, n) if mode != "dense" else []
        if mode != "fused":
            return [hit.id for hit in dense or keyword]
        fused = fuse(dense, keyword, retriever.fusion, retriever.dense_weight)
        return [candidate.hit.id for candidate in fused]

    return lambda text: unit_ranking(chunk_ids(text), unit_of)


def product_rows(
    dataset: Dataset, live: HybridRetriever, unit_of: Mapping[str, str], embedded: dict[str, float]
) -> tuple[list[Row], Memo]:
    """Timed real searches (BM25, dense, RRF, the configured weight), then the weight grid."""
    queries, memo = dataset.queries, Memo()
    rows = [
        row("bm25", "BM25", *evaluate(ranker(live, "keyword", unit_of), queries)),
        row("dense", "dense", *evaluate(ranker(live, "dense", unit_of), queries, embedded)),
    ]
    rrf = ranker(configured(live, "rrf"), "hybrid", unit_of)
    rows.append(row("hybrid-rrf", "hybrid, RRF", *evaluate(rrf, queries, embedded)))
    for weight in sorted({*WEIGHTS, live.dense_weight}):
        name, label = f"hybrid-weighted-{weight:g}", f"hybrid, weighted w={weight:g}"
        timed = weight == live.dense_weight
        retriever = configured(live, "weighted", weight, memo=None if timed else memo)
        metrics, latency = evaluate(ranker(retriever, "hybrid", unit_of), queries, embedded)
        rows.append(row(name, label, metrics, latency if timed else None))
    return rows, memo


def alternative_rows(
    dataset: Dataset,
    live: HybridRetriever,
    memo: Memo,
    unit_of: Mapping[str, str],
    best_weight: float,
) -> list[Row]:
    """Fusion variants for comparison: no near-duplicate collapse; other candidate counts."""
    variants: list[tuple[str, str, HybridRetriever, str]] = [
        ("rrf-fused", "RRF, no collapse", configured(live, "rrf", memo=memo), "fused")
    ]
    for weight in sorted({live.dense_weight, best_weight}):
        retriever = configured(live, "weighted", weight, memo=memo)
        label = f"weighted w={weight:g}, no collapse"
        variants.append((f"weighted-{weight:g}-fused", label, retriever, "fused"))
    default = live.fusion if live.fusion == "rrf" else f"weighted w={live.dense_weight:g}"
    for count in CANDIDATE_VARIANTS:
        retriever = configured(live, live.fusion, candidates=count, memo=memo)
        variants.append((f"default-{count}", f"{default}, {count} candidates", retriever, "hybrid"))
    return [
        row(name, label, evaluate(ranker(retriever, mode, unit_of), dataset.queries)[0])
        for name, label, retriever, mode in variants
    ]


def baseline_rows(dataset: Dataset, settings: Settings) -> tuple[list[Row], int]:
    """llama-index's default pipeline, scored on its top 10 and its top 30 nodes."""
    rank, stats = build_llama_baseline(dataset, settings.embedding_model, max(BASELINE_TOP_K))
    units: dict[str, list[str]] = {}
    _, latency = evaluate(lambda text: units.setdefault(text, rank(text)), dataset.queries)
    rows = []
    for top_k in BASELINE_TOP_K:
        per_query = [
            score_query(first_occurrences(units[q.text][:top_k]), q.gold) for q in dataset.queries
        ]
        label = f"llama-index default, top {top_k}"
        rows.append(row(f"llama-index-top{top_k}", label, mean_scores(per_query), latency))
    return rows, stats.chunks


def run_dataset(
    dataset: Dataset, settings: Settings, embedder: CachedQueryEmbedder, log: Log
) -> dict[str, Any]:
    """Index one dataset in a temporary folder and score every retriever on it."""
    with tempfile.TemporaryDirectory(prefix=f"kb-eval-{dataset.name}-") as tmp:
        local = isolated_settings(settings, Path(tmp))
        log(f"{dataset.name}: indexing {len(dataset.documents)} documents")
        stats = build_product_index(local, embedder, dataset)
        log(f"{dataset.name}: {stats.chunks} chunks in {stats.seconds:.0f} s; searching")
        live = HybridRetriever(
            embedder,
            build_vector_index(local, embedder),
            build_keyword_index(local),
            fusion=settings.retrieval_fusion,
            dense_weight=settings.retrieval_dense_weight,
            candidates=settings.retrieval_candidates,
        )
        embedded = embedder.prime(query.text for query in dataset.queries)
        rows, memo = product_rows(dataset, live, stats.unit_of, embedded)
        load = os.getloadavg()[0]  # what the timed searches ran beside
        default = "hybrid-rrf" if live.fusion == "rrf" else f"hybrid-weighted-{live.dense_weight:g}"
        best_weight = best_dense_weight(rows)
        alternatives = alternative_rows(dataset, live, memo, stats.unit_of, best_weight)
    log(f"{dataset.name}: llama-index baseline")
    baseline, baseline_chunks = baseline_rows(dataset, settings)
    rows.extend(baseline)
    return {
        "title": dataset.title,
        "documents": stats.documents,
        "chunks": stats.chunks,
        "units": len(set(stats.unit_of.values())),
        "queries": len(dataset.queries),
        "baseline_chunks": baseline_chunks,
        "index_seconds": stats.seconds,
        "load_average": load,
        "retrievers": rows,
        "alternatives": alternatives,
        "target": target_check(rows, alternatives, default),
    }


def run(
    root: Path,
    settings: Settings,
    datasets: Iterable[str] = DATASETS,
    limit: int | None = None,
    log: Log | None = None,
) -> dict[str, Any]:
    """The whole evaluation: one entry per dataset, and what the figures depend on."""
    started, load = time.perf_counter(), os.getloadavg()[0]
    embedder = CachedQueryEmbedder(build_embedder(settings))
    results = {
        name: run_dataset(
            load_dataset(name, root, connector_options(settings)).limited(limit),
            settings,
            embedder,
            log or (lambda _message: None),
        )
        for name in datasets
    }
    return {
        "datasets": results,
        "config": {
            "model": embedder.model_id,
            "dtype": str(getattr(embedder.inner, "dtype", "")),
            "chunk_tokens": settings.chunk_tokens,
            "chunk_overlap": settings.chunk_overlap,
            "candidates": settings.retrieval_candidates,
            "fusion": settings.retrieval_fusion,
            "dense_weight": settings.retrieval_dense_weight,
            "limit": limit,
            "load_average": load,
            "cpus": os.cpu_count() or 1,
        },
        "seconds": time.perf_counter() - started,
    }


def run_cli(args: argparse.Namespace, settings: Settings) -> int:
    """`kb-assistant eval retrieval`: a table per dataset, or one JSON object with `--json`."""
    from eval.datasets import DatasetMissingError, eval_data_root
    from eval.report_retrieval import render_text
    from kb_assistant.cli.common import CliError, print_json

    try:
        root = args.eval_data or eval_data_root()
    except DatasetMissingError as exc:
        raise CliError(str(exc)) from None
    if not root.is_dir():
        raise CliError(f"evaluation data not found at {root}")
    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1")
    try:
        report = run(root, settings, dict.fromkeys(args.dataset or DATASETS), args.limit, _stderr)
    except FileNotFoundError as exc:
        raise CliError(f"dataset file missing: {exc.filename or exc}") from None
    if args.json:
        print_json(report)
    else:
        print(render_text(report))
    return 0


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
