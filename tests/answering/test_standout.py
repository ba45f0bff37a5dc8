"""How far the best chunk stands out from the rest: the gate's `dense_gap` evidence."""

from __future__ import annotations

import pytest

from kb_assistant.ports import Hit
from kb_assistant.retrieval import standout


def hit(chunk_id: str, score: float, document: str) -> Hit:
    return Hit(id=chunk_id, score=score, text=chunk_id, metadata={"doc_id": document})


def test_the_parts_of_another_document_count_once_in_the_second_lead() -> None:
    # An FAQ answer first, then four sections of a policy PDF, then other entries.
    dense = [
        hit("faq-returns", 0.80, "faq-returns"),
        *(hit(f"policy-{i}", 0.70 - i / 100, "policy") for i in range(4)),
        hit("faq-a", 0.50, "faq-a"),
        hit("faq-b", 0.48, "faq-b"),
        hit("faq-c", 0.46, "faq-c"),
        hit("faq-d", 0.44, "faq-d"),
    ]
    over_chunks = 0.80 - 0.67  # the fifth chunk: the policy's fourth section
    over_rivals = 0.80 - 0.46  # the policy once, then three entries
    assert standout(dense) == pytest.approx((over_chunks + over_rivals) / 2)


def test_the_other_parts_of_the_best_chunks_own_document_are_rivals() -> None:
    # Every section of one guide matches about as well (its title does): no clear answer.
    dense = [hit(f"guide-{i}", 0.70 - i / 100, "guide") for i in range(6)]
    dense += [hit("faq-a", 0.40, "faq-a")]
    assert standout(dense) == pytest.approx(0.70 - 0.66)


def test_fewer_chunks_than_the_rank_measure_against_the_last() -> None:
    dense = [hit("a", 0.9, "a"), hit("b", 0.5, "b"), hit("c", 0.3, "c")]
    assert standout(dense) == pytest.approx(0.9 - 0.3)
    assert standout([hit("a", 0.9, "a")]) == 0.0
    assert standout([]) == 0.0


def test_chunks_without_a_document_id_are_documents_of_their_own() -> None:
    dense = [Hit(id=f"c{i}", score=1 - i / 10, text="", metadata={}) for i in range(6)]
    assert standout(dense) == pytest.approx(1.0 - 0.6)  # the fifth chunk, either way
