"""Ranking metrics for retrieval evaluation, at the level of the gold unit.

A retriever returns chunks; relevance is judged per unit (a FAQ id, a manual section id).
Chunks are mapped to their unit and only the first occurrence of each unit is kept, so
several chunks of one unit neither count twice nor push other units out of the top k.
Relevance is binary; recall@k is the share of a query's gold units found in the top k.
Also: scoring a ranker over queries (means and latency) and the hybrid target check.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

DEPTH = 10
METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
TARGET_RATIO = 1.05

Ranker = Callable[[str], list[str]]
Row = dict[str, Any]


@dataclass(frozen=True)
class Query:
    """A question and the units that answer it."""

    text: str
    gold: frozenset[str]


def first_occurrences(units: Iterable[str], depth: int = DEPTH) -> list[str]:
    """The units in ranked order, each once (at its best rank), at most `depth` of them."""
    seen: list[str] = []
    for unit in units:
        if unit not in seen:
            seen.append(unit)
            if len(seen) == depth:
                break
    return seen


def unit_ranking(
    chunk_ids: Iterable[str], unit_of: Mapping[str, str], depth: int = DEPTH
) -> list[str]:
    """Map a chunk ranking to its units (first occurrence kept); unknown chunks raise."""
    return first_occurrences((unit_of[chunk_id] for chunk_id in chunk_ids), depth)


def recall_at(ranking: Sequence[str], gold: Collection[str], k: int) -> float:
    """Share of the gold units among the first `k` units of the ranking."""
    if not gold:
        return 0.0
    return len(set(ranking[:k]) & set(gold)) / len(gold)


def reciprocal_rank(ranking: Sequence[str], gold: Collection[str], k: int = DEPTH) -> float:
    """1 / rank of the first gold unit within the first `k`, else 0."""
    for rank, unit in enumerate(ranking[:k], start=1):
        if unit in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranking: Sequence[str], gold: Collection[str], k: int = DEPTH) -> float:
    """Binary nDCG@k; the ideal ranking puts min(#gold, k) gold units first."""
    if not gold:
        return 0.0
    dcg = sum(
        1.0 / math.log2(rank + 1) for rank, unit in enumerate(ranking[:k], start=1) if unit in gold
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def score_query(ranking: Sequence[str], gold: Collection[str]) -> dict[str, float]:
    """Every metric of `METRICS` for one query."""
    return {
        "recall@1": recall_at(ranking, gold, 1),
        "recall@5": recall_at(ranking, gold, 5),
        "recall@10": recall_at(ranking, gold, 10),
        "mrr@10": reciprocal_rank(ranking, gold, 10),
        "ndcg@10": ndcg_at(ranking, gold, 10),
    }


def mean_scores(per_query: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """The mean of each metric over the queries (0 for no queries)."""
    if not per_query:
        return dict.fromkeys(METRICS, 0.0)
    return {name: statistics.fmean(scores[name] for scores in per_query) for name in METRICS}


@dataclass(frozen=True)
class Latency:
    """Per-query wall time in milliseconds."""

    p50_ms: float
    p95_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        """Median and 95th percentile (linear interpolation) of per-query seconds."""
        if not seconds:
            return cls(0.0, 0.0)
        values = np.asarray(seconds, dtype=np.float64) * 1000.0
        return cls(float(np.percentile(values, 50)), float(np.percentile(values, 95)))


def evaluate(
    rank: Ranker, queries: Iterable[Query], extra_seconds: Mapping[str, float] | None = None
) -> tuple[dict[str, float], Latency]:
    """Mean metrics of a unit ranker over the queries, and its per-query latency."""
    per_query, seconds = [], []
    for query in queries:
        started = time.perf_counter()
        ranking = rank(query.text)
        elapsed = time.perf_counter() - started
        seconds.append(elapsed + (extra_seconds or {}).get(query.text, 0.0))
        per_query.append(score_query(ranking, query.gold))
    return mean_scores(per_query), Latency.of(seconds)


def row(name: str, label: str, metrics: dict[str, float], latency: Latency | None = None) -> Row:
    timing = None if latency is None else {"p50": latency.p50_ms, "p95": latency.p95_ms}
    return {"name": name, "label": label, "metrics": metrics, "latency_ms": timing}


def target_check(rows: list[Row], alternatives: list[Row], default: str) -> dict[str, Any]:
    """Hybrid nDCG@10 against the better single retriever: the default, the best fusion, and
    the best fusion without the near-duplicate collapse."""
    ndcg = {r["name"]: r["metrics"]["ndcg@10"] for r in [*rows, *alternatives]}
    single = max(("bm25", "dense"), key=ndcg.__getitem__)

    def verdict(name: str) -> dict[str, Any]:
        ratio = ndcg[name] / ndcg[single] if ndcg[single] else 0.0
        return {"name": name, "ndcg@10": ndcg[name], "ratio": ratio, "met": ratio >= TARGET_RATIO}

    hybrids = [name for name in ndcg if name.startswith("hybrid-")]
    uncollapsed = [r["name"] for r in alternatives if r["name"].endswith("-fused")]
    return {
        "ratio_required": TARGET_RATIO,
        "best_single": single,
        "best_single_ndcg@10": ndcg[single],
        "default": verdict(default),
        "best": verdict(max(hybrids, key=ndcg.__getitem__)),
        "best_without_collapse": (
            verdict(max(uncollapsed, key=ndcg.__getitem__)) if uncollapsed else None
        ),
        "best_weight": best_dense_weight(rows),
    }


def best_dense_weight(rows: list[Row]) -> float:
    """The dense weight of the weighted-fusion row with the highest nDCG@10."""
    weighted = [r for r in rows if r["name"].startswith("hybrid-weighted-")]
    best = max(weighted, key=lambda r: r["metrics"]["ndcg@10"])
    return float(best["name"].rsplit("-", 1)[1])
