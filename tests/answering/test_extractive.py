"""The extractive composer: sentence choice, plain-language rewriting, openings, glossary notes."""

from __future__ import annotations

import pytest

from kb_assistant.answering.evidence import Candidate, Evidence, gather
from kb_assistant.answering.extractive import ExtractiveComposer, excerpt, select
from kb_assistant.answering.glossary import Glossary
from kb_assistant.answering.plain import simplify
from kb_assistant.answering.wording import DONT_KNOW, DONT_KNOW_AGENT, OPENINGS, dont_know, opening
from kb_assistant.core.replies import AnswerRequest, Length, Statement
from kb_assistant.core.text import numbers
from kb_assistant.domain import Passage
from kb_assistant.embedding.hashing import HashingEmbedder
from kb_assistant.ports import IndexRecord
from kb_assistant.retrieval import RetrievalResult


def passage(number: int, text: str, title: str = "", kind: str = "faq") -> Passage:
    return Passage(
        chunk_id=f"c{number}",
        doc_id=f"d{number}",
        text=text,
        title=title or f"Passage {number}",
        kind=kind,
        visibility="public",
        location="help-center.md",
        url=None,
        page_start=None,
        page_end=None,
        score=1.0,
    )


def cand(
    number: int, position: int, text: str, similarity: float, *, step: bool = False
) -> Candidate:
    return Candidate(number, position, text, similarity, 0.0, step, 1.0)


def ask(question: str = "How do I descale my kettle?", **kwargs: object) -> AnswerRequest:
    return AnswerRequest(question, **kwargs)  # type: ignore[arg-type]


# --- plain language -------------------------------------------------------------------------

LONG_SEMICOLON = (
    "You can return most items within 30 days of delivery; Plus members have an extended "
    "window of 60 days for every order."
)
LONG_BUT = (
    "This is your legal right to cancel an order within 14 days of delivery, but the law "
    "also lets us reduce the refund if an item has been used."
)


def test_simplify_splits_a_long_sentence_at_a_semicolon() -> None:
    assert simplify(LONG_SEMICOLON) == [
        "You can return most items within 30 days of delivery.",
        "Plus members have an extended window of 60 days for every order.",
    ]


def test_simplify_splits_a_long_sentence_before_but() -> None:
    assert simplify(LONG_BUT) == [
        "This is your legal right to cancel an order within 14 days of delivery.",
        "But the law also lets us reduce the refund if an item has been used.",
    ]


def test_simplify_leaves_short_sentences_and_short_pieces_whole() -> None:
    assert simplify("Items are returnable; see the list below.") == [
        "Items are returnable; see the list below."
    ]
    tail = (
        "You can return most items for any reason within 30 days of delivery and within 60 "
        "days as a member; see below."
    )
    assert simplify(tail) == [tail]


@pytest.mark.parametrize(
    ("formal", "plain"),
    [
        ("Approximately 5 minutes.", "About 5 minutes."),
        ("It takes approximately 5 minutes.", "It takes about 5 minutes."),
        (
            "In order to return an item prior to the deadline, you are required to obtain a label.",
            "To return an item before the deadline, you need to get a label.",
        ),
        ("We will inform you by email.", "We will tell you by email."),
        ("However, the kettle is not dishwasher-safe.", "But the kettle is not dishwasher-safe."),
        ("Please note that returns are free within 30 days.", "Returns are free within 30 days."),
        ("For more information, see below", "For more information, see below."),
    ],
)
def test_simplify_swaps_formal_words_for_everyday_ones(formal: str, plain: str) -> None:
    assert simplify(formal) == [plain]


@pytest.mark.parametrize(
    "sentence",
    [
        LONG_SEMICOLON,
        LONG_BUT,
        "It costs £4.95, or approximately €5.80, and additional items are £1,500 in total.",
    ],
)
def test_simplify_keeps_every_number(sentence: str) -> None:
    assert numbers(" ".join(simplify(sentence))) == numbers(sentence)


def test_simplify_keeps_purchase_as_a_noun() -> None:
    assert simplify("Keep your proof of purchase until the warranty ends.") == [
        "Keep your proof of purchase until the warranty ends."
    ]


def test_simplify_does_not_split_off_a_purpose_clause() -> None:
    sentence = (
        "Returned items should be unused, complete and in the condition in which you received "
        "them, so that we can sell them again."
    )
    assert not any(part.startswith("So that") for part in simplify(sentence))


# --- openings and fixed wording -------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How do I descale my kettle?", "how"),
        ("How long does delivery take?", "when"),
        ("My parcel arrived damaged", "problem"),
        ('What does "RMA number" mean?', "meaning"),
        ("Do you ship outside the UK?", "other"),
    ],
)
def test_the_opening_fits_the_question_and_the_tone(question: str, kind: str) -> None:
    assert opening(ask(question)) == OPENINGS[("casual", kind)]
    assert opening(ask(question, tone="professional")) == OPENINGS[("professional", kind)]
    assert OPENINGS[("casual", kind)] != OPENINGS[("professional", kind)]


