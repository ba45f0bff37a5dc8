"""The extractive composer: answers built only from sentences of the retrieved passages.

It needs no LLM. It takes the passage whose sentences best match the question, keeps the
sentences of it that answer the question (all of its steps when the source has steps),
adds a close match from another passage when there is one, and rewrites each sentence in
plain language for customers — short sentences, everyday words, jargon explained from the
knowledge base's glossary, a friendly opening. Agents get the sentences as written plus
source excerpts.
"""

from __future__ import annotations

from collections.abc import Sequence

from kb_assistant.answering.evidence import Candidate, Evidence, answer_text, strip_step_marker
from kb_assistant.answering.glossary import Glossary
from kb_assistant.answering.plain import simplify
from kb_assistant.answering.text import content_tokens, split_sentences
from kb_assistant.answering.types import AnswerRequest, Draft, Statement, StatementKind
from kb_assistant.answering.wording import opening
from kb_assistant.domain import Passage

SENTENCE_BUDGET = {"short": 2, "normal": 4, "detailed": 7}
AGENT_BUDGET = {"short": 4, "normal": 7, "detailed": 12}
MAX_STEPS = 10
RELATIVE_FLOOR = 0.25  # keep sentences scoring within this of the best one
ABSOLUTE_FLOOR = 0.15
EXCERPT_CHARS = 320
ANCHOR_MARGIN = 0.1


PASSAGE_WEIGHT = 0.3


def score(candidate: Candidate) -> float:
    """How well a sentence answers the question. The passage's retrieval score counts too:
    retrieval judged the whole passage, which is steadier than one sentence's similarity."""
    return candidate.similarity + 0.15 * candidate.overlap + PASSAGE_WEIGHT * candidate.relevance


class ExtractiveComposer:
    """Composes a draft from the evidence's candidate sentences."""

    name = "extractive"

    def __init__(self, glossary: Glossary | None = None) -> None:
        self.glossary = glossary or Glossary()

    def compose(
        self, request: AnswerRequest, passages: Sequence[Passage], evidence: Evidence
    ) -> Draft:
        chosen = select(evidence, request, passages)
        if request.channel == "agent":
            return Draft(tuple(_agent_statements(chosen, passages)), self.name)
        statements = [Statement(opening(request), kind="framing")]
        for candidate in chosen:
            kind: StatementKind = "step" if candidate.step else "claim"
            text = strip_step_marker(candidate.text)
            for part in simplify(text):
                statements.append(Statement(part, (candidate.passage,), kind))
        extra = self._glossary_notes(request, statements, passages)
        return Draft(tuple(statements), self.name, extra_passages=tuple(extra))

    def _glossary_notes(
        self, request: AnswerRequest, statements: list[Statement], passages: Sequence[Passage]
    ) -> list[Passage]:
        written = " ".join(s.text for s in statements if s.kind != "framing")
        extra: list[Passage] = []
        known = {p.chunk_id: number for number, p in enumerate(passages, start=1)}
        for term in self.glossary.explain(written, request.question):
            number = known.get(term.passage.chunk_id)
            if number is None:
                extra.append(term.passage)
                number = len(passages) + len(extra)
            statements.append(Statement(term.definition, (number,), "note"))
        return extra


def select(
    evidence: Evidence, request: AnswerRequest, passages: Sequence[Passage] = ()
) -> list[Candidate]:
    """The sentences that answer the question, in reading order.

    An FAQ answer is complete for its question, so other passages are added to it only in
    detailed answers; a manual or policy extract may take a close match from another passage.
    """
    if not evidence.candidates:
        return []
    budget = (AGENT_BUDGET if request.channel == "agent" else SENTENCE_BUDGET)[request.length]
    ranked = sorted(evidence.candidates, key=score, reverse=True)
    best = _anchor(ranked)
    anchor_kind = passages[best.passage - 1].kind if len(passages) >= best.passage else ""
    # An FAQ answer is written for its question: keep its best sentences whatever the gap.
    floor = (
        ABSOLUTE_FLOOR
        if anchor_kind == "faq"
        else max(score(best) - RELATIVE_FLOOR, ABSOLUTE_FLOOR)
    )
    anchor = [c for c in evidence.candidates if c.passage == best.passage]
    chosen = [c for c in anchor if not c.step and score(c) >= floor]
    chosen = sorted(chosen, key=score, reverse=True)[:budget]
    steps = [c for c in anchor if c.step]
    introduced = any(_introduces(c, anchor) for c in chosen)
    if steps and (best.step or introduced or any(score(s) >= floor for s in steps)):
        chosen.extend(steps[:MAX_STEPS])
        chosen.extend(_step_intro(anchor, steps[0], chosen))
    chosen.sort(key=lambda c: c.position)
    others = [
        c
        for c in ranked
        if c.passage != best.passage and not c.step and score(c) >= score(best) - 0.1
    ]
    extra = 2 if request.length == "detailed" else 0 if anchor_kind == "faq" else 1
    for candidate in others[:extra]:
        if len(chosen) < budget + len(steps) and not _repeats(candidate, chosen):
            chosen.append(candidate)
    return chosen


def _anchor(ranked: list[Candidate]) -> Candidate:
    """The best sentence of the passage to answer from: the top retrieved passage, unless
    another passage has a clearly better sentence (sentence similarity alone is noisy)."""
    best = ranked[0]
    first = [c for c in ranked if c.passage == 1]
    if not first or best.similarity - max(c.similarity for c in first) >= ANCHOR_MARGIN:
        return best
    return first[0]


def _introduces(candidate: Candidate, anchor: list[Candidate]) -> bool:
    """Whether `candidate` ends with a colon right before a list item ("Delivery times:")."""
    following = [c for c in anchor if c.position == candidate.position + 1]
    return candidate.text.rstrip().endswith(":") and any(c.step for c in following)


def _step_intro(
    anchor: list[Candidate], first: Candidate, chosen: list[Candidate]
) -> list[Candidate]:
    """The sentence that introduces a list of steps ("To return an item:")."""
    before = [c for c in anchor if c.position == first.position - 1 and not c.step]
    return [c for c in before if c not in chosen]


def _repeats(candidate: Candidate, chosen: Sequence[Candidate]) -> bool:
    mine = set(content_tokens(candidate.text))
    for other in chosen:
        theirs = set(content_tokens(other.text))
        if mine and theirs and len(mine & theirs) / len(mine | theirs) >= 0.6:
            return True
    return False


def _agent_statements(chosen: list[Candidate], passages: Sequence[Passage]) -> list[Statement]:
    statements = [
        Statement(strip_step_marker(c.text), (c.passage,), "step" if c.step else "claim")
        for c in chosen
    ]
    for number, passage in enumerate(passages[:3], start=1):
        statements.append(Statement(excerpt(passage), (number,), "excerpt"))
    return statements


def excerpt(passage: Passage, limit: int = EXCERPT_CHARS) -> str:
    """The start of a passage's answer text, cut at a sentence boundary near `limit`."""
    text = ""
    for sentence in split_sentences(answer_text(passage)):
        if text and len(text) + len(sentence) + 1 > limit:
            return text + " …"
        text = f"{text} {sentence}".strip()
    return text
