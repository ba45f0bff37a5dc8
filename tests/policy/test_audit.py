"""Every decision is audited in the store: redacted, truncated, with what decided it."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from kb_assistant.composition import build_policy_engine
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.policy import (
    PolicyAudit,
    PolicyConfig,
    PolicyEngine,
    PolicyModel,
    RuleSet,
    policy_cache_dir,
)
from kb_assistant.policy.audit import MESSAGE_CHARS
from kb_assistant.policy.config import SHIPPED_POLICY
from kb_assistant.settings import ConfigurationError, Settings
from tests.storage.engines import upgraded_engine


@pytest.fixture
def audit(tmp_path: Path) -> PolicyAudit:
    return PolicyAudit(upgraded_engine(f"sqlite:///{tmp_path / 'audit.sqlite3'}"))


@pytest.fixture
def audited(
    policy: PolicyConfig, rules: RuleSet, model: PolicyModel, audit: PolicyAudit
) -> PolicyEngine:
    return PolicyEngine(policy, rules, model, audit)


def test_each_decision_is_written_with_what_decided_it(
    audited: PolicyEngine, audit: PolicyAudit
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    refund = audited.classify("I was charged twice, refund me", conversation_id="c-1")
    audited.classify("how do I update my card?", conversation_id="c-2")
    newest, oldest = audit.recent(10)
    assert (oldest.conversation_id, newest.conversation_id) == ("c-1", "c-2")
    assert oldest.label == "money_action" and oldest.action == "escalate"
    assert oldest.rule == refund.rule and oldest.decided_by == refund.decided_by
    assert oldest.score == pytest.approx(refund.score, abs=1e-4)
    assert oldest.policy_version == audited.config.version
    assert newest.label == "none" and newest.rule.startswith("model:")
    assert oldest.created_at.tzinfo is not None and oldest.created_at >= before


def test_stored_messages_are_redacted_and_truncated(
    audited: PolicyEngine, audit: PolicyAudit
) -> None:
    message = (
        "Refund card 4111 1111 1111 1111 now, write to jane.doe@example.com "
        "or call +44 20 7946 0958. " + "More details follow. " * 100
    )
    audited.classify(message, conversation_id="c-9")
    (entry,) = audit.recent(1, conversation_id="c-9")
    assert "[CARD]" in entry.message and "[EMAIL]" in entry.message
    assert "4111" not in entry.message and "jane.doe" not in entry.message
    assert "7946" not in entry.message
    assert len(entry.message) <= MESSAGE_CHARS


def test_recent_filters_by_conversation_and_limits(
    audited: PolicyEngine, audit: PolicyAudit
) -> None:
    for number in range(3):
        audited.classify(f"question {number}", conversation_id="busy")
    audited.classify("another", conversation_id="quiet")
    assert len(audit.recent(2, conversation_id="busy")) == 2
    assert [e.message for e in audit.recent(5, conversation_id="quiet")] == ["another"]


def test_a_decision_kept_for_review_is_found_again_with_its_note(
    audit: PolicyAudit, policy: PolicyConfig
) -> None:
    from dataclasses import replace

    from kb_assistant.core.decisions import PolicyDecision

    plain = PolicyDecision("none", "answer", 0.9, "model:x", "model", policy.version)
    flagged = replace(
        plain,
        label="money_action",
        action="escalate",
        rule="rule:payment_pending",
        decided_by="rule",
        review="rule:payment_pending escalated; the model says none at 0.97",
    )
    audit.record(plain, "still waiting on my parcel", conversation_id="a")
    audit.record(flagged, "on hold for an hour with your phone line", conversation_id="b")
    audit.record(plain, "thanks", conversation_id="c")

    (entry,) = audit.recent(10, for_review=True)
    assert entry.conversation_id == "b" and entry.rule == "rule:payment_pending"
    assert entry.review == flagged.review
    assert [e.review for e in audit.recent(10, conversation_id="a")] == [None]


def _seed_cache(model_cache: Path, settings: Settings) -> None:
    """Reuse the session's trained model so the factory finds it in the data directory."""
    shutil.copytree(model_cache, policy_cache_dir(settings), dirs_exist_ok=True)


def test_the_factory_wires_policy_model_and_audit_from_settings(
    settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    model: PolicyModel,
    model_cache: Path,
) -> None:
    _seed_cache(model_cache, settings)
    engine = build_policy_engine(settings, real_embedder)
    assert engine.model is not None and engine.model.key == model.key
    assert not engine.model.trained_now  # loaded from <data_dir>/policy
    engine.classify("my card was stolen", conversation_id="c-1")
    database = upgraded_engine(settings.resolved_database_url)
    with database.connect() as connection:
        rows = connection.execute(text("SELECT label, rule FROM policy_decisions")).all()
    assert rows == [("security", "rule:stolen_card")]


def test_the_factory_reads_the_configured_policy_file(
    settings: Settings, real_embedder: SentenceTransformerEmbedder, model_cache: Path
) -> None:
    raw = yaml.safe_load(SHIPPED_POLICY.read_text(encoding="utf-8"))
    raw["classes"]["none"]["action"] = "answer_no_commitment"
    file = settings.data_dir.parent / "policy.yaml"
    file.write_text(yaml.safe_dump(raw), encoding="utf-8")
    _seed_cache(model_cache, settings)
    configured = settings.model_copy(update={"policy_file": file})
    engine = build_policy_engine(configured, real_embedder, audit=False)
    assert engine.audit is None
    assert engine.classify("hello there").action == "answer_no_commitment"


def test_the_factory_reports_a_bad_extra_examples_file(
    settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_text("text,category\nhello,none\n", encoding="utf-8")
    configured = settings.model_copy(update={"policy_extra_examples": extra})
    with pytest.raises(ConfigurationError, match="missing column"):
        build_policy_engine(configured, real_embedder)
