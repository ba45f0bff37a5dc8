"""Money commitments: promises, grants and denials go; policy wording stays."""

from __future__ import annotations

import pytest

from kb_assistant.verify import money_commitment
from kb_assistant.verify.money import money_commitment_reason
from tests.verify.money_cases import COMMITMENTS, POLICY


def test_enough_cases_both_ways() -> None:
    assert len(COMMITMENTS) >= 40 and len(POLICY) >= 40


@pytest.mark.parametrize("text", COMMITMENTS)
def test_commitment_is_found(text: str) -> None:
    assert money_commitment(text) is not None


@pytest.mark.parametrize("text", POLICY)
def test_policy_wording_passes(text: str) -> None:
    assert money_commitment(text) is None


def test_no_sentence_of_the_public_knowledge_base_is_a_commitment(
    public_sentences: list[str],
) -> None:
    flagged = {s: money_commitment(s) for s in public_sentences if money_commitment(s)}
    assert len(public_sentences) > 500
    assert flagged == {}


def test_agents_ticket_replies_that_commit_are_found() -> None:
    replies = [
        "I've passed it to our billing team, who will issue the refund to the card you paid with.",
        "The refund for your Beacon table lamp was issued today to the card you used.",
        "I've reviewed your request, and the £39 membership fee has been refunded to your "
        "original payment method today.",
    ]
    assert all(money_commitment(reply) for reply in replies)


def test_the_phrase_and_the_kind_of_commitment_are_reported() -> None:
    assert money_commitment("Good news: we’ll refund you tomorrow.") == "we will refund"
    assert money_commitment_reason("You are not eligible for a refund.") == (
        "the customer is owed money",
        "you are not eligible",
    )


def test_hedged_eligibility_needs_its_condition() -> None:
    assert money_commitment("You may be eligible for a refund.") == "you may be eligible"
    assert (
        money_commitment("If you cancel within 14 days, you may be eligible for a refund.") is None
    )


def test_a_commitment_phrase_after_if_is_a_condition() -> None:
    assert money_commitment("To check if your refund has been processed, open your orders.") is None
    assert money_commitment("Your refund has been processed.") is not None
