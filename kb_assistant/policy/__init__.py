"""The escalation policy: every customer message is classified before any retrieval.

Classes, actions, rules and thresholds are configuration (`policy.yaml`, versioned); high-recall
rules and a small classifier trained on the project's own examples decide together; every
decision is audited. `build_policy_engine` wires it all from `Settings`.
"""

from __future__ import annotations

from pathlib import Path

from kb_assistant.policy.audit import AuditEntry, PolicyAudit
from kb_assistant.policy.classifier import PolicyModel, train
from kb_assistant.policy.config import PolicyConfig, load_policy
from kb_assistant.policy.engine import PolicyEngine
from kb_assistant.policy.frustration import frustration
from kb_assistant.policy.rules import RuleHit, RuleSet
from kb_assistant.policy.types import (
    POLICY_CLASSES,
    Frustration,
    MessageClassifier,
    PolicyClass,
    PolicyDecision,
)
from kb_assistant.ports import Embedder
from kb_assistant.settings import Settings


def policy_cache_dir(settings: Settings) -> Path:
    """Where trained policy models are cached."""
    return settings.data_dir / "policy"


def build_policy_engine(
    settings: Settings, embedder: Embedder, *, audit: bool = True
) -> PolicyEngine:
    """The configured policy engine: policy file, cached (or freshly trained) model, audit log.

    Training happens here on first use (seconds) and is cached under the data directory.
    """
    from ingest.redact import Redactor
    from kb_assistant.storage.db import make_engine

    config = load_policy(settings.policy_file)
    model = train(
        embedder,
        config,
        cache_dir=policy_cache_dir(settings),
        extra=settings.policy_extra_examples,
    )
    log = None
    if audit:
        log = PolicyAudit(
            make_engine(settings.resolved_database_url), Redactor(settings.redact_allowlist)
        )
    return PolicyEngine(config, RuleSet.from_config(config), model, log)


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
    "build_policy_engine",
    "frustration",
    "load_policy",
    "policy_cache_dir",
    "train",
]
