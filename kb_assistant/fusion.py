"""Fusing a dense and a keyword ranking into one, and collapsing near-duplicate chunks.

Two fusion methods are offered and measured against each other (`kb-assistant eval
retrieval`): reciprocal-rank fusion, which only looks at ranks, and a weighted sum of
min-max normalised scores, which also uses how far apart the scores are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kb_assistant.core.text import words
from kb_assistant.ports import Hit

FusionMethod = Literal["weighted", "rrf"]
RRF_K = 60
SHINGLE = 3


@dataclass(frozen=True)
class Fused:
    """A candidate after fusion, with the scores it had in each ranking (0 when absent)."""

    hit: Hit
    score: float
    dense: float
    keyword: float
    question: float = 0.0


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Hit]]) -> dict[str, float]:
    """Each hit scores the sum of 1 / (RRF_K + rank) over the rankings it appears in."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.id] = scores.get(hit.id, 0.0) + 1.0 / (RRF_K + rank)
    return scores


def weighted_fusion(
    dense: Sequence[Hit],
    keyword: Sequence[Hit],
    weight: float,
    questions: Sequence[Hit] = (),
    question_weight: float = 0.0,
) -> dict[str, float]:
    """(1 − `question_weight`) × (`weight` × normalised dense score + (1 − `weight`) ×
    normalised keyword score) + `question_weight` × the question match.

    Dense and keyword scores are min-max normalised over their ranking; the question match
    is the cosine itself, which is comparable across questions (an FAQ question at 0.9 is
    the customer's question reworded, at 0.5 it only shares a topic).
    """
    scores: dict[str, float] = {}
    rest = 1.0 - question_weight
    for ranking, share in ((dense, rest * weight), (keyword, rest * (1.0 - weight))):
        for chunk_id, value in _min_max(ranking).items():
            scores[chunk_id] = scores.get(chunk_id, 0.0) + share * value
    for hit in questions:
        scores[hit.id] = scores.get(hit.id, 0.0) + question_weight * max(0.0, hit.score)
    return scores


def fuse(
    dense: Sequence[Hit],
    keyword: Sequence[Hit],
    method: FusionMethod = "weighted",
    weight: float = 0.5,
    questions: Sequence[Hit] = (),
    question_weight: float = 0.0,
) -> list[Fused]:
    """Candidates from the rankings, best first, each with its fused and raw scores."""
    if method == "rrf":
        scores = reciprocal_rank_fusion([dense, keyword, *([questions] if question_weight else [])])
    else:
        scores = weighted_fusion(dense, keyword, weight, questions, question_weight)
    hits = {hit.id: hit for hit in [*questions, *keyword, *dense]}
    dense_scores = {hit.id: hit.score for hit in dense}
    keyword_scores = {hit.id: hit.score for hit in keyword}
    question_scores = {hit.id: hit.score for hit in questions}
    ordered = sorted(scores, key=lambda chunk_id: (-scores[chunk_id], chunk_id))
    return [
        Fused(
            hit=hits[chunk_id],
            score=scores[chunk_id],
            dense=dense_scores.get(chunk_id, 0.0),
            keyword=keyword_scores.get(chunk_id, 0.0),
            question=question_scores.get(chunk_id, 0.0),
        )
        for chunk_id in ordered
    ]


def _min_max(ranking: Sequence[Hit]) -> dict[str, float]:
    if not ranking:
        return {}
    values = [hit.score for hit in ranking]
    low, high = min(values), max(values)
    if high - low < 1e-9:
        return {hit.id: 1.0 for hit in ranking}
    return {hit.id: (hit.score - low) / (high - low) for hit in ranking}


def collapse_near_duplicates(
    candidates: Sequence[Fused], threshold: float = 0.8, limit: int | None = None
) -> list[Fused]:
    """Keep the best of each group of near-identical chunks (word-shingle Jaccard ≥ threshold).

    The same FAQ answer pasted into two files, or a manual page repeated in two PDF versions,
    should be one passage, not two that crowd out a third source. With `limit`, the first
    `limit` kept (a later candidate never changes them), without comparing the rest.
    """
    kept: list[Fused] = []
    kept_shingles: list[frozenset[tuple[str, ...]]] = []
    for candidate in candidates:
        if limit is not None and len(kept) >= limit:
            break
        shingles = _shingles(candidate.hit.text)
        if any(_jaccard(shingles, other) >= threshold for other in kept_shingles):
            continue
        kept.append(candidate)
        kept_shingles.append(shingles)
    return kept


def text_overlap(a: str, b: str) -> float:
    """Word-shingle Jaccard similarity of two texts, the measure the collapse uses."""
    return _jaccard(_shingles(a), _shingles(b))


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    tokens = words(text)
    if len(tokens) < SHINGLE:
        return frozenset({tuple(tokens)})
    return frozenset(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


def _jaccard(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
