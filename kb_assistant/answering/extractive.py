"""The extractive composer: answers built only from sentences of the retrieved passages.

It needs no LLM. Customers get the answer first: the line that best answers the question,
the context needed to read it, a whole procedure when they asked how, only the matching line
of a list of facts, then further sentences while they fit a word budget, each rewritten in
plain language, with a friendly opening and at most one explained term. Agents get the
sentences of the best passage as written plus source excerpts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import get_args

from kb_assistant.answering.answer_first import Pick, shape
from kb_assistant.answering.budget import WORD_BUDGET, WordBudget, word_count
from kb_assistant.answering.evidence import Candidate, Evidence, answer_text, strip_step_marker
from kb_assistant.answering.glossary import Glossary
from kb_assistant.answering.lists import MAX_STEPS
from kb_assistant.answering.ranking import (
    OTHER_PASSAGE_MARGIN,
    anchor,
    floor_for,
    passage_kind,
    repeats,
    score,
)
from kb_assistant.answering.wording import opening
from kb_assistant.core.replies import AnswerRequest, Draft, Length, Statement, Tone
from kb_assistant.core.text import split_sentences
from kb_assistant.domain import Passage

__all__ = ["WORD_BUDGET", "ExtractiveComposer", "excerpt", "score", "select"]

SENTENCE_BUDGET = {"short": 2, "normal": 4, "detailed": 7}
AGENT_BUDGET = {"short": 4, "normal": 7, "detailed": 12}
EXCERPT_CHARS = 320
MAX_NOTES = 1  # explained terms in a customer answer
NOTE_CANDIDATES = 3  # terms considered, in order of use, for the one note that fits


class ExtractiveComposer:
    """Composes a draft from the evidence's candidate sentences."""

    name = "extractive"

    def __init__(
        self, glossary: Glossary | None = None, word_budget: Mapping[Length, int] = WORD_BUDGET
    ) -> None:
        self.glossary = glossary or Glossary()
        self.word_budget = word_budget

    def compose(
        self, request: AnswerRequest, passages: Sequence[Passage], evidence: Evidence
    ) -> Draft:
        if request.channel == "agent":
            chosen = select(evidence, request, passages)
            return Draft(tuple(_agent_statements(chosen, passages)), self.name)
        statements = [Statement(opening(request), kind="framing")]
        budget = WordBudget(self.word_budget[request.length])
        budget.spend(_opening_words(request))
        for pick in shape(evidence, request, passages, budget):
            statements.extend(_statements(pick))
        extra = self._glossary_notes(request, statements, passages, budget)
        return Draft(tuple(statements), self.name, extra_passages=tuple(extra))

    def _glossary_notes(
        self,
        request: AnswerRequest,
        statements: list[Statement],
        passages: Sequence[Passage],
        budget: WordBudget,
    ) -> list[Passage]:
        """A definition of jargon the answer uses and the customer did not, if it fits the
        budget: an explanation of a word the customer never sees is noise."""
        written = " ".join(s.text for s in statements if s.kind != "framing")
        extra: list[Passage] = []
        known = {p.chunk_id: number for number, p in enumerate(passages, start=1)}
        notes = 0
        for term in self.glossary.explain(written, request.question, limit=NOTE_CANDIDATES):
            if notes >= MAX_NOTES or not budget.take(word_count(term.definition)):
                continue
            number = known.get(term.passage.chunk_id)
            if number is None:
                extra.append(term.passage)
                number = len(passages) + len(extra)
            statements.append(Statement(term.definition, (number,), "note"))
            notes += 1
        return extra


def _opening_words(request: AnswerRequest) -> int:
    """The words of the longest opening any tone would use: the tone changes the opening,
    never which facts fit in the answer."""
    tones = get_args(Tone)
    return max(word_count(opening(dataclasses.replace(request, tone=t))) for t in tones)


def _statements(pick: Pick) -> list[Statement]:
    """A chosen sentence as statements citing its passage."""
    source = (pick.candidate.passage,)
    return [Statement(text, source, pick.kind, bullet=pick.bullet) for text in pick.texts()]


def select(
    evidence: Evidence, request: AnswerRequest, passages: Sequence[Passage] = ()
) -> list[Candidate]:
    """The sentences that answer the question, in reading order: the agent's selection
    (a customer answer is shaped by `answer_first.shape`).

    An FAQ answer is complete for its question, so other passages are added to it only in
    detailed answers; a manual or policy extract may take a close match from another passage.
    """
    if not evidence.candidates:
        return []
    budget = (AGENT_BUDGET if request.channel == "agent" else SENTENCE_BUDGET)[request.length]
    ranked = sorted(evidence.candidates, key=score, reverse=True)
    best = anchor(ranked)
    anchor_kind = passage_kind(best, passages)
    floor = floor_for(best, passages)
    own = [c for c in evidence.candidates if c.passage == best.passage]
    chosen = [c for c in own if not c.step and score(c) >= floor]
    chosen = sorted(chosen, key=score, reverse=True)[:budget]
    steps = [c for c in own if c.step]
    introduced = any(_introduces(c, own) for c in chosen)
    if steps and (best.step or introduced or any(score(s) >= floor for s in steps)):
        chosen.extend(steps[:MAX_STEPS])
        chosen.extend(_step_intro(own, steps[0], chosen))
    chosen.sort(key=lambda c: c.position)
    others = [
        c
        for c in ranked
        if c.passage != best.passage
        and not c.step
        and score(c) >= score(best) - OTHER_PASSAGE_MARGIN
    ]
    extra = 2 if request.length == "detailed" else 0 if anchor_kind == "faq" else 1
    for candidate in others[:extra]:
        if len(chosen) < budget + len(steps) and not repeats(candidate, chosen):
            chosen.append(candidate)
    return chosen


def _introduces(candidate: Candidate, own: list[Candidate]) -> bool:
    """Whether `candidate` ends with a colon right before a list item ("Delivery times:")."""
    following = [c for c in own if c.position == candidate.position + 1]
    return candidate.text.rstrip().endswith(":") and any(c.step for c in following)


def _step_intro(own: list[Candidate], first: Candidate, chosen: list[Candidate]) -> list[Candidate]:
    """The sentence that introduces a list of steps ("To return an item:")."""
    before = [c for c in own if c.position == first.position - 1 and not c.step]
    return [c for c in before if c not in chosen]


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
