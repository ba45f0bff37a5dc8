"""Customer answers put the line that answers first and stay within a word budget."""

from __future__ import annotations

import pytest

from kb_assistant.answering.budget import WORD_BUDGET, word_count
from kb_assistant.answering.evidence import Candidate, Evidence
from kb_assistant.answering.extractive import ExtractiveComposer, select
from kb_assistant.answering.glossary import Glossary
from kb_assistant.answering.lists import is_labelled, list_blocks
from kb_assistant.answering.render import render
from kb_assistant.answering.wording import OPENINGS, asks_how, wants_figure
from kb_assistant.core.replies import AnswerRequest, Draft, Length, Statement
from kb_assistant.domain import Passage
from kb_assistant.ports import IndexRecord


def passage(text: str = "x", title: str = "Passage", kind: str = "faq") -> Passage:
    return Passage(
        chunk_id="c1",
        doc_id="d1",
        text=text,
        title=title,
        kind=kind,
        visibility="public",
        location="help-center.md",
        url=None,
        page_start=None,
        page_end=None,
        score=1.0,
    )


def evidence(*lines: tuple[str, float]) -> Evidence:
    """Candidates of passage 1 in reading order; a line with a list marker is a list item."""
    candidates = [
        Candidate(1, i, text, similarity, 0.0, text.startswith(("- ", "1.", "2.", "3.", "4.")), 1.0)
        for i, (text, similarity) in enumerate(lines)
    ]
    return Evidence("q", candidates)


def compose(
    lines: Evidence,
    question: str,
    *,
    length: Length = "normal",
    channel: str = "customer",
    glossary: Glossary | None = None,
    source: Passage | None = None,
) -> Draft:
    request = AnswerRequest(question, channel=channel, length=length)  # type: ignore[arg-type]
    return ExtractiveComposer(glossary).compose(request, [source or passage()], lines)


def said(draft: Draft) -> list[str]:
    """The texts after the opening."""
    return [s.text for s in draft.statements[1:]]


def body_words(draft: Draft) -> int:
    """Words of the answer body as the budget counts them: opening, claims and notes."""
    return sum(word_count(s.text) for s in draft.statements if s.kind != "step")


REGIONS = evidence(
    ("Delivery times depend on where you live.", 0.5),
    ("- **UK:** 3–5 working days.", 0.55),
    ("- **EU:** 5–8 working days.", 0.8),
    ("- **US:** 7–12 working days.", 0.5),
    ("Most orders leave our warehouse within a day.", 0.45),
)
REGIONS_TEXT = (
    "Delivery times depend on where you live.\n\n- **UK:** 3–5 working days.\n"
    "- **EU:** 5–8 working days.\n- **US:** 7–12 working days.\n\n"
    "Most orders leave our warehouse within a day."
)


# --- lists of facts -------------------------------------------------------------------------


def test_a_bulleted_list_of_facts_gives_only_the_matching_item_first() -> None:
    draft = compose(REGIONS, "How long does delivery take to the EU?")
    assert draft.statements[1] == Statement("**EU:** 5–8 working days.", (1,), bullet=True)
    assert not any("UK:" in text or "US:" in text for text in said(draft))
    assert said(draft)[1:] == [
        "Delivery times depend on where you live.",
        "Most orders leave our warehouse within a day.",
    ]
    text, citations = render(draft.statements, [passage(REGIONS_TEXT)], "customer")
    assert "\n\n- **EU:** 5–8 working days.\n\n" in text
    assert citations[0].abridged and "**US:** 7–12 working days." in str(citations[0].passage_text)


def test_two_items_that_stand_out_together_are_given_in_source_order() -> None:
    close = evidence(
        ("Delivery times depend on where you live.", 0.3),
        ("- **UK:** 3–5 working days.", 0.75),
        ("- **EU:** 5–8 working days.", 0.8),
        ("- **US:** 7–12 working days.", 0.4),
    )
    texts = said(compose(close, "How long does delivery take to Europe or the UK?"))
    assert texts[:2] == ["**UK:** 3–5 working days.", "**EU:** 5–8 working days."]
    assert not any("US:" in text for text in texts)


