"""The knowledge-base health report: its findings, and the report as text, JSON and HTML.

The HTML page stands alone: inline CSS, inline SVG charts, no scripts, no external
resources, every piece of knowledge-base text escaped (a chunk may hold anything).
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kb_assistant.kbreport.contradictions import Contradiction
from kb_assistant.kbreport.duplicates import (
    Boilerplate,
    DuplicateGroup,
    NearDuplicate,
    UnitSize,
)

TEXT_LIMIT = 20  # findings of one kind listed in the text report (JSON and HTML list all)
HTML_LIMIT = 500  # findings of one kind listed on the HTML page
CHART_BARS = 12  # sources shown in the "findings per source" chart


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
    seconds: float = 0.0

    def summary(self) -> dict[str, int]:
        """How many findings of each kind, and how many units and documents were read."""
        counts = {kind: len(getattr(self, kind)) for kind in KINDS}
        return {"units": self.units, "documents": self.documents, **counts}

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
        }


def as_json(report: KbReport) -> dict[str, Any]:
    return report.as_json()


# --- text ---------------------------------------------------------------------------------


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


# --- HTML ---------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
  max-width: 72rem; padding: 0 1rem; color: #1d2330; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; font-size: 1.2rem; }
.meta { color: #5b6475; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .92rem; }
table.summary { width: auto; min-width: 20rem; }
th, td { border: 1px solid #d8dce4; padding: .35rem .5rem; text-align: left;
  vertical-align: top; }
th { background: #f2f4f8; } td.n { text-align: right; white-space: nowrap; }
.value { font-weight: 600; color: #a3261c; white-space: nowrap; }
.where { color: #5b6475; font-size: .85rem; }
.charts { display: flex; flex-wrap: wrap; gap: 2rem; }
.chart h3 { font-size: 1rem; margin: .4rem 0; }
.none { color: #2e7d32; } .more { color: #5b6475; font-style: italic; }
"""


def render_html(report: KbReport, title: str = "Knowledge base health report") -> str:
    """A self-contained page: the summary, two bar charts, then every kind of finding."""
    summary = report.summary()
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{summary["units"]} units from {summary["documents"]} documents, '
        f"checked in {report.seconds:.1f} s.</p>",
        '<table class="summary"><tr><th>Finding</th><th>Count</th></tr>',
        *(
            f'<tr><td>{esc(LABELS[kind])}</td><td class="n">{summary[kind]}</td></tr>'
            for kind in KINDS
        ),
        "</table>",
        '<div class="charts">',
        _chart("Findings per kind", [(LABELS[k], summary[k]) for k in KINDS]),
        _chart("Findings per source", report.findings_per_source().most_common(CHART_BARS)),
        "</div>",
    ]
    parts += _html_section(
        "contradictions",
        report.contradictions,
        ["Values", "First statement", "Second statement", "Similarity"],
        lambda c: [
            f'<span class="value">{esc(c.first.quantity.text)}</span> vs '
            f'<span class="value">{esc(c.second.quantity.text)}</span>'
            f'<div class="where">{esc(c.kind)}: {esc(c.first.quantity.label())} / '
            f"{esc(c.second.quantity.label())}</div>",
            _statement_cell(c.first.sentence, c.first.location),
            _statement_cell(c.second.sentence, c.second.location),
            f"{c.similarity:.2f}",
        ],
    )
    parts += _html_section(
        "duplicates",
        report.duplicates,
        ["Copies", "Text", "Where"],
        lambda g: [
            str(len(g.units)),
            esc(g.excerpt),
            "<br>".join(esc(u.location) for u in g.units),
        ],
    )
    parts += _html_section(
        "near_duplicates",
        report.near_duplicates,
        ["First", "Second", "Similarity"],
        lambda d: [esc(d.first.location), esc(d.second.location), f"{d.similarity:.0%}"],
    )
    parts += _html_section(
        "boilerplate",
        report.boilerplate,
        ["Text", "Units", "Documents", "For example"],
        lambda b: [
            esc(b.text),
            str(b.units),
            str(b.documents),
            "<br>".join(esc(u.location) for u in b.examples),
        ],
    )
    for kind in ("long_units", "short_units"):
        parts += _html_section(
            kind,
            getattr(report, kind),
            ["Words", "Where", "Text"],
            lambda s: [str(s.words), esc(s.unit.location), esc(s.excerpt)],
        )
    parts += _html_section(
        "unreadable",
        report.unreadable,
        ["Level", "Source", "Problem"],
        lambda u: [esc(u.level), esc(u.source), esc(u.message)],
    )
    parts += _html_section(
        "content_gaps",
        report.content_gaps,
        ["Asked", "Kind", "Question", "Detail"],
        lambda g: [str(g.asked), esc(g.kind), esc(g.question), esc(g.detail or "")],
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def _statement_cell(sentence: str, location: str) -> str:
    return f'{html.escape(sentence)}<div class="where">{html.escape(location)}</div>'


def _html_section(kind: str, items: Sequence[Any], headers: Sequence[str], cells: Any) -> list[str]:
    parts = [f'<h2 id="{kind}">{html.escape(LABELS[kind])} ({len(items)})</h2>']
    if not items:
        return [*parts, '<p class="none">None found.</p>']
    parts.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>")
    for item in items[:HTML_LIMIT]:
        parts.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells(item)) + "</tr>")
    parts.append("</table>")
    if len(items) > HTML_LIMIT:
        parts.append(f'<p class="more">… and {len(items) - HTML_LIMIT} more (see --json).</p>')
    return parts


def _chart(title: str, bars: Iterable[tuple[str, int]]) -> str:
    """A horizontal bar chart as inline SVG (labels escaped, no scripts, no fonts to fetch)."""
    rows = list(bars)
    label_width, bar_width, row_height = 230, 260, 22
    height = max(1, len(rows)) * row_height + 8
    width = label_width + bar_width + 50
    top = max((count for _, count in rows), default=0) or 1
    shapes = []
    for n, (label, count) in enumerate(rows):
        y = 4 + n * row_height
        length = round(bar_width * count / top)
        short = label if len(label) <= 34 else label[:33] + "…"
        shapes.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{html.escape(short)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{length}" height="{row_height - 6}" '
            f'fill="#3b6fd8"><title>{html.escape(label)}: {count}</title></rect>'
            f'<text x="{label_width + length + 5}" y="{y + 15}" font-size="12">{count}</text>'
        )
    if not rows:
        shapes.append(f'<text x="4" y="16" font-size="12">{html.escape("no findings")}</text>')
    return (
        f'<figure class="chart"><h3>{html.escape(title)}</h3>'
        f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{"".join(shapes)}</svg></figure>'
    )
