"""Turning verified statements into the reply text and its list of sources.

Customers get plain paragraphs, numbered steps, bulleted list items and the sources at the
end; each source carries its passage's text, so the chat can show the whole passage to a
customer who wants more than the answer. Agents get a citation number after every sentence
and the source excerpts. Sources are renumbered in order of first use, so the reply only
lists passages it actually cites.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb_assistant.answering.evidence import answer_text
from kb_assistant.core.replies import Citation, Statement
from kb_assistant.core.text import content_tokens, is_heading, split_sentences
from kb_assistant.domain import Channel, Passage
from kb_assistant.verify.instructions import strip_instructions

PASSAGE_TEXT_CHARS = 1500
SHOWN_SHARE = 0.8  # a passage sentence counts as shown when the answer has this share of its words
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]*]*(?=\s|$)")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def render(
    statements: Sequence[Statement], passages: Sequence[Passage], channel: Channel
) -> tuple[str, list[Citation]]:
    """The reply text and its citations."""
    renumber = _renumber(statements, len(passages))
    if channel == "agent":
        citations = [Citation.of(new, passages[old - 1]) for old, new in renumber.items()]
        return _agent_text(statements, renumber, citations), citations
    citations = [
        _customer_citation(new, old, statements, passages) for old, new in renumber.items()
    ]
    return _customer_text(statements, citations), citations


def _customer_citation(
    new: int, old: int, statements: Sequence[Statement], passages: Sequence[Passage]
) -> Citation:
    """A source with its passage's text, and whether the answer showed less than that."""
    passage = passages[old - 1]
    shown = [s.text for s in statements if old in s.sources and s.kind != "framing"]
    return Citation.of(
        new, passage, passage_text=passage_text(passage), abridged=_abridged(passage, shown)
    )


def passage_text(passage: Passage, limit: int = PASSAGE_TEXT_CHARS) -> str:
    """A passage's answer text as written (its lists stay lists), without instructions planted
    for an assistant, cut at the end of a sentence within `limit` characters."""
    lines = (_SPACES.sub(" ", line).strip() for line in answer_text(passage).splitlines())
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    text = strip_instructions(text).strip()
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit - 2)]
    cut = ends[-1] if ends else text.rfind(" ", 0, limit - 2)
    return text[: cut if cut > 0 else limit - 2].rstrip() + " …"


def _abridged(passage: Passage, shown: Sequence[str]) -> bool:
    """Whether some sentence of the passage is missing from what the answer says of it."""
    said = set(content_tokens(" ".join(shown)))
    for sentence in split_sentences(answer_text(passage)):
        words = set(content_tokens(sentence))
        if words and not is_heading(sentence) and len(words & said) < SHOWN_SHARE * len(words):
            return True
    return False


def _renumber(statements: Sequence[Statement], count: int) -> dict[int, int]:
    renumber: dict[int, int] = {}
    for statement in statements:
        for number in statement.sources:
            if 1 <= number <= count and number not in renumber:
                renumber[number] = len(renumber) + 1
    return renumber


def _customer_text(statements: Sequence[Statement], citations: Sequence[Citation]) -> str:
    blocks: list[str] = []
    listed: dict[int, str] = {}  # block index -> "step" or "bullet"
    paragraph: list[str] = []
    step = 0
    for statement in statements:
        shape = "step" if statement.kind == "step" else "bullet" if statement.bullet else ""
        if shape:
            if paragraph:
                blocks.append(" ".join(paragraph))
                paragraph = []
            step = step + 1 if shape == "step" else 0
            listed[len(blocks)] = shape
            blocks.append(f"{step}. {statement.text}" if shape == "step" else f"- {statement.text}")
            continue
        step = 0  # a list ends at the first statement that is not a step
        if statement.kind == "framing" and not blocks and not paragraph:
            blocks.append(statement.text)
            continue
        paragraph.append(statement.text)
    if paragraph:
        blocks.append(" ".join(paragraph))
    text = _join_blocks(blocks, listed)
    if citations:
        text += "\n\nSources:\n" + "\n".join(_source_line(c) for c in citations)
    return text


def _join_blocks(blocks: Sequence[str], listed: dict[int, str]) -> str:
    """Paragraphs separated by blank lines; consecutive items of one list stay together."""
    out = ""
    for i, block in enumerate(blocks):
        if not out:
            out = block
        elif i in listed and listed.get(i - 1) == listed[i]:
            out += "\n" + block
        else:
            out += "\n\n" + block
    return out


def _agent_text(
    statements: Sequence[Statement], renumber: dict[int, int], citations: Sequence[Citation]
) -> str:
    def marks(statement: Statement) -> str:
        numbers = sorted({renumber[n] for n in statement.sources if n in renumber})
        return "".join(f"[{n}]" for n in numbers)

    lines = [
        f"{'- ' if s.kind == 'step' else ''}{s.text} {marks(s)}".rstrip()
        for s in statements
        if s.kind != "excerpt"
    ]
    excerpts = [s for s in statements if s.kind == "excerpt"]
    text = " ".join(line for line in lines if not line.startswith("- "))
    steps = [line for line in lines if line.startswith("- ")]
    if steps:
        text += "\n" + "\n".join(steps)
    if citations:
        text += "\n\nSources:"
        for c in citations:
            text += f"\n[{c.number}] {c.title} ({c.location}, {c.visibility})"
            for s in excerpts:
                if any(renumber.get(n) == c.number for n in s.sources):
                    text += f"\n> {s.text}"
    return text.strip()


def _source_line(citation: Citation) -> str:
    return f"[{citation.number}] {citation.title} — {citation.location}"
