"""The frustration signal: wording, shouting, "!!!", asking again; calm messages stay calm."""

from __future__ import annotations

import pytest

from kb_assistant.policy import frustration


@pytest.mark.parametrize(
    ("message", "signal"),
    [
        ("this is useless", "angry_words"),
        ("what a ridiculous process", "angry_words"),
        ("wtf is going on with my account", "swearing"),
        ("this is the third time I'm asking", "repeated_request"),
        ("WHY DOES NOTHING EVER WORK HERE", "shouting"),
        ("hello??? anyone!!!", "exclamations"),
    ],
)
def test_each_signal_is_recognised(message: str, signal: str) -> None:
    assert signal in frustration(message).signals


@pytest.mark.parametrize(
    "message",
    [
        "How do I change my PIN?",
        "Thanks, that helped!",
        "My ATM card from the UK works at the ATM",
        "hello",
        "",
    ],
)
def test_calm_messages_score_zero(message: str) -> None:
    mood = frustration(message)
    assert mood.score == 0 and not mood.frustrated


def test_signals_add_up_and_are_capped() -> None:
    mood = frustration("THIS IS USELESS!!! THIRD TIME ASKING, WTF")
    assert mood.frustrated and mood.score == 1.0
    assert set(mood.signals) >= {"angry_words", "swearing", "shouting", "exclamations"}


def test_asking_the_same_again_reads_as_repeated_failure() -> None:
    history = ["how can I download my invoice for March", "thanks"]
    again = frustration("how do I download the invoice for March?", history)
    assert "repeated_failure" in again.signals
    new_topic = frustration("can I change my delivery address?", history)
    assert "repeated_failure" not in new_topic.signals
