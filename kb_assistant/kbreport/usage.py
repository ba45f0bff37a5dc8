"""Entries customers never reach: knowledge-base entries that no answer has used.

An entry is one document of the live index: an FAQ entry, a PDF, a ticket. It is *used*
when an answer a customer received cited it: an answer's citations are the passages it was
built from, shown under it as its sources, and the conversation store keeps them with every
reply. An entry that no answer cited, over a period with enough answers to tell, is one
customers never reach: nobody asks what it answers, or they ask in words that retrieve
something else, or another entry wins every time. It may be worth retiring, merging or
rewording; the most used entries, for their part, are the ones to keep most accurate.

An answer's citations carry an opaque key of the cited document (`domain.source_key`), so an
entry is matched exactly, however it is retitled; citations stored before the key was kept
are matched by title and place (the URL, or the location without its page range). Only
public entries are listed: customers' answers never draw on internal ones (tickets, by
default).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kb_assistant.conversations.types import CitedSource, SourceUsage
from kb_assistant.domain import source_key
from kb_assistant.ports import IndexRecord

MIN_ANSWERS = 50  # answers stored before entries are called never used
TOP_USED = 10  # most used entries listed
SECTION = "Entries never used in an answer"
MEANING = '"used" means cited as a source by an answer a customer received'


@dataclass(frozen=True)
class Entry:
    """A document of the live index, as a customer's answer would cite it."""

    doc_id: str
    title: str
    kind: str
    location: str
    url: str | None = None

    @property
    def cited_as(self) -> CitedSource:
        return CitedSource(self.title, self.url or self.location)

    def as_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "kind": self.kind,
            "location": self.location,
            "url": self.url,
        }


@dataclass(frozen=True)
class UsedEntry:
    """An entry and how many answers cited it."""

    entry: Entry
    answers: int

    def as_json(self) -> dict[str, Any]:
        return {**self.entry.as_json(), "answers": self.answers}


@dataclass(frozen=True)
class EntryUsage:
    """Which public entries customers' answers used, over the answers stored.

    `never_used` is empty unless at least `min_answers` answers are stored (fewer say
    little about an entry); `most_used` are the `TOP_USED` most cited, most first.
    """

    entries: int
    answers: int
    first_answer: datetime | None = None
    last_answer: datetime | None = None
    never_used: list[Entry] = field(default_factory=list)
    most_used: list[UsedEntry] = field(default_factory=list)
    min_answers: int = MIN_ANSWERS

    @property
    def enough_traffic(self) -> bool:
        return self.answers >= self.min_answers

    def period(self) -> str:
        if self.first_answer is None or self.last_answer is None:
            return "no answers stored"
        return f"{self.first_answer:%Y-%m-%d} to {self.last_answer:%Y-%m-%d}"

    def as_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "answers": self.answers,
            "first_answer": None if self.first_answer is None else self.first_answer.isoformat(),
            "last_answer": None if self.last_answer is None else self.last_answer.isoformat(),
            "min_answers": self.min_answers,
            "enough_traffic": self.enough_traffic,
            "never_used": [e.as_json() for e in self.never_used],
            "most_used": [u.as_json() for u in self.most_used],
        }


def entries_from_records(records: Iterable[IndexRecord]) -> list[Entry]:
    """One entry per public document of the index chunks (from its first chunk's metadata)."""
    entries: dict[str, Entry] = {}
    for record in records:
        meta = record.metadata
        doc_id = str(meta.get("doc_id") or record.id)
        if meta.get("visibility") != "public" or doc_id in entries:
            continue
        entries[doc_id] = Entry(
            doc_id=doc_id,
            title=str(meta.get("title") or ""),
            kind=str(meta.get("kind") or ""),
            location=str(meta.get("location") or meta.get("source") or doc_id),
            url=str(meta["url"]) if meta.get("url") else None,
        )
    return list(entries.values())


