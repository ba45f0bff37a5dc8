"""Retrieval: dense (vectors) and keyword (BM25) search fused by reciprocal rank.

Visibility is enforced by which collections are searched: the customer channel searches
`public` only; agents search `public` and `internal`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from kb_assistant.domain import Passage, Visibility
from kb_assistant.ports import Embedder, Hit, KeywordIndex, VectorIndex

Channel = Literal["customer", "agent"]
CHANNEL_VISIBILITIES: Mapping[Channel, tuple[Visibility, ...]] = {
    "customer": ("public",),
    "agent": ("public", "internal"),
}
RRF_K = 60


class HybridRetriever:
    """Top passages for a question from the collections a channel may see."""

    def __init__(
        self,
        embedder: Embedder,
        vectors: VectorIndex,
        keywords: KeywordIndex,
        *,
        candidates: int = 20,
    ) -> None:
        self.embedder = embedder
        self.vectors = vectors
        self.keywords = keywords
        self.candidates = candidates

    def retrieve(self, question: str, channel: Channel = "customer", k: int = 5) -> list[Passage]:
        """The `k` best passages by reciprocal-rank fusion of dense and keyword rankings."""
        if not question.strip():
            return []
        visibilities = CHANNEL_VISIBILITIES[channel]
        query = self.embedder.embed_query(question)
        dense: list[Hit] = []
        rankings: list[list[Hit]] = []
        for visibility in visibilities:
            dense.extend(self.vectors.query(visibility, query, self.candidates))
            rankings.append(self.keywords.query(visibility, question, self.candidates))
        rankings.append(sorted(dense, key=lambda hit: hit.score, reverse=True))
        return [_passage(hit, score) for hit, score in reciprocal_rank_fusion(rankings)[:k]]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Hit]]) -> list[tuple[Hit, float]]:
    """Fuse rankings: each hit scores the sum of 1 / (RRF_K + rank) over the lists it is in."""
    scores: dict[str, float] = {}
    hits: dict[str, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.id] = scores.get(hit.id, 0.0) + 1.0 / (RRF_K + rank)
            hits.setdefault(hit.id, hit)
    ordered = sorted(scores, key=lambda chunk_id: scores[chunk_id], reverse=True)
    return [(hits[chunk_id], scores[chunk_id]) for chunk_id in ordered]


def _passage(hit: Hit, score: float) -> Passage:
    meta = hit.metadata

    def text(key: str) -> str:
        return str(meta.get(key, ""))

    def page(key: str) -> int | None:
        value = meta.get(key)
        return int(value) if isinstance(value, int | float) else None

    return Passage(
        chunk_id=hit.id,
        doc_id=text("doc_id"),
        text=hit.text,
        title=text("title"),
        kind=text("kind"),
        visibility=text("visibility"),
        location=text("location"),
        url=text("url") or None,
        page_start=page("page_start"),
        page_end=page("page_end"),
        score=score,
    )


def cite(passage: Passage) -> str:
    """How a passage is cited: its URL, or its location with the page range."""
    if passage.url:
        return passage.url
    if passage.page_start is None:
        return passage.location
    if passage.page_end is None or passage.page_end == passage.page_start:
        return f"{passage.location}, p. {passage.page_start}"
    return f"{passage.location}, pp. {passage.page_start}–{passage.page_end}"
