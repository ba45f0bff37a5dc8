"""The `languages` section of the policy: which languages the assistant answers in, what
becomes of a message in another one, and the money words of each language.

The assistant reads and answers English only (its sentence model understands nothing else),
so by default a message in another language goes to a person instead of getting a silent "I
don't know". Money words of other languages ("reembolso", "Geld zurück", "返金") always
escalate as `money_action`, whatever the operator decides about the language itself. Loading
validates the section with the same plain errors as the rest of the policy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from kb_assistant.policy.spelling import fold
from kb_assistant.settings import ConfigurationError

UnsupportedAction = Literal["escalate", "answer"]
UNSUPPORTED_ACTIONS: tuple[UnsupportedAction, ...] = get_args(UnsupportedAction)
# Every language the detector knows (ISO 639-1).
_KNOWN = """
    af ar az be bg bn bs ca cs cy da de el en eo es et eu fa fi fr ga gu he hi hr hu hy id is
    it ja ka kk ko la lg lt lv mi mk mn mr ms nb nl nn pa pl pt ro ru sk sl sn so sq sr st sv
    sw ta te th tl tn tr ts uk ur vi xh yo zh zu
"""
KNOWN_LANGUAGES = frozenset(_KNOWN.split())
# The languages the detector chooses among unless the policy names others.
_DEFAULT = "en es fr de it pt nl pl sv da nb fi cs ro tr ru uk el ja zh ko ar hi"
DEFAULT_DETECT = tuple(_DEFAULT.split())
_KEYS = {"supported", "unsupported", "detect", "min_letters", "min_confidence", "money_words"}


@dataclass(frozen=True)
class LanguagePolicy:
    """The policy's `languages` section, validated."""

    # Languages the assistant answers in (ISO 639-1); English always among them.
    supported: tuple[str, ...] = ("en",)
    # What happens to a message in any other language: a person takes it, or it is answered.
    unsupported: UnsupportedAction = "escalate"
    # The languages the detector chooses among (memory and speed grow with each one).
    detect: tuple[str, ...] = DEFAULT_DETECT
    # A message in Latin letters is only judged foreign with at least this many letters.
    min_letters: int = 10
    # The detector's confidence at which a message counts as being in a language.
    min_confidence: float = 0.5
    # Money words per language (regular expressions over the folded, lower-case message).
    money_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def parse_languages(raw: object, source: str) -> LanguagePolicy:
    """The `languages` section of a policy file (absent: English only, others escalate)."""
    if raw is None:
        return LanguagePolicy()
    entry = _mapping(raw, source, "languages")
    unknown = sorted(str(k) for k in entry if k not in _KEYS)
    if unknown:
        raise ConfigurationError(
            f"{source}: languages has unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(_KEYS))}"
        )
    supported = _codes(entry.get("supported", ["en"]), source, "languages.supported")
    if "en" not in supported:
        raise ConfigurationError(
            f"{source}: languages.supported must include en: the assistant answers in English"
        )
    unsupported = entry.get("unsupported", "escalate")
    if unsupported not in UNSUPPORTED_ACTIONS:
        raise ConfigurationError(
            f"{source}: languages.unsupported is {unsupported!r}; use escalate (a person "
            "replies) or answer"
        )
    detect = _codes(entry.get("detect", list(DEFAULT_DETECT)), source, "languages.detect")
    return LanguagePolicy(
        supported=supported,
        unsupported=cast(UnsupportedAction, unsupported),
        detect=tuple(dict.fromkeys(("en", *supported, *detect))),
        min_letters=_number(entry, "min_letters", 10, source, int),
        min_confidence=_number(entry, "min_confidence", 0.5, source, float),
        money_words=_money_words(entry.get("money_words", {}), source),
    )


def _codes(raw: object, source: str, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(c, str) for c in raw):
        raise ConfigurationError(f"{source}: {where} must be a list of ISO 639-1 codes (en, es)")
    unknown = sorted({c for c in raw if c not in KNOWN_LANGUAGES})
    if unknown:
        raise ConfigurationError(
            f"{source}: {where} has unknown language code(s) {', '.join(unknown)}; use "
            f"two-letter ISO 639-1 codes the detector knows: {', '.join(sorted(KNOWN_LANGUAGES))}"
        )
    return tuple(dict.fromkeys(raw))


def _number(entry: Mapping[str, Any], key: str, default: float, source: str, kind: type) -> Any:
    value = entry.get(key, default)
    valid = not isinstance(value, bool) and isinstance(value, int if kind is int else int | float)
    if kind is int and valid and value < 1:
        valid = False
    if kind is float and valid and not 0 < value <= 1:
        valid = False
    if not valid:
        what = "a positive integer" if kind is int else "a number in (0, 1]"
        raise ConfigurationError(f"{source}: languages.{key} must be {what}, got {value!r}")
    return kind(value)


def _money_words(raw: object, source: str) -> dict[str, tuple[str, ...]]:
    """Each language's money patterns, folded like messages (accents optional) and checked."""
    table = _mapping(raw, source, "languages.money_words")
    words: dict[str, tuple[str, ...]] = {}
    for code, patterns in table.items():
        where = f"languages.money_words.{code}"
        if code not in KNOWN_LANGUAGES:
            raise ConfigurationError(
                f"{source}: {where}: {code!r} is not an ISO 639-1 code the detector knows"
            )
        if not isinstance(patterns, list) or not patterns:
            raise ConfigurationError(f"{source}: {where} must be a non-empty list of patterns")
        folded = []
        for number, pattern in enumerate(patterns):
            if not isinstance(pattern, str) or not pattern.strip():
                raise ConfigurationError(f"{source}: {where}[{number}] must be a non-empty string")
            try:
                re.compile(fold(pattern))
            except re.error as exc:
                raise ConfigurationError(
                    f"{source}: {where}[{number}] is not a valid regular expression ({exc}): "
                    f"{pattern!r}"
                ) from None
            folded.append(fold(pattern))
        words[code] = tuple(folded)
    return words


def _mapping(raw: object, source: str, where: str) -> Mapping[Any, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{source}: {where} must be a mapping (key: value)")
    return raw
