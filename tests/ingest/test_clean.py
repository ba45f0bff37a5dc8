"""Cleaning: character fixes, page furniture removal, hyphenation, reflow, page alignment."""

from __future__ import annotations

import pytest

from ingest.clean import clean_document, clean_pages, clean_text
from kb_assistant.domain import Document, Section


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            "\ufb01le \ufb02ow o\ufb00er o\ufb03ce ba\ufb04e",
            "file flow offer office baffle",
            id="ligatures",
        ),
        pytest.param("infor\u00admation", "information", id="soft-hyphen"),
        pytest.param("infor\u00ad\nmation", "information", id="soft-hyphen-at-break"),
        pytest.param("zero\u200bwidth\u200d\ufeff text", "zerowidth text", id="zero-width"),
        pytest.param("10\u00a0kg and\u202fmore", "10 kg and more", id="non-breaking-spaces"),
        pytest.param("one\r\ntwo\rthree", "one\ntwo\nthree", id="line-endings"),
        pytest.param("a\x00b\x07c\x1bd", "abcd", id="control-characters"),
        pytest.param("col1\tcol2 \t  col3", "col1 col2 col3", id="spaces-and-tabs"),
        pytest.param("trailing   \nspaces\t\n", "trailing\nspaces", id="trailing-spaces"),
        pytest.param("para one\n\n\n\n\npara two", "para one\n\npara two", id="blank-lines"),
        pytest.param("  \n\n  padded text \n\n ", "padded text", id="strip-whole"),
        pytest.param("Cafe\u0301 Ångström", "Café Ångström", id="nfc"),
        pytest.param("über Åsa café 東京 Ελλάδα", "über Åsa café 東京 Ελλάδα", id="non-ascii-kept"),
        pytest.param("Q: How?\nA: Like this.", "Q: How?\nA: Like this.", id="line-breaks-kept"),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_is_idempotent() -> None:
    raw = " \ufb01rst\u00a0line \r\n\r\n\r\n\tsecond\x07 line\u200b "
    once = clean_text(raw)
    assert once == "first line\n\nsecond line"
    assert clean_text(once) == once


PDF_PAGES = [
    "ACME Router X200 \u2014 User Guide\n"
    "Getting started\n"
    "Place the router on a \ufb02at surface and con-\n"
    "nect the power cable. The status light turns\n"
    "green after about two minutes.\n"
    "\n"
    "What is in the box:\n"
    "\u2022 the router\n"
    "\u2022 a power supply for\n"
    "EU sockets\n"
    "\u00a9 2026 ACME Ltd. All rights reserved.\n"
    "Page 1 of 4",
    "ACME Router X200 \u2014 User Guide\n"
    "Wi-Fi set-up\n"
    "Open the app and choose your network.\n"
    "Enter the password printed on the\n"
    "label under the device.\n"
    "\u00a9 2026 ACME Ltd. All rights reserved.\n"
    "Page 2 of 4",
    "ACME Router X200 \u2014 User Guide\n\u00a9 2026 ACME Ltd. All rights reserved.\nPage 3 of 4",
    "ACME Router X200 \u2014 User Guide\n"
    "Troubleshooting\n"
    "1. Restart the router.\n"
    "2. Reset it with a pin for ten\n"
    "seconds.\n"
    "Café Åsa in Malmö uses the well-known X200 too.\n"
    "\u00a9 2026 ACME Ltd. All rights reserved.\n"
    "Page 4 of 4",
]


def test_clean_pages_synthetic_pdf() -> None:
    assert clean_pages(PDF_PAGES) == [
        "Getting started Place the router on a flat surface and connect the power cable. "
        "The status light turns green after about two minutes.\n\n"
        "What is in the box:\n\u2022 the router\n\u2022 a power supply for EU sockets",
        "Wi-Fi set-up Open the app and choose your network.\n"
        "Enter the password printed on the label under the device.",
        "",
        "Troubleshooting\n1. Restart the router.\n2. Reset it with a pin for ten seconds.\n"
        "Café Åsa in Malmö uses the well-known X200 too.",
    ]


def test_clean_pages_finds_running_lines_with_changing_numbers() -> None:
    bodies = ["Unpack.", "Plug in.", "Pair.", "Update.", "Reset.", "Recycle."]
    pages = [f"Manual v2 \u2013 chapter {n}\n{body}\n{n} of 6" for n, body in enumerate(bodies, 1)]
    assert clean_pages(pages) == bodies


