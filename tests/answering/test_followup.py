"""Follow-up questions are searched together with the customer's previous question."""

from __future__ import annotations

import pytest

from kb_assistant.answering.followup import contextualize, is_follow_up
from kb_assistant.core.replies import Turn

SHIPPING = (
    Turn("customer", "Do you ship outside the UK?"),
    Turn("assistant", "Yes, we deliver to the EU and the US."),
)


@pytest.mark.parametrize(
    "question",
    [
        "and how long does that take?",
        "what about lamps?",
        "How about the sofa?",
        "Can I cancel it?",
        "How do I return them?",
        "how often should I do that?",
        "Why?",
        "and the sofa?",
    ],
)
def test_questions_that_lean_on_the_conversation_are_follow_ups(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    [
        "How long does delivery take?",
        "What is the capital of France?",
        "How do I descale my kettle?",
        "Do you ship outside the UK?",
        "How do I reset my password?",
        "Can I pay with PayPal?",
        "I received the wrong item. What should I do?",
        # many words of its own: a pronoun inside does not make it a follow-up
        "What about refunds for items bought in a sale with a gift card?",
    ],
)
def test_standalone_questions_are_not_follow_ups(question: str) -> None:
    assert not is_follow_up(question)


@pytest.mark.parametrize(
    "question", ["Are there items I cannot return?", "Does this kettle work on induction hobs?"]
)
def test_existential_there_and_determiners_do_not_make_a_follow_up(question: str) -> None:
    assert not is_follow_up(question)


def test_a_follow_up_is_searched_with_the_previous_customer_question() -> None:
    assert contextualize("what about lamps?", SHIPPING) == (
        "Do you ship outside the UK? what about lamps?"
    )


def test_a_standalone_question_is_searched_as_asked() -> None:
    assert contextualize("How do I reset my password?", SHIPPING) == "How do I reset my password?"


def test_without_an_earlier_customer_message_the_question_is_searched_as_asked() -> None:
    assert contextualize("what about lamps?", ()) == "what about lamps?"
    only_others = (Turn("assistant", "Hello! How can I help?"), Turn("agent", "Hi there."))
    assert contextualize("what about lamps?", only_others) == "what about lamps?"
    blank = (Turn("customer", "   "),)
    assert contextualize("what about lamps?", blank) == "what about lamps?"


def test_the_latest_customer_message_is_the_one_used() -> None:
    history = (
        Turn("customer", "How do I descale my kettle?"),
        Turn("assistant", "Fill it with vinegar and water."),
        Turn("customer", "  Do you ship outside the UK?  "),
        Turn("assistant", "Yes."),
    )
    assert contextualize("and how long does that take?", history) == (
        "Do you ship outside the UK? and how long does that take?"
    )