def entry_usage(
    entries: Sequence[Entry],
    usage: SourceUsage,
    *,
    min_answers: int = MIN_ANSWERS,
    top: int = TOP_USED,
) -> EntryUsage:
    """How often answers cited each entry: those never cited (with enough answers stored)
    and the `top` most cited."""
    counted = [
        UsedEntry(
            e,
            usage.cited.get(CitedSource.keyed(source_key(e.doc_id)), 0)
            + usage.cited.get(e.cited_as, 0),
        )
        for e in entries
    ]
    never = [u.entry for u in counted if u.answers == 0] if usage.answers >= min_answers else []
    used = sorted((u for u in counted if u.answers), key=lambda u: (-u.answers, u.entry.title))
    return EntryUsage(
        entries=len(entries),
        answers=usage.answers,
        first_answer=usage.first_answer,
        last_answer=usage.last_answer,
        never_used=sorted(never, key=lambda e: (e.kind, e.location.lower(), e.title.lower())),
        most_used=used[:top],
        min_answers=min_answers,
    )


def usage_lines(usage: EntryUsage, limit: int) -> list[str]:
    """The text report's section: the entries never used (at most `limit`), the most used."""
    if not usage.enough_traffic:
        return [
            f"{SECTION}: not enough traffic yet ({usage.answers:,} answers stored; the list "
            f"needs at least {usage.min_answers}).",
            *_most_used_lines(usage),
        ]
    lines = [
        f"{SECTION} ({len(usage.never_used)} of {usage.entries} public entries):",
        f"  over {usage.answers:,} answers from {usage.period()}; {MEANING}",
    ]
    lines += [
        f"  {n}. {e.kind}: {_short(e.title)} ({e.location})"
        for n, e in enumerate(usage.never_used[:limit], start=1)
    ]
    if len(usage.never_used) > limit:
        lines.append(f"  … and {len(usage.never_used) - limit} more (--json or --html lists all)")
    return [*lines, *_most_used_lines(usage)]


def _most_used_lines(usage: EntryUsage) -> list[str]:
    if not usage.most_used:
        return []
    return ["", "Most used entries:"] + [
        f"  {n}. {u.answers:,} answers: {_short(u.entry.title)} ({u.entry.location})"
        for n, u in enumerate(usage.most_used, start=1)
    ]


def usage_html(usage: EntryUsage, limit: int) -> list[str]:
    """The HTML page's section, every piece of knowledge-base text escaped."""
    esc = html.escape
    parts = [f'<h2 id="never_used">{esc(SECTION)} ({len(usage.never_used)})</h2>']
    if not usage.enough_traffic:
        parts.append(
            f'<p class="more">Not enough traffic yet: {usage.answers:,} answers stored; the '
            f"list needs at least {usage.min_answers}.</p>"
        )
    else:
        parts.append(
            f'<p class="meta">{usage.entries:,} public entries, {usage.answers:,} answers from '
            f"{esc(usage.period())}; {esc(MEANING)}.</p>"
        )
        parts += _table(
            ["Title", "Kind", "Location"],
            [[esc(e.title), esc(e.kind), esc(e.location)] for e in usage.never_used[:limit]],
        )
        if len(usage.never_used) > limit:
            more = len(usage.never_used) - limit
            parts.append(f'<p class="more">… and {more} more (see --json).</p>')
    if usage.most_used:
        parts.append(f"<h3>Most used entries ({len(usage.most_used)})</h3>")
        parts += _table(
            ["Answers", "Title", "Kind", "Location"],
            [
                [f"{u.answers:,}", esc(u.entry.title), esc(u.entry.kind), esc(u.entry.location)]
                for u in usage.most_used
            ],
        )
    return parts


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return ['<p class="none">None found.</p>']
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = ["<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows]
    return [f"<table><tr>{head}</tr>", *body, "</table>"]


def _short(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return f"“{flat if len(flat) <= limit else flat[: limit - 1].rstrip() + '…'}”"
