"""Charts of the operator console, drawn on the server as inline SVG.

Each chart is an `<svg role="img">` named by its `<title>` and summed up by its `<desc>`;
the page puts a table with the same numbers next to it. Colours keep 4.5:1 against white,
and series differ by pattern and order as well as by colour, with counts in the legend.
Text is escaped; there are no `style` attributes (the console's CSP forbids them), only
presentation attributes and classes. The `viewBox` lets a chart scale to its container.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

from kb_assistant.insights.types import DayCount

WIDTH = 640
INK = "#1f2328"
MUTED = "#59636e"
GRID = "#d0d7de"
# Fill colours, each at least 4.5:1 against white: green, amber, red, blue, purple, grey.
PALETTE = ("#1a7f37", "#9a6700", "#cf222e", "#0969da", "#8250df", "#57606a")
PATTERNS = ("solid", "stripes", "dots")
DAILY_SERIES = (("answered", "Answered"), ("dont_know", "I don't know"), ("escalated", "Escalated"))
FONT = 'font-family="system-ui, sans-serif" font-size="13"'


def _chart_id(kind: str, data: object) -> str:
    """An id for the chart's elements, stable for the same data (pages render repeatably)."""
    digest = hashlib.sha1(repr((kind, data)).encode(), usedforsecurity=False).hexdigest()
    return f"chart-{kind}-{digest[:8]}"


def _num(value: float) -> str:
    """A coordinate, short: at most two decimals."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _percent(part: int, total: int) -> str:
    return f"{100 * part / total:.1f} %" if total else "—"


def _svg(cid: str, height: float, title: str, desc: str, body: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {_num(height)}" width="100%" focusable="false" '
        f'aria-labelledby="{cid}-title {cid}-desc" {FONT}>'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def _empty(cid: str, title: str, message: str) -> Markup:
    body = (
        f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="47" rx="4" fill="none" '
        f'stroke="{GRID}"/><text x="{WIDTH / 2}" y="29" text-anchor="middle" '
        f'fill="{MUTED}">{escape(message)}</text>'
    )
    return _svg(cid, 48, title, message, body)


def _patterns(cid: str, count: int) -> str:
    """`<defs>` with one fill per series: solid, striped or dotted over the series colour."""
    defs = []
    for i in range(count):
        colour, kind = PALETTE[i % len(PALETTE)], PATTERNS[i % len(PATTERNS)]
        if kind == "solid":
            continue
        mark = (
            '<path d="M0 0V6" stroke="#ffffff" stroke-width="1.5"/>'
            if kind == "stripes"
            else '<circle cx="3" cy="3" r="1.2" fill="#ffffff"/>'
        )
        turn = ' patternTransform="rotate(45)"' if kind == "stripes" else ""
        defs.append(
            f'<pattern id="{cid}-fill{i}" width="6" height="6" '
            f'patternUnits="userSpaceOnUse"{turn}>'
            f'<rect width="6" height="6" fill="{colour}"/>{mark}</pattern>'
        )
    return f"<defs>{''.join(defs)}</defs>" if defs else ""


def _fill(cid: str, i: int) -> str:
    if PATTERNS[i % len(PATTERNS)] == "solid":
        return PALETTE[i % len(PALETTE)]
    return f"url(#{cid}-fill{i})"


def _swatch(cid: str, i: int, x: float, y: float, text: str) -> str:
    return (
        f'<rect x="{_num(x)}" y="{_num(y - 10)}" width="12" height="12" '
        f'fill="{_fill(cid, i)}" stroke="{INK}" stroke-width="0.5"/>'
        f'<text x="{_num(x + 17)}" y="{_num(y)}" fill="{INK}">{escape(text)}</text>'
    )


def _text_width(text: str) -> float:
    """Roughly how wide `text` is at the charts' font size."""
    return 7.2 * len(text)


def _step(top: int) -> int:
    """A round tick step (1, 2 or 5 times a power of ten) giving at most four intervals."""
    rough = max(top / 4, 1)
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _day_total(day: DayCount) -> int:
    return day.answered + day.dont_know + day.escalated


