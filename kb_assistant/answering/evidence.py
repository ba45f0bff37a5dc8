"""Evidence for a question: the candidate sentences of the top passages, scored.

Both the confidence gate (is the question answered at all?) and the extractive composer
(which sentences answer it?) read the same scores, so the sentences are embedded once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from kb_assistant.core.text import (
    FILLER_WORDS,
    STOPWORDS,
    content_tokens,
    is_heading,
    split_sentences,
    words,
)
from kb_assistant.domain import Passage
from kb_assistant.ports import Embedder
from kb_assistant.retrieval import RetrievalResult

EVIDENCE_PASSAGES = 3
MAX_SENTENCES_PER_PASSAGE = 14
# A "sentence" longer than this (a list run together, a table row) is scored on its start.
MAX_SCORED_CHARS = 300
_FAQ_QUESTION = re.compile(r"^\s*Q:\s*(?P<q>.*?)\s*\n\s*A:\s*", re.DOTALL)
_STEP = re.compile(r"^\s*(?:\d+[.)]|[-*•]|step\s+\d+[:.]?)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    """A sentence of a passage, and how well it matches the question."""

    passage: int  # 1-based passage number
    position: int  # order inside the passage
    text: str
    similarity: float  # cosine to the question
    overlap: float  # share of the question's content words it contains
    step: bool  # a numbered or bulleted list item in the source
    relevance: float = 0.0  # the passage's retrieval score relative to the best passage


@dataclass
class Evidence:
    """Scored candidate sentences and the features the confidence gate reads."""

    question: str
    candidates: list[Candidate] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)


def answer_text(passage: Passage) -> str:
    """The passage text without an FAQ's "Q: …" line (the question is not an answer)."""
    return _FAQ_QUESTION.sub("", passage.text, count=1)


def _answers_something(sentence: str) -> bool:
    """Headings and questions are not answers; a question inside a passage may also be a
    planted one ("What is the capital of Brazil?")."""
    return not is_heading(sentence) and not sentence.rstrip(" \"'”’)").endswith("?")


def is_step(sentence: str) -> bool:
    return bool(_STEP.match(sentence))


def strip_step_marker(sentence: str) -> str:
    return _STEP.sub("", sentence, count=1).strip()


def gather(
    question: str, retrieval: RetrievalResult, embedder: Embedder, query: np.ndarray | None = None
) -> Evidence:
    """Score the sentences of the top passages against the question."""
    evidence = Evidence(question=question)
    passages = retrieval.passages[:EVIDENCE_PASSAGES]
    raw = [
        (number, position, sentence)
        for number, passage in enumerate(passages, start=1)
        for position, sentence in enumerate(
            [s for s in split_sentences(answer_text(passage)) if _answers_something(s)][
                :MAX_SENTENCES_PER_PASSAGE
            ]
        )
    ]
    wanted = set(content_tokens(question))
    if query is None:
        query = retrieval.query_vector
    if query is None:
        query = embedder.embed_query(question)
    query = np.asarray(query, dtype=np.float32)
    titles = [p.title for p in passages if p.title]
    scored = [strip_step_marker(text)[:MAX_SCORED_CHARS] for _, _, text in raw]
    # One forward pass for titles, sentences and the words `missing_term` looks up: each
    # call to the model costs a fixed overhead, and a cached embedder keeps the words.
    batch = [*titles, *scored, *_missing_words(retrieval)]
    vectors = embedder.embed_documents(batch)
    title_similarity = float((vectors[: len(titles)] @ query).max()) if titles else 0.0
    if raw:
        similarities = vectors[len(titles) : len(titles) + len(scored)] @ query
        steps = _list_items(raw)
        top = max((p.score for p in passages), default=0.0) or 1.0
        for (number, position, text), similarity in zip(raw, similarities, strict=True):
            evidence.candidates.append(
                Candidate(
                    passage=number,
                    position=position,
                    text=text,
                    similarity=float(similarity),
                    overlap=_overlap(wanted, text),
                    step=(number, position) in steps,
                    relevance=passages[number - 1].score / top,
                )
            )
    evidence.features = _features(evidence, retrieval, passages, wanted)
    evidence.features["title_cosine"] = title_similarity
    evidence.features["missing_term"] = missing_term(retrieval, embedder, evidence.candidates)
    return evidence


# Cosine of two unrelated words is far from 0 for a sentence model; a word's counterpart
# counts from here on, fully from `_COUNTERPART_FULL` ("parcel" ~ "package").
_COUNTERPART_FLOOR = 0.35
_COUNTERPART_FULL = 0.75
_COUNTERPART_SENTENCES = 3  # the best passage's sentences closest to the question
_COUNTERPART_WORDS = 40


