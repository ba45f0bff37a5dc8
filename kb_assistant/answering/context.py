"""The sentences next to an answer that are needed to read it.

An answer taken out of its passage can lose what it leans on: "It is available in the UK
only." needs the sentence before it, "Yes." needs the one after it, and "But only before
dispatch." limits the one before it. These rules read sentence openings, never topics.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from kb_assistant.answering.evidence import Candidate, strip_step_marker
from kb_assistant.answering.lists import ends_with_colon
from kb_assistant.answering.ranking import passage_kind
from kb_assistant.core.text import content_tokens
from kb_assistant.domain import Passage

DIRECT_TITLE_JACCARD = 0.5  # how closely an FAQ's question must match for its "Yes"/"No"
BARE_ANSWER_WORDS = 2  # "Yes." or "No, sorry." says nothing without the sentence after it
# A sentence that cannot be read without the one before it.
_LEANS_BACK = re.compile(
    r"^\W*(?:it|its|this|that|these|those|they|their|them|such|so|but|also|however|then)\b",
    re.IGNORECASE,
)
# A sentence that limits or explains the one before it.
_QUALIFIES = re.compile(
    r"^\W*(?:but|however|unless|except|only|otherwise|this|that|these|those|it|they|such)\b",
    re.IGNORECASE,
)
_YES_NO_QUESTION = re.compile(
    r"^\W*(?:do|does|did|can|could|is|are|was|were|will|would|should|may|must|has|have|am)\b",
    re.IGNORECASE,
)
_YES_NO = re.compile(r"^\W*(?:yes|no)\b", re.IGNORECASE)


def neighbour(own: Sequence[Candidate], candidate: Candidate, step: int) -> Candidate | None:
    """The sentence `step` places after `candidate` in its passage (before, when negative)."""
    found = [c for c in own if c.position == candidate.position + step]
    return found[0] if found else None


def leans_back(candidate: Candidate) -> bool:
    """Whether a sentence refers back to the one before it ("It is available in the UK only.")."""
    return bool(_LEANS_BACK.match(strip_step_marker(candidate.text)))


def orphaned(
    candidate: Candidate, candidates: Sequence[Candidate], shown: Collection[Candidate]
) -> bool:
    """Whether a sentence refers back to one the answer does not show (it would point at
    nothing)."""
    if not leans_back(candidate):
        return False
    own = [c for c in candidates if c.passage == candidate.passage]
    previous = neighbour(own, candidate, -1)
    return previous is not None and previous not in shown


def _plain(candidate: Candidate | None, taken: Collection[Candidate]) -> Candidate | None:
    """The candidate if it is a sentence (not a list item) not chosen yet."""
    if candidate is None or candidate.step or candidate in taken:
        return None
    return candidate


def referred_to(
    best: Candidate, own: Sequence[Candidate], taken: Collection[Candidate]
) -> Candidate | None:
    """The sentence before `best` when `best` refers back to it or continues it."""
    previous = _plain(neighbour(own, best, -1), taken)
    if previous is None:
        return None
    return previous if leans_back(best) or ends_with_colon(previous) else None


def qualifier(
    last: Candidate, own: Sequence[Candidate], taken: Collection[Candidate]
) -> Candidate | None:
    """The sentence after `last` when it limits or explains it ("But only …")."""
    following = _plain(neighbour(own, last, 1), taken)
    if following is None or ends_with_colon(following):
        return None
    return following if _QUALIFIES.match(following.text) else None


def direct_answer(
    own: Sequence[Candidate],
    question: str,
    passages: Sequence[Passage],
    taken: Collection[Candidate],
) -> Candidate | None:
    """An FAQ answer's opening "Yes, …" or "No, …", when the FAQ was written for the yes/no
    question asked (another FAQ's "No" would answer a different question)."""
    first = _plain(own[0], taken) if own else None
    if first is None or not _YES_NO.match(first.text) or not _YES_NO_QUESTION.match(question):
        return None
    if passage_kind(first, passages) != "faq":
        return None
    asked = set(content_tokens(question))
    title = set(content_tokens(passages[first.passage - 1].title))
    if not asked or len(asked & title) / len(asked | title) < DIRECT_TITLE_JACCARD:
        return None
    return first


def stands_for(
    direct: Candidate, own: Sequence[Candidate], taken: Collection[Candidate]
) -> Candidate | None:
    """What a bare "Yes." or "No." means: the sentence right after it."""
    if len(direct.text.split()) > BARE_ANSWER_WORDS:
        return None
    return _plain(neighbour(own, direct, 1), taken)
