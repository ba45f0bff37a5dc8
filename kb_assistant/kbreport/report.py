"""The knowledge-base health report: its findings and their summary.

`report_text` and `report_html` render a `KbReport` for a person; `as_json` for a program.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kb_assistant.kbreport.contradictions import Contradiction
from kb_assistant.kbreport.duplicates import (
    Boilerplate,
    DuplicateGroup,
    NearDuplicate,
    UnitSize,
)
from kb_assistant.kbreport.usage import Entry, EntryUsage


@dataclass(frozen=True)
class UnreadableSource:
    """A file or page ingestion could not read (a scanned page, a damaged file)."""

    source: str
    message: str
    level: str = "error"

    def as_json(self) -> dict[str, str]:
        return {"source": self.source, "message": self.message, "level": self.level}


@dataclass(frozen=True)
class ContentGap:
    """A customer question the knowledge base did not answer well: answered "I don't
    know" (`unanswered`) or rated down (`thumbs_down`)."""

    question: str
    kind: str
    detail: str | None = None
    asked: int = 1  # how many times customers asked it (the same words, case and spacing aside)

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "kind": self.kind,
            "detail": self.detail,
            "asked": self.asked,
        }


KINDS = (
    "contradictions",
    "duplicates",
    "near_duplicates",
    "boilerplate",
    "long_units",
    "short_units",
    "unreadable",
    "content_gaps",
    "never_used",
)
LABELS = {
    "contradictions": "Contradictions",
    "duplicates": "Exact duplicates",
    "near_duplicates": "Near duplicates",
    "boilerplate": "Boilerplate",
    "long_units": "Very long units",
    "short_units": "Very short units",
    "unreadable": "Unreadable sources",
    "content_gaps": "Content gaps",
    "never_used": "Entries never used",
}


@dataclass
class KbReport:
    """What a support lead should look at before trusting the assistant with these sources."""

    units: int
    documents: int
    contradictions: list[Contradiction] = field(default_factory=list)
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    near_duplicates: list[NearDuplicate] = field(default_factory=list)
    boilerplate: list[Boilerplate] = field(default_factory=list)
    long_units: list[UnitSize] = field(default_factory=list)
    short_units: list[UnitSize] = field(default_factory=list)
    unreadable: list[UnreadableSource] = field(default_factory=list)
    content_gaps: list[ContentGap] = field(default_factory=list)
    usage: EntryUsage | None = None  # None: customers' answers were not looked at
    seconds: float = 0.0

    @property
    def never_used(self) -> list[Entry]:
        """Public entries no customer's answer cited (none listed without enough answers)."""
        return [] if self.usage is None else self.usage.never_used

    def summary(self) -> dict[str, int]:
        """How many findings of each kind, and how many units, documents and customers'
        answers were read."""
        counts = {kind: len(getattr(self, kind)) for kind in KINDS}
        answers = 0 if self.usage is None else self.usage.answers
        return {"units": self.units, "documents": self.documents, "answers": answers, **counts}

    def findings_per_source(self) -> Counter[str]:
        """Findings each document is part of (a document's title, or its id)."""
        counted: Counter[str] = Counter()
        for c in self.contradictions:
            counted.update({m.title or m.doc_id for m in (c.first, c.second)})
        for group in self.duplicates:
            counted.update({u.title or u.doc_id for u in group.units})
        for pair in self.near_duplicates:
            counted.update({u.title or u.doc_id for u in (pair.first, pair.second)})
        for b in self.boilerplate:
            counted.update({u.title or u.doc_id for u in b.examples})
        for size in (*self.long_units, *self.short_units):
            counted[size.unit.title or size.unit.doc_id] += 1
        return counted

    def as_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "seconds": round(self.seconds, 3),
            "contradictions": [c.as_json() for c in self.contradictions],
            "duplicates": [g.as_json() for g in self.duplicates],
            "near_duplicates": [d.as_json() for d in self.near_duplicates],
            "boilerplate": [b.as_json() for b in self.boilerplate],
            "long_units": [s.as_json() for s in self.long_units],
            "short_units": [s.as_json() for s in self.short_units],
            "unreadable": [u.as_json() for u in self.unreadable],
            "content_gaps": [g.as_json() for g in self.content_gaps],
            "entry_usage": None if self.usage is None else self.usage.as_json(),
        }


def as_json(report: KbReport) -> dict[str, Any]:
    return report.as_json()


def ranked(gaps: Sequence[ContentGap]) -> list[ContentGap]:
    """One row per question and kind (case, spacing and end punctuation aside), most often
    asked first; the newest wording and detail are kept (the list comes newest first)."""
    merged: dict[tuple[str, str], ContentGap] = {}
    for gap in gaps:
        key = (gap.kind, " ".join(gap.question.lower().split()).rstrip("?!. "))
        seen = merged.get(key)
        merged[key] = gap if seen is None else replace(seen, asked=seen.asked + gap.asked)
    return sorted(merged.values(), key=lambda g: -g.asked)