def test_a_two_item_list_never_gives_both_items() -> None:
    pair = evidence(("- **UK:** 3–5 working days.", 0.8), ("- **EU:** 5–8 working days.", 0.79))
    assert said(compose(pair, "How long does delivery take?")) == ["**UK:** 3–5 working days."]


def test_an_item_comes_after_the_line_it_continues() -> None:
    methods = evidence(
        ("We accept:", 0.3),
        ("- Cards from every major network.", 0.5),
        ("- PayPal and Apple Pay.", 0.9),
        ("- Gift cards and store credit.", 0.4),
    )
    draft = compose(methods, "Can I pay with PayPal?")
    assert said(draft) == ["We accept:", "PayPal and Apple Pay."]
    text, _ = render(draft.statements, [passage()], "customer")
    assert "We accept:\n\n- PayPal and Apple Pay." in text


def test_a_general_question_about_a_figure_gets_the_first_lines_never_the_whole_list() -> None:
    flat = evidence(
        ("Delivery times depend on where you live.", 0.9),
        ("- **UK:** 3–5 working days.", 0.5),
        ("- **EU:** 5–8 working days.", 0.51),
        ("- **US:** 7–12 working days.", 0.52),
    )
    texts = said(compose(flat, "How long does delivery take?"))
    assert texts == [
        "Delivery times depend on where you live.",
        "**UK:** 3–5 working days.",
        "**EU:** 5–8 working days.",
    ]
    not_a_figure = said(compose(flat, "Where do you deliver?"))
    assert not_a_figure == ["Delivery times depend on where you live."]


def test_labelled_items_and_list_markers_decide_the_shape() -> None:
    assert is_labelled(REGIONS.candidates[1])
    sentence = "- Wash it on a gentle cycle at a low heat: never hotter."
    assert not is_labelled(Candidate(1, 0, sentence, 0.5, 0.0, True))
    mixed = evidence(("- One fact.", 0.5), ("- Another fact.", 0.5), ("1. A step.", 0.5))
    blocks = list_blocks(mixed.candidates)
    assert [(len(b.items), b.numbered) for b in blocks] == [(2, False), (1, True)]


# --- procedures -----------------------------------------------------------------------------

RETURN_STEPS = [
    ("You can return most items within 30 days.", 0.5),
    ("To return an item:", 0.4),
    ("1. Sign in and open your orders.", 0.6),
    ("2. Choose the item and a reason.", 0.9),
    ("3. Print the label.", 0.5),
    ("4. Drop the parcel off at any post office near you.", 0.45),
    ("We email you when it arrives.", 0.3),
]
STEPS = [
    "Sign in and open your orders.",
    "Choose the item and a reason.",
    "Print the label.",
    "Drop the parcel off at any post office near you.",
]


@pytest.mark.parametrize("length", ["short", "normal", "detailed"])
def test_a_numbered_procedure_keeps_all_its_steps_in_order(length: Length) -> None:
    draft = compose(evidence(*RETURN_STEPS), "How do I return an item?", length=length)
    steps = [s.text for s in draft.statements if s.kind == "step"]
    assert steps == STEPS
    texts = said(draft)
    assert texts.index("To return an item:") == texts.index(STEPS[0]) - 1
    assert body_words(draft) <= WORD_BUDGET[length]


def test_a_how_question_gets_the_steps_even_when_a_sentence_matches_better() -> None:
    lines = [(text, 0.95 if i == 0 else 0.2) for i, (text, _) in enumerate(RETURN_STEPS)]
    draft = compose(evidence(*lines), "How do I return an item?")
    assert [s.text for s in draft.statements if s.kind == "step"] == STEPS


