"""How well a candidate sentence answers the question, and which passage to answer from.

Shared by the agent's sentence selection and the customer's answer-first shaping, so both
channels agree on what "the best sentence" is.
"""

from __future__ import annotations

from collections.abc import Sequence

from kb_assistant.answering.evidence import Candidate
from kb_assistant.core.text import content_tokens
from kb_assistant.domain import Passage

PASSAGE_WEIGHT = 0.3
ANCHOR_MARGIN = 0.1
RELATIVE_FLOOR = 0.25  # keep sentences scoring within this of the best one
ABSOLUTE_FLOOR = 0.15
OTHER_PASSAGE_MARGIN = 0.1  # a sentence of another passage this close to the best may join
REPEAT_JACCARD = 0.6


def score(candidate: Candidate) -> float:
    """How well a sentence answers the question. The passage's retrieval score counts too:
    retrieval judged the whole passage, which is steadier than one sentence's similarity."""
    return candidate.similarity + 0.15 * candidate.overlap + PASSAGE_WEIGHT * candidate.relevance


def anchor(ranked: Sequence[Candidate]) -> Candidate:
    """The best sentence of the passage to answer from: the top retrieved passage, unless
    another passage has a clearly better sentence (sentence similarity alone is noisy)."""
    best = ranked[0]
    first = [c for c in ranked if c.passage == 1]
    if not first or best.similarity - max(c.similarity for c in first) >= ANCHOR_MARGIN:
        return best
    return first[0]


def floor_for(best: Candidate, passages: Sequence[Passage]) -> float:
    """The lowest score a sentence of the anchor passage may have to be kept. An FAQ answer
    is written for its question, so its sentences are kept whatever the gap to the best."""
    if passage_kind(best, passages) == "faq":
        return ABSOLUTE_FLOOR
    return max(score(best) - RELATIVE_FLOOR, ABSOLUTE_FLOOR)


def passage_kind(candidate: Candidate, passages: Sequence[Passage]) -> str:
    """The kind ("faq", "pdf", …) of the passage a candidate comes from; "" when unknown."""
    return passages[candidate.passage - 1].kind if len(passages) >= candidate.passage else ""


def repeats(candidate: Candidate, chosen: Sequence[Candidate]) -> bool:
    """Whether `candidate` says nearly the same as a sentence already chosen (the same FAQ
    line copied into a manual, say)."""
    mine = set(content_tokens(candidate.text))
    for other in chosen:
        theirs = set(content_tokens(other.text))
        if mine and theirs and len(mine & theirs) / len(mine | theirs) >= REPEAT_JACCARD:
            return True
    return False
