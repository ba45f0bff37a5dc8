"""Value types of the escalation policy: the classes, a decision and its audit record.

Every customer message is classified before retrieval into one class of the money and
escalation policy. A decision says which class, whether the message goes to a person, how
sure the policy is and which rule or model decided, so that it can be audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

PolicyClass = Literal["money_action", "money_info", "human_request", "security", "none"]
POLICY_CLASSES: tuple[PolicyClass, ...] = (
    "money_action",
    "money_info",
    "human_request",
    "security",
    "none",
)
# What the policy does with a class; configured per class in the policy file.
PolicyAction = Literal["escalate", "answer_no_commitment", "answer"]
# Which layer decided: a rule, the trained model, both agreeing, or the conversation's state
# (a conversation already handed to a person for money).
Decider = Literal["rule", "model", "rule+model", "conversation", "default"]


@dataclass(frozen=True)
class Frustration:
    """How upset the customer sounds (0–1) and the signals that said so."""

    score: float = 0.0
    signals: tuple[str, ...] = ()

    @property
    def frustrated(self) -> bool:
        return self.score >= 0.5


@dataclass(frozen=True)
class PolicyDecision:
    """The policy's verdict on one customer message."""

    label: PolicyClass
    action: PolicyAction
    score: float  # confidence in `label`, 0–1
    rule: str  # the rule that fired ("rule:charged_twice"), or "model:<id>", or "default"
    decided_by: Decider
    policy_version: str
    urgent: bool = False  # security matters
    frustration: Frustration = field(default_factory=Frustration)
    # The model's probability per class, when the model ran.
    model_scores: dict[str, float] = field(default_factory=dict)
    # The message's language (ISO 639-1, "und" when it cannot be named) when it is one the
    # assistant does not answer in; None for English and the other supported languages.
    language: str | None = None
    # Why a person should look at this decision later, when the layers disagreed: a rule
    # escalated a message the model confidently calls `none` (None when they agree).
    review: str | None = None

    @property
    def escalate(self) -> bool:
        return self.action == "escalate"

    def as_json(self) -> dict[str, object]:
        """The shape `kb-assistant classify --json` prints."""
        return {
            "class": self.label,
            "escalate": self.escalate,
            "score": round(self.score, 4),
            "rule": self.rule,
            "action": self.action,
            "decided_by": self.decided_by,
            "urgent": self.urgent,
            "frustration": round(self.frustration.score, 4),
            "policy_version": self.policy_version,
            "language": self.language,
            "review": self.review,
        }


class MessageClassifier(Protocol):
    """Anything that classifies a customer message under the policy (the engine, or an
    evaluation variant of it)."""

    def classify(self, message: str) -> PolicyDecision: ...
