"""Contract for `KeywordIndex` adapters, run against the persisted BM25 index."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb_assistant.index.bm25 import Bm25Index
from kb_assistant.ports import IndexRecord, KeywordIndex

CORPUS = [
    IndexRecord(
        "a",
        "Refunds reach your card 5 to 10 days after we receive the item.",
        {"title": "Refund timing", "doc_id": "d1", "page_start": 2},
    ),
    IndexRecord(
        "b",
        "Season a cast-iron pan with a thin layer of oil.",
        {"title": "Pan care", "doc_id": "d2"},
    ),
    IndexRecord("c", "Linen bedding softens with every wash.", {"title": "Linen", "doc_id": "d3"}),
]


@pytest.fixture
def index(tmp_path: Path) -> KeywordIndex:
    return Bm25Index(tmp_path / "bm25")


def test_query_finds_stemmed_terms_and_drops_non_matches(index: KeywordIndex) -> None:
    assert index.rebuild("public", CORPUS) == 3

    hits = index.query("public", "refund for my cards", 3)

    assert [h.id for h in hits] == ["a"]
    assert hits[0].metadata["page_start"] == 2 and hits[0].text.startswith("Refunds")


def test_title_is_searchable(index: KeywordIndex) -> None:
    index.rebuild("public", CORPUS)

    assert index.query("public", "pan care", 2)[0].id == "b"


def test_rebuild_replaces_and_persists(index: KeywordIndex, tmp_path: Path) -> None:
    index.rebuild("public", CORPUS)
    index.rebuild("public", CORPUS[1:])

    reopened = Bm25Index(tmp_path / "bm25")
    assert reopened.count("public") == 2
    assert reopened.query("public", "refunds", 3) == []
    assert len([p for p in (tmp_path / "bm25").iterdir() if p.is_dir()]) == 1


def test_empty_and_missing_indexes(index: KeywordIndex) -> None:
    assert index.query("internal", "anything", 3) == []
    index.rebuild("public", CORPUS)
    assert index.rebuild("public", []) == 0
    assert index.count("public") == 0 and index.query("public", "refund", 3) == []


def test_reader_sees_a_rebuild_by_another_instance(tmp_path: Path) -> None:
    reader = Bm25Index(tmp_path / "bm25")
    writer = Bm25Index(tmp_path / "bm25")
    writer.rebuild("public", CORPUS[:1])
    assert reader.count("public") == 1

    writer.rebuild("public", CORPUS)

    assert reader.count("public") == 3


def test_unknown_terms_are_words_no_chunk_contains(index: KeywordIndex) -> None:
    assert index.unknown_terms("public", "refunds in Leeds") != set()  # nothing indexed yet
    index.rebuild("public", CORPUS)

    unknown = index.unknown_terms("public", "Do refunds reach the card in Leeds?")

    assert {term[:4] for term in unknown} <= {"leed", "do"} and any("leed" in t for t in unknown)
    assert index.unknown_terms("public", "season the cast-iron pan") == set()


def test_weighted_coverage_weighs_rare_words_more(index: KeywordIndex) -> None:
    assert index.weighted_coverage("public", "refund card", "Refunds reach your card") == 0.0
    index.rebuild("public", [*CORPUS, IndexRecord("d", "Pay by card or by gift card.", {})])
    question = "a refund to a gift card?"

    full = index.weighted_coverage("public", question, CORPUS[0].text + " gift")
    common_only = index.weighted_coverage("public", "card trial", "Pay by card.")
    rare_only = index.weighted_coverage("public", "card trial", "Start your trial.")

    assert full == pytest.approx(1.0)
    # "trial" is in no chunk, "card" in two: the rare word carries most of the weight.
    assert 0.0 < common_only < 0.5 < rare_only < 1.0
    assert common_only + rare_only == pytest.approx(1.0)
    assert index.weighted_coverage("public", "the and of", CORPUS[0].text) == 0.0


def test_missing_terms_are_the_question_words_a_text_lacks_weighted_by_rarity(
    index: KeywordIndex,
) -> None:
    index.rebuild("public", CORPUS)

    missing = index.missing_terms("public", "refund to the card for wool", CORPUS[0].text)

    assert set(missing) == {"wool"}  # stop words never count; refund/card are there
    assert missing["wool"] == 1.0  # no chunk has it
    typo = index.missing_terms("public", "refnds", CORPUS[0].text)
    assert typo == {}  # one edit from a word the text has
    common = index.missing_terms("public", "linen refunds", CORPUS[0].text)
    assert 0 < common["linen"] < 1.0
