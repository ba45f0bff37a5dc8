"""The overview: conversations per day, the assistant's outcomes, why it escalated, how
customers rated it and how long they waited — over a period, in a handful of SQL queries.

Each query reads one indexed range (`conversations.created_at`, the messages' `(action,
created_at)`, the traces' `(created_at, action)`, the ratings' `updated_at`), so the page
costs the same whatever lies outside the period. The latency percentiles are read from the
latencies counted per 10 ms step (as a histogram-based monitoring system would), so the page
never loads one row per reply.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kb_assistant.conversations.tables import ConversationMessageRow, ConversationRow, FeedbackRow
from kb_assistant.conversations.traces import TurnTraceRow
from kb_assistant.insights.types import OUTCOMES, DayCount, Overview, Period

UNTRACED = "other"  # escalated replies stored before traces were kept
LONGEST_PERIOD_DAYS = 366
LATENCY_STEP_MS = 10.0


def period_ending(end: date, days: int) -> Period:
    """The `days` days up to and including `end`."""
    days = max(1, min(days, LONGEST_PERIOD_DAYS))
    return Period(end - timedelta(days=days - 1), end)


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as a half-open range of UTC times: [start 00:00, the day after end 00:00)."""
    start = datetime.combine(period.start, time.min, tzinfo=UTC)
    return start, datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=UTC)


def overview(engine: Engine, period: Period) -> Overview:
    """How the assistant did over `period`."""
    start, end = bounds(period)
    with Session(engine) as session:
        conversations = _conversations_per_day(session, start, end)
        outcomes_per_day = _outcomes_per_day(session, start, end)
        escalations = _escalations(session, start, end)
        ratings = _ratings(session, start, end)
        median, p95 = _latency(session, start, end)
    totals = {outcome: 0 for outcome in OUTCOMES}
    for counts in outcomes_per_day.values():
        for outcome, n in counts.items():
            totals[outcome] += n
    traced = sum(escalations.values())
    if totals["escalate"] > traced:
        escalations[UNTRACED] = escalations.get(UNTRACED, 0) + totals["escalate"] - traced
    daily = []
    for offset in range(period.days):
        day = period.start + timedelta(days=offset)
        counts = outcomes_per_day.get(day, {})
        daily.append(
            DayCount(
                day,
                conversations.get(day, 0),
                counts.get("answer", 0),
                counts.get("dont_know", 0),
                counts.get("escalate", 0),
            )
        )
    return Overview(
        start=period.start,
        end=period.end,
        conversations=sum(conversations.values()),
        replies=sum(totals.values()),
        outcomes=totals,
        escalations=dict(sorted(escalations.items(), key=lambda kv: (-kv[1], kv[0]))),
        thumbs_up=ratings.get("up", 0),
        thumbs_down=ratings.get("down", 0),
        latency_median_ms=median,
        latency_p95_ms=p95,
        daily=daily,
    )


def _day(value: object) -> date:
    """A `date(...)` result as a date (SQLite returns text, PostgreSQL a date)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _conversations_per_day(session: Session, start: datetime, end: datetime) -> dict[date, int]:
    day = func.date(ConversationRow.created_at)
    query = (
        select(day, func.count())
        .where(ConversationRow.created_at >= start, ConversationRow.created_at < end)
        .group_by(day)
    )
    return {_day(d): int(n) for d, n in session.execute(query)}


def _outcomes_per_day(
    session: Session, start: datetime, end: datetime
) -> dict[date, dict[str, int]]:
    reply = ConversationMessageRow
    day = func.date(reply.created_at)
    query = (
        select(day, reply.action, func.count())
        .where(reply.action.in_(OUTCOMES), reply.created_at >= start, reply.created_at < end)
        .group_by(day, reply.action)
    )
    found: dict[date, dict[str, int]] = defaultdict(dict)
    for d, action, n in session.execute(query):
        found[_day(d)][str(action)] = int(n)
    return found


def _escalations(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    trace = TurnTraceRow
    query = (
        select(trace.escalation, func.count())
        .where(
            trace.created_at >= start,
            trace.created_at < end,
            trace.action == "escalate",
        )
        .group_by(trace.escalation)
    )
    return {str(reason or UNTRACED): int(n) for reason, n in session.execute(query)}


def _ratings(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    query = (
        select(FeedbackRow.rating, func.count())
        .where(FeedbackRow.updated_at >= start, FeedbackRow.updated_at < end)
        .group_by(FeedbackRow.rating)
    )
    return {str(rating): int(n) for rating, n in session.execute(query)}


def _latency(session: Session, start: datetime, end: datetime) -> tuple[float | None, float | None]:
    """The median and 95th percentile (nearest rank) of the replies' latencies, to within
    `LATENCY_STEP_MS`: the database counts the latencies per step, so a year of replies comes
    back as a few thousand rows, not one row per reply."""
    trace = TurnTraceRow
    step = func.round(trace.latency_ms / LATENCY_STEP_MS)
    query = (
        select(step, func.count())
        .where(
            trace.created_at >= start,
            trace.created_at < end,
            trace.latency_ms.is_not(None),
        )
        .group_by(step)
        .order_by(step)
    )
    steps = [(float(value) * LATENCY_STEP_MS, int(n)) for value, n in session.execute(query)]
    count = sum(n for _, n in steps)
    if count == 0:
        return None, None

    def nth(rank: int) -> float:
        seen = 0
        for value, n in steps:
            seen += n
            if seen >= rank:
                return value
        return steps[-1][0]

    return nth((count + 1) // 2), nth(-(-95 * count // 100))
