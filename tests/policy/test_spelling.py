"""Disguised and foreign spellings are undone before the rules read a message, and nothing
ordinary (numbers, prices, order ids, contractions) is disturbed."""

from __future__ import annotations

import pytest

from kb_assistant.policy import RuleSet
from kb_assistant.policy.spelling import fold
from kb_assistant.policy.text import normalise


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("I want a r e f u n d for my order", "i want a refund for my order"),
        ("r-e-f-u-n-d now", "refund now"),
        ("R.E.F.U.N.D", "refund"),
        ("r_e_f_u_n_d", "refund"),
        ("c h a r g e d  t w i c e", "charged twice"),
        ("g i v e m e m y m o n e y b a c k", "give me my money back"),
        ("a c c o u n t", "account"),
    ],
)
def test_letters_spaced_apart_are_joined_into_words(message: str, expected: str) -> None:
    assert normalise(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Please give me my m0ney b4ck", "please give me my money back"),
        ("r3fund", "refund"),
        ("I need my ca$h back", "i need my cash back"),
        ("I was ch@rged tw1ce", "i was charged twice"),
        ("refund$", "refunds"),
    ],
)
def test_digits_and_symbols_standing_for_letters_are_read_as_letters(
    message: str, expected: str
) -> None:
    assert normalise(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "order 12345 costs £3.95 for 4 items",
        "my 2nd order, ab12c and b00k5",
        "send $50 to ps5 owner at 10am",
        "email john@mail.com about mp3 3d covid19",
        "it is 4 x 4 x 4 cm",
    ],
)
def test_numbers_prices_and_order_ids_stay_as_they_are(message: str) -> None:
    assert normalise(message) == message


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("refuuuund pls", "refund please"),
        ("gimme my moneyyyy", "gimme my money"),
        ("feeeee", "fee"),
        ("sooo good", "so good"),
        ("zzz", "zzz"),
    ],
)
def test_letters_repeated_for_emphasis_are_collapsed(message: str, expected: str) -> None:
    assert normalise(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("devolución reembolsó", "devolucion reembolso"),
        ("Zwrot pieniędzy, złotych", "zwrot pieniedzy, zlotych"),
        ("Straße, GRÜẞE", "strasse, grusse"),
        ("верните деньги, ещё", "верните деньги, еще"),
        ("ΕΠΙΣΤΡΟΦΉ ΧΡΗΜΆΤΩΝ", "επιστροφη χρηματων"),
        ("أريد استرداد أموالي", "اريد استرداد اموالي"),
        ("返金してください", "返金してください"),
        ("환불해 주세요", "환불해 주세요"),
    ],
)
def test_accents_and_marks_are_folded_but_other_scripts_are_kept(
    message: str, expected: str
) -> None:
    assert normalise(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("ＲＥＦＵＮＤ ｍｅ", "refund me"),
        ("I want my m\u03bfney back", "i want my money back"),  # Greek omicron
        ("r\u0435fund", "refund"),  # Cyrillic e
        ("re\u200bfund please", "refund please"),  # zero-width space
        ("refund\u00adable", "refundable"),  # soft hyphen
    ],
)
def test_look_alike_and_invisible_characters_are_undone(message: str, expected: str) -> None:
    assert normalise(message) == expected


def test_contractions_and_typos_are_still_fixed() -> None:
    assert normalise("I didn´t get my refnd") == "i did not get my refund"
    assert normalise("can't") == "can not"


def test_fold_keeps_case_so_that_patterns_stay_valid() -> None:
    assert fold(r"\bdevolución\s+\W\S") == r"\bdevolucion\s+\W\S"
    assert fold("plain ascii") == "plain ascii"


@pytest.mark.parametrize(
    "message",
    [
        "I want a r e f u n d for my order",
        "Please give me my m0ney b4ck",
        "REFUUUUND NOW",
        "you double ch4rged me",
        "ｒｅｆｕｎｄ ｍｅ",
    ],
)
def test_disguised_money_claims_fire_a_money_rule(rules: RuleSet, message: str) -> None:
    assert any(hit.label == "money_action" for hit in rules.match(message)), message
