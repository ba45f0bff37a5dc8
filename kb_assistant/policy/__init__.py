"""The escalation policy: every customer message is classified before any retrieval.

Classes, actions, rules and thresholds are configuration (`policy.yaml`, versioned); high-recall
rules and a small classifier trained on the project's own examples decide together; every
decision is audited. The composition root wires it all from `Settings`.
"""

from __future__ import annotations

from pathlib import Path

from kb_assistant.core.decisions import (
    POLICY_CLASSES,
    Frustration,
    MessageClassifier,
    PolicyClass,
    PolicyDecision,
)
from kb_assistant.policy.audit import AuditEntry, PolicyAudit
from kb_assistant.policy.classifier import PolicyModel, train
from kb_assistant.policy.config import PolicyConfig, load_policy
from kb_assistant.policy.engine import PolicyEngine
from kb_assistant.policy.frustration import frustration
from kb_assistant.policy.rules import RuleHit, RuleSet
from kb_assistant.settings import Settings


def policy_cache_dir(settings: Settings) -> Path:
    """Where trained policy models are cached."""
    return settings.data_dir / "policy"


__all__ = [
    "POLICY_CLASSES",
    "AuditEntry",
    "Frustration",
    "MessageClassifier",
    "PolicyAudit",
    "PolicyClass",
    "PolicyConfig",
    "PolicyDecision",
    "PolicyEngine",
    "PolicyModel",
    "RuleHit",
    "RuleSet",
    "frustration",
    "load_policy",
    "policy_cache_dir",
    "train",
]
