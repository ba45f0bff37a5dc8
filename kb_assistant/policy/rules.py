"""High-recall rules: phrases and patterns that put a message in a policy class outright.

Rules are the policy's safety net for money: cheap, explainable ("rule:charged_twice") and
tuned to miss nothing obvious, while each rule's guards mask look-alike wording ("refund
policy", "payment methods") so that general questions do not fire a money rule. Messages are
normalised first (`kb_assistant.policy.text`: lower case, contractions spelled out, typos of
key words corrected), so patterns are written once for "didn't", "didnt" and "did not".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kb_assistant.core.decisions import PolicyClass
from kb_assistant.policy.config import PolicyConfig, RuleSpec
from kb_assistant.policy.text import normalise


def phrase_pattern(phrase: str) -> str:
    """A literal phrase as a pattern: whole words, any spacing or hyphens between them."""
    words = normalise(phrase).split(" ")
    return r"\b" + r"[\s-]+".join(re.escape(word) for word in words) + r"\b"


@dataclass(frozen=True)
class RuleHit:
    """A rule that fired on a message, and the text that made it fire."""

    name: str
    label: PolicyClass
    confidence: float
    matched: str


class Rule:
    """One compiled rule of the policy."""

    def __init__(self, spec: RuleSpec) -> None:
        self.spec = spec
        sources = [phrase_pattern(p) for p in spec.phrases] + list(spec.patterns)
        self._pattern = re.compile("|".join(f"(?:{s})" for s in sources))
        self._guard = re.compile("|".join(f"(?:{g})" for g in spec.guards)) if spec.guards else None

    def match(self, normalised: str) -> RuleHit | None:
        """The hit on an already normalised message, ignoring text covered by a guard."""
        text = self._guard.sub(_blank, normalised) if self._guard is not None else normalised
        found = self._pattern.search(text)
        if found is None:
            return None
        return RuleHit(self.spec.name, self.spec.label, self.spec.confidence, found.group(0))


def _blank(match: re.Match[str]) -> str:
    """A guard's match becomes a neutral gap, so words on either side do not join up."""
    return " | "


class RuleSet:
    """All the rules of a policy, tried in the order the policy lists them."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)

    @classmethod
    def from_config(cls, config: PolicyConfig) -> RuleSet:
        return cls([Rule(spec) for spec in config.rules])

    def match(self, message: str) -> list[RuleHit]:
        """Every rule that fires on `message` (normalised here), in policy order."""
        return self.match_normalised(normalise(message))

    def match_normalised(self, text: str) -> list[RuleHit]:
        """Every rule that fires on an already normalised message, in policy order."""
        hits = (rule.match(text) for rule in self.rules)
        return [hit for hit in hits if hit is not None]
