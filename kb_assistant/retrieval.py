"""Retrieval: dense (vectors) and keyword (BM25) search, fused, near-duplicates collapsed.

Visibility is enforced by which collections are searched: the customer channel searches
`public` only; agents search `public` and `internal`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from kb_assistant.core.text import FILLER_WORDS, STOPWORDS, words
from kb_assistant.domain import CHANNEL_VISIBILITIES, Channel, Passage, Visibility
from kb_assistant.fusion import Fused, FusionMethod, collapse_near_duplicates, fuse
from kb_assistant.ports import Embedder, Hit, IndexRecord, KeywordIndex, Vector, VectorIndex

# The gate reads the keyword coverage of this many top passages (the composer's evidence).
COVERAGE_PASSAGES = 3
# The best match's lead is measured over the chunk, and the rival, this many places below it.
GAP_RANK = 4


@dataclass
class RetrievalResult:
    """The passages for a question and the evidence behind them (for the confidence gate)."""

    passages: list[Passage]
    dense_scores: list[float] = field(default_factory=list)
    keyword_scores: list[float] = field(default_factory=list)
    top_dense: float = 0.0
    # How far the best chunk stands out from the rest (`standout`; a question the knowledge
    # base answers usually has one clear best match).
    dense_gap: float = 0.0
    top_keyword: float = 0.0
    # The best match between the customer's question and an indexed question (an FAQ
    # entry's question, a section heading), and that of each passage.
    top_question: float = 0.0
    question_scores: list[float] = field(default_factory=list)
    query_vector: Vector | None = None
    unknown_terms: set[str] = field(default_factory=set)
    # Per passage: the share of the question's words, weighted by rarity, it contains.
    coverage: list[float] = field(default_factory=list)
    # The question's words the best passage lacks, with their rarity (0–1).
    missing: dict[str, float] = field(default_factory=dict)


def standout(dense: list[Hit], rank: int = GAP_RANK) -> float:
    """How far the best chunk stands out, the mean of two leads: over the chunk `rank` places
    below it, and over its `rank`-th rival, where the rivals are the other chunks of its own
    document and the best chunk of each other document (the last of either, when fewer).

    A document whose parts all match about equally (its title does) gives no clear answer,
    which both leads show; but the parts of another document, all read under that
    document's title, crowd the chunk ranking as if they were several rivals, and the second
    lead counts them as one."""
    if not dense:
        return 0.0
    first = _document(dense[0])
    rivals: list[float] = []
    seen: set[str] = set()
    for hit in dense[1:]:
        document = _document(hit)
        if document != first and document in seen:
            continue
        seen.add(document)
        rivals.append(hit.score)
    if not rivals:
        return 0.0  # one chunk: nothing to stand out from
    over_chunks = dense[0].score - dense[min(rank, len(dense) - 1)].score
    over_rivals = dense[0].score - rivals[min(rank, len(rivals)) - 1]
    return (over_chunks + over_rivals) / 2


def _document(hit: Hit) -> str:
    return str(hit.metadata.get("doc_id") or hit.id)


class HybridRetriever:
    """Top passages for a question from the collections a channel may see.

    Visibility is enforced by the index itself: the customer channel only ever queries the
    public collection and public keyword index.
    """

    def __init__(
        self,
        embedder: Embedder,
        vectors: VectorIndex,
        keywords: KeywordIndex,
        *,
        fusion: FusionMethod = "weighted",
        dense_weight: float = 0.5,
        question_weight: float = 0.0,
        candidates: int = 30,
    ) -> None:
        self.embedder = embedder
        self.vectors = vectors
        self.keywords = keywords
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.question_weight = question_weight
        self.candidates = candidates

    def retrieve(self, question: str, channel: Channel = "customer", k: int = 5) -> list[Passage]:
        """The `k` best passages, near-duplicates collapsed."""
        return self.search(question, channel, k).passages

    def search(self, question: str, channel: Channel = "customer", k: int = 5) -> RetrievalResult:
        """The `k` best passages with their dense and keyword scores."""
        if not question.strip():
            return RetrievalResult(passages=[])
        query = self.embedder.embed_query(question)
        dense = self.dense_ranking(question, channel, self.candidates, query)
        keyword = self.keyword_ranking(question, channel, self.candidates)
        known = {hit.id for hit in [*dense, *keyword]}
        questions = self.question_ranking(channel, self.candidates, query, known)
        fused = fuse(
            dense, keyword, self.fusion, self.dense_weight, questions, self.question_weight
        )
        best: list[Fused] = collapse_near_duplicates(fused, limit=k)
        topical = _topical(question)
        passages = [_passage(c.hit, c.score) for c in best]
        return RetrievalResult(
            passages=passages,
            dense_scores=[c.dense for c in best],
            keyword_scores=[c.keyword for c in best],
            top_dense=dense[0].score if dense else 0.0,
            dense_gap=standout(dense),
            top_keyword=keyword[0].score if keyword else 0.0,
            top_question=questions[0].score if questions else 0.0,
            question_scores=[c.question for c in best],
            query_vector=query,
            unknown_terms=self.unknown_terms(question, channel),
            coverage=[self.coverage(topical, p) for p in passages[:COVERAGE_PASSAGES]],
            missing=self.missing_terms(topical, passages[0]) if passages else {},
        )

    def dense_ranking(
        self, question: str, channel: Channel, n: int, query: Vector | None = None
    ) -> list[Hit]:
        """Nearest chunks by embedding cosine over the channel's collections, best first."""
        query = self.embedder.embed_query(question) if query is None else query
        hits: list[Hit] = []
        for visibility in CHANNEL_VISIBILITIES[channel]:
            hits.extend(self.vectors.query(visibility, query, n))
        return sorted(hits, key=lambda hit: hit.score, reverse=True)[:n]

    def question_ranking(
        self, channel: Channel, n: int, query: Vector, known: Collection[str] = ()
    ) -> list[Hit]:
        """Chunks whose indexed questions are nearest to the customer's, best first (those
        in `known` without text: the other rankings have it)."""
        if self.question_weight <= 0:
            return []
        hits: list[Hit] = []
        for visibility in CHANNEL_VISIBILITIES[channel]:
            hits.extend(self.vectors.query_questions(visibility, query, n, known))
        return sorted(hits, key=lambda hit: hit.score, reverse=True)[:n]

    def keyword_ranking(self, question: str, channel: Channel, n: int) -> list[Hit]:
        """Best BM25 matches over the channel's keyword indexes, best first."""
        hits: list[Hit] = []
        for visibility in CHANNEL_VISIBILITIES[channel]:
            hits.extend(self.keywords.query(visibility, question, n))
        return sorted(hits, key=lambda hit: hit.score, reverse=True)[:n]

    def coverage(self, question: str, passage: Passage) -> float:
        """How much of the question's weight the passage (title and text) contains, with
        word rarity taken from the passage's own visibility's index."""
        for visibility in CHANNEL_VISIBILITIES["agent"]:
            if passage.visibility == visibility:
                text = f"{passage.title}\n{passage.text}"
                return self.keywords.weighted_coverage(visibility, question, text)
        return 0.0

    def missing_terms(self, question: str, passage: Passage) -> dict[str, float]:
        """The question's words the passage (title and text) lacks, with their rarity."""
        text = f"{passage.title}\n{passage.text}"
        visibility: Visibility = "internal" if passage.visibility == "internal" else "public"
        return self.keywords.missing_terms(visibility, question, text)

    def unknown_terms(self, question: str, channel: Channel) -> set[str]:
        """Words of the question that appear in none of the channel's documents."""
        topical = _topical(question)
        unknown: set[str] | None = None
        for visibility in CHANNEL_VISIBILITIES[channel]:
            missing = self.keywords.unknown_terms(visibility, topical)
            unknown = missing if unknown is None else unknown & missing
        return {term for term in unknown or () if term not in STOPWORDS}


def _topical(question: str) -> str:
    """The question without filler words ("hey", "please", "actually")."""
    return " ".join(w for w in words(question) if w not in FILLER_WORDS)


def passage_from_record(record: IndexRecord, score: float = 0.0) -> Passage:
    """A stored chunk as a citable passage."""
    return _passage(
        Hit(id=record.id, score=score, text=record.text, metadata=record.metadata), score
    )


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
