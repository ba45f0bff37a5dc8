"""Quantities in a sentence: durations, amounts, percentages and counts, normalised."""

from __future__ import annotations

import pytest

from kb_assistant.kbreport.mentions import mentions_in
from kb_assistant.kbreport.quantities import extract_quantities
from kb_assistant.kbreport.quantity_patterns import parse_number
from kb_assistant.kbreport.subjects import subject_tokens

# sentence → (kind, unit, low, high, bound) of each quantity, in order
CASES = [
    ("You can return items within 30 days of delivery.", [("duration", "day", 30, 30, "max")]),
    ("Returns are accepted for two weeks.", [("duration", "day", 14, 14, "exact")]),
    ("We reply within 48 hours.", [("duration", "day", 2, 2, "max")]),
    ("Refunds take up to 14 working days.", [("duration", "working day", 14, 14, "max")]),
    ("It takes 3–5 business days.", [("duration", "working day", 3, 5, "exact")]),
    ("It takes between 2 and 3 weeks.", [("duration", "day", 14, 21, "exact")]),
    ("Ask within a fortnight of delivery.", [("duration", "day", 14, 14, "max")]),
    ("Sleep on it for twenty-one nights.", [("duration", "day", 21, 21, "exact")]),
    (
        "A 2-year warranty and a 24-month plan.",
        [
            ("duration", "month", 24, 24, "exact"),
            ("duration", "month", 24, 24, "exact"),
        ],
    ),
    ("Cancel within 30 minutes.", [("duration", "day", 30 / 1440, 30 / 1440, "max")]),
    (
        "Delivery costs £3.95, or is free on orders over £50.",
        [
            ("money", "GBP", 3.95, 3.95, "exact"),
            ("money", "GBP", 50, 50, "min"),
        ],
    ),
    (
        "It costs 4.95 GBP in the UK and EUR 20 in France.",
        [
            ("money", "GBP", 4.95, 4.95, "exact"),
            ("money", "EUR", 20, 20, "exact"),
        ],
    ),
    ("Orders of $1,500 or more need approval.", [("money", "USD", 1500, 1500, "min")]),
    ("A stamp costs 95p.", [("money", "GBP", 0.95, 0.95, "exact")]),
    ("Pay in 3 for orders between £60 and £1,500.", [("money", "GBP", 60, 1500, "exact")]),
    ("Students save 15%.", [("percent", "%", 15, 15, "exact")]),
    ("Students save fifteen per cent.", [("percent", "%", 15, 15, "exact")]),
    ("Click & Collect holds up to 3 items.", [("count", "item", 3, 3, "max")]),
]


@pytest.mark.parametrize(("sentence", "expected"), CASES, ids=[c[0] for c in CASES])
def test_extracts_and_normalises(sentence: str, expected: list[tuple[object, ...]]) -> None:
    found = extract_quantities(sentence)
    got = [(q.kind, q.unit, q.low, q.high, q.bound) for q in found]
    assert len(got) == len(expected), got
    for (kind, unit, low, high, bound), want in zip(got, expected, strict=True):
        assert (kind, unit, bound) == (want[0], want[1], want[4])
        assert low == pytest.approx(want[2]) and high == pytest.approx(want[3])
    for q in found:
        assert sentence[q.start : q.end] == q.text


@pytest.mark.parametrize(
    "sentence",
    [
        "The kettle model HP-KT20 ships with version 4.2.1.",
        "Follow step 3 and read page 12.",
        "We opened on 12/05/2024 at 10:30.",
        "Call 0800 123 4567 any time.",
        "I placed the order 20 minutes ago.",
        "Press Favorites 1 on the remote.",
        "Read through the list of 8 options.",
        "Take one twice a day.",
    ],
)
def test_labels_dates_and_past_times_are_not_quantities(sentence: str) -> None:
    assert extract_quantities(sentence) == []


def test_equal_values_written_differently_agree() -> None:
    def first(sentence: str) -> object:
        return extract_quantities(sentence)[0]

    pairs = [
        ("a 2-year warranty", "a 24-month warranty"),
        ("within 48 hours", "within 2 days"),
        ("within a fortnight", "within 14 days"),
        ("for thirty days", "for 30 days"),
        ("costs £25", "costs 25 GBP"),
        ("15% off", "15 per cent off"),
    ]
    for a, b in pairs:
        assert first(a).agrees_with(first(b)), (a, b)  # type: ignore[attr-defined]
    assert not first("within 30 days").agrees_with(first("within 28 days"))  # type: ignore[attr-defined]
    inside = extract_quantities("3–5 working days")[0]
    assert inside.agrees_with(extract_quantities("5 working days")[0])
    assert not inside.agrees_with(extract_quantities("7 working days")[0])


def test_counts_count_what_is_named() -> None:
    [five] = extract_quantities("Members get five free returns a month.")
    [three] = extract_quantities("Members get 3 free returns.")
    assert (five.kind, five.low, five.noun) == ("count", 5, "free returns")
    assert five.unit == three.unit != extract_quantities("3 returns")[0].unit


def test_units_never_mix() -> None:
    days, working = extract_quantities("within 5 days and within 5 working days")
    assert days.unit == "day" and working.unit == "working day"
    assert extract_quantities("£10")[0].unit != extract_quantities("$10")[0].unit


def test_labels_for_reports() -> None:
    assert extract_quantities("two weeks")[0].label() == "14 days"
    assert extract_quantities("30 minutes")[0].label() == "30 minutes"
    assert extract_quantities("£3.95")[0].label() == "GBP 3.95"
    assert extract_quantities("up to 3 devices")[0].label() == "3 devices"


def test_parse_number() -> None:
    assert parse_number("1,500") == 1500
    assert parse_number("twenty-one") == 21
    assert parse_number("a") == 1
    assert parse_number("many") is None


def test_subject_words_are_stemmed_and_synonyms_shared() -> None:
    assert subject_tokens("replacing the filter") == subject_tokens("replace filters")
    assert subject_tokens("shipping") == subject_tokens("delivery")
    assert subject_tokens("How long does it take, within 30 days?") == []


def test_mentions_carry_sentence_subject_and_title() -> None:
    [mention] = mentions_in(
        "Q: How long is the warranty on furniture?\nA: Five years.",
        unit_id="u1",
        doc_id="d1",
        title="How long is the warranty on furniture?",
        location="faq.md",
    )
    assert mention.sentence == "Five years."  # the FAQ label is not part of the sentence
    assert mention.quantity.label() == "60 months"
    # A sentence with no subject of its own takes the question's.
    assert {"furnitur", "guarante"} <= mention.subject and mention.clause


def test_qualifiers_are_the_words_next_to_the_number() -> None:
    first, second = mentions_in(
        "Standard delivery costs £3.95 and express delivery costs £6.95.",
        unit_id="u",
        doc_id="d",
        title="Delivery",
        location="x",
    )
    assert "standard" in first.qualifiers and "expres" not in first.qualifiers
    assert "expres" in second.qualifiers and "standard" not in second.qualifiers
    assert [q.text for q in first.values] == ["£6.95"]


def test_example_values_are_not_facts() -> None:
    found = mentions_in(
        "Adjust the amount (e.g. £20) so it makes sense.",
        unit_id="u",
        doc_id="d",
        title="t",
        location="x",
    )
    assert found == []
