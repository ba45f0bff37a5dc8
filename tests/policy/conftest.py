"""Shared policy fixtures: the shipped policy and a model trained once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.policy import PolicyConfig, PolicyEngine, PolicyModel, RuleSet, load_policy, train


@pytest.fixture(scope="session")
def policy() -> PolicyConfig:
    return load_policy()


@pytest.fixture(scope="session")
def rules(policy: PolicyConfig) -> RuleSet:
    return RuleSet.from_config(policy)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory, trained_policy: Path) -> Path:
    """A cache directory holding the session's trained model (copied: trained once)."""
    cache = tmp_path_factory.mktemp("policy-cache")
    shutil.copytree(trained_policy, cache, dirs_exist_ok=True)
    return cache


@pytest.fixture(scope="session")
def model(
    real_embedder: SentenceTransformerEmbedder, policy: PolicyConfig, model_cache: Path
) -> PolicyModel:
    """The shipped examples trained with the real embedding model (seconds, once)."""
    return train(real_embedder, policy, cache_dir=model_cache)


@pytest.fixture(scope="session")
def engine(policy: PolicyConfig, rules: RuleSet, model: PolicyModel) -> PolicyEngine:
    """The policy engine without an audit log."""
    return PolicyEngine(policy, rules, model)
