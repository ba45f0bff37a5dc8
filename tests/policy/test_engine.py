"""Rules and model combined: either one escalates money; what decided is always named."""

from __future__ import annotations

import dataclasses
import time

import pytest

from kb_assistant.policy import PolicyConfig, PolicyEngine, PolicyModel, RuleHit, RuleSet
from kb_assistant.policy.engine import Scores

CALM: Scores = {
    "money_action": 0.1,
    "money_info": 0.1,
    "human_request": 0.05,
    "security": 0.05,
    "none": 0.7,
}


def scores(**changes: float) -> Scores:
    return {**CALM, **changes}  # type: ignore[dict-item]


def hit(name: str, label: str, confidence: float = 0.9) -> RuleHit:
    return RuleHit(name, label, confidence, name)  # type: ignore[arg-type]


@pytest.fixture
def bare(policy: PolicyConfig, rules: RuleSet, model: PolicyModel) -> PolicyEngine:
    """An engine whose `combine` is given rule hits and model scores directly."""
    return PolicyEngine(policy, rules, model)


def test_a_money_rule_alone_escalates(bare: PolicyEngine) -> None:
    decision = bare.combine([hit("refund", "money_action")], scores())
    assert decision.escalate and decision.label == "money_action"
    assert decision.rule == "rule:refund" and decision.decided_by == "rule"
    assert decision.score == pytest.approx(0.9)


def test_the_model_alone_escalates_at_its_threshold(bare: PolicyEngine) -> None:
    threshold = bare.config.model.thresholds["money_action"]
    below = bare.combine([], scores(money_action=threshold - 0.01, none=0.2))
    at = bare.combine([], scores(money_action=threshold, none=0.2))
    assert not below.escalate
    assert at.escalate and at.decided_by == "model"
    assert at.rule == f"model:{bare.model.short_id}" if bare.model else False
    assert at.score == pytest.approx(threshold)


def test_rule_and_model_agreeing_say_so(bare: PolicyEngine) -> None:
    decision = bare.combine([hit("charged_twice", "money_action")], scores(money_action=0.97))
    assert decision.decided_by == "rule+model"
    assert decision.score == pytest.approx(0.97)


def test_security_wins_over_money_and_is_urgent(bare: PolicyEngine) -> None:
    hits = [hit("refund", "money_action"), hit("stolen_card", "security")]
    decision = bare.combine(hits, scores())
    assert decision.label == "security" and decision.urgent and decision.escalate


def test_an_info_rule_makes_the_model_need_more_to_escalate(bare: PolicyEngine) -> None:
    settings = bare.config.model
    between = (settings.thresholds["money_action"] + settings.info_threshold) / 2
    decision = bare.combine(
        [hit("refund_policy", "money_info")], scores(money_action=between, none=0.0)
    )
    assert decision.label == "money_info" and decision.action == "answer_no_commitment"
    assert decision.rule == "rule:refund_policy"
    sure = bare.combine([hit("refund_policy", "money_info")], scores(money_action=0.95))
    assert sure.escalate


def test_a_money_rule_gives_way_to_a_confident_general_question(bare: PolicyEngine) -> None:
    override = bare.config.model.info_override
    general = scores(money_info=override, money_action=0.2, none=0.1)
    decision = bare.combine([hit("refund", "money_action")], general)
    assert not decision.escalate and decision.label == "money_info"
    assert decision.action == "answer_no_commitment"
    assert decision.review is not None and "rule:refund gave way" in decision.review


def test_a_money_rule_holds_when_the_model_is_not_sure_it_is_general(bare: PolicyEngine) -> None:
    override = bare.config.model.info_override
    unsure = bare.combine(
        [hit("refund", "money_action")], scores(money_info=override - 0.01, money_action=0.1)
    )
    likelier_claim = bare.combine(
        [hit("refund", "money_action")], scores(money_info=0.61, money_action=0.62, none=0.0)
    )
    assert unsure.escalate and unsure.review is None
    assert likelier_claim.escalate


def test_rules_of_other_classes_and_other_languages_never_give_way(bare: PolicyEngine) -> None:
    general = scores(money_info=0.95, money_action=0.01, none=0.0)
    for name, label in (("stolen_card", "security"), ("money_words_de", "money_action")):
        assert bare.combine([hit(name, label)], general).escalate, name


def test_a_rule_over_a_confident_none_escalates_and_is_kept_for_review(
    bare: PolicyEngine,
) -> None:
    sure_none = scores(none=bare.config.model.review_threshold, money_action=0.05)
    flagged = bare.combine([hit("payment_pending", "money_action")], sure_none)
    agreed = bare.combine([hit("payment_pending", "money_action")], scores(none=0.3))
    assert flagged.escalate and flagged.review is not None
    assert "rule:payment_pending" in flagged.review and "none at" in flagged.review
    assert agreed.escalate and agreed.review is None


def test_without_hits_the_likeliest_calm_class_is_the_answer(bare: PolicyEngine) -> None:
    below = bare.config.model.thresholds["money_action"] - 0.02
    decision = bare.combine([], scores(money_action=below, money_info=0.5, none=0.1))
    assert decision.label == "money_info" and not decision.escalate
    assert decision.score == pytest.approx(0.5)


