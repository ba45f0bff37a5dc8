"""Answer first: which sentences a customer answer gives, in which order, within its budget.

The line that answers the question comes first, with only the context needed to read it
(the line a list item continues, a sentence it refers back to, one that qualifies it). A
procedure the customer asked for is given whole and in order. A list of facts gives only the
matching item(s). Other sentences follow, best first while they fit the word budget, and are
shown in reading order. The full passage stays one click away in the chat.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kb_assistant.answering.budget import WordBudget, word_count
from kb_assistant.answering.context import (
    direct_answer,
    neighbour,
    orphaned,
    qualifier,
    referred_to,
    stands_for,
)
from kb_assistant.answering.evidence import Candidate, Evidence, strip_step_marker
from kb_assistant.answering.lists import (
    MAX_STEPS,
    ListBlock,
    best_items,
    block_of,
    ends_with_colon,
    figure_table,
    list_blocks,
)
from kb_assistant.answering.plain import simplify
from kb_assistant.answering.ranking import (
    OTHER_PASSAGE_MARGIN,
    anchor,
    floor_for,
    passage_kind,
    repeats,
    score,
)
from kb_assistant.answering.wording import asks_how, wants_figure
from kb_assistant.core.replies import AnswerRequest, StatementKind
from kb_assistant.core.text import is_heading, numbers
from kb_assistant.domain import Passage

CLOSE_ITEM_MARGIN = 0.1  # a list item this close to the best sentence answers the question too
FIGURE_ITEMS = 2  # lines of a list of facts given when the question picks none of them


@dataclass(frozen=True)
class Pick:
    """A candidate sentence chosen for the answer and how it is shown."""

    candidate: Candidate
    kind: StatementKind = "claim"
    bullet: bool = False  # an item of an unordered list
    counted: bool = True  # steps of a procedure do not count against the word budget

    def texts(self) -> list[str]:
        """The plain-language sentence(s) it becomes; a list item stays one item."""
        parts = simplify(strip_step_marker(self.candidate.text))
        if self.kind == "step" or self.bullet:
            return [" ".join(parts)] if parts else []
        return parts

    @property
    def words(self) -> int:
        return sum(word_count(text) for text in self.texts())


def shape(
    evidence: Evidence, request: AnswerRequest, passages: Sequence[Passage], budget: WordBudget
) -> list[Pick]:
    """The sentences of a customer answer, in the order they are shown."""
    if not evidence.candidates:
        return []
    ranked = sorted(evidence.candidates, key=score, reverse=True)
    best = anchor(ranked)
    own = sorted((c for c in evidence.candidates if c.passage == best.passage), key=_position)
    blocks = list_blocks(own)
    procedure = _procedure(best, blocks, request.question, floor_for(best, passages))
    core = _procedure_picks(procedure) if procedure else _core(best, own, blocks)
    taken = {p.candidate for p in core}
    direct = _direct(own, request.question, passages, taken)
    budget.spend(sum(p.words for p in [*direct, *core] if p.counted))
    taken |= {p.candidate for p in direct}
    if direct:
        direct += _take(budget, _picks(stands_for(direct[0].candidate, own, taken)))
        taken |= {p.candidate for p in direct}
    if procedure is not None:
        lead_up = _take(budget, _procedure_lead_up(procedure, taken))
        picks = [*direct, *lead_up, *core]
        rest = _remainder(ranked, best, blocks, picks, request, passages, budget)
        return _around_procedure(procedure, direct, lead_up, core, rest)
    picks = [*direct, *_with_context(best, own, blocks, core, taken, budget, request.question)]
    return [*picks, *_remainder(ranked, best, blocks, picks, request, passages, budget)]


def _with_context(
    best: Candidate,
    own: Sequence[Candidate],
    blocks: Sequence[ListBlock],
    core: list[Pick],
    taken: set[Candidate],
    budget: WordBudget,
    question: str,
) -> list[Pick]:
    """The best sentence with what is needed to read it: the sentence it refers back to,
    one that qualifies it, and the matching line of a list that answers nearly as well (or,
    when the question asks for a figure the answer lacks, the list's first lines)."""
    if block_of(best, blocks) is not None:
        return core
    close = _take(budget, _close_items(best, blocks))
    before = _take(budget, _picks(referred_to(best, own, taken)))
    after = _take(budget, _picks(qualifier(core[-1].candidate, own, taken)))
    picks = [*before, *core, *after, *close]
    if close or not wants_figure(question) or _has_figure(picks):
        return picks
    for sample in _first_items(blocks):
        if fitted := _take(budget, sample):
            return [*picks, *fitted]
    return picks


def _has_figure(picks: Sequence[Pick]) -> bool:
    return any(numbers(text) for pick in picks for text in pick.texts())


def _first_items(blocks: Sequence[ListBlock]) -> list[list[Pick]]:
    """The first lines of the list of facts that holds figures, longest sample first: when
    the question picks no line of it, a list's first lines are its usual cases. Never the
    whole list (the full passage is one click away)."""
    block = figure_table(blocks)
    if block is None:
        return []
    lead_in = [Pick(block.lead_in)] if block.lead_in is not None else []
    most = min(FIGURE_ITEMS, len(block.items) - 1)
    return [
        [*lead_in, *(Pick(c, bullet=True) for c in block.items[:count])]
        for count in range(most, 0, -1)
    ]


def _position(candidate: Candidate) -> int:
    return candidate.position


def _procedure(
    best: Candidate, blocks: Sequence[ListBlock], question: str, floor: float
) -> ListBlock | None:
    """The list to give whole: numbered steps the best sentence is part of or introduces,
    or, for a question that asks how, the best-matching list of things to do."""
    for block in blocks:
        if block.is_procedure and (block.holds(best) or block.intro == best):
            return block
    doable = [b for b in blocks if b.is_instructions and _top(b) >= floor]
    if doable and asks_how(question):
        return max(doable, key=_top)
    return None


def _top(block: ListBlock) -> float:
    return max(score(c) for c in block.items)


def _procedure_picks(block: ListBlock) -> list[Pick]:
    """The steps in order, after the line that leads into them ("To descale it:"); a
    bulleted list of things to do stays bulleted."""
    picks = [Pick(block.lead_in)] if block.lead_in is not None else []
    kind: StatementKind = "step" if block.numbered else "claim"
    steps = block.items[:MAX_STEPS]
    return picks + [Pick(c, kind, bullet=not block.numbered, counted=False) for c in steps]


def _procedure_lead_up(procedure: ListBlock, chosen: set[Candidate]) -> list[Pick]:
    """The sentence right before the steps when it does not end with a colon ("When you
    are ready, open the basket."): it sets them up, so it comes first among the extras."""
    intro = procedure.intro
    if intro is None or intro in chosen or procedure.lead_in is not None:
        return []
    return [] if is_heading(intro.text) else [Pick(intro)]


def _around_procedure(
    procedure: ListBlock,
    direct: list[Pick],
    lead_up: list[Pick],
    core: list[Pick],
    rest: list[Pick],
) -> list[Pick]:
    """A procedure reads in source order: what leads up to its steps stays before them."""
    start = procedure.items[0]
    ahead = [
        p
        for p in rest
        if p.candidate.passage == start.passage and p.candidate.position < start.position
    ]
    behind = [p for p in rest if p not in ahead]
    return [*direct, *ahead, *lead_up, *core, *behind]


def _core(best: Candidate, own: Sequence[Candidate], blocks: Sequence[ListBlock]) -> list[Pick]:
    """The best sentence, or the best item(s) of a list of facts after the line they continue."""
    block = block_of(best, blocks)
    if block is not None:
        return _item_picks(block)
    picks = [Pick(best)]
    following = neighbour(own, best, 1)
    if ends_with_colon(best) and following is not None and not following.step:
        picks.append(Pick(following))
    return picks


def _item_picks(block: ListBlock) -> list[Pick]:
    lead_in = [Pick(block.lead_in)] if block.lead_in is not None else []
    return lead_in + [Pick(c, bullet=True) for c in best_items(block)]


def _close_items(best: Candidate, blocks: Sequence[ListBlock]) -> list[Pick]:
    """The matching item of a list of facts that scores nearly as well as the best sentence
    ("Delivery depends on where you live." then the line for the customer's country)."""
    near = [
        b
        for b in blocks
        if not b.is_procedure and _top(b) >= score(best) - CLOSE_ITEM_MARGIN and not b.holds(best)
    ]
    return _item_picks(max(near, key=_top)) if near else []


def _direct(
    own: Sequence[Candidate], question: str, passages: Sequence[Passage], taken: set[Candidate]
) -> list[Pick]:
    return _picks(direct_answer(own, question, passages, taken))


def _picks(candidate: Candidate | None) -> list[Pick]:
    return [] if candidate is None else [Pick(candidate)]


def _take(budget: WordBudget, picks: list[Pick]) -> list[Pick]:
    """All of `picks` if they fit together, else none (context without its sentence is noise)."""
    words = sum(p.words for p in picks if p.counted)
    return picks if picks and budget.take(words) else []


def _remainder(
    ranked: Sequence[Candidate],
    best: Candidate,
    blocks: Sequence[ListBlock],
    chosen: Iterable[Pick],
    request: AnswerRequest,
    passages: Sequence[Passage],
    budget: WordBudget,
) -> list[Pick]:
    """Further sentences, best first while they fit, shown in reading order. Items of lists
    are left out (a list item needs its list), and so are lines that lead into a list."""
    taken = [p.candidate for p in chosen]
    listed = {c for b in blocks for c in b.items}
    floor = floor_for(best, passages)
    own = [
        c
        for c in ranked
        if c.passage == best.passage
        and c not in taken
        and c not in listed
        and not ends_with_colon(c)
        and score(c) >= floor
    ]
    others = [
        c
        for c in ranked
        if c.passage != best.passage
        and not c.step
        and not ends_with_colon(c)
        and score(c) >= score(best) - OTHER_PASSAGE_MARGIN
    ][: _other_passages(request, best, passages)]
    kept: list[Candidate] = []
    for candidate in sorted([*own, *others], key=score, reverse=True):
        if candidate.passage != best.passage and repeats(candidate, [*taken, *kept]):
            continue
        if orphaned(candidate, ranked, [*taken, *kept]):
            continue
        if budget.take(Pick(candidate).words):
            kept.append(candidate)
    kept.sort(key=lambda c: (c.passage != best.passage, c.passage, c.position))
    return [Pick(c) for c in kept]


def _other_passages(request: AnswerRequest, best: Candidate, passages: Sequence[Passage]) -> int:
    """How many sentences other passages may add. An FAQ answer is complete for its question,
    so other passages join it only in detailed answers."""
    if request.length == "detailed":
        return 2
    return 0 if passage_kind(best, passages) == "faq" else 1
