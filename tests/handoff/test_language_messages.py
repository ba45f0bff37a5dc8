"""A customer who wrote in another language is told, kindly and in their language too, that a
person will reply, and nothing about their money either way."""

from __future__ import annotations

import itertools

import pytest

from kb_assistant.core.decisions import POLICY_CLASSES
from kb_assistant.handoff.messages import LANGUAGES, handoff_message, language_name
from kb_assistant.verify.money import money_commitment

_CODES = "es fr de it pt nl pl sv da nb fi cs ro tr ru uk el ja zh ko ar hi"
COMMON = _CODES.split()
CASES = list(itertools.product(COMMON, POLICY_CLASSES, [False, True], [False, True]))


def test_every_common_language_has_a_name_and_a_sentence_of_its_own() -> None:
    assert set(COMMON) <= set(LANGUAGES)
    sentences = [sentence for _, sentence in LANGUAGES.values()]
    assert len(set(sentences)) == len(sentences)
    assert all(len(sentence) < 100 for sentence in sentences)


def test_the_message_names_the_language_and_adds_a_sentence_in_it() -> None:
    text = handoff_message("human_request", "within 2 hours", language="es")
    assert text.startswith(
        "I can only answer in English, so I've passed your message (in Spanish) to a person "
        "from our team."
    )
    assert "Una persona de nuestro equipo leerá su mensaje y le responderá aquí." in text
    assert "You can expect a reply within 2 hours, right here in this chat." in text


@pytest.mark.parametrize(("code", "label", "urgent", "already_open"), CASES)
def test_every_language_message_gives_the_time_and_commits_to_nothing(
    code: str, label: str, urgent: bool, already_open: bool
) -> None:
    text = handoff_message(
        label, "within 2 hours", urgent=urgent, already_open=already_open, language=code
    )
    assert "within 2 hours" in text and "this chat" in text
    assert LANGUAGES[code][1] in text
    assert money_commitment(text) is None, text
    for word in ("refund", "money", "compensat", "credit", "charge"):
        assert word not in text.lower(), text


def test_a_money_matter_in_another_language_is_explained_by_the_language() -> None:
    text = handoff_message("money_action", "within 2 hours", language="de")
    assert "(in German)" in text and "Eine Person aus unserem Team" in text
    assert "refund" not in text.lower()


def test_an_unnamed_language_is_not_guessed_at() -> None:
    text = handoff_message("human_request", "within 2 hours", language="und")
    assert text.startswith(
        "I can only answer in English, so I've passed your message to a person from our team."
    )
    assert "(in " not in text and language_name("und") is None


def test_english_and_no_language_get_the_usual_message() -> None:
    usual = handoff_message("human_request", "within 2 hours")
    assert handoff_message("human_request", "within 2 hours", language="en") == usual
    assert "only answer in English" not in usual
    assert language_name("ja") == "Japanese"
