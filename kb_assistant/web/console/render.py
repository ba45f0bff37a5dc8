"""Rendering the console's pages: the Jinja environment, its filters and globals.

Everything is escaped (templates and strings alike) and an undefined name is an error,
so a page never shows a customer's text as HTML nor silently drops a value. The filters
say how the console writes shares, latencies, ages and times, the same on every page.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kb_assistant.web.console.charts import bars, daily_bars, share_bar

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"  # served at /console/static/

NONE = "—"
NAV = (
    ("overview", "/console", "Overview"),
    ("gaps", "/console/gaps", "Content gaps"),
    ("conversations", "/console/conversations", "Conversations"),
    ("cases", "/console/cases", "Cases"),
    ("kb", "/console/kb", "Knowledge base"),
)
OUTCOME_LABELS = {"answer": "Answered", "dont_know": "I don't know", "escalate": "Escalated"}
CASE_STATES = ("open", "claimed", "resolved")


def percent(share: float | None) -> str:
    """A share from 0 to 1 as a percentage with one decimal: 0.123 → "12.3 %"."""
    return NONE if share is None else f"{100 * share:.1f} %"


def ms(latency: float | None) -> str:
    """A latency in milliseconds: "80 ms" below a second, "1.23 s" above."""
    if latency is None:
        return NONE
    if round(latency) < 1000:
        return f"{round(latency)} ms"
    return f"{latency / 1000:.2f} s"


def age(seconds: float | None) -> str:
    """How long ago, in the two largest units: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    if seconds is None:
        return NONE
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{secs} s"


def _utc(moment: datetime) -> datetime:
    """A time in UTC; one without a time zone is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def when(moment: datetime | date | None) -> str:
    """A time as "2026-12-07 14:03 UTC", a day as "2026-12-07"."""
    if moment is None:
        return NONE
    if isinstance(moment, datetime):
        return f"{_utc(moment):%Y-%m-%d %H:%M} UTC"
    return moment.isoformat()


def iso(moment: datetime | date | None) -> str:
    """A time or day in ISO 8601, for `<time datetime=…>`; empty for none."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return _utc(moment).isoformat(timespec="seconds").replace("+00:00", "Z")
    return moment.isoformat()


def number(count: int | None) -> str:
    """A count with thousands separators: 12345 → "12,345"."""
    return NONE if count is None else f"{count:,}"


def decimal(value: float | None, places: int = 2) -> str:
    """A score or confidence with a fixed number of decimals: 0.8234 → "0.82"."""
    return NONE if value is None else f"{value:.{places}f}"


def humanize(key: str | None) -> str:
    """A machine key as words: "person_request" → "Person request"."""
    if not key:
        return NONE
    words = str(key).replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def outcome(action: str | None) -> str:
    """An assistant action as the console names it: "dont_know" → "I don't know"."""
    return OUTCOME_LABELS.get(action or "", humanize(action))


def labelled(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Counts by key as (words, count) pairs, largest first: for the charts and their tables."""
    return sorted(((humanize(k), int(v)) for k, v in counts.items()), key=lambda p: (-p[1], p[0]))


@functools.cache
def environment() -> Environment:
    """The console's Jinja environment, made once."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        percent=percent,
        ms=ms,
        age=age,
        when=when,
        iso=iso,
        number=number,
        decimal=decimal,
        humanize=humanize,
        outcome=outcome,
        labelled=labelled,
    )
    env.globals.update(
        daily_bars=daily_bars,
        share_bar=share_bar,
        bars=bars,
        NAV=NAV,
        CASE_STATES=CASE_STATES,
    )
    return env


def render(template: str, **context: object) -> str:
    """The page `template` (a file name in `templates/`, e.g. "overview.html") as HTML."""
    return environment().get_template(template).render(**context)