def test_steps_are_left_to_the_source_when_the_question_does_not_ask_how() -> None:
    lines = [(text, 0.95 if i == 0 else 0.2) for i, (text, _) in enumerate(RETURN_STEPS)]
    draft = compose(evidence(*lines), "Is there a time limit on returns?")
    assert said(draft)[0] == "You can return most items within 30 days."
    assert all(s.kind != "step" for s in draft.statements)


def test_a_bulleted_list_of_things_to_do_is_given_whole_for_a_how_question() -> None:
    care = evidence(
        ("Linen gets softer with every wash.", 0.9),
        ("To keep it at its best:", 0.2),
        ("- Wash at 40 °C with a mild detergent.", 0.5),
        ("- Do not use bleach.", 0.4),
        ("- Line dry if you can.", 0.3),
    )
    draft = compose(care, "How do I wash linen bedding?")
    bullets = [s.text for s in draft.statements if s.bullet]
    assert bullets == [
        "Wash at 40 °C with a mild detergent.",
        "Do not use bleach.",
        "Line dry if you can.",
    ]


# --- the best sentence first, context, budget ------------------------------------------------


def test_the_best_sentence_comes_first_even_when_it_is_not_first_in_the_source() -> None:
    lines = evidence(
        ("Returns are free for members.", 0.5),
        ("Labels are printed at home.", 0.4),
        ("You can return an item within 30 days.", 0.9),
        ("Refunds take five working days.", 0.6),
    )
    assert said(compose(lines, "How long do I have to return an item?")) == [
        "You can return an item within 30 days.",
        "Returns are free for members.",
        "Labels are printed at home.",
        "Refunds take five working days.",
    ]


def test_context_the_best_sentence_needs_comes_with_it() -> None:
    lines = evidence(
        ("Express delivery costs £5.", 0.5),
        ("It is free for members.", 0.9),
        ("But only on orders over £50.", 0.3),
        ("Our vans are electric.", 0.35),
    )
    assert said(compose(lines, "Is express delivery free?")) == [
        "Express delivery costs £5.",
        "It is free for members.",
        "But only on orders over £50.",
        "Our vans are electric.",
    ]


def test_a_sentence_pointing_back_at_a_sentence_left_out_is_left_out_too() -> None:
    long_first = "Pay in three parts " + "on large orders " * 25 + "today."
    lines = evidence(
        (long_first, 0.4),
        ("It is only for UK addresses.", 0.6),
        ("We accept cards and PayPal.", 0.9),
    )
    assert said(compose(lines, "Which payment methods do you accept?")) == [
        "We accept cards and PayPal."
    ]


def test_a_yes_or_no_opening_comes_first_for_the_question_it_was_written_for() -> None:
    lines = evidence(
        ("Yes.", 0.1),
        ("We deliver to the EU and the US.", 0.5),
        ("Large items only ship within the UK.", 0.9),
    )
    faq = passage(title="Do you ship outside the UK?")
    assert said(compose(lines, "Do you ship outside the UK?", source=faq)) == [
        "Yes.",
        "We deliver to the EU and the US.",
        "Large items only ship within the UK.",
    ]
    other = said(compose(lines, "Do you sell gift cards?", source=faq))
    assert other[0] == "Large items only ship within the UK."


CLAIMS = evidence(
    *[
        (f"Claim {i} tells you one more useful thing about returns.", 0.9 - 0.02 * i)
        for i in range(12)
    ]
)


@pytest.mark.parametrize("length", ["short", "normal", "detailed"])
def test_the_body_stays_within_the_word_budget_of_its_length(length: Length) -> None:
    draft = compose(CLAIMS, "Tell me about returns", length=length)
    assert body_words(draft) <= WORD_BUDGET[length]
    assert said(draft) == [
        c.text for c in CLAIMS.candidates[: len(said(draft))]
    ]  # whole, best first