def test_an_upset_customer_gets_an_apology_first() -> None:
    assert opening(ask(upset=True)).startswith("I'm sorry")


def test_dont_know_depends_on_channel_and_tone() -> None:
    assert dont_know(ask()) == DONT_KNOW["casual"]
    assert dont_know(ask(tone="professional")) == DONT_KNOW["professional"]
    assert dont_know(ask(channel="agent")) == DONT_KNOW_AGENT
    assert "member of our team" in DONT_KNOW["casual"]


# --- evidence -------------------------------------------------------------------------------

FAQ = passage(
    1,
    "Q: How do I descale my kettle?\nA: Descale the kettle once a month.\n"
    "1. Fill it with vinegar and water.\n2. Boil it and leave it for 30 minutes.\n"
    "3. Pour the solution away.\n\nRinse it well.",
    "How do I descale my kettle?",
)
POLICY = passage(
    2,
    "Return windows\nYou can return most items within 30 days.\n"
    "4. Refunds are paid to your original payment method.\nWe check every returned item.",
    "Returns policy",
    kind="pdf",
)


def test_gather_scores_the_sentences_of_the_top_passages() -> None:
    embedder = HashingEmbedder()
    retrieval = RetrievalResult(
        passages=[FAQ, POLICY, passage(3, "Third."), passage(4, "Not read.")],
        top_dense=0.8,
        unknown_terms={"xylophone"},
    )
    evidence = gather("How do I descale my kettle?", retrieval, embedder)
    texts = [c.text for c in evidence.candidates]
    assert "How do I descale my kettle?" not in " ".join(texts)  # the FAQ question is no answer
    assert "Return windows" not in texts  # headings are not candidates
    assert "Not read." not in texts  # only the top three passages
    steps = {c.text: c.step for c in evidence.candidates}
    assert steps["1. Fill it with vinegar and water."]
    assert steps["3. Pour the solution away."]
    assert not steps["4. Refunds are paid to your original payment method."]  # a lone number
    best = max(evidence.candidates, key=lambda c: c.similarity)
    assert best.passage == 1
    assert evidence.features["top_dense"] == 0.8
    assert evidence.features["unknown_terms"] == 1.0
    assert evidence.features["coverage"] == pytest.approx(1.0)
    assert evidence.features["title_similarity"] == pytest.approx(1.0)
    assert set(evidence.features) >= {"best_sentence", "second_sentence", "title_cosine"}


def test_gather_without_passages_has_no_candidates() -> None:
    evidence = gather("anything", RetrievalResult(passages=[]), HashingEmbedder())
    assert evidence.candidates == []
    assert evidence.features["best_sentence"] == 0.0


# --- choosing sentences ---------------------------------------------------------------------

CLAIMS = [cand(1, i, f"Claim {i}.", 0.9 - 0.02 * i) for i in range(6)]


@pytest.mark.parametrize(("length", "count"), [("short", 2), ("normal", 4), ("detailed", 6)])
def test_the_length_sets_how_many_sentences_are_kept(length: Length, count: int) -> None:
    chosen = select(Evidence("q", list(CLAIMS)), ask(length=length), [FAQ])
    assert [c.text for c in chosen] == [c.text for c in CLAIMS[:count]]


def test_weak_sentences_of_a_manual_are_left_out_but_an_faq_answer_stays_whole() -> None:
    candidates = [cand(1, 0, "Strong.", 0.9), cand(1, 1, "Weak.", 0.3)]
    manual = [passage(1, "x", kind="pdf")]
    assert [c.text for c in select(Evidence("q", candidates), ask(), manual)] == ["Strong."]
    assert [c.text for c in select(Evidence("q", candidates), ask(), [FAQ])] == [
        "Strong.",
        "Weak.",
    ]


def test_all_steps_and_their_intro_are_kept_in_reading_order() -> None:
    candidates = [
        cand(1, 0, "Descale the kettle once a month.", 0.5),
        cand(1, 1, "To descale it:", 0.2),
        cand(1, 2, "1. Fill it with vinegar.", 0.9, step=True),
        cand(1, 3, "2. Boil it.", 0.3, step=True),
        cand(1, 4, "3. Pour it away.", 0.2, step=True),
        cand(1, 5, "Rinse it well.", 0.1),
    ]
    chosen = select(Evidence("q", candidates), ask(), [passage(1, "x", kind="pdf")])
    assert [c.position for c in chosen] == [1, 2, 3, 4]


