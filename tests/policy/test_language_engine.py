"""The engine's language paths: money words of any language escalate as money, another
language goes to a person with a decision that says why, and every such decision is audited."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import text

from kb_assistant.core.decisions import PolicyDecision
from kb_assistant.policy import PolicyAudit, PolicyConfig, PolicyEngine, PolicyModel, RuleSet
from kb_assistant.policy.language_config import LanguagePolicy
from kb_assistant.policy.language_detect import LanguageGuess
from kb_assistant.policy.languages import LanguageGate
from kb_assistant.storage.db import make_engine
from tests.storage.engines import upgraded_engine


def _with_languages(policy: PolicyConfig, **changes: object) -> PolicyConfig:
    return dataclasses.replace(policy, languages=dataclasses.replace(policy.languages, **changes))


@pytest.fixture
def answering_all(policy: PolicyConfig, rules: RuleSet, model: PolicyModel) -> PolicyEngine:
    """An engine whose policy answers Spanish and lets other languages through unescalated."""
    config = _with_languages(policy, supported=("en", "es"), unsupported="answer")
    return PolicyEngine(config, rules, model)


def test_money_words_of_another_language_escalate_as_money(engine: PolicyEngine) -> None:
    decision = engine.classify("Quiero un reembolso, me cobraron dos veces.")
    assert decision.escalate and decision.label == "money_action"
    assert decision.rule == "rule:money_words_es" and decision.decided_by in ("rule", "rule+model")
    assert decision.language == "es"
    assert decision.as_json()["language"] == "es"


def test_money_words_escalate_even_where_the_language_is_answered(
    answering_all: PolicyEngine,
) -> None:
    spanish = answering_all.classify("Quiero un reembolso, me cobraron dos veces.")
    german = answering_all.classify("Ich will mein Geld zurück!")
    assert spanish.label == "money_action" and spanish.escalate and spanish.language is None
    assert german.label == "money_action" and german.rule == "rule:money_words_de"


def test_another_language_without_money_goes_to_a_person_saying_why(
    engine: PolicyEngine,
) -> None:
    decision = engine.classify("¿Dónde está mi pedido? Lo compré hace una semana.")
    assert decision.escalate and decision.action == "escalate"
    assert decision.label == "human_request" and not decision.urgent
    assert decision.rule == "language:es" and decision.decided_by == "rule"
    assert decision.language == "es" and 0.5 <= decision.score <= 1


def test_a_supported_language_is_answered_as_usual(answering_all: PolicyEngine) -> None:
    decision = answering_all.classify("¿Dónde está mi pedido? Lo compré hace una semana.")
    assert decision.language is None and not decision.rule.startswith("language:")


def test_an_unsupported_language_set_to_answer_is_named_but_not_escalated(
    answering_all: PolicyEngine,
) -> None:
    decision = answering_all.classify("Wo ist meine Bestellung? Ich warte schon seit einer Woche.")
    assert decision.language == "de" and not decision.rule.startswith("language:")


def test_english_stays_english_disguised_claims_included(engine: PolicyEngine) -> None:
    calm = engine.classify("wheres my parcel??")
    claim = engine.classify("Please give me my m0ney b4ck")
    spaced = engine.classify("I want a r e f u n d for my order")
    assert calm.language is None and not calm.escalate
    assert claim.label == "money_action" and claim.rule.startswith("rule:")
    assert spaced.label == "money_action" and spaced.language is None


def test_a_rule_that_escalated_keeps_its_class_and_gains_the_language(
    policy: PolicyConfig,
) -> None:
    gate = LanguageGate(policy.languages)
    stolen = PolicyDecision("security", "escalate", 0.95, "rule:stolen_card", "rule", "v", True)
    modelled = dataclasses.replace(stolen, label="money_action", decided_by="model", urgent=False)
    guess = LanguageGuess("it", 0.9)
    kept = gate.route(stolen, guess)
    replaced = gate.route(modelled, guess)
    assert (kept.label, kept.rule, kept.urgent, kept.language) == (
        "security",
        "rule:stolen_card",
        True,
        "it",
    )
    assert (replaced.label, replaced.rule, replaced.decided_by) == (
        "human_request",
        "language:it",
        "rule",
    )
    assert gate.route(stolen, None) is stolen


def test_classify_many_takes_the_same_language_paths(engine: PolicyEngine) -> None:
    messages = ["我要退款。", "我的订单什么时候到？", "where is my order?"]
    many = engine.classify_many(messages)
    one = [engine.classify(m) for m in messages]
    assert [(d.label, d.rule, d.language) for d in many] == [
        (d.label, d.rule, d.language) for d in one
    ]
    assert [d.language for d in many] == ["zh", "zh", None]
    assert many[0].rule == "rule:money_words_zh" and many[1].rule == "language:zh"


def test_a_language_decision_is_audited_with_its_language(
    policy: PolicyConfig, rules: RuleSet, model: PolicyModel, tmp_path: Path
) -> None:
    audit = PolicyAudit(upgraded_engine(f"sqlite:///{tmp_path / 'audit.sqlite3'}"))
    audited = PolicyEngine(policy, rules, model, audit)
    decision = audited.classify("Где мой заказ? Он до сих пор не пришёл.", conversation_id="c-ru")
    audited.classify("where is my order?", conversation_id="c-en")
    english, russian = audit.recent(2)
    assert (russian.conversation_id, russian.label, russian.rule) == (
        "c-ru",
        "human_request",
        "language:ru",
    )
    assert russian.language == "ru" == decision.language and russian.action == "escalate"
    assert english.language is None


def test_an_audit_table_made_before_languages_keeps_working(
    policy: PolicyConfig, rules: RuleSet, model: PolicyModel, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    database = make_engine(url)
    with database.begin() as connection:  # the table as earlier releases created it
        connection.execute(
            text(
                "CREATE TABLE policy_decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                "created_at DATETIME, conversation_id VARCHAR(128), message TEXT, "
                "label VARCHAR(32), action VARCHAR(32), urgent BOOLEAN, score FLOAT, "
                "rule VARCHAR(128), decided_by VARCHAR(32), policy_version VARCHAR(64), "
                "frustration FLOAT)"
            )
        )
    audit = PolicyAudit(upgraded_engine(url))  # recorded as r1, the missing tables made
    PolicyEngine(policy, rules, model, audit).classify("환불해 주세요.", conversation_id="c-ko")
    (entry,) = audit.recent(1)
    assert (entry.label, entry.rule, entry.language) == (
        "money_action",
        "rule:money_words_ko",
        "ko",
    )


def test_a_policy_without_money_words_still_escalates_the_language(
    policy: PolicyConfig, rules: RuleSet, model: PolicyModel
) -> None:
    bare = dataclasses.replace(policy, languages=LanguagePolicy())
    decision = PolicyEngine(bare, rules, model).classify("Chcę zwrot pieniędzy za zamówienie.")
    assert decision.escalate and decision.rule == "language:pl"
