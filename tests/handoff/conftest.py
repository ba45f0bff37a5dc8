"""Real case stores (SQLite in the test's directory, and PostgreSQL when one is configured),
packets to open cases with, and a helpdesk stand-in that receives webhooks over loopback."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from kb_assistant.handoff import CasePacket, CasePassage, HandoffStore, TranscriptTurn
from kb_assistant.handoff.types import TurnRole
from tests.handoff.receiver import Receiver
from tests.storage.engines import drop_product_tables, upgraded_engine

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


POSTGRES_URL_VARIABLE = "KB_TEST_POSTGRES_URL"

StoreFactory = Callable[[], HandoffStore]


def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kb.sqlite3'}"


# Set (e.g. postgresql+psycopg://user@127.0.0.1/db) to run every store test on PostgreSQL
# as well; the product's tables are dropped before and after each test.
POSTGRES_URL = os.environ.get(POSTGRES_URL_VARIABLE, "")


@pytest.fixture(params=["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite file, or the PostgreSQL database of `KB_TEST_POSTGRES_URL`."""
    if request.param == "sqlite":
        yield database_url(tmp_path)
        return
    url = POSTGRES_URL
    drop_product_tables(url)
    yield url
    drop_product_tables(url)


@pytest.fixture
def new_store(db_url: str) -> Iterator[StoreFactory]:
    """Makes stores on the test's database, each with its own engine (as separate processes
    would have); the engines are closed after the test."""
    engines: list[Engine] = []

    def make() -> HandoffStore:
        engines.append(upgraded_engine(db_url))
        return HandoffStore(engines[-1])

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def store(new_store: StoreFactory) -> HandoffStore:
    return new_store()


def turn(text: str, minute: int = 0, role: TurnRole = "customer") -> TranscriptTurn:
    """A transcript turn `minute` minutes after T0."""
    return TranscriptTurn(role, text, T0 + timedelta(minutes=minute))


def make_packet(
    conversation_id: str = "conv-1", *turns: TranscriptTurn, **values: Any
) -> CasePacket:
    """A money-matter packet for `conversation_id` with `turns` (one customer turn by default)."""
    fields: dict[str, Any] = {
        "label": "money_action",
        "reason": "rule:charged_twice",
        "score": 0.93,
        "policy_version": "2025.03",
        "transcript": turns or (turn("I was charged twice for my order"),),
        "passages": (
            CasePassage("Payments", "faq.md#payments", "public", "Charges show within a day."),
        ),
        "draft_answer": "Charges usually show within a day.",
    }
    fields.update(values)
    return CasePacket(conversation_id=conversation_id, **fields)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