def test_an_faq_answer_is_not_mixed_with_other_passages_unless_detailed() -> None:
    candidates = [cand(1, 0, "Descale it monthly.", 0.9), cand(2, 0, "Use citric acid.", 0.85)]
    evidence = Evidence("q", candidates)
    assert [c.passage for c in select(evidence, ask(), [FAQ, POLICY])] == [1]
    assert [c.passage for c in select(evidence, ask(length="detailed"), [FAQ, POLICY])] == [1, 2]
    manual = [passage(1, "x", kind="pdf"), POLICY]
    assert [c.passage for c in select(evidence, ask(), manual)] == [1, 2]


def test_a_repeated_sentence_from_another_passage_is_not_added() -> None:
    candidates = [
        cand(1, 0, "Descale the kettle once a month with vinegar.", 0.9),
        cand(2, 0, "Descale the kettle once a month with vinegar!", 0.88),
    ]
    chosen = select(Evidence("q", candidates), ask(length="detailed"), [FAQ, POLICY])
    assert [c.passage for c in chosen] == [1]


def test_the_top_passage_is_the_anchor_unless_another_is_clearly_better() -> None:
    close = [cand(1, 0, "Top passage.", 0.70), cand(2, 0, "Slightly closer.", 0.75)]
    assert select(Evidence("q", close), ask(), [FAQ, FAQ])[0].passage == 1
    far = [cand(1, 0, "Top passage.", 0.50), cand(2, 0, "Much closer.", 0.75)]
    assert select(Evidence("q", far), ask(), [FAQ, FAQ])[0].passage == 2


def test_no_candidates_select_nothing() -> None:
    assert select(Evidence("q"), ask(), []) == []


# --- composing ------------------------------------------------------------------------------

DEFINITION = passage(
    9, "A restocking fee is an amount deducted from a refund. It covers repacking.", "Glossary"
)
GLOSSARY = Glossary.from_records(
    [
        IndexRecord(
            "c9",
            DEFINITION.text,
            {"title": 'What does "restocking fee" mean?', "visibility": "public", "kind": "faq"},
        )
    ]
)


def evidence_for(passages: list[Passage], question: str) -> Evidence:
    return gather(question, RetrievalResult(passages=passages), HashingEmbedder())


def test_customer_draft_opens_in_plain_words_with_cited_steps() -> None:
    question = "How do I descale my kettle?"
    draft = ExtractiveComposer().compose(ask(question), [FAQ], evidence_for([FAQ], question))
    assert draft.composer == "extractive"
    assert draft.statements[0] == Statement(OPENINGS[("casual", "how")], kind="framing")
    steps = [s for s in draft.statements if s.kind == "step"]
    assert [s.text for s in steps] == [
        "Fill it with vinegar and water.",
        "Boil it and leave it for 30 minutes.",
        "Pour the solution away.",
    ]
    assert all(s.sources == (1,) for s in draft.statements[1:])


def test_jargon_in_the_answer_is_explained_from_the_glossary() -> None:
    fee = passage(1, "A restocking fee of approximately 10% applies to assembled furniture.")
    question = "Can I return assembled furniture?"
    composer = ExtractiveComposer(GLOSSARY)
    draft = composer.compose(ask(question), [fee], evidence_for([fee], question))
    assert draft.statements[1] == Statement(
        "A restocking fee of about 10% applies to assembled furniture.", (1,)
    )
    assert draft.statements[-1] == Statement(
        "A restocking fee is an amount deducted from a refund.", (2,), "note"
    )
    assert draft.extra_passages == (GLOSSARY.terms[0].passage,)
    # a definition already among the passages is cited by its number, not added again
    both = [fee, GLOSSARY.terms[0].passage]
    draft = composer.compose(ask(question), both, evidence_for(both, question))
    assert draft.extra_passages == ()
    assert draft.statements[-1].sources == (2,)
    # a term the customer used themselves needs no explanation
    asked = "Is there a restocking fee?"
    draft = composer.compose(ask(asked), [fee], evidence_for([fee], asked))
    assert all(s.kind != "note" for s in draft.statements)


def test_agent_draft_has_no_opening_and_adds_source_excerpts() -> None:
    question = "How do I descale my kettle?"
    passages = [FAQ, POLICY]
    draft = ExtractiveComposer().compose(
        ask(question, channel="agent"), passages, evidence_for(passages, question)
    )
    assert all(s.kind != "framing" for s in draft.statements)
    excerpts = [s for s in draft.statements if s.kind == "excerpt"]
    assert [s.sources for s in excerpts] == [(1,), (2,)]
    assert excerpts[0].text.startswith("Descale the kettle once a month.")


def test_excerpt_cuts_at_a_sentence_boundary() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    cut = excerpt(passage(1, text), limit=100)
    assert cut.endswith(" …")
    assert len(cut) <= 102
    assert cut[:-2].endswith("is here.")
    assert excerpt(FAQ).startswith("Descale the kettle")  # without the FAQ question
    assert excerpt(passage(1, "Short.")) == "Short."