def test_actions_come_from_the_policy(
    policy: PolicyConfig, rules: RuleSet, model: PolicyModel
) -> None:
    classes = dict(policy.classes)
    classes["money_info"] = dataclasses.replace(classes["money_info"], action="escalate")
    thresholds = {**policy.model.thresholds, "money_info": 0.6}
    strict = dataclasses.replace(
        policy,
        classes=classes,
        model=dataclasses.replace(policy.model, thresholds=thresholds),
    )
    engine = PolicyEngine(strict, rules, model)
    decision = engine.combine([hit("invoices", "money_info")], scores())
    assert decision.escalate and decision.label == "money_info"


@pytest.mark.parametrize(
    ("message", "label", "escalate"),
    [
        ("I was charged twice for my subscription", "money_action", True),
        ("the ATM swallowed my cash and I still got debited", "money_action", True),
        ("I want to talk to a real person", "human_request", True),
        ("someone hacked into my account", "security", True),
        ("what is your refund policy?", "money_info", False),
        ("what payment methods do you accept?", "money_info", False),
        ("how do I update my card?", "none", False),
        ("what's the exchange rate?", "money_info", False),
        # a general question is not a claim; a specific problem is
        ("how long do transfers to Spain usually take?", "none", False),
        ("the transfer I made to my landlord yesterday still hasn't arrived", "money_action", True),
        ("why won't the app let me add this beneficiary?", "none", False),
        ("my transfer to my brother failed this morning", "money_action", True),
        ("how do I set up top-ups with Apple Pay?", "none", False),
        ("do you charge anything for topping up with a foreign card?", "money_action", True),
        # a card or account that does not work is a support question; a payment that failed
        # or money that went missing is a claim
        ("tapping my card on the bus does nothing, chip and PIN is fine", "none", False),
        ("my card was declined at the pharmacy an hour ago", "money_action", True),
        ("the app says transfers to this account are not allowed, why?", "none", False),
        ("the cash machine gave me 40 less than I asked for", "money_action", True),
        ("sorry, could you repeat that?", "none", False),
        # a shop's general questions are answered, its customers' claims go to a person
        ("what do you charge to deliver a wardrobe?", "money_info", False),
        ("will I have to pay import tax on an order to Canada?", "money_info", False),
        ("what is a chargeback?", "money_info", False),
        ("is store credit valid forever?", "money_info", False),
        ("can a refund be paid onto another card?", "money_info", False),
        ("what are the most common reasons a card is declined online?", "money_info", False),
        ("can I pay for a sofa in three instalments?", "money_info", False),
        ("how do I send back a rug I ordered online?", "money_info", False),
        ("how do I make a warranty claim for a toaster that stopped heating?", "none", False),
        ("my desk fan rattles at full speed", "none", False),
        ("how do I use a discount code?", "none", False),
        ("I'm a member but you still charged me for delivery", "money_action", True),
        ("the refund for the bookcase I sent back still hasn't come through", "money_action", True),
        ("you charged me twice for my last order", "money_action", True),
        ("I want my money back for the cracked mirror", "money_action", True),
        ("please cancel my order and refund the payment", "money_action", True),
        (
            "the discount code didn't come off and I paid full price, refund the difference",
            "money_action",
            True,
        ),
        ("I want store credit for my broken kettle", "money_action", True),
        ("my card was declined when I tried to pay for my basket", "money_action", True),
    ],
)
def test_classify_end_to_end(
    engine: PolicyEngine, message: str, label: str, escalate: bool
) -> None:
    decision = engine.classify(message)
    assert (decision.label, decision.escalate) == (label, escalate)
    assert decision.policy_version == engine.config.version
    assert set(decision.model_scores) == {
        "money_action",
        "money_info",
        "human_request",
        "security",
        "none",
    }
    assert decision.as_json()["class"] == label


@pytest.mark.parametrize("message", ["", "   \n\t "])
def test_empty_messages_are_none(engine: PolicyEngine, message: str) -> None:
    decision = engine.classify(message)
    assert decision.label == "none" and decision.decided_by == "default"
    assert not decision.model_scores


def test_a_very_long_message_is_classified_and_rules_read_all_of_it(
    engine: PolicyEngine,
) -> None:
    message = "Some background about my week. " * 3_300 + "Also, you charged me twice."
    assert len(message) > 100_000
    started = time.perf_counter()
    decision = engine.classify(message)
    assert time.perf_counter() - started < 5
    assert decision.rule == "rule:charged_twice" and decision.escalate


def test_frustration_never_escalates_on_its_own(engine: PolicyEngine) -> None:
    message = "THIS APP IS USELESS!!! how do I change my PIN, third time asking"
    history = ["how do I change my PIN", "how do I change the PIN on my card"]
    decision = engine.classify(message, history=history)
    assert decision.frustration.frustrated
    assert "repeated_failure" in decision.frustration.signals
    assert not decision.escalate and decision.label == "none"
    calm = engine.classify("how do I change my PIN")
    assert not calm.frustration.frustrated


def test_classify_many_agrees_with_classify(engine: PolicyEngine) -> None:
    messages = ["refund my order", "", "how do I reset my password", "refund my order"]
    batch = engine.classify_many(messages)
    assert [d.label for d in batch] == [engine.classify(m).label for m in messages]


@pytest.mark.parametrize(
    "message",
    [
        "Can I buy a spare glass shade for the ceiling lamp?",
        "do you sell spare parts",
        "can i buy a replacement lid for the kettle",
        "is the blue armchair back in stock soon?",
        "do you still make the oak bookcase in the smaller size",
    ],
)
def test_asking_to_buy_something_is_answered(engine: PolicyEngine, message: str) -> None:
    decision = engine.classify(message)
    assert not decision.escalate, (decision.label, decision.rule)
