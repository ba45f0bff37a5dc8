"""Contradictions: the planted ones are found, facts that merely share words are not."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from kb_assistant.kbreport.contradictions import (
    Contradiction,
    collect_mentions,
    find_contradictions,
)
from kb_assistant.kbreport.units import Unit
from tests.kbreport import fixture


def kb(*texts: str, kind: str = "faq") -> list[Unit]:
    """One unit per text, each its own document."""
    return [
        Unit(f"u{n}", f"d{n}", f"Help page {n}", kind, f"page-{n}.md", text)
        for n, text in enumerate(texts)
    ]


def values(found: Sequence[Contradiction]) -> list[set[str]]:
    return [{c.first.quantity.text, c.second.quantity.text} for c in found]


@pytest.fixture(scope="module")
def fixture_findings() -> list[Contradiction]:
    return find_contradictions(fixture.units())


def test_finds_the_planted_contradictions(fixture_findings: list[Contradiction]) -> None:
    found, false_alarms = fixture.score(fixture_findings)
    missed = [p.name for p in fixture.PLANTED if p not in found]
    assert len(found) >= 0.9 * len(fixture.PLANTED), f"missed: {missed}"
    assert len(false_alarms) <= 1, [(c.first.sentence, c.second.sentence) for c in false_alarms]
    kinds = {p.kind for p in found}
    assert kinds == {"duration", "money", "percent", "count"}


def test_same_values_and_different_facts_are_not_flagged(
    fixture_findings: list[Contradiction],
) -> None:
    flagged = {
        frozenset((m.doc_id, m.quantity.text) for m in (c.first, c.second))
        for c in fixture_findings
    }
    for first, second in (*fixture.AGREEING, *fixture.DIFFERENT_FACTS):
        assert frozenset({first, second}) not in flagged, (first, second)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (
            "Q: How long do I have to return an item?\nA: You can return most items within "
            "30 days of delivery.",
            "Return policy. You can return most items within 28 days of delivery.",
            {"30 days", "28 days"},
        ),
        (
            "Standard delivery costs £3.95.",
            "Standard UK delivery is £4.95 per order.",
            {"£3.95", "£4.95"},
        ),
        (
            "Refunds are issued within 5 working days of your return reaching us.",
            "Refunds take up to 10 working days from the day your return reaches us.",
            {"5 working days", "10 working days"},
        ),
        (
            "Students get a 10% discount with a valid student card.",
            "Students receive fifteen per cent off with a valid student card.",
            {"10%", "fifteen per cent"},
        ),
        (
            "Click & Collect orders can hold up to 3 items.",
            "A Click & Collect order can hold up to five items.",
            {"3 items", "five items"},
        ),
    ],
)
def test_catches_one_fact_with_two_values(first: str, second: str, expected: set[str]) -> None:
    found = find_contradictions(kb(first, second))
    assert values(found) == [expected]
    [finding] = found
    assert finding.first.doc_id != finding.second.doc_id
    assert finding.first.sentence and finding.second.sentence


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Standard delivery costs £3.95.", "Express delivery costs £6.95."),
        ("Returns are accepted within 30 days.", "Every lamp has a warranty for 2 years."),
        (
            "Kitchenware can be returned within 30 days of delivery.",
            "Mattresses can be returned within 14 days of delivery.",
        ),
        ("UK delivery takes 3–5 working days.", "EU delivery takes 5–8 working days."),
        ("Delivery costs £3.95.", "Delivery is free on orders over £50."),
        ("You have a 2-year warranty.", "You have a 24-month warranty."),
        ("Reply within 48 hours.", "Reply within 2 days."),
        ("Refunds take 3–5 working days.", "Refunds take 5 working days."),
        (
            "Standard delivery costs £3.95 and express delivery costs £6.95.",
            "Express delivery costs £6.95 and standard delivery costs £3.95.",
        ),
    ],
)
def test_leaves_different_facts_and_equal_values_alone(first: str, second: str) -> None:
    assert find_contradictions(kb(first, second)) == []


def test_a_document_states_the_other_value_for_a_closer_match() -> None:
    units = kb(
        "Standard delivery costs £3.95. Express delivery costs £6.95.",
        "Express delivery costs £6.95.",
    )
    assert find_contradictions(units) == []


def test_customers_words_in_a_ticket_are_not_the_companys() -> None:
    ticket = Unit(
        "t1",
        "ticket-1",
        "Ticket 1: Refund",
        "ticket",
        "ticket #1",
        "Customer: Your site says refunds take 9 working days.\n"
        "Resolution: Explained refunds take 5 working days.",
    )
    faq = kb("Refunds take 5 working days.")[0]
    mentions = collect_mentions([ticket, faq])
    assert [m.quantity.text for m in mentions if m.doc_id == "ticket-1"] == ["5 working days"]
    assert find_contradictions([ticket, faq]) == []


def test_chunks_of_one_unit_are_not_compared_and_copies_are_reported_once() -> None:
    same_unit = [Unit("u", "d", "t", "faq", "x", "Returns: 30 days. Returns: 28 days.")]
    assert find_contradictions(same_unit) == []
    copies = kb(
        "You can return most items within 30 days of delivery.",
        "You can return most items within 30 days of delivery.",
        "You can return most items within 28 days of delivery.",
    )
    assert values(find_contradictions(copies)) == [{"30 days", "28 days"}]


def test_an_embedder_adds_a_cosine_check() -> None:
    units = kb("Standard delivery costs £3.95.", "Standard UK delivery is £4.95 per order.")

    def alike(texts: Sequence[str]) -> np.ndarray:
        return np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)

    def unrelated(texts: Sequence[str]) -> np.ndarray:
        return np.eye(len(texts), dtype=np.float32)

    [kept] = find_contradictions(units, embed=alike)
    assert kept.cosine == pytest.approx(1.0)
    assert find_contradictions(units, embed=unrelated) == []


def test_json_names_both_statements(fixture_findings: list[Contradiction]) -> None:
    shown = fixture_findings[0].as_json()
    assert set(shown) == {"kind", "unit", "similarity", "cosine", "statements"}
    assert len(shown["statements"]) == 2
    for statement in shown["statements"]:
        assert set(statement) == {
            "value",
            "normalised",
            "sentence",
            "title",
            "location",
            "doc_id",
            "unit_id",
        }
        assert statement["value"] in statement["sentence"]