def test_clean_pages_keeps_page_alignment() -> None:
    pages = ["Header\nFirst page.\n1", "Header\n2", "", "Header\nFourth page.\n4"]
    cleaned = clean_pages(pages)
    assert cleaned == ["First page.", "", "", "Fourth page."]
    assert len(cleaned) == len(pages)


def test_clean_pages_keeps_repeated_lines_of_short_documents() -> None:
    # Two pages are too few to tell a running header from content.
    assert clean_pages(["Warranty\nTwo years.\n1", "Warranty\nFive years.\n2"]) == [
        "Warranty Two years.",
        "Warranty Five years.",
    ]


def test_clean_pages_keeps_lines_repeated_inside_the_body() -> None:
    # "Warning:" recurs on every page, but amid content rather than at the top or bottom.
    topics = ["Kettle", "Toaster", "Blender"]
    pages = [
        f"Shop manual\n{t} one.\n{t} two.\n{t} three.\nWarning:\nHot!\n"
        f"{t} four.\n{t} five.\n{t} six.\n{n}"
        for n, t in enumerate(topics, start=1)
    ]
    assert clean_pages(pages) == [
        f"{t} one.\n{t} two.\n{t} three.\nWarning:\nHot!\n{t} four.\n{t} five.\n{t} six."
        for t in topics
    ]


def test_clean_pages_removes_multi_line_headers() -> None:
    header = (
        "ACME \u2014 Returns Policy\nhttps://help.acme.example\nCustomer documentation\nPage {n}"
    )
    bodies = ["Returns take 30 days.", "Refunds go to the card.", "Warranty lasts 2 years."]
    pages = [header.format(n=n) + "\n" + body for n, body in enumerate(bodies, start=1)]
    assert clean_pages(pages) == bodies


def test_clean_pages_removes_page_labels_of_short_documents() -> None:
    page = "Kettle guide\nhelp.example\nDocs\nPage 1\nFill the kettle.\nHeat it.\nPour."
    assert clean_pages([page]) == [
        "Kettle guide help.example Docs Fill the kettle.\nHeat it.\nPour."
    ]


@pytest.mark.parametrize("number_line", ["3", "- 3 -", "Page 3", "3 of 6", "Page 3 of 10", "p. 3"])
def test_clean_pages_removes_bare_page_numbers(number_line: str) -> None:
    assert clean_pages([f"Some content.\n{number_line}"]) == ["Some content."]
    assert clean_pages([f"{number_line}\nSome content."]) == ["Some content."]


def test_clean_pages_keeps_numbers_in_the_middle_of_a_page() -> None:
    page = "Intro.\nSecond.\nThird.\nThe dial goes to\n42\nFourth.\nFifth.\nSixth."
    assert "The dial goes to 42 Fourth." in clean_pages([page])[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("the infor-\nmation desk", "the information desk", id="hyphen-across-break"),
        pytest.param("a well-known fact", "a well-known fact", id="real-hyphen-kept"),
        pytest.param("ask Jean-\nPierre today", "ask Jean-Pierre today", id="capitalised-part"),
        pytest.param("we see a\nwrapped line", "we see a wrapped line", id="reflow"),
        pytest.param("as follows:\nthe cable", "as follows: the cable", id="lowercase-continues"),
        pytest.param("It works.\nThe next one", "It works.\nThe next one", id="sentence-end"),
        pytest.param("Ready!\nGo", "Ready!\nGo", id="exclamation"),
        pytest.param("Why?\nBecause", "Why?\nBecause", id="question"),
        pytest.param("Note:\nAlways unplug", "Note:\nAlways unplug", id="colon"),
        pytest.param(
            "You need\n\u2022 a cable\n\u2022 a plug",
            "You need\n\u2022 a cable\n\u2022 a plug",
            id="bullets",
        ),
        pytest.param(
            "Parts\n\u00b7 one\n\u25aa two", "Parts\n\u00b7 one\n\u25aa two", id="dots-squares"
        ),
        pytest.param("Steps\n- one\n* two", "Steps\n- one\n* two", id="dash-star"),
        pytest.param("Rules\n\u00a7 4 applies", "Rules\n\u00a7 4 applies", id="section-sign"),
        pytest.param("Do\n1. this\n2) that", "Do\n1. this\n2) that", id="numbered"),
        pytest.param("Pick\na) red\nb) blue", "Pick\na) red\nb) blue", id="lettered"),
        pytest.param(
            "\u2022 charge it for\ntwo hours", "\u2022 charge it for two hours", id="item-wraps"
        ),
        pytest.param(
            "Steps\n1.\nFill it.\n2.\nHeat it.",
            "Steps\n1. Fill it.\n2. Heat it.",
            id="lone-numbers",
        ),
        pytest.param(
            "\u2022\nfirst\n\u2022\nsecond", "\u2022 first\n\u2022 second", id="lone-bullets"
        ),
        pytest.param(
            "First para\nline.\n\nSecond para", "First para line.\n\nSecond para", id="paragraphs"
        ),
    ],
)
def test_clean_pages_hyphenation_and_reflow(raw: str, expected: str) -> None:
    assert clean_pages([raw]) == [expected]


