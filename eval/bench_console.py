"""The operator console's overview over 100,000 conversations: how long the page takes.

A SQLite database (the default store) made at the newest schema is filled with 100,000
synthetic conversations spread over a year — a customer message and a reply each, a trace
for every reply (outcome, escalation reason, latency), ratings on one reply in twenty — then
the overview is read for periods of 30, 90 and 365 days, and its page rendered. The baseline,
measured in the same run on the same data, is the same queries with the tables' indexes
dropped. The conversation search is timed as well.

Reproduce: `python -m eval.bench --only console`.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, insert, text

from kb_assistant.conversations.tables import ConversationMessageRow, ConversationRow, FeedbackRow
from kb_assistant.conversations.traces import TurnTraceRow
from kb_assistant.core.redaction import Redactor
from kb_assistant.insights.overview import overview, period_ending
from kb_assistant.insights.transcripts import Transcripts
from kb_assistant.settings import Settings
from kb_assistant.storage.databases import databases_for
from kb_assistant.web.console.render import render

CONVERSATIONS = 100_000
DAYS = 365
PERIODS = (30, 90, 365)
TARGET_S = 1.0
REPEAT = 5
BATCH = 5_000
OUTCOMES = (("answer", 0.7), ("dont_know", 0.2), ("escalate", 0.1))
REASONS = ("money_action", "person_request", "security", "delivery_problem")
QUESTIONS = (
    "How long does delivery take?",
    "Can I return a sale item?",
    "I was charged twice for my order",
    "Where is my parcel?",
    "Do you ship to Norway?",
)
INDEXES = (
    "ix_conversations_created_at",
    "ix_conversation_messages_action",
    "ix_conversation_traces_created_at",
    "ix_conversation_feedback_updated_at",
)


@dataclass(frozen=True)
class Timing:
    what: str
    days: int
    indexed_s: float
    unindexed_s: float


@dataclass(frozen=True)
class ConsoleBench:
    conversations: int
    rows: dict[str, int]
    fill_s: float
    timings: list[Timing]
    page_s: float  # the 365-day overview read and rendered, indexed
    search_s: float


def fill(engine: Engine, conversations: int = CONVERSATIONS, seed: int = 7) -> dict[str, int]:
    """`conversations` synthetic conversations over the last `DAYS` days; rows per table."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    counts = {"conversations": 0, "messages": 0, "traces": 0, "ratings": 0}
    with engine.begin() as connection:
        for start in range(0, conversations, BATCH):
            chats, messages, traces, ratings = [], [], [], []
            for n in range(start, min(start + BATCH, conversations)):
                at = now - timedelta(seconds=rng.uniform(0, DAYS * 86_400))
                cid, asked, reply = f"c_{n:08d}", f"m_{n:08d}_q", f"m_{n:08d}_a"
                action = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
                chats.append({"id": cid, "created_at": at, "client": None, "last_event": 2})
                messages.append(_message(asked, cid, 1, "customer", rng.choice(QUESTIONS), at))
                answered_at = at + timedelta(seconds=rng.lognormvariate(0.5, 0.5))
                messages.append(
                    {
                        **_message(reply, cid, 2, "assistant", "A reply.", answered_at),
                        "action": action,
                        "reply_to": asked,
                    }
                )
                traces.append(
                    {
                        "message_id": reply,
                        "conversation_id": cid,
                        "created_at": answered_at,
                        "action": action,
                        "escalation": rng.choice(REASONS) if action == "escalate" else None,
                        "confidence": rng.random(),
                        "latency_ms": (answered_at - at).total_seconds() * 1000,
                        "composer": "extractive",
                        "question_used": "",
                        "policy": None,
                        "passages": [],
                        "removed": [],
                    }
                )
                if rng.random() < 0.05:
                    ratings.append(
                        {
                            "message_id": reply,
                            "conversation_id": cid,
                            "rating": rng.choice(("up", "up", "up", "down")),
                            "comment": None,
                            "created_at": answered_at,
                            "updated_at": answered_at,
                        }
                    )
            connection.execute(insert(ConversationRow), chats)
            connection.execute(insert(ConversationMessageRow), messages)
            connection.execute(insert(TurnTraceRow), traces)
            if ratings:
                connection.execute(insert(FeedbackRow), ratings)
            counts["conversations"] += len(chats)
            counts["messages"] += len(messages)
            counts["traces"] += len(traces)
            counts["ratings"] += len(ratings)
    return counts


