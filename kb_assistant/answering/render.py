"""Turning verified statements into the reply text and its list of sources.

Customers get plain paragraphs, numbered steps and the sources at the end; agents get a
citation number after every sentence and the source excerpts. Sources are renumbered in
order of first use, so the reply only lists passages it actually cites.
"""

from __future__ import annotations

from collections.abc import Sequence

from kb_assistant.answering.types import Citation, Statement
from kb_assistant.domain import Passage
from kb_assistant.retrieval import Channel


def render(
    statements: Sequence[Statement], passages: Sequence[Passage], channel: Channel
) -> tuple[str, list[Citation]]:
    """The reply text and its citations."""
    renumber = _renumber(statements, len(passages))
    citations = [Citation.of(new, passages[old - 1]) for old, new in renumber.items()]
    if channel == "agent":
        return _agent_text(statements, renumber, citations), citations
    return _customer_text(statements, citations), citations


def _renumber(statements: Sequence[Statement], count: int) -> dict[int, int]:
    renumber: dict[int, int] = {}
    for statement in statements:
        for number in statement.sources:
            if 1 <= number <= count and number not in renumber:
                renumber[number] = len(renumber) + 1
    return renumber


def _customer_text(statements: Sequence[Statement], citations: Sequence[Citation]) -> str:
    blocks: list[str] = []
    step_blocks: set[int] = set()
    paragraph: list[str] = []
    step = 0
    for statement in statements:
        if statement.kind == "step":
            if paragraph:
                blocks.append(" ".join(paragraph))
                paragraph = []
            step += 1
            step_blocks.add(len(blocks))
            blocks.append(f"{step}. {statement.text}")
            continue
        step = 0  # a list ends at the first statement that is not a step
        if statement.kind == "framing" and not blocks and not paragraph:
            blocks.append(statement.text)
            continue
        paragraph.append(statement.text)
    if paragraph:
        blocks.append(" ".join(paragraph))
    text = _join_blocks(blocks, step_blocks)
    if citations:
        text += "\n\nSources:\n" + "\n".join(_source_line(c) for c in citations)
    return text


def _join_blocks(blocks: Sequence[str], steps: set[int]) -> str:
    """Paragraphs separated by blank lines; consecutive list items stay together."""
    out = ""
    for i, block in enumerate(blocks):
        if not out:
            out = block
        elif i in steps and i - 1 in steps:
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
