"""The questions a chunk answers, indexed as their own field.

Customers ask questions; an FAQ entry is written under one, and a manual or policy under
headings that name what a section is about. Matching the customer's question against these
short texts (question to question) is a different, complementary signal to matching it
against the answer text, so each chunk carries the questions it answers:

- an FAQ entry: its question;
- a ticket: its subject;
- any other document (PDF, text): the headings found in the chunk, else the last heading of
  an earlier chunk of the same document (a section runs on), and the document's title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from kb_assistant.domain import Chunk, Document
from kb_assistant.index.question_field import MAX_QUESTIONS

_FAQ_LEAD = re.compile(r"^\s*Q:\s*[^\n]*\n\s*A:\s*")
_NUMBERED = re.compile(r"^(?:\d+(?:\.\d+)*[.)]?|[A-Z][.)])\s+\S")
_SENTENCE_END = (".", ",", ";", ":", "!")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d+(?:\s*(?:of|/)\s*\d+)?$", re.IGNORECASE)


def chunk_questions(doc: Document, chunks: Sequence[Chunk]) -> list[list[str]]:
    """For each chunk of `doc`, in order, the questions it answers (at least one)."""
    title = " ".join(doc.title.split())
    if doc.kind == "faq":
        return [[title] for _ in chunks]
    if doc.kind == "ticket":
        return [[_without_ticket_number(title)] for _ in chunks]
    per_chunk = [headings_in(_FAQ_LEAD.sub("", chunk.text)) for chunk in chunks]
    repeated = _running_lines(per_chunk)
    found: list[list[str]] = []
    carried = ""
    for headings in per_chunk:
        headings = [h for h in headings if h != title and h not in repeated]
        questions = headings or ([carried] if carried else [])
        if headings:
            carried = headings[-1]
        found.append([*_unique(questions)[: MAX_QUESTIONS - 1], title])
    return found


def _running_lines(per_chunk: Sequence[Sequence[str]]) -> set[str]:
    """Lines found in two chunks that are not neighbours: running headers and footers
    (a heading repeats only in the overlap of consecutive chunks)."""
    seen: dict[str, list[int]] = {}
    for number, lines in enumerate(per_chunk):
        for line in set(lines):
            seen.setdefault(line, []).append(number)
    return {line for line, numbers in seen.items() if any(b - a > 1 for a, b in pairwise(numbers))}


def headings_in(text: str) -> list[str]:
    """Lines that read as headings: short, no sentence punctuation at the end, capitalised or
    numbered ("3. Refunds", "Troubleshooting", "Care and cleaning")."""
    lines = [" ".join(raw.split()) for raw in text.splitlines()]
    headings = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if _is_heading(line) and not following[:1].islower():
            headings.append(line)  # a line the next one continues is a wrapped sentence
    return headings


def _is_heading(line: str) -> bool:
    letters = sum(ch.isalpha() for ch in line)
    words = line.split()
    if not (3 <= len(line) <= 70) or letters < 3 or letters < len(line) / 2:
        return False
    if line.endswith(_SENTENCE_END) or len(words) > 9:
        return False
    if line.startswith(("-", "•", "*")) or _PAGE_NUMBER.match(line):
        return False  # a list item, not a heading
    if _NUMBERED.match(line):
        return True
    return line[0].isupper() and not any(ch.isdigit() for ch in line)


def _unique(texts: Sequence[str]) -> list[str]:
    """The texts without repeats, case ignored, first spelling kept."""
    first: dict[str, str] = {}
    for text in texts:
        if text:
            first.setdefault(text.lower(), text)
    return list(first.values())


def _without_ticket_number(title: str) -> str:
    return re.sub(r"^Ticket\s+\S+:\s*", "", title)