def _day_tip(day: DayCount) -> str:
    return (
        f"{day.day.isoformat()}: {day.conversations:,} conversations, "
        f"{_day_total(day):,} replies ({day.answered:,} answered, "
        f"{day.dont_know:,} I don't know, {day.escalated:,} escalated)"
    )


def _daily_desc(days: Sequence[DayCount]) -> str:
    conversations = sum(d.conversations for d in days)
    totals = [sum(getattr(d, key) for d in days) for key, _ in DAILY_SERIES]
    busiest = max(days, key=lambda d: d.conversations)
    return (
        f"{len(days)} days from {days[0].day.isoformat()} to {days[-1].day.isoformat()}: "
        f"{conversations:,} conversations and {sum(totals):,} replies, "
        f"{totals[0]:,} answered, {totals[1]:,} I don't know, {totals[2]:,} escalated. "
        f"Busiest day {busiest.day.isoformat()} with {busiest.conversations:,} conversations."
    )


DAILY_TITLE = "Conversations and replies per day"


def daily_bars(days: Sequence[DayCount], title: str = DAILY_TITLE) -> Markup:
    """Replies per day as bars stacked by outcome, with conversations per day as a line."""
    cid = _chart_id("daily", tuple(days))
    if not days:
        return _empty(cid, title, "No conversations in this period.")
    left, right, top_y, bottom_y = 44.0, WIDTH - 12.0, 34.0, 222.0
    peak = max(max(d.conversations, _day_total(d)) for d in days)
    step = _step(peak)
    top = max(step * math.ceil(peak / step), step)
    scale = (bottom_y - top_y) / top
    slot = (right - left) / len(days)
    parts = [_patterns(cid, len(DAILY_SERIES))]
    for tick in range(0, top + 1, step):
        y = bottom_y - tick * scale
        parts.append(
            f'<line x1="{_num(left)}" x2="{_num(right)}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="{GRID}"/><text x="{_num(left - 6)}" y="{_num(y + 4)}" '
            f'text-anchor="end" fill="{MUTED}">{tick:,}</text>'
        )
    points = []
    for i, day in enumerate(days):
        x = left + i * slot
        parts.append(_day_bar(cid, day, x + slot * 0.15, max(slot * 0.7, 0.5), bottom_y, scale))
        points.append(f"{_num(x + slot / 2)},{_num(bottom_y - day.conversations * scale)}")
    parts.append(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{INK}" '
        f'stroke-width="2" stroke-linejoin="round"/>'
    )
    parts.extend(_day_labels(days, left, slot, bottom_y))
    parts.append(_daily_legend(cid, days))
    return _svg(cid, bottom_y + 24, title, _daily_desc(days), "".join(parts))


def _day_bar(cid: str, day: DayCount, x: float, width: float, base: float, scale: float) -> str:
    """One day's replies, one rectangle per outcome stacked from `base` up, named by a tip."""
    rects = []
    for s, (key, _) in enumerate(DAILY_SERIES):
        height = getattr(day, key) * scale
        if height > 0:
            base -= height
            rects.append(
                f'<rect x="{_num(x)}" y="{_num(base)}" width="{_num(width)}" '
                f'height="{_num(height)}" fill="{_fill(cid, s)}"/>'
            )
    return f"<g><title>{escape(_day_tip(day))}</title>{''.join(rects)}</g>"


def _day_labels(days: Sequence[DayCount], left: float, slot: float, y: float) -> list[str]:
    count = min(len(days), 6)
    picks = sorted({round(i * (len(days) - 1) / max(count - 1, 1)) for i in range(count)})
    labels = []
    for i in picks:
        x = min(max(left + (i + 0.5) * slot, left + 22), WIDTH - 34)
        text = f"{days[i].day.day} {days[i].day:%b}"
        labels.append(
            f'<text x="{_num(x)}" y="{_num(y + 18)}" text-anchor="middle" '
            f'fill="{MUTED}">{escape(text)}</text>'
        )
    return labels