def _message(mid: str, cid: str, seq: int, role: str, body: str, at: datetime) -> dict[str, object]:
    return {
        "id": mid,
        "conversation_id": cid,
        "seq": seq,
        "role": role,
        "text": body,
        "created_at": at,
        "citations": [],
        "offer_human": False,
        "in_transcript": True,
        "action": None,  # every row has every key: a batch insert uses the first row's
        "reply_to": None,
    }


def _median_s(work: Callable[[], object], repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _overview(engine: Engine, today: date, days: int) -> None:
    overview(engine, period_ending(today, days))


def run(conversations: int = CONVERSATIONS) -> ConsoleBench:
    with tempfile.TemporaryDirectory(prefix="kb-console-bench-") as folder:
        engine = databases_for(Settings(data_dir=Path(folder))).main()
        started = time.perf_counter()
        rows = fill(engine, conversations)
        fill_s = time.perf_counter() - started
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        today = datetime.now(UTC).date()
        indexed = {d: _median_s(partial(_overview, engine, today, d)) for d in PERIODS}

        def whole_page() -> None:
            seen = overview(engine, period_ending(today, 365))
            render(
                "overview.html",
                overview=seen,
                days=365,
                period_options=list(PERIODS),
                operator="bench",
                csrf="x",
                page="overview",
                title="Overview",
            )

        page_s = _median_s(whole_page)
        transcripts = Transcripts(engine, Redactor())
        search_s = _median_s(lambda: transcripts.search("charged twice", limit=50))
        with engine.begin() as connection:
            for name in INDEXES:
                connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
        unindexed = {d: _median_s(partial(_overview, engine, today, d), repeat=3) for d in PERIODS}
        engine.dispose()
    return ConsoleBench(
        conversations=conversations,
        rows=rows,
        fill_s=fill_s,
        timings=[Timing("overview", d, indexed[d], unindexed[d]) for d in PERIODS],
        page_s=page_s,
        search_s=search_s,
    )


def render_report(result: ConsoleBench, machine: str) -> str:
    lines = [
        "## Operator console: the overview over 100,000 conversations",
        "",
        f"Machine: {machine}.",
        "",
        f"SQLite at the newest schema, filled with {result.rows['conversations']:,} "
        f"conversations over {DAYS} days ({result.rows['messages']:,} messages, "
        f"{result.rows['traces']:,} reply traces, {result.rows['ratings']:,} ratings) in "
        f"{result.fill_s:.1f} s. Median of {REPEAT} reads; the baseline is the same queries "
        "with the four range indexes dropped (3 reads).",
        "",
        "| period | overview (indexed) | same queries, no indexes |",
        "|---|---:|---:|",
    ]
    for t in result.timings:
        lines.append(
            f"| last {t.days} days | {t.indexed_s * 1000:.0f} ms | {t.unindexed_s * 1000:.0f} ms |"
        )
    verdict = "meets" if result.page_s <= TARGET_S else "misses"
    lines += [
        "",
        f"The whole overview page (365 days read and rendered with its charts): "
        f"**{result.page_s * 1000:.0f} ms** ({verdict} the {TARGET_S:.0f} s target). "
        f"Searching the conversations' messages for a phrase (first page of 50): "
        f"{result.search_s * 1000:.0f} ms.",
        "",
        "Reproduce: `python -m eval.bench --only console`.",
    ]
    return "\n".join(lines)
