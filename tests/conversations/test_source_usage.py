"""How often customers' answers cited each source, on a real SQLite conversation store: only
answers count, an answer counts once per source, and every page of a PDF is one source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kb_assistant.conversations import ConversationStore
from kb_assistant.conversations.types import CitedSource, SourceUsage
from tests.storage.engines import upgraded_engine


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(upgraded_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}"))


def citation(title: str, location: str, **more: Any) -> dict[str, Any]:
    """A citation in the shape the chat stores (`kb_assistant.api.chat.public_citations`)."""
    fields = {"url": None, "page_start": None, "page_end": None, "passage_text": "…"}
    return {"number": 1, "title": title, "location": location, **fields, **more}


RETURNS = citation("How do I return an item?", "faq.csv › How do I return an item?")
MANUAL_P3 = citation("Kettle manual", "kettle.pdf, p. 3", page_start=3, page_end=3)
MANUAL_P5 = citation("Kettle manual", "kettle.pdf, pp. 5–6", page_start=5, page_end=6)
WEB = citation(
    "Delivery", "https://shop.example/help/delivery", url="https://shop.example/help/delivery"
)


def answer(store: ConversationStore, *citations: dict[str, Any], action: str = "answer") -> None:
    conversation = store.create()
    question = store.add_message(conversation.id, "customer", "A question?")
    store.add_message(
        conversation.id,
        "assistant",
        "A reply.",
        citations=list(citations),
        action=action,
        reply_to=question.id,
    )


def test_each_answer_counts_once_for_each_source_it_cites(store: ConversationStore) -> None:
    answer(store, RETURNS, MANUAL_P3, MANUAL_P5)  # two pages of one PDF: one source
    answer(store, MANUAL_P5, WEB)
    answer(store, RETURNS)

    usage = store.source_usage()

    assert usage.answers == 3
    assert usage.cited == {
        CitedSource("How do I return an item?", "faq.csv › How do I return an item?"): 2,
        CitedSource("Kettle manual", "kettle.pdf"): 2,
        CitedSource("Delivery", "https://shop.example/help/delivery"): 1,
    }
    assert usage.first_answer is not None and usage.last_answer is not None
    assert usage.first_answer <= usage.last_answer
    assert usage.first_answer.tzinfo is not None


def test_only_answers_the_customer_received_count(store: ConversationStore) -> None:
    answer(store, RETURNS)
    answer(store, WEB, action="dont_know")
    answer(store, WEB, action="escalate")
    answer(store, WEB, action="interrupted")  # cut off; the whole reply follows it
    conversation = store.create()
    store.add_message(conversation.id, "agent", "Here you go.", citations=[WEB])
    store.add_message(conversation.id, "assistant", "Still writing…", citations=[WEB])

    usage = store.source_usage()

    assert usage.answers == 1
    assert usage.cited == {CitedSource.of(RETURNS): 1}


def test_answers_without_citations_count_as_answers(store: ConversationStore) -> None:
    answer(store)
    answer(store, {"number": 1})  # a citation stored without title or place

    usage = store.source_usage()

    assert usage.answers == 2
    assert usage.cited == {CitedSource("", ""): 1}


def test_an_empty_store_has_no_answers(store: ConversationStore) -> None:
    assert store.source_usage() == SourceUsage(0, None, None, {})


def test_the_replies_are_read_in_batches(store: ConversationStore) -> None:
    from sqlalchemy.orm import Session

    from kb_assistant.conversations.feedback import source_usage

    for _ in range(7):
        answer(store, RETURNS, WEB)
    with Session(store.engine) as session:
        usage = source_usage(session, batch=3)

    assert usage.answers == 7
    assert usage.cited == {CitedSource.of(RETURNS): 7, CitedSource.of(WEB): 7}


def test_a_cited_source_is_the_document_not_the_page() -> None:
    assert (
        CitedSource.of(MANUAL_P3)
        == CitedSource.of(MANUAL_P5)
        == CitedSource("Kettle manual", "kettle.pdf")
    )
    # A location that only looks like a page range keeps it when no page was cited.
    plain = citation("Price list", "prices, p. 3")
    assert CitedSource.of(plain) == CitedSource("Price list", "prices, p. 3")
