"""Messages in other languages: their money words escalate, and so does the language itself.

The assistant answers in English only. Two things follow, both set in the policy's `languages`
section (`kb_assistant.policy.language_config`):

- Money words of the common languages ("reembolso", "Geld zurück", "返金", "환불") put a message
  in `money_action` at once, as a rule would ("rule:money_words_es"). They are written to be
  specific enough never to fire on English (checked on the English datasets), so they apply to
  every message, whatever the detector says, and whether or not the language is supported.
- A message in a language the assistant does not answer in goes to a person (the default) with
  a decision that says why: class `human_request`, rule `language:<code>`, decided by `rule`;
  a rule that already escalated it (money words, a stolen card) keeps its own class. Either
  way the decision names the language, so the customer can be told kindly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from kb_assistant.core.decisions import PolicyDecision
from kb_assistant.policy.language_config import LanguagePolicy
from kb_assistant.policy.language_detect import LanguageDetector, LanguageGuess
from kb_assistant.policy.rules import RuleHit

MONEY_WORDS_CONFIDENCE = 0.95


class MoneyWords:
    """The money words of each language, compiled; hits are `money_action` rule hits."""

    def __init__(self, words: Mapping[str, tuple[str, ...]]) -> None:
        self._patterns = {
            code: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
            for code, patterns in words.items()
        }

    def match(self, normalised: str, language: str | None = None) -> list[RuleHit]:
        """A hit per language whose money words occur in the (normalised) message, the
        message's own language first."""
        hits = []
        for code, pattern in self._patterns.items():
            found = pattern.search(normalised)
            if found is not None:
                name = f"money_words_{code}"
                hits.append(RuleHit(name, "money_action", MONEY_WORDS_CONFIDENCE, found.group(0)))
        hits.sort(key=lambda hit: hit.name != f"money_words_{language}")
        return hits


class LanguageGate:
    """The language part of the policy: detection, money words and the unsupported route."""

    def __init__(self, policy: LanguagePolicy, detector: LanguageDetector | None = None) -> None:
        self.policy = policy
        self.detector = detector or LanguageDetector(policy)
        self.money_words = MoneyWords(policy.money_words)

    def identify(self, normalised: str, raw: str) -> LanguageGuess | None:
        """The message's language when it is not English (None: English, or unsure)."""
        return self.detector.detect(normalised, raw)

    def money_hits(self, normalised: str, language: LanguageGuess | None) -> list[RuleHit]:
        """`money_action` hits for money words of any configured language."""
        return self.money_words.match(normalised, language.code if language else None)

    def route(self, decision: PolicyDecision, language: LanguageGuess | None) -> PolicyDecision:
        """The decision for a message in `language`: unchanged for a supported language;
        otherwise it names the language and, unless a rule already escalated it, goes to a
        person because of the language (when the policy says so)."""
        if language is None or language.code in self.policy.supported:
            return decision
        decision = replace(decision, language=language.code)
        ruled = decision.decided_by in ("rule", "rule+model")
        if (decision.escalate and ruled) or self.policy.unsupported != "escalate":
            return decision
        return replace(
            decision,
            label="human_request",
            action="escalate",
            score=language.confidence,
            rule=f"language:{language.code}",
            decided_by="rule",
            urgent=False,
        )
