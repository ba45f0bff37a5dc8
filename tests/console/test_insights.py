"""The console's read models over a real SQLite store filled through the product's own
writers (the conversation store, the turn ledger with its traces): overview figures,
transcripts, content gaps grouped with the real embedding model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from kb_assistant.conversations import ConversationStore, TurnLedger
from kb_assistant.conversations.tables import ConversationMessageRow
from kb_assistant.conversations.traces import TraceRecord, TurnTraceRow
from kb_assistant.core.decisions import PolicyDecision
from kb_assistant.core.redaction import Redactor
from kb_assistant.core.replies import Answer
from kb_assistant.domain import Passage
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.insights.gaps import GapFinder, gap_key
from kb_assistant.insights.overview import overview, period_ending
from kb_assistant.insights.transcripts import Transcripts
from kb_assistant.settings import Settings
from kb_assistant.storage.databases import databases_for

PASSAGE = Passage(
    "faq:1#0", "faq:1", "Standard delivery takes 3–5 working days.", "Delivery", "faq",
    "public", "help-center.md", None, None, None, 0.71,
)  # fmt: skip


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return databases_for(Settings(data_dir=tmp_path)).main()


def turn(
    engine: Engine,
    question: str,
    action: str = "answer",
    latency_ms: float = 1000.0,
    label: str = "none",
    contact: dict[str, str] | None = None,
) -> tuple[str, str]:
    """One customer turn through the store and the ledger: (conversation id, reply id)."""
    from kb_assistant.handoff import CustomerContact

    store, ledger = ConversationStore(engine), TurnLedger(engine)
    chat = store.create(contact=CustomerContact(**contact) if contact else None)
    pending = ledger.begin(chat.id, question)
    policy = PolicyDecision(label, "escalate" if action == "escalate" else "answer", 0.9,
                            "model:test", "model", "v1")  # type: ignore[arg-type]  # fmt: skip
    answer = Answer(
        "A reply.", action, 0.8, "test",  # type: ignore[arg-type]
        passages=[PASSAGE], policy=policy, composer="extractive",
    )  # fmt: skip
    reply = ledger.settle(
        pending, answer.text, trace=TraceRecord.of(answer, latency_ms), action=action
    )
    return chat.id, reply.id


def test_the_overview_counts_a_period_and_its_latency_percentiles(engine: Engine) -> None:
    for n in range(1, 101):
        turn(engine, f"question {n}", latency_ms=float(n * 100))
    turn(engine, "charged twice", action="escalate", label="money_action", latency_ms=50.0)
    turn(engine, "who won", action="dont_know", latency_ms=20.0)
    old, _ = turn(engine, "a year ago")
    with engine.begin() as connection:  # one conversation (and its reply) long before
        long_ago = datetime.now(UTC) - timedelta(days=400)
        connection.execute(
            update(ConversationMessageRow)
            .where(ConversationMessageRow.conversation_id == old)
            .values(created_at=long_ago)
        )
        connection.execute(
            update(TurnTraceRow)
            .where(TurnTraceRow.conversation_id == old)
            .values(created_at=long_ago)
        )
        connection.exec_driver_sql(
            "UPDATE conversations SET created_at = ? WHERE id = ?", (long_ago, old)
        )
    today = datetime.now(UTC).date()
    seen = overview(engine, period_ending(today, 7))
    assert seen.conversations == 102 and seen.replies == 102
    assert seen.outcomes == {"answer": 100, "dont_know": 1, "escalate": 1}
    assert seen.escalations == {"money_action": 1}
    assert seen.latency_median_ms is not None and seen.latency_p95_ms is not None
    assert abs(seen.latency_median_ms - 5000) <= 110  # 51st of 102: 5,000 ms, to 10 ms steps
    assert abs(seen.latency_p95_ms - 9500) <= 110
    assert [d.day for d in seen.daily][-1] == today and len(seen.daily) == 7
    assert sum(d.conversations for d in seen.daily) == 102
    empty = overview(engine, period_ending(today - timedelta(days=100), 7))
    assert (empty.replies, empty.latency_median_ms, empty.share("answer")) == (0, None, 0.0)


def test_a_transcript_is_redacted_and_carries_each_replys_trace(engine: Engine) -> None:
    cid, reply_id = turn(
        engine,
        "I'm Dana, write to dana@example.org or call 020 7946 0958",
        contact={"email": "dana@example.org", "name": "Dana"},
    )
    detail = Transcripts(engine, Redactor()).detail(cid)
    question, reply = detail.lines
    assert "dana@example.org" not in question.text and "7946" not in question.text
    assert "Dana" not in question.text
    assert reply.trace is not None and reply.trace.message_id == reply_id
    assert reply.trace.passages[0].title == "Delivery" and reply.trace.latency_ms == 1000.0
    page = Transcripts(engine, Redactor()).search("dana@example.org")
    assert page.total == 1 and "dana@example.org" not in page.conversations[0].first_question
    assert Transcripts(engine, Redactor()).search("100%_literal").total == 0


def test_gaps_group_questions_that_mean_the_same(
    engine: Engine, real_embedder: SentenceTransformerEmbedder
) -> None:
    asked = [
        "Can I pay with PayPal?",
        "do you take paypal",
        "Is PayPal accepted at checkout?",
        "Do you ship to Iceland?",
        "can you deliver to iceland",
        "What is your company's stock price?",
    ]
    for question in asked:
        turn(engine, question, action="dont_know")
    report = GapFinder(engine, real_embedder, Redactor()).report(
        period_ending(datetime.now(UTC).date(), 30)
    )
    groups = [sorted(e.question for e in g.examples) for g in report.gaps]
    assert report.questions == 6
    assert groups[0] == sorted(asked[:3])
    assert sorted(asked[3:5]) in groups and [asked[5]] in groups
    paypal = report.gaps[0]
    assert paypal.count == 3 and paypal.unanswered == 3 and paypal.key == gap_key(paypal.label)
    assert paypal.passages and paypal.passages[0].title == "Delivery"
