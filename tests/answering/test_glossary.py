"""Jargon explained from the knowledge base's own glossary entries."""

from __future__ import annotations

from kb_assistant.answering.glossary import Glossary
from kb_assistant.ports import IndexRecord

RMA = (
    'Q: What does "RMA number" mean?\nA: An RMA number is the reference for your return. '
    "You will find it on your return label."
)
RESTOCKING = (
    "A restocking fee is an amount deducted from a refund to cover checking and repacking. "
    "We only charge it for assembled furniture."
)
DISPATCH = "Dispatch is the moment your order leaves our warehouse."


def record(chunk_id: str, title: str, text: str) -> IndexRecord:
    return IndexRecord(
        id=chunk_id,
        text=text,
        metadata={
            "doc_id": f"doc-{chunk_id}",
            "title": title,
            "kind": "faq",
            "visibility": "public",
            "location": "help-center.md",
            "url": f"https://help.example/faq#{chunk_id}",
            "meta_category": "Glossary",
        },
    )


RECORDS = [
    record("rma", 'What does "RMA number" mean?', RMA),
    record("restocking", "What does “restocking fee” mean?", RESTOCKING),
    record("dispatch", "What does dispatch mean", DISPATCH),
    record("track", "How do I track my parcel?", "Open Account > Orders and select Track parcel."),
    record("empty", 'What does "backorder" mean?', "   "),
]


def test_from_records_picks_definition_titles_and_their_first_sentence() -> None:
    glossary = Glossary.from_records(RECORDS)
    assert len(glossary) == 3
    by_term = {t.term: t for t in glossary.terms}
    assert sorted(by_term) == ["RMA number", "dispatch", "restocking fee"]
    assert by_term["RMA number"].definition == "An RMA number is the reference for your return."
    assert by_term["restocking fee"].definition.startswith("A restocking fee is an amount")
    assert by_term["dispatch"].passage.chunk_id == "dispatch"
    assert by_term["dispatch"].passage.url == "https://help.example/faq#dispatch"


def test_the_first_entry_for_a_term_wins() -> None:
    again = record("rma-2", 'What does "rma number" mean?', "An RMA is something else.")
    glossary = Glossary.from_records([RECORDS[0], again])
    assert [t.passage.chunk_id for t in glossary.terms] == ["rma"]


def test_explain_lists_terms_used_in_the_answer_but_not_in_the_question() -> None:
    glossary = Glossary.from_records(RECORDS)
    answer = (
        "We charge a Restocking Fee for assembled furniture. Print the label with your "
        "RMA number and wait for dispatch."
    )
    explained = glossary.explain(answer, "Can I return an assembled table?")
    assert [t.term for t in explained] == ["restocking fee", "RMA number"]
    explained = glossary.explain(answer, "What is a restocking fee?", limit=5)
    assert [t.term for t in explained] == ["RMA number", "dispatch"]


def test_explain_matches_whole_words_only() -> None:
    glossary = Glossary.from_records(RECORDS)
    assert glossary.explain("Your order was dispatched yesterday.", "Where is my order?") == []
    assert glossary.explain("Nothing to explain here.", "Where is my order?") == []


def test_an_empty_glossary_explains_nothing() -> None:
    assert Glossary().explain("A restocking fee applies.", "Can I return it?") == []


def test_what_is_titles_define_their_term_without_the_article() -> None:
    glossary = Glossary.from_records(
        [record("cb", "What is a chargeback?", "A chargeback is a payment reversed by your bank.")]
    )
    assert [t.term for t in glossary.terms] == ["chargeback"]
    assert [t.term for t in glossary.explain("Ask about a chargeback.", "Help")] == ["chargeback"]
