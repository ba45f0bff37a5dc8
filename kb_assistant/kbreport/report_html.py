"""The knowledge-base health report as one HTML page: the summary, two bar charts, then
every kind of finding.

The page stands alone: inline CSS, inline SVG charts, no scripts, no external resources,
every piece of knowledge-base text escaped (a chunk may hold anything).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from kb_assistant.kbreport.report import KINDS, LABELS, KbReport
from kb_assistant.kbreport.usage import usage_html

HTML_LIMIT = 500  # findings of one kind listed on the HTML page
CHART_BARS = 12  # sources shown in the "findings per source" chart

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
    if report.usage is not None:
        parts += usage_html(report.usage, HTML_LIMIT)
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
