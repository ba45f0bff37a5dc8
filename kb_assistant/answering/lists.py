"""Lists in a passage: numbered procedures and bulleted lists of facts or options.

A numbered list ("1.", "2)", "Step 3") is a procedure whose steps only make sense together
and in order. A bulleted list of labelled facts ("- EU: 5–8 days") is a lookup table: a
customer wants the line that matches, not the table. The shape is read from the list
markers and the items themselves, never from what the list is about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kb_assistant.answering.evidence import Candidate, strip_step_marker
from kb_assistant.answering.ranking import score
from kb_assistant.core.text import numbers

_NUMBERED = re.compile(r"^\s*(?:\d+[.)]|step\s+\d+[:.]?)\s+", re.IGNORECASE)
# "**Label:** value" or "Label: value", with a short label.
_LABELLED = re.compile(r"^(?:\*\*)?(?P<label>[^:*.!?]{1,60}?)(?:\*\*)?:(?:\*\*)?\s+\S")
MAX_LABEL_WORDS = 6
MAX_STEPS = 10
SECOND_ITEM_MARGIN = 0.1  # a second item this close to the best one may join it


@dataclass(frozen=True)
class ListBlock:
    """Consecutive list items of one passage and the sentence right before them."""

    items: tuple[Candidate, ...]
    intro: Candidate | None
    numbered: bool
    labelled: bool  # most items are "Label: value" facts

    @property
    def lead_in(self) -> Candidate | None:
        """The intro when it leads into the items ("We accept:"): the items continue it, so
        an item cannot be read without it."""
        if self.intro is not None and ends_with_colon(self.intro):
            return self.intro
        return None

    @property
    def is_procedure(self) -> bool:
        """Numbered steps to follow in order (a numbered table of labelled facts is not)."""
        return self.numbered and not self.labelled

    @property
    def is_instructions(self) -> bool:
        """Items that are whole sentences: steps, or things to do, when the question asks how."""
        return not self.labelled

    def holds(self, candidate: Candidate) -> bool:
        return candidate in self.items


def ends_with_colon(candidate: Candidate) -> bool:
    """Whether a line leads into what follows it ("To return an item:")."""
    return candidate.text.rstrip(" *").endswith(":")


def is_numbered(candidate: Candidate) -> bool:
    """Whether a list item is numbered ("1.", "2)", "Step 3"): a step, not a bullet."""
    return bool(_NUMBERED.match(candidate.text))


def is_labelled(candidate: Candidate) -> bool:
    """Whether a list item is a labelled fact ("**UK standard:** 3–5 business days.")."""
    found = _LABELLED.match(strip_step_marker(candidate.text))
    return found is not None and len(found.group("label").split()) <= MAX_LABEL_WORDS


def list_blocks(own: Sequence[Candidate]) -> list[ListBlock]:
    """The lists among one passage's candidates (in reading order); a change of marker
    (bullets to numbers) starts a new list."""
    ordered = sorted(own, key=lambda c: c.position)
    blocks: list[ListBlock] = []
    run: list[Candidate] = []
    for candidate in [*ordered, None]:
        if candidate is not None and candidate.step and _continues(run, candidate):
            run.append(candidate)
            continue
        if run:
            blocks.append(_block(run, ordered))
        run = [candidate] if candidate is not None and candidate.step else []
    return blocks


def _continues(run: list[Candidate], candidate: Candidate) -> bool:
    if not run:
        return True
    last = run[-1]
    return last.position + 1 == candidate.position and is_numbered(last) == is_numbered(candidate)


def _block(run: list[Candidate], ordered: Sequence[Candidate]) -> ListBlock:
    before = [c for c in ordered if c.position == run[0].position - 1 and not c.step]
    labelled = sum(is_labelled(c) for c in run) * 2 >= len(run)
    numbered = sum(is_numbered(c) for c in run) * 2 > len(run)
    return ListBlock(tuple(run), before[0] if before else None, numbered, labelled)


def best_items(block: ListBlock) -> list[Candidate]:
    """The item that matches best, and the next one when the two stand out together: it is
    close to the best and further from the rest. Never the whole list."""
    ranked = sorted(block.items, key=score, reverse=True)
    chosen = ranked[:1]
    if len(ranked) >= 3:
        first, second, rest = (score(c) for c in ranked[:3])
        gap = first - second
        if gap <= SECOND_ITEM_MARGIN and gap < second - rest:
            chosen.append(ranked[1])
    return sorted(chosen, key=lambda c: c.position)


def figure_table(blocks: Sequence[ListBlock]) -> ListBlock | None:
    """The best-matching list of facts whose items hold figures (times, prices)."""
    tables = [b for b in blocks if not b.is_procedure and any(numbers(c.text) for c in b.items)]
    return max(tables, key=lambda b: max(score(c) for c in b.items)) if tables else None


def block_of(candidate: Candidate, blocks: Sequence[ListBlock]) -> ListBlock | None:
    """The list a candidate is an item or the lead-in of."""
    for block in blocks:
        if block.holds(candidate) or block.lead_in == candidate:
            return block
    return None