def test_a_longer_length_keeps_more_sentences_and_the_budget_is_a_parameter() -> None:
    kept = {
        length: len(said(compose(CLAIMS, "Tell me about returns", length=length)))
        for length in ("short", "normal", "detailed")
    }
    assert 0 < kept["short"] < kept["normal"] < kept["detailed"]
    request = AnswerRequest("Tell me about returns")
    composer = ExtractiveComposer(word_budget={"short": 0, "normal": 50, "detailed": 0})
    draft = composer.compose(request, [passage()], CLAIMS)
    opening = max(word_count(OPENINGS[(tone, "other")]) for tone in ("casual", "professional"))
    assert len(said(draft)) == (50 - opening) // 10  # whole 10-word claims after the opening


def test_the_best_sentence_stays_even_when_it_is_longer_than_the_budget() -> None:
    long_best = "You can return " + "this kind of item " * 20 + "within 30 days."
    lines = evidence((long_best, 0.9), ("Labels are printed at home.", 0.5))
    draft = compose(lines, "Can I return it?", length="short")
    assert said(draft) == [long_best]


# --- glossary notes -------------------------------------------------------------------------

GLOSSARY = Glossary.from_records(
    [
        IndexRecord(
            f"g{i}",
            definition,
            {"title": f'What does "{term}" mean?', "visibility": "public", "kind": "faq"},
        )
        for i, (term, definition) in enumerate(
            [
                ("restocking fee", "A restocking fee is an amount deducted from a refund."),
                ("dispatch", "Dispatch is when your order leaves our warehouse."),
            ]
        )
    ]
)
# Longer than a normal answer's whole budget on its own.
LONG_DISPATCH = (
    "Every order goes through dispatch "
    + "after a careful check " * (WORD_BUDGET["normal"] // 4)
    + "by us."
)


def notes(draft: Draft) -> list[str]:
    return [s.text for s in draft.statements if s.kind == "note"]


def test_a_note_explains_only_jargon_in_the_answer_given() -> None:
    lines = evidence(
        ("A restocking fee applies to assembled furniture.", 0.9), (LONG_DISPATCH, 0.3)
    )
    draft = compose(lines, "Can I return assembled furniture?", glossary=GLOSSARY)
    assert LONG_DISPATCH not in said(draft)  # over the budget
    assert notes(draft) == ["A restocking fee is an amount deducted from a refund."]
    assert draft.statements[-1].sources == (2,)
    assert body_words(draft) <= WORD_BUDGET["normal"]


def test_at_most_one_note_and_none_over_the_budget() -> None:
    both = evidence(("A restocking fee applies after dispatch.", 0.9))
    draft = compose(both, "Can I return assembled furniture?", glossary=GLOSSARY)
    assert notes(draft) == ["A restocking fee is an amount deducted from a refund."]
    long_best = (
        "A restocking fee applies "
        + "to assembled furniture " * (WORD_BUDGET["normal"] // 3)
        + "today."
    )
    full = compose(evidence((long_best, 0.9)), "Can I return it?", glossary=GLOSSARY)
    assert notes(full) == []


# --- the agent channel ----------------------------------------------------------------------


def test_agents_still_get_the_whole_list_with_excerpts() -> None:
    request = AnswerRequest("How long does delivery take to the EU?", channel="agent")
    chosen = select(REGIONS, request, [passage(REGIONS_TEXT)])
    assert [c.position for c in chosen] == [0, 1, 2, 3, 4]
    draft = compose(REGIONS, request.question, channel="agent", source=passage(REGIONS_TEXT))
    assert [s.kind for s in draft.statements] == [
        "claim",
        "step",
        "step",
        "step",
        "claim",
        "excerpt",
    ]
    assert not any(s.bullet for s in draft.statements)


@pytest.mark.parametrize(
    ("question", "how", "figure"),
    [
        ("How do I return an item?", True, False),
        ("My parcel arrived damaged", True, False),
        ("How long does delivery take?", False, True),
        ("When will I get my refund?", False, True),
        ("What happens when an item is out of stock?", False, False),
        ("Which payment methods do you accept?", False, False),
    ],
)
def test_what_a_question_asks_for(question: str, how: bool, figure: bool) -> None:
    assert (asks_how(question), wants_figure(question)) == (how, figure)
