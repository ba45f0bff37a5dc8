"""The policy's `languages` section: shipped defaults, and every mistake reported clearly."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from kb_assistant.policy.config import SHIPPED_POLICY, PolicyConfig, parse_policy
from kb_assistant.policy.language_config import DEFAULT_DETECT, LanguagePolicy
from kb_assistant.settings import ConfigurationError

# The common languages whose money words the shipped policy must know.
_CODES = "es fr de it pt nl pl sv da nb fi cs ro tr ru uk el ja zh ko ar hi"
COMMON = _CODES.split()


@pytest.fixture
def raw() -> dict[str, Any]:
    """The shipped policy as plain data, to break in each test."""
    return yaml.safe_load(SHIPPED_POLICY.read_text(encoding="utf-8"))


def _error(raw: object) -> str:
    with pytest.raises(ConfigurationError) as caught:
        parse_policy(raw, source="test.yaml")
    return str(caught.value)


def test_the_shipped_policy_answers_english_and_escalates_other_languages(
    policy: PolicyConfig,
) -> None:
    languages = policy.languages
    assert policy.version == "1.7.0"
    assert languages.supported == ("en",)
    assert languages.unsupported == "escalate"
    assert set(COMMON) <= set(languages.money_words)
    assert set(COMMON) <= set(languages.detect) and "en" in languages.detect


def test_a_policy_without_the_section_gets_english_only_and_escalation(
    raw: dict[str, Any],
) -> None:
    del raw["languages"]
    languages = parse_policy(raw, source="test.yaml").languages
    assert languages == LanguagePolicy()
    assert languages.supported == ("en",) and languages.unsupported == "escalate"
    assert languages.detect == DEFAULT_DETECT and not languages.money_words


def test_money_words_are_folded_so_accents_are_optional(raw: dict[str, Any]) -> None:
    raw["languages"]["money_words"] = {"es": [r"\bdevolución\s+del\s+dinero"]}
    pattern = parse_policy(raw, source="test.yaml").languages.money_words["es"][0]
    assert pattern == r"\bdevolucion\s+del\s+dinero"


def test_supported_languages_are_always_detected(raw: dict[str, Any]) -> None:
    raw["languages"].update(supported=["en", "vi"], detect=["es"])
    languages = parse_policy(raw, source="test.yaml").languages
    assert languages.detect == ("en", "vi", "es")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"speak": ["en"]}, "languages has unknown key(s) speak; allowed: detect, min_confidence"),
        ({"supported": ["es"]}, "languages.supported must include en"),
        ({"supported": "en"}, "languages.supported must be a list of ISO 639-1 codes"),
        ({"supported": ["en", "xx"]}, "languages.supported has unknown language code(s) xx"),
        ({"detect": ["english"]}, "languages.detect has unknown language code(s) english"),
        ({"unsupported": "ignore"}, "languages.unsupported is 'ignore'; use escalate"),
        ({"min_letters": 0}, "languages.min_letters must be a positive integer, got 0"),
        ({"min_letters": True}, "languages.min_letters must be a positive integer, got True"),
        ({"min_confidence": 1.5}, "languages.min_confidence must be a number in (0, 1], got 1.5"),
        ({"money_words": ["refund"]}, "languages.money_words must be a mapping"),
        ({"money_words": {"xx": ["a"]}}, "languages.money_words.xx: 'xx' is not an ISO 639-1"),
        ({"money_words": {"es": []}}, "languages.money_words.es must be a non-empty list"),
        ({"money_words": {"es": [" "]}}, "languages.money_words.es[0] must be a non-empty string"),
        ({"money_words": {"es": ["(reembolso"]}}, "languages.money_words.es[0] is not a valid"),
    ],
)
def test_mistakes_in_the_section_are_reported_with_their_place(
    raw: dict[str, Any], change: dict[str, Any], message: str
) -> None:
    raw["languages"].update(change)
    error = _error(raw)
    assert error.startswith("test.yaml: ")
    assert message in error


def test_the_section_must_be_a_mapping(raw: dict[str, Any]) -> None:
    raw["languages"] = ["en"]
    assert re.search(r"languages must be a mapping", _error(raw))