def _doc(sections: list[Section], title: str = "Guide", kind: str = "pdf") -> Document:
    return Document(
        id=f"{kind}:guide",
        title=title,
        sections=sections,
        kind="pdf" if kind == "pdf" else "faq",
        visibility="public",
        source="/kb/guide",
        location="guide",
        metadata={"lang": "en"},
    )


def test_clean_document_paginated() -> None:
    sections = [Section(text=text, page=n) for n, text in enumerate(PDF_PAGES, start=1)]
    doc = _doc(sections, title="  ACME \ufb01rmware\n guide ")
    cleaned = clean_document(doc)
    assert cleaned.title == "ACME firmware guide"
    assert [s.page for s in cleaned.sections] == [1, 2, 4]  # page 3 held only furniture
    assert cleaned.sections[0].text.startswith("Getting started Place the router")
    assert "User Guide" not in cleaned.text and "Page " not in cleaned.text
    assert cleaned.metadata == {"lang": "en"} and cleaned.id == doc.id
    assert doc.sections[0].text == PDF_PAGES[0]  # the input is left untouched


def test_clean_document_unpaginated_keeps_lines() -> None:
    doc = _doc(
        [Section("How do I\nreset it? \u00a0"), Section(" \u200b "), Section("Hold\tthe pin.")],
        kind="faq",
    )
    cleaned = clean_document(doc)
    assert [s.text for s in cleaned.sections] == ["How do I\nreset it?", "Hold the pin."]
    assert all(s.page is None for s in cleaned.sections)


def test_clean_pages_removes_a_multi_line_header_of_two_pages() -> None:
    header = "Kettle guide\nhelp.harborpine.example\n"
    pages = [header + "Fill the kettle.\n1.\nBoil.", header + "Descale it.\n2.\nRinse."]
    # The header goes; "1." and "2." recur as list markers, never as page furniture.
    assert clean_pages(pages) == ["Fill the kettle.\n1. Boil.", "Descale it.\n2. Rinse."]


def test_clean_pages_keeps_list_items_one_to_a_line() -> None:
    page = (
        "Use bulbs of 9 W or less:\n"
        "• LED bulbs with an E27 screw base, which last the longest\n"
        "and stay cool;\n"
        "•\n"
        "halogen bulbs marked for enclosed fittings;\n"
        "o never incandescent bulbs.\n"
        "1. Unplug the lamp.\n"
        "2. Wipe the base with a damp cloth and dry it at once with a\n"
        "soft towel.\n"
        "a) Then plug it in again.\n"
        "The shade can discolour."
    )
    assert clean_pages([page])[0].split("\n") == [
        "Use bulbs of 9 W or less:",
        "• LED bulbs with an E27 screw base, which last the longest and stay cool;",
        "• halogen bulbs marked for enclosed fittings;",
        "o never incandescent bulbs.",
        "1. Unplug the lamp.",
        "2. Wipe the base with a damp cloth and dry it at once with a soft towel.",
        "a) Then plug it in again.",
        "The shade can discolour.",
    ]


def test_clean_pages_keeps_the_hyphen_of_a_compound_split_at_a_line_end() -> None:
    assert clean_pages(["Your out-\nof-pocket costs and your infor-\nmation."]) == [
        "Your out-of-pocket costs and your information."
    ]


def test_clean_document_keeps_the_sections_of_a_page_and_their_headings() -> None:
    header = "ACME Guide\nhelp.acme.example"
    sections = [
        Section(f"{header}\nIntro text.", page=1),
        Section("Safety\n\nUnplug it\nfirst.", page=1, heading="Safety"),
        Section(f"{header}\nKeep it dry.", page=2, heading="Safety"),
        Section("Care\n\nWipe it.\nPage 2", page=2, heading="Care"),
        Section(f"{header}\nPage 3", page=3, heading="Care"),
    ]
    cleaned = clean_document(_doc(sections))
    assert [(s.page, s.heading, s.text) for s in cleaned.sections] == [
        (1, None, "Intro text."),
        (1, "Safety", "Safety\n\nUnplug it first."),
        (2, "Safety", "Keep it dry."),
        (2, "Care", "Care\n\nWipe it."),
    ]