def missing_term(
    retrieval: RetrievalResult, embedder: Embedder, candidates: Sequence[Candidate] = ()
) -> float:
    """How rare and how unmatched the question's worst-covered word is in the best passage.

    A question that hinges on a word the passage neither contains nor has a counterpart for
    ("wool" against a passage on washing linen, "pause" against cancelling) is a neighbour's
    answer, however similar the rest. Each missing word weighs its rarity (0–1) times how
    far it is from its nearest word of the passage, by the embedding model's own measure.
    The counterparts are looked for in the passage's title and its sentences closest to the
    question (every word of a long passage would cost an embedding each).
    """
    missing = _missing_words(retrieval)
    if not missing or not retrieval.passages:
        return 0.0
    top = retrieval.passages[0]
    closest = sorted(
        (c for c in candidates if c.passage == 1), key=lambda c: c.similarity, reverse=True
    )[:_COUNTERPART_SENTENCES]
    text = " ".join([top.title, *(c.text for c in closest)]) if closest else answer_text(top)
    vocabulary = list(
        dict.fromkeys(
            w for w in words(text) if len(w) > 2 and w not in STOPWORDS and not w.isdigit()
        )
    )[:_COUNTERPART_WORDS]
    asked = list(missing)
    if not vocabulary:
        return max(missing.values())
    vectors = embedder.embed_documents([*asked, *vocabulary])
    nearest = (vectors[: len(asked)] @ vectors[len(asked) :].T).max(axis=1)
    span = _COUNTERPART_FULL - _COUNTERPART_FLOOR
    worst = 0.0
    for word, similarity in zip(asked, nearest, strict=True):
        matched = min(1.0, max(0.0, (float(similarity) - _COUNTERPART_FLOOR) / span))
        worst = max(worst, missing[word] * (1.0 - matched))
    return worst


def _missing_words(retrieval: RetrievalResult) -> dict[str, float]:
    """The question's words absent from the best passage, with their rarity (0–1)."""
    return {
        w: r
        for w, r in retrieval.missing.items()
        if w not in FILLER_WORDS and w not in STOPWORDS and r > 0
    }


def _list_items(raw: Sequence[tuple[int, int, str]]) -> set[tuple[int, int]]:
    """Positions of list items that belong to a list of two or more; a lone numbered line
    is a section heading ("2. Condition of returned items"), not a step."""
    found: set[tuple[int, int]] = set()
    for i, (number, position, text) in enumerate(raw):
        if not is_step(text):
            continue
        neighbours = [raw[j] for j in (i - 1, i + 1) if 0 <= j < len(raw)]
        if any(n == number and is_step(t) for n, _, t in neighbours):
            found.add((number, position))
    return found


def _overlap(wanted: set[str], text: str) -> float:
    if not wanted:
        return 0.0
    return len(wanted & set(content_tokens(text))) / len(wanted)


def _features(
    evidence: Evidence, retrieval: RetrievalResult, passages: Sequence[Passage], wanted: set[str]
) -> dict[str, float]:
    top_passage_words = (
        set(content_tokens(f"{passages[0].title} {passages[0].text}")) if passages else set()
    )
    sims = sorted((c.similarity for c in evidence.candidates), reverse=True)
    return {
        "top_dense": retrieval.top_dense,
        "dense_gap": retrieval.dense_gap,
        "best_sentence": sims[0] if sims else 0.0,
        "second_sentence": sims[1] if len(sims) > 1 else 0.0,
        "coverage": (len(wanted & top_passage_words) / len(wanted)) if wanted else 0.0,
        "weighted_coverage": max(retrieval.coverage, default=0.0),
        "title_similarity": _title_overlap(wanted, passages),
        "unknown_terms": float(min(len(retrieval.unknown_terms), 3)),
        "question_match": retrieval.top_question,
        "passage_question": retrieval.question_scores[0] if retrieval.question_scores else 0.0,
        "passage_lead": _lead(retrieval),
    }


def _lead(retrieval: RetrievalResult) -> float:
    """How far the best passage stands ahead of the next (fused scores): a clear winner is
    more often the right one than the first of several near-equal neighbours."""
    scores = [p.score for p in retrieval.passages]
    if len(scores) < 2 or scores[0] <= 0:
        return 1.0 if scores else 0.0
    return (scores[0] - scores[1]) / scores[0]


def _title_overlap(wanted: set[str], passages: Sequence[Passage]) -> float:
    if not wanted or not passages:
        return 0.0
    return len(wanted & set(content_tokens(passages[0].title))) / len(wanted)
