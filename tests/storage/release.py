"""Databases as release 0.1.0 left them: its schema (`fixtures/release_schema_*.sql`, dumped
from that release) and realistic rows in every table, written as that release wrote them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from kb_assistant.storage.migrate import Schema

FIXTURES = Path(__file__).with_name("fixtures")
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
CONVERSATION = "c_5d1f0e6a9b7c4a0e8f3b2c1d0e9f8a7b"
ASKED, ANSWERED, HANDED, RELAYED, WAITING = (f"m_{n:032x}" for n in range(1, 6))
AGENT = "U07AGENT"
CHANNEL = "C07AGENTS"
SLACK_TS = "1740821400.000200"
DOC = "faq/payments.md#charged-twice"
RUN_ROOT = "/srv/kb/faq"
PACKET = {
    "conversation_id": CONVERSATION,
    "label": "money_action",
    "reason": "rule:charged_twice",
    "score": 0.93,
    "policy_version": "2025.03",
    "sentiment": 0.6,
    "sentiment_signals": ["twice", "!!"],
    "passages": [
        {
            "title": "Payments",
            "location": "faq/payments.md",
            "visibility": "public",
            "excerpt": "A second charge is usually a pending authorisation.",
            "url": "https://shop.example/help/payments",
        }
    ],
    "draft_answer": "A second charge usually disappears within 3 working days.",
    "contact": {"email": "ana@example.com", "name": "Ana"},
}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


_MESSAGE: dict[str, Any] = {
    "id": ASKED,
    "conversation_id": CONVERSATION,
    "seq": 1,
    "role": "customer",
    "text": "I was charged twice for my order 1042!!",
    "created_at": at(1),
    "citations": [],
    "action": None,
    "offer_human": False,
    "reason": None,
    "reply_to": None,
    "case_id": None,
    "case_message_id": None,
    "event": None,
    "handoff_state": None,
    "agent": None,
    "in_transcript": True,
}
_DECISION: dict[str, Any] = {
    "id": 1,
    "created_at": at(1),
    "conversation_id": CONVERSATION,
    "message": "I was charged twice for my order 1042!!",
    "label": "money_action",
    "action": "escalate",
    "urgent": True,
    "score": 0.93,
    "rule": "rule:charged_twice",
    "decided_by": "rule",
    "policy_version": "2025.03",
    "frustration": 0.6,
}
_VERSION: dict[str, Any] = {
    "id": 1,
    "state": "retired",
    "collection_prefix": "kb-v1",
    "keyword_dir": "index/v1/bm25",
    "manifest_url": "index/v1/manifest.sqlite3",
    "created_at": at(-60),
    "finished_at": at(-50),
    "live_since": at(-50),
    "mode": "full",
    "chunks": {"public": 120, "internal": 40},
    "gate": None,
    "note": None,
}

MAIN_ROWS: dict[str, list[dict[str, Any]]] = {
    "conversations": [
        {
            "id": CONVERSATION,
            "created_at": at(0),
            "client": "https://shop.example",
            "contact": {"email": "ana@example.com", "name": "Ana"},
            "last_event": 5,
        }
    ],
    "conversation_messages": [
        {**_MESSAGE},
        {
            **_MESSAGE,
            "id": ANSWERED,
            "seq": 2,
            "role": "assistant",
            "text": "I've passed this to our payments team; they reply within 2 hours.",
            "created_at": at(1.1),
            "citations": [{"title": "Payments", "location": "faq/payments.md"}],
            "action": "escalate",
            "offer_human": True,
            "reason": "money_action",
            "reply_to": ASKED,
        },
        {
            **_MESSAGE,
            "id": HANDED,
            "seq": 3,
            "role": "system",
            "text": "An agent will reply here.",
            "created_at": at(1.2),
            "case_id": 1,
            "event": "handoff",
            "handoff_state": "open",
        },
        {
            **_MESSAGE,
            "id": RELAYED,
            "seq": 4,
            "role": "agent",
            "text": "Hi Ana, the second charge is a hold; it will drop off by Thursday.",
            "created_at": at(9),
            "case_id": 1,
            "case_message_id": 1,
            "event": "agent_message",
            "agent": AGENT,
        },
        {
            **_MESSAGE,
            "id": WAITING,
            "seq": 5,
            "text": "Thank you! And my refund?",
            "created_at": at(10),
        },
    ],
    "conversation_feedback": [
        {
            "message_id": ANSWERED,
            "conversation_id": CONVERSATION,
            "rating": "down",
            "comment": "I wanted an answer, not a wait",
            "created_at": at(2),
            "updated_at": at(3),
        }
    ],
    "conversation_pending_turns": [
        {
            "message_id": WAITING,
            "conversation_id": CONVERSATION,
            "kind": "message",
            "length": "short",
            "tone": "casual",
            "created_at": at(10),
            "owner": "web-1:4242:98765",
            "claimed_at": at(10),
            "attempts": 2,
            "reply_id": None,
            "last_error": "the answer model timed out",
        }
    ],
    "handoff_cases": [
        {
            "id": 1,
            "conversation_id": CONVERSATION,
            "active_conversation": CONVERSATION,
            "state": "claimed",
            "label": "money_action",
            "urgent": True,
            "packet": PACKET,
            "created_at": at(1.2),
            "updated_at": at(5),
            "claimed_at": at(5),
            "claimed_by": AGENT,
            "resolved_at": None,
            "resolved_by": None,
        }
    ],
    "handoff_turns": [
        {
            "id": 1,
            "case_id": 1,
            "position": 0,
            "role": "customer",
            "text": "I was charged twice for my order 1042!!",
            "at": at(1),
        },
        {
            "id": 2,
            "case_id": 1,
            "position": 1,
            "role": "assistant",
            "text": "I've passed this to our payments team; they reply within 2 hours.",
            "at": at(1.1),
        },
    ],
    "handoff_messages": [
        {
            "id": 1,
            "case_id": 1,
            "conversation_id": CONVERSATION,
            "direction": "to_customer",
            "author": AGENT,
            "text": "Hi Ana, the second charge is a hold; it will drop off by Thursday.",
            "created_at": at(9),
        }
    ],
    "policy_decisions": [
        {**_DECISION},
        {
            **_DECISION,
            "id": 2,
            "created_at": at(20),
            "conversation_id": "c_other",
            "message": "환불해 주세요.",
            "rule": "rule:money_words_ko",
            "urgent": False,
            "frustration": 0.0,
        },
    ],
    "policy_decision_languages": [{"decision_id": 2, "language": "ko"}],
    "policy_decision_reviews": [
        {"decision_id": 1, "note": "rule:charged_twice escalated; the model says none at 0.61"}
    ],
    "slack_feedback": [
        {
            "id": 1,
            "user_id": AGENT,
            "channel_id": CHANNEL,
            "message_ts": "1740821999.000300",
            "rating": "up",
            "question": "how long does a card hold last?",
            "updated_at": at(30),
        }
    ],
    "slack_case_messages": [
        {"case_id": 1, "channel_id": CHANNEL, "message_ts": SLACK_TS, "shown_state": "claimed"}
    ],
    "faq_drafts": [
        {
            "id": 1,
            "case_id": 1,
            "question": "Why was I charged twice?",
            "answer": "The second charge is a hold; it drops off within 3 working days.",
            "state": "approved",
            "created_by": AGENT,
            "created_at": at(40),
            "redactions": 1,
            "approved_by": "Sam",
            "approved_by_id": "U07LEAD",
            "approved_at": at(45),
            "published_at": None,
            "doc_id": None,
            "error": None,
        }
    ],
}

REGISTRY_ROWS: dict[str, list[dict[str, Any]]] = {
    "index_versions": [
        {**_VERSION},
        {
            **_VERSION,
            "id": 2,
            "state": "live",
            "collection_prefix": "kb-v2",
            "keyword_dir": "index/v2/bm25",
            "manifest_url": "index/v2/manifest.sqlite3",
            "created_at": at(-10),
            "finished_at": at(-5),
            "live_since": at(-5),
            "chunks": {"public": 124, "internal": 40},
            "gate": {"recall_at_5": 0.91, "live_recall_at_5": 0.9, "passed": True},
            "note": "nightly rebuild",
        },
    ],
    "index_live": [{"id": 1, "version_id": 2, "switched_at": at(-5)}],
    "index_leases": [
        {
            "name": "index-writer",
            "token": "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "purpose": "kb-assistant reindex sources.yaml",
            "host": "batch-1",
            "pid": 31337,
            "process_start": "123456",
            "acquired_at": at(50),
            "renewed_at": at(50.5),
        }
    ],
}

MANIFEST_ROWS: dict[str, list[dict[str, Any]]] = {
    "documents": [
        {
            "id": DOC,
            "source": f"{RUN_ROOT}/payments.md",
            "kind": "faq",
            "visibility": "public",
            "title": "Why was I charged twice?",
            "location": "payments.md › Charged twice",
            "url": "https://shop.example/help/payments",
            "content_hash": "a" * 64,
            "fingerprint": "b" * 64,
            "version": 3,
            "chunk_count": 2,
            "updated_at": at(-120),
            "ingested_at": at(-10),
            "run_id": 1,
        }
    ],
    "chunks": [
        {
            "id": f"{DOC}::{index}",
            "doc_id": DOC,
            "idx": index,
            "content_hash": str(index) * 64,
            "visibility": "public",
            "page_start": None,
            "page_end": None,
        }
        for index in (0, 1)
    ],
    "sources": [
        {
            "path": f"{RUN_ROOT}/payments.md",
            "content_hash": "a" * 64,
            "stat": "2048:1740000000",
            "config": "c" * 16,
            "run_id": 1,
        }
    ],
    "ingest_runs": [
        {
            "id": 1,
            "started_at": at(-12),
            "finished_at": at(-10),
            "status": "done",
            "paths": [RUN_ROOT],
            "full": True,
            "counts": {"added": 1, "updated": 0, "deleted": 0},
            "chunks_embedded": 2,
            "errors": [{"source": f"{RUN_ROOT}/scan.pdf", "error": "no text", "level": "warning"}],
            "seconds": 1.5,
        }
    ],
    "meta": [{"key": "embedding_model", "value": "all-MiniLM-L6-v2"}],
}

ROWS: dict[Schema, dict[str, list[dict[str, Any]]]] = {
    "main": MAIN_ROWS,
    "registry": REGISTRY_ROWS,
    "manifest": MANIFEST_ROWS,
}


def release_ddl(schema: Schema, dialect: str) -> str:
    suffix = ".postgresql.sql" if dialect == "postgresql" else ".sql"
    return (FIXTURES / f"release_schema_{schema}{suffix}").read_text(encoding="utf-8")


def make_release_database(engine: Engine, schema: Schema) -> None:
    """The schema release 0.1.0 made for `schema`, and every one of its tables filled."""
    create_release_schema(engine, schema)
    with engine.begin() as connection:
        for table, rows in ROWS[schema].items():
            insert(connection, table, rows)
        if engine.dialect.name == "postgresql":  # as if the ids had come from the sequences
            for table, rows in ROWS[schema].items():
                if "id" in rows[0] and isinstance(rows[0]["id"], int):
                    connection.execute(
                        sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"),
                        {"n": max(row["id"] for row in rows)},
                    )


def create_release_schema(engine: Engine, schema: Schema) -> None:
    """The tables release 0.1.0 made for `schema`, empty, from the DDL dumped from it."""
    ddl = release_ddl(schema, engine.dialect.name)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            raw.driver_connection.executescript(ddl)  # type: ignore[union-attr]
        else:
            cursor.execute(ddl)
        cursor.close()
        raw.commit()
    finally:
        raw.close()


def insert(connection: sa.Connection, name: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows`, each value bound with the type release 0.1.0 stored it as."""

    def example(key: str) -> Any:
        return next((row[key] for row in rows if row[key] is not None), None)

    columns = [sa.column(key, _type(example(key))) for key in rows[0]]
    connection.execute(sa.insert(sa.table(name, *columns)), [dict(row) for row in rows])


def row_counts(engine: Engine, schema: Schema) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: int(connection.scalar(sa.text(f'SELECT count(*) FROM "{table}"')) or 0)
            for table in ROWS[schema]
        }


def _type(value: Any) -> sa.types.TypeEngine[Any]:
    if isinstance(value, datetime):
        return sa.DateTime(timezone=True)
    if isinstance(value, dict | list):
        return sa.JSON()
    if isinstance(value, bool):
        return sa.Boolean()
    return sa.types.NullType()
