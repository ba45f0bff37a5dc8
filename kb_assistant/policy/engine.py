"""The policy engine: rules and model combined into one audited decision per message.

A message about money goes to a person if EITHER layer is confident: any rule of an
escalating class, or a model probability at or above that class's threshold. Missing a
refund costs far more than a needless handoff, so the layers are OR-ed, not voted, with one
exception: a money rule gives way when the model is confident that the message is a general
money question (`money_info`), as rules see words ("refund") and not whether a payment is
claimed. A rule that escalates what the model confidently calls `none`, or that gives way,
is kept for review. When
nothing escalates, a money_info rule (or the model) still tells the answering flow to
commit to nothing. Money words of other languages count as rules, and a message in a language
the assistant does not answer in goes to a person (`kb_assistant.policy.languages`). Every
decision names what decided it and is written to the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from kb_assistant.core.decisions import (
    POLICY_CLASSES,
    Decider,
    Frustration,
    PolicyClass,
    PolicyDecision,
)
from kb_assistant.policy.classifier import PolicyModel
from kb_assistant.policy.config import PolicyConfig
from kb_assistant.policy.frustration import frustration
from kb_assistant.policy.language_detect import LanguageGuess
from kb_assistant.policy.languages import LanguageGate
from kb_assistant.policy.rules import RuleHit, RuleSet
from kb_assistant.policy.text import normalise

if TYPE_CHECKING:
    from kb_assistant.policy.audit import PolicyAudit

Scores = Mapping[PolicyClass, float]
log = logging.getLogger(__name__)


class PolicyEngine:
    """Classifies customer messages under the escalation policy (a `MessageClassifier`)."""

    def __init__(
        self,
        config: PolicyConfig,
        rules: RuleSet,
        model: PolicyModel | None,
        audit: PolicyAudit | None = None,
        languages: LanguageGate | None = None,
    ) -> None:
        self.config = config
        self.rules = rules
        self.model = model
        self.audit = audit
        self.languages = languages or LanguageGate(config.languages)

    def warm_up(self) -> None:
        """Load the language detector now, so that the first customer does not wait for it."""
        self.languages.detector.warm_up()

    def classify(
        self,
        message: str,
        *,
        conversation_id: str | None = None,
        history: Sequence[str] = (),
    ) -> PolicyDecision:
        """The policy decision for one customer message, written to the audit log.

        `history` is the customer's earlier turns (oldest first); it only informs the
        frustration signal, never the class.
        """
        if not message.strip():
            decision = self._decision("none", 1.0, "default", "default")
        else:
            scores = self.model.predict(message) if self.model is not None else {}
            decision = self._classified(message, scores)
        return self._finish(decision, message, conversation_id, frustration(message, history))

    def classify_many(self, messages: Sequence[str]) -> list[PolicyDecision]:
        """Decisions for many messages with the model run in one batch (evaluation, imports)."""
        texts = [m for m in messages if m.strip()]
        predicted = self.model.predict_many(texts) if self.model is not None else []
        by_text = dict(zip(texts, predicted, strict=True))
        decisions = []
        for message in messages:
            if not message.strip():
                decision = self._decision("none", 1.0, "default", "default")
            else:
                decision = self._classified(message, by_text.get(message, {}))
            decisions.append(self._finish(decision, message, None, frustration(message)))
        return decisions

    def _classified(self, message: str, scores: Scores) -> PolicyDecision:
        """The decision for a non-empty message: its rule hits (money words of any language
        among them) and model scores combined, then routed by its language."""
        text = normalise(message)
        language: LanguageGuess | None = self.languages.identify(text, message)
        hits = [*self.rules.match_normalised(text), *self.languages.money_hits(text, language)]
        return self.languages.route(self.combine(hits, scores), language)

    def combine(self, hits: Sequence[RuleHit], scores: Scores) -> PolicyDecision:
        """The decision for a message's rule hits and model probabilities (no audit)."""
        escalating = self.config.escalating
        overruled = self._overruled(hits, scores)
        kept = [h for h in hits if h not in overruled]
        rule_hit = _first_by_priority([h for h in kept if h.label in escalating], self.config)
        model_label = self._model_escalation(scores, kept)
        decision = self._from_layers(rule_hit, model_label, scores)
        if decision is not None:
            return self._flag_for_review(decision, scores)
        decision = self._not_escalated(kept, scores)
        if overruled:
            note = (
                f"rule:{overruled[0].name} gave way; the model says money_info at "
                f"{scores.get('money_info', 0.0):.2f}"
            )
            log.info("policy decision kept for review: %s", note)
            decision = replace(decision, review=note)
        return decision

    def _overruled(self, hits: Sequence[RuleHit], scores: Scores) -> list[RuleHit]:
        """The money rules that give way to the model's confident verdict that the message is
        a general money question (money_info at or above `info_override`, and likelier than
        money_action): "is a PayPal refund quicker than a card one?" names a refund without
        claiming one. Money words of other languages never give way (the model reads
        English), nor do the rules of the other escalating classes."""
        info = scores.get("money_info", 0.0)
        if info < self.config.model.info_override or info <= scores.get("money_action", 0.0):
            return []
        return [
            h for h in hits if h.label == "money_action" and not h.name.startswith("money_words_")
        ]

    def _flag_for_review(self, decision: PolicyDecision, scores: Scores) -> PolicyDecision:
        """A rule escalated what the model confidently calls `none`: the message still goes
        to a person (missing a refund costs more), and the decision is kept for review, as
        the rule may be broader than its object."""
        calm = scores.get("none", 0.0)
        if decision.decided_by != "rule" or calm < self.config.model.review_threshold:
            return decision
        note = f"{decision.rule} escalated; the model says none at {calm:.2f}"
        log.info("policy decision kept for review: %s", note)
        return replace(decision, review=note)

    def _from_layers(
        self, rule_hit: RuleHit | None, model_label: PolicyClass | None, scores: Scores
    ) -> PolicyDecision | None:
        """The rule's class when a rule fired (noting whether the model agrees), else the
        model's class, else nothing."""
        if rule_hit is not None:
            label = rule_hit.label
            decided: Decider = "rule+model" if model_label == label else "rule"
            score = max(rule_hit.confidence, scores.get(label, 0.0))
            return self._decision(label, score, f"rule:{rule_hit.name}", decided, scores)
        if model_label is not None:
            return self._decision(
                model_label, scores[model_label], self._model_rule, "model", scores
            )
        return None

    @property
    def _model_rule(self) -> str:
        return f"model:{self.model.short_id}" if self.model is not None else "default"

    def _model_escalation(self, scores: Scores, hits: Sequence[RuleHit]) -> PolicyClass | None:
        """The escalating class whose probability reaches its threshold (the likeliest one).

        A message a money_info rule recognised ("what is your refund policy?") escalates on
        the model alone only above the stricter `info_threshold`.
        """
        settings = self.config.model
        info_hit = any(self.config.action(h.label) == "answer_no_commitment" for h in hits)
        passing = [
            label
            for label in self.config.escalating
            if scores.get(label, 0.0)
            >= max(settings.thresholds[label], settings.info_threshold if info_hit else 0.0)
        ]
        return _likeliest(passing, scores) if passing else None

    def _not_escalated(self, hits: Sequence[RuleHit], scores: Scores) -> PolicyDecision:
        calm = [c for c in POLICY_CLASSES if c not in self.config.escalating]
        model_label = _likeliest(calm, scores) if scores else None
        info_hit = _first_by_priority([h for h in hits if h.label in calm], self.config)
        decision = self._from_layers(info_hit, model_label, scores)
        return (
            decision if decision is not None else self._decision("none", 0.5, "default", "default")
        )

    def _decision(
        self,
        label: PolicyClass,
        score: float,
        rule: str,
        decided_by: Decider,
        scores: Scores | None = None,
    ) -> PolicyDecision:
        return PolicyDecision(
            label=label,
            action=self.config.action(label),
            score=float(score),
            rule=rule,
            decided_by=decided_by,
            policy_version=self.config.version,
            urgent=self.config.urgent(label),
            model_scores={c: round(p, 4) for c, p in (scores or {}).items()},
        )

    def _finish(
        self,
        decision: PolicyDecision,
        message: str,
        conversation_id: str | None,
        mood: Frustration,
    ) -> PolicyDecision:
        decision = replace(decision, frustration=mood)
        if self.audit is not None:
            self.audit.record(decision, message, conversation_id=conversation_id)
        return decision


def _first_by_priority(hits: Sequence[RuleHit], config: PolicyConfig) -> RuleHit | None:
    """Urgent classes first, then the policy's class order; the first rule of that class."""
    if not hits:
        return None
    order = sorted(POLICY_CLASSES, key=lambda c: (not config.urgent(c), POLICY_CLASSES.index(c)))
    best = min(hits, key=lambda h: order.index(h.label))
    return best


def _likeliest(classes: Sequence[PolicyClass], scores: Scores) -> PolicyClass:
    """The class with the highest probability (the first of equals)."""
    best = classes[0]
    for label in classes[1:]:
        if scores.get(label, 0.0) > scores.get(best, 0.0):
            best = label
    return best
