"""Sentence splitting and the word tokens that support and overlap checks compare."""

from __future__ import annotations

import pytest

from kb_assistant.core.text import (
    content_tokens,
    is_heading,
    numbers,
    split_sentences,
    stem,
    words,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Unplug it. Let it cool!", ["Unplug it.", "Let it cool!"]),
        ("Is it broken? Try this.", ["Is it broken?", "Try this."]),
        ("It costs £4.95. Delivery is free.", ["It costs £4.95.", "Delivery is free."]),
        ("Version 4.2 applies. Read it.", ["Version 4.2 applies.", "Read it."]),
        ("Hello.\n\nSecond paragraph here.", ["Hello.", "Second paragraph here."]),
        (
            "Returned items must be\nunused and complete.",
            ["Returned items must be unused and complete."],
        ),
    ],
)
def test_split_sentences_at_full_stops_and_paragraphs(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Use e.g. vinegar. Then rinse.", ["Use e.g. vinegar.", "Then rinse."]),
        ("See Fig. 3 for details. Then rinse.", ["See Fig. 3 for details.", "Then rinse."]),
        ("Ask Dr. Smith. He knows.", ["Ask Dr. Smith.", "He knows."]),
        ("Model No. 5 whistles. Yes.", ["Model No. 5 whistles.", "Yes."]),
        ("St. Ives gets parcels. Go.", ["St. Ives gets parcels.", "Go."]),
        ("Read pp. 4 and 5. Done.", ["Read pp. 4 and 5.", "Done."]),
    ],
)
def test_abbreviations_do_not_end_a_sentence(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_numbered_items_on_one_line_are_separate_sentences() -> None:
    assert split_sentences("1. Open. 2. Choose.") == ["1. Open.", "2. Choose."]
    assert split_sentences("Open the box. 2. Choose a colour.") == [
        "Open the box.",
        "2. Choose a colour.",
    ]


def test_list_items_always_start_a_new_sentence() -> None:
    text = "To return an item:\n1. Sign in\n2. Open the order\n- Print the label"
    assert split_sentences(text) == [
        "To return an item:",
        "1. Sign in",
        "2. Open the order",
        "- Print the label",
    ]


def test_headings_are_split_from_the_text_below_them() -> None:
    assert split_sentences("Safety\nKeep the kettle away from children.") == [
        "Safety",
        "Keep the kettle away from children.",
    ]
    assert split_sentences("3. Condition of returned items\nReturned items should be unused.") == [
        "3. Condition of returned items",
        "Returned items should be unused.",
    ]


def test_a_line_ending_in_a_colon_is_not_a_heading() -> None:
    assert split_sentences("In the meantime:\nCheck with your neighbours.") == [
        "In the meantime: Check with your neighbours."
    ]


def test_empty_and_blank_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n \n") == []


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ('Select "Return items." Then wait.', 'Select "Return items."'),
        ("Wait (about a week.) Then call.", "Wait (about a week.)"),
    ],
)
def test_a_closing_quote_or_bracket_stays_with_its_sentence(text: str, first: str) -> None:
    assert split_sentences(text)[0] == first


def test_is_heading_tells_titles_from_sentences() -> None:
    assert is_heading("Safety")
    assert is_heading("2. Return windows")
    assert not is_heading("Returned items must be unused.")
    assert not is_heading("What now?")
    assert not is_heading("one two three four five six seven eight nine")


def test_words_are_lower_case_and_keep_inner_apostrophes() -> None:
    assert words("It's the customer’s Kettle, 3–5 days!") == [
        "it's",
        "the",
        "customer's",
        "kettle",
        "3",
        "5",
        "days",
    ]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("returns", "return"),
        ("returned", "return"),
        ("returning", "return"),
        ("boxes", "box"),
        ("watches", "watch"),
        ("dishes", "dish"),
        ("glasses", "glass"),
        ("uses", "use"),
        ("is", "is"),
        ("bus", "bus"),
        ("red", "red"),
    ],
)
def test_stem_strips_common_suffixes_only_from_long_enough_words(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_content_tokens_drop_stop_words_and_compare_word_forms() -> None:
    assert content_tokens("How do I return the items I returned?") == ["return", "item", "return"]
    assert set(content_tokens("Returning boxes")) == set(content_tokens("returned box"))
    assert content_tokens("What is it and how do I do it?") == []


def test_numbers_are_read_as_written_without_thousands_separators() -> None:
    assert numbers("3–5 business days, £1,500 and 9:30, version 4.2; 10,000 items") == {
        "3",
        "5",
        "1500",
        "9:30",
        "4.2",
        "10000",
    }
    assert numbers("no digits here") == set()
