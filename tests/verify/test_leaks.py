"""Internal wording: runs of words shared with tickets, unless a public passage has them too."""

from __future__ import annotations

from kb_assistant.verify.leaks import NGRAM, ngrams, shared_internal_ngram

TICKET = (
    "Internal note: Picking error: Fjord covers in sage and dusty blue sit on neighbouring "
    "shelves in aisle 14. Refunds are usually processed within 5–10 business days after we "
    "receive the item."
)
FAQ = "Refunds are usually processed within 5–10 business days after we receive the item."


def test_runs_of_stop_words_only_are_ignored() -> None:
    assert ngrams("and then it is up to you to do it", 6) == set()
    assert ngrams("you can return it to us within the window", 6) != set()
    assert NGRAM == 6


def test_a_quoted_internal_note_is_found() -> None:
    text = "The covers sit on neighbouring shelves in aisle 14, which caused the mix-up."
    assert shared_internal_ngram(text, [TICKET], []) == "sit on neighbouring shelves in aisle"
    assert shared_internal_ngram("Covers sit on shelves.", [TICKET], []) is None


def test_wording_the_public_passages_also_have_is_not_a_leak() -> None:
    text = "Refunds are usually processed within 5–10 business days after we receive the item."
    assert shared_internal_ngram(text, [TICKET], []) is not None
    assert shared_internal_ngram(text, [TICKET], [FAQ]) is None


def test_short_common_phrases_are_not_leaks() -> None:
    text = "Fjord covers come in sage green and dusty blue."
    assert shared_internal_ngram(text, [TICKET], []) is None


def test_nothing_near_means_nothing_leaked() -> None:
    assert shared_internal_ngram("Anything at all.", [], [FAQ]) is None
