"""The knowledge-base health report as plain text, for a terminal: the summary, then the
first findings of each kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kb_assistant.kbreport.contradictions import Contradiction
from kb_assistant.kbreport.duplicates import Boilerplate, DuplicateGroup, NearDuplicate, UnitSize
from kb_assistant.kbreport.report import KINDS, LABELS, ContentGap, KbReport, UnreadableSource
from kb_assistant.kbreport.usage import usage_lines

TEXT_LIMIT = 20  # findings of one kind listed in the text report (JSON and HTML list all)


def render_text(report: KbReport, limit: int = TEXT_LIMIT) -> str:
    """The summary, then each kind of finding (at most `limit` of each)."""
    summary = report.summary()
    lines = [
        f"Knowledge base health: {summary['units']} units from {summary['documents']} "
        f"documents, checked in {report.seconds:.1f} s",
    ]
    lines += [f"  {LABELS[kind]:<20} {summary[kind]:>6}" for kind in KINDS]
    sections = (
        ("contradictions", _contradiction_lines),
        ("duplicates", _duplicate_lines),
        ("near_duplicates", _near_lines),
        ("boilerplate", _boilerplate_lines),
        ("long_units", _size_lines),
        ("short_units", _size_lines),
        ("unreadable", _unreadable_lines),
        ("content_gaps", _gap_lines),
    )
    for kind, describe in sections:
        items: Sequence[Any] = getattr(report, kind)
        if not items:
            continue
        lines += ["", f"{LABELS[kind]} ({len(items)}):"]
        for number, item in enumerate(items[:limit], start=1):
            lines += describe(number, item)
        if len(items) > limit:
            lines.append(f"  … and {len(items) - limit} more (--json or --html lists all)")
    if report.usage is not None:
        lines += ["", *usage_lines(report.usage, limit)]
    if not any(summary[kind] for kind in KINDS):
        lines += ["", "No problems found."]
    return "\n".join(lines)


def _contradiction_lines(number: int, c: Contradiction) -> list[str]:
    a, b = c.first, c.second
    return [
        f"  {number}. {a.quantity.text} vs {b.quantity.text} ({c.kind}, "
        f"similarity {c.similarity:.2f})",
        f"     {a.location}: {_quote(a.sentence)}",
        f"     {b.location}: {_quote(b.sentence)}",
    ]


def _duplicate_lines(number: int, group: DuplicateGroup) -> list[str]:
    return [
        f"  {number}. {len(group.units)} copies: {_quote(group.excerpt)}",
        *(f"     {u.location}" for u in group.units),
    ]


def _near_lines(number: int, pair: NearDuplicate) -> list[str]:
    return [
        f"  {number}. {pair.similarity:.0%} alike: {pair.first.location}",
        f"     and {pair.second.location}",
    ]


def _boilerplate_lines(number: int, b: Boilerplate) -> list[str]:
    places = ", ".join(u.location for u in b.examples[:3])
    return [
        f"  {number}. in {b.units} units of {b.documents} documents: {_quote(b.text)}",
        f"     e.g. {places}",
    ]


def _size_lines(number: int, size: UnitSize) -> list[str]:
    return [f"  {number}. {size.words} words: {size.unit.location}: {_quote(size.excerpt)}"]


def _unreadable_lines(number: int, item: UnreadableSource) -> list[str]:
    return [f"  {number}. {item.level}: {item.source}: {item.message}"]


def _gap_lines(number: int, gap: ContentGap) -> list[str]:
    detail = f" ({gap.detail})" if gap.detail else ""
    times = f", asked {gap.asked} times" if gap.asked > 1 else ""
    return [f"  {number}. {gap.kind}{times}: {_quote(gap.question)}{detail}"]


def _quote(text: str, limit: int = 220) -> str:
    flat = " ".join(text.split())
    return f"“{flat if len(flat) <= limit else flat[: limit - 1].rstrip() + '…'}”"
