"""The policy file: the shipped one is valid, and every kind of mistake is reported clearly."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kb_assistant.policy.config import SHIPPED_POLICY, PolicyConfig, load_policy, parse_policy
from kb_assistant.settings import ConfigurationError


@pytest.fixture
def raw() -> dict[str, Any]:
    """The shipped policy as plain data, to break in each test."""
    return yaml.safe_load(SHIPPED_POLICY.read_text(encoding="utf-8"))


def test_shipped_policy_is_versioned_and_escalates_money_people_and_security(
    policy: PolicyConfig,
) -> None:
    assert policy.version
    assert policy.escalating == ("money_action", "human_request", "security")
    assert policy.action("money_info") == "answer_no_commitment"
    assert policy.action("none") == "answer"
    assert policy.urgent("security") and not policy.urgent("money_action")
    assert {r.label for r in policy.rules} >= {"money_action", "human_request", "security"}


def test_a_policy_file_replaces_the_shipped_one(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["version"] = "site-7"
    raw["classes"]["money_info"]["action"] = "escalate"
    raw["model"]["thresholds"]["money_info"] = 0.6
    file = tmp_path / "policy.yaml"
    file.write_text(yaml.safe_dump(raw), encoding="utf-8")
    config = load_policy(file)
    assert config.version == "site-7"
    assert "money_info" in config.escalating
    assert config.source == str(file)


def _error(raw: object) -> str:
    with pytest.raises(ConfigurationError) as caught:
        parse_policy(raw, source="test.yaml")
    return str(caught.value)


def test_missing_version_is_refused(raw: dict[str, Any]) -> None:
    del raw["version"]
    assert "`version` is required" in _error(raw)


def test_unknown_and_missing_classes_are_named(raw: dict[str, Any]) -> None:
    raw["classes"]["refunds"] = raw["classes"].pop("money_action")
    message = _error(raw)
    assert "unknown: refunds" in message and "missing: money_action" in message


def test_unknown_action_lists_the_allowed_ones(raw: dict[str, Any]) -> None:
    raw["classes"]["none"]["action"] = "ignore"
    message = _error(raw)
    assert "classes.none.action is 'ignore'" in message
    assert "escalate, answer_no_commitment, answer" in message


def test_a_broken_pattern_names_its_rule_and_position(raw: dict[str, Any]) -> None:
    rule = next(r for r in raw["rules"] if r["name"] == "charged_twice")
    rule["patterns"].append("charged (twice")
    message = _error(raw)
    assert "(charged_twice).patterns[" in message
    assert "not a valid regular expression" in message


def test_a_pattern_using_an_undefined_term_is_refused(raw: dict[str, Any]) -> None:
    raw["rules"][0]["patterns"] = [r"\b{nonsense}\b"]
    assert "{nonsense}, which is not defined under `terms`" in _error(raw)


def test_thresholds_must_be_probabilities(raw: dict[str, Any]) -> None:
    raw["model"]["thresholds"]["money_action"] = 1.5
    assert "model.thresholds.money_action must be a number in (0, 1]" in _error(raw)


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("neighbours", -1, "model.neighbours must be an integer ≥ 0 (0: no vote), got -1"),
        ("neighbours", 2.5, "model.neighbours must be an integer"),
        ("neighbour_temperature", 0, "model.neighbour_temperature must be a positive number"),
        ("neighbour_weight", 1.5, "model.neighbour_weight must be a number from 0 to 1"),
        ("cluster_size", True, "model.cluster_size must be a positive integer, got True"),
        ("regularisation", "high", "model.regularisation must be a positive number"),
    ],
)
def test_model_settings_are_checked(
    raw: dict[str, Any], key: str, value: object, error: str
) -> None:
    raw["model"][key] = value
    assert error in _error(raw)


def test_the_nearest_example_vote_is_configured_and_can_be_turned_off(
    raw: dict[str, Any],
) -> None:
    shipped = parse_policy(raw, source="test.yaml").model
    assert shipped.neighbours > 0 and 0 < shipped.neighbour_weight < 1
    raw["model"]["neighbours"] = 0
    assert parse_policy(raw, source="test.yaml").model.neighbours == 0


def test_every_escalating_class_needs_a_model_threshold(raw: dict[str, Any]) -> None:
    del raw["model"]["thresholds"]["security"]
    assert "missing: security" in _error(raw)


def test_misspelt_keys_are_refused(raw: dict[str, Any]) -> None:
    raw["rules"][0]["pattern"] = raw["rules"][0].pop("patterns")
    message = _error(raw)
    assert "unknown key(s) pattern" in message


def test_duplicate_rule_names_are_refused(raw: dict[str, Any]) -> None:
    raw["rules"].append(copy.deepcopy(raw["rules"][0]))
    assert "duplicate rule name" in _error(raw)


def test_a_rule_without_phrases_or_patterns_is_refused(raw: dict[str, Any]) -> None:
    raw["rules"][0] = {"name": "empty", "class": "money_action"}
    assert "needs at least one phrase or pattern" in _error(raw)


def test_a_missing_file_says_which_setting_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="KB_POLICY_FILE"):
        load_policy(tmp_path / "nowhere.yaml")


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "policy.yaml"
    file.write_text("version: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="cannot be read as YAML"):
        load_policy(file)


def test_a_policy_that_is_not_a_mapping_is_refused() -> None:
    assert "the policy must be a mapping" in _error(["version", "1"])


def test_terms_may_come_in_any_order_but_not_in_a_loop(raw: dict[str, Any]) -> None:
    raw["terms"] = {"outer": "x{inner}", **raw["terms"], "inner": "y"}
    assert parse_policy(raw, source="test.yaml").rules
    raw["terms"]["inner"] = "{outer}"
    assert "in a loop: outer -> inner -> outer" in _error(raw)