def _daily_legend(cid: str, days: Sequence[DayCount]) -> str:
    x, items = 44.0, []
    for s, (key, label) in enumerate(DAILY_SERIES):
        text = f"{label} ({sum(getattr(d, key) for d in days):,})"
        items.append(_swatch(cid, s, x, 16, text))
        x += _text_width(text) + 34
    text = f"Conversations ({sum(d.conversations for d in days):,})"
    items.append(
        f'<line x1="{_num(x)}" x2="{_num(x + 12)}" y1="12" y2="12" stroke="{INK}" '
        f'stroke-width="2"/><text x="{_num(x + 17)}" y="16" fill="{INK}">{escape(text)}</text>'
    )
    return f'<g class="legend">{"".join(items)}</g>'


def share_bar(parts: Iterable[tuple[str, int]], title: str = "Replies by outcome") -> Markup:
    """One bar split into each part's share of the whole, a legend row per part."""
    rows = [(str(label), max(int(count), 0)) for label, count in parts]
    cid = _chart_id("share", tuple(rows))
    if not rows:
        return _empty(cid, title, "Nothing to show.")
    total = sum(count for _, count in rows)
    body = [_patterns(cid, len(rows))]
    if total == 0:
        body.append(
            f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="31" fill="none" stroke="{GRID}"/>'
            f'<text x="{WIDTH / 2}" y="21" text-anchor="middle" fill="{MUTED}">None yet</text>'
        )
    x = 0.0
    for i, (_, count) in enumerate(rows):
        width = WIDTH * count / total if total else 0.0
        if width > 0:
            body.append(
                f'<rect x="{_num(x)}" y="0" width="{_num(width)}" height="32" '
                f'fill="{_fill(cid, i)}" stroke="#ffffff" stroke-width="2"/>'
            )
            if width >= 56:
                body.append(
                    f'<text x="{_num(x + width / 2)}" y="50" text-anchor="middle" '
                    f'fill="{INK}">{escape(_percent(count, total))}</text>'
                )
        x += width
    for i, (label, count) in enumerate(rows):
        text = f"{label}: {count:,} ({_percent(count, total)})"
        body.append(_swatch(cid, i, 0, 82 + 22 * i, text))
    desc = "; ".join(f"{label} {count:,} ({_percent(count, total)})" for label, count in rows)
    desc = f"{total:,} in all. {desc}."
    return _svg(cid, 70 + 22 * len(rows), title, desc, "".join(body))


def _clip(label: str, chars: int = 26) -> str:
    return label if len(label) <= chars else label[: chars - 1] + "…"


def bars(items: Iterable[tuple[str, int]], title: str = "Escalations by reason") -> Markup:
    """Horizontal bars, largest first, each labelled with its count and share."""
    rows = sorted(((str(k), max(int(v), 0)) for k, v in items), key=lambda r: (-r[1], r[0]))
    cid = _chart_id("bars", tuple(rows))
    if not rows:
        return _empty(cid, title, "None in this period.")
    total = sum(count for _, count in rows)
    peak = max(count for _, count in rows)
    label_w, value_w, row_h = 200.0, 110.0, 28.0
    span = WIDTH - label_w - value_w
    body = []
    for i, (label, count) in enumerate(rows):
        y = 4 + i * row_h
        width = span * count / peak if peak else 0.0
        value = f"{count:,} ({_percent(count, total)})"
        body.append(
            f"<g><title>{escape(f'{label}: {value}')}</title>"
            f'<text x="{_num(label_w - 8)}" y="{_num(y + 15)}" text-anchor="end" '
            f'fill="{INK}">{escape(_clip(label))}</text>'
            f'<rect x="{_num(label_w)}" y="{_num(y + 2)}" width="{_num(max(width, 1))}" '
            f'height="18" fill="{PALETTE[3]}"/>'
            f'<text x="{_num(label_w + width + 6)}" y="{_num(y + 15)}" '
            f'fill="{INK}">{escape(value)}</text></g>'
        )
    listed = "; ".join(f"{label} {count:,}" for label, count in rows[:10])
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    desc = f"{total:,} in all, largest first: {listed}{more}."
    return _svg(cid, 8 + len(rows) * row_h, title, desc, "".join(body))
