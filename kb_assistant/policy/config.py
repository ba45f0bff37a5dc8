"""The escalation policy as configuration: classes → actions, model thresholds, rules, version.

The policy is data, not code, so that it can be reviewed, versioned and changed without a
release: `policy.yaml` beside this module is the shipped policy and `KB_POLICY_FILE` replaces
it. Loading validates everything (every class has an action, thresholds are probabilities,
every pattern compiles) and fails with a `ConfigurationError` that names the file and the
place of the mistake, so a bad policy never reaches a customer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast, get_args

import yaml

from kb_assistant.core.decisions import POLICY_CLASSES, PolicyAction, PolicyClass
from kb_assistant.policy.language_config import LanguagePolicy, parse_languages
from kb_assistant.settings import ConfigurationError

SHIPPED_POLICY = Path(__file__).with_name("policy.yaml")
ACTIONS: tuple[PolicyAction, ...] = get_args(PolicyAction)
_TERM = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_TOP_KEYS = {"version", "classes", "model", "terms", "rules", "languages"}
_RULE_KEYS = {"name", "class", "confidence", "phrases", "patterns", "guards"}
_MODEL_KEYS = {"thresholds", "info_threshold", "max_chars", "regularisation", "cluster_size"}
_MODEL_KEYS |= {"neighbours", "neighbour_temperature", "neighbour_weight"}
_MODEL_KEYS |= {"review_threshold", "info_override"}


@dataclass(frozen=True)
class ClassPolicy:
    """What the assistant does with messages of one class."""

    action: PolicyAction
    urgent: bool = False


@dataclass(frozen=True)
class RuleSpec:
    """A named rule: messages matching a phrase or pattern (outside its guards) are `label`.

    Patterns are regular expressions over the normalised message (lower case, contractions
    expanded); guards are patterns for look-alike wording that must not count, masked out of
    the message before the rule's own patterns are tried.
    """

    name: str
    label: PolicyClass
    confidence: float
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSettings:
    """The trained classifier's part of the policy."""

    # Probability for a class at or above which the model alone puts a message in it.
    thresholds: Mapping[PolicyClass, float]
    # The stricter threshold when a money_info rule recognised the message as a general
    # question ("what is your refund policy?"): the model alone rarely overrules it.
    info_threshold: float = 0.9
    max_chars: int = 1000  # the model reads this much of a message (rules read all of it)
    regularisation: float = 16.0  # inverse regularisation strength C of the regression
    cluster_size: int = 30  # examples per sub-class the regression learns (see classifier)
    # The nearest-example vote blended into the probabilities (see neighbours): how many
    # examples vote (0: none), how sharply closeness counts, and the vote's share.
    neighbours: int = 10
    neighbour_temperature: float = 0.05
    neighbour_weight: float = 0.5
    # A rule that escalates a message the model puts in `none` at or above this probability
    # is kept for review (`kb-assistant policy review`): the rule may be too broad.
    review_threshold: float = 0.8
    # A money rule gives way when the model puts the message in money_info at or above this
    # probability (and above money_action): a general question that names a refund or a fee.
    info_override: float = 0.6


@dataclass(frozen=True)
class PolicyConfig:
    """A loaded, validated escalation policy."""

    version: str
    classes: Mapping[PolicyClass, ClassPolicy]
    model: ModelSettings
    rules: tuple[RuleSpec, ...]
    source: str = ""
    # Which languages are answered, and the money words of others (`language_config`).
    languages: LanguagePolicy = field(default_factory=LanguagePolicy)

    def action(self, label: PolicyClass) -> PolicyAction:
        return self.classes[label].action

    def urgent(self, label: PolicyClass) -> bool:
        return self.classes[label].urgent

    @property
    def escalating(self) -> tuple[PolicyClass, ...]:
        """The classes whose messages go to a person."""
        return tuple(c for c in POLICY_CLASSES if self.classes[c].action == "escalate")


def load_policy(path: Path | None = None) -> PolicyConfig:
    """The policy in `path` (default: the shipped one), validated."""
    file = path or SHIPPED_POLICY
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"policy file {file} does not exist; fix KB_POLICY_FILE or unset it to use the "
            "shipped policy"
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"policy file {file} cannot be read as YAML: {exc}") from exc
    return parse_policy(raw, source=str(file))


def parse_policy(raw: object, *, source: str = "<policy>") -> PolicyConfig:
    """Validate a policy already parsed from YAML (a mapping) into a `PolicyConfig`."""
    top = _mapping(raw, source, "the policy")
    _no_unknown_keys(top, _TOP_KEYS, source, "the policy")
    version = top.get("version")
    if not isinstance(version, str | int | float) or not str(version).strip():
        raise ConfigurationError(f'{source}: `version` is required (for example version: "1")')
    classes = _classes(top.get("classes"), source)
    terms = _terms(top.get("terms", {}), source)
    rules = _rules(top.get("rules"), terms, source)
    model = _model(top.get("model"), classes, source)
    languages = parse_languages(top.get("languages"), source)
    return PolicyConfig(str(version).strip(), classes, model, rules, source, languages)


def _classes(raw: object, source: str) -> dict[PolicyClass, ClassPolicy]:
    table = _mapping(raw, source, "`classes`")
    unknown = sorted(set(map(str, table)) - set(POLICY_CLASSES))
    missing = [c for c in POLICY_CLASSES if c not in table]
    if unknown or missing:
        raise ConfigurationError(
            f"{source}: `classes` must list exactly {', '.join(POLICY_CLASSES)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else "")
        )
    classes: dict[PolicyClass, ClassPolicy] = {}
    for name in POLICY_CLASSES:
        where = f"classes.{name}"
        entry = _mapping(table[name], source, where)
        _no_unknown_keys(entry, {"action", "urgent"}, source, where)
        action = entry.get("action")
        if action not in ACTIONS:
            raise ConfigurationError(
                f"{source}: {where}.action is {action!r}; use one of {', '.join(ACTIONS)}"
            )
        urgent = entry.get("urgent", False)
        if not isinstance(urgent, bool):
            raise ConfigurationError(f"{source}: {where}.urgent must be true or false")
        classes[name] = ClassPolicy(cast(PolicyAction, action), urgent)
    return classes


def _terms(raw: object, source: str) -> dict[str, str]:
    """Named pattern fragments that rules (and other terms) reuse as `{name}`, expanded."""
    table = _mapping(raw, source, "`terms`")
    for name, value in table.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ConfigurationError(f"{source}: term name {name!r} must be lower_snake_case")
        if not isinstance(value, str) or not value:
            raise ConfigurationError(f"{source}: terms.{name} must be a non-empty pattern")
    expanded: dict[str, str] = {}

    def resolve(name: str, using: tuple[str, ...]) -> str:
        if name in using:
            cycle = " -> ".join((*using, name))
            raise ConfigurationError(f"{source}: terms refer to each other in a loop: {cycle}")
        if name not in expanded:
            pattern = _expand(table[name], set(table), source, f"terms.{name}")
            expanded[name] = _TERM.sub(lambda m: resolve(m.group(1), (*using, name)), pattern)
            _compiled(expanded[name], source, f"terms.{name}")
        return f"(?:{expanded[name]})"

    for name in table:
        resolve(name, ())
    return expanded


def _rules(raw: object, terms: Mapping[str, str], source: str) -> tuple[RuleSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigurationError(f"{source}: `rules` must be a non-empty list of rules")
    rules: list[RuleSpec] = []
    for index, item in enumerate(raw):
        rule = _rule(item, terms, source, f"rules[{index}]")
        if any(r.name == rule.name for r in rules):
            raise ConfigurationError(f"{source}: rules[{index}]: duplicate rule name {rule.name!r}")
        rules.append(rule)
    return tuple(rules)


def _rule(raw: object, terms: Mapping[str, str], source: str, where: str) -> RuleSpec:
    entry = _mapping(raw, source, where)
    name = entry.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]+", name):
        raise ConfigurationError(f"{source}: {where}.name must be lower_snake_case, got {name!r}")
    where = f"{where} ({name})"
    _no_unknown_keys(entry, _RULE_KEYS, source, where)
    label = entry.get("class")
    if label not in POLICY_CLASSES:
        raise ConfigurationError(
            f"{source}: {where}.class is {label!r}; use one of {', '.join(POLICY_CLASSES)}"
        )
    confidence = _probability(entry.get("confidence", 0.9), source, f"{where}.confidence")
    phrases = _strings(entry.get("phrases", []), source, f"{where}.phrases")
    patterns = _strings(entry.get("patterns", []), source, f"{where}.patterns")
    guards = _strings(entry.get("guards", []), source, f"{where}.guards")
    if not phrases and not patterns:
        raise ConfigurationError(f"{source}: {where} needs at least one phrase or pattern")
    expanded = [
        tuple(_expand(p, terms, source, f"{where}.{key}") for p in items)
        for key, items in (("patterns", patterns), ("guards", guards))
    ]
    for key, items in zip(("patterns", "guards"), expanded, strict=True):
        for number, pattern in enumerate(items):
            _compiled(pattern, source, f"{where}.{key}[{number}]")
    return RuleSpec(name, cast(PolicyClass, label), confidence, phrases, expanded[0], expanded[1])


def _model(raw: object, classes: Mapping[PolicyClass, ClassPolicy], source: str) -> ModelSettings:
    entry = _mapping(raw, source, "`model`")
    _no_unknown_keys(entry, _MODEL_KEYS, source, "model")
    table = _mapping(entry.get("thresholds"), source, "model.thresholds")
    thresholds: dict[PolicyClass, float] = {}
    for name, value in table.items():
        if name not in POLICY_CLASSES:
            raise ConfigurationError(
                f"{source}: model.thresholds has unknown class {name!r}; "
                f"use {', '.join(POLICY_CLASSES)}"
            )
        thresholds[name] = _probability(value, source, f"model.thresholds.{name}")
    missing = [c for c, p in classes.items() if p.action == "escalate" and c not in thresholds]
    if missing:
        raise ConfigurationError(
            f"{source}: model.thresholds needs a threshold for every escalating class; "
            f"missing: {', '.join(missing)}"
        )

    def number(key: str, default: float, what: str, valid: Callable[[float], bool]) -> Any:
        value = entry.get(key, default)
        integer = isinstance(default, int)
        if isinstance(value, bool) or not isinstance(value, int if integer else int | float):
            value = None
        if value is None or not valid(value):
            raise ConfigurationError(f"{source}: model.{key} must be {what}, got {entry[key]!r}")
        return value if integer else float(value)

    return ModelSettings(
        thresholds,
        _probability(entry.get("info_threshold", 0.9), source, "model.info_threshold"),
        number("max_chars", 1000, "an integer ≥ 16", lambda v: v >= 16),
        number("regularisation", 16.0, "a positive number", lambda v: v > 0),
        number("cluster_size", 30, "a positive integer", lambda v: v >= 1),
        number("neighbours", 10, "an integer ≥ 0 (0: no vote)", lambda v: v >= 0),
        number("neighbour_temperature", 0.05, "a positive number", lambda v: v > 0),
        number("neighbour_weight", 0.5, "a number from 0 to 1", lambda v: 0 <= v <= 1),
        _probability(entry.get("review_threshold", 0.8), source, "model.review_threshold"),
        _probability(entry.get("info_override", 0.6), source, "model.info_override"),
    )


def _expand(pattern: str, terms: Collection[str], source: str, where: str) -> str:
    """`pattern` with every `{term}` checked; terms given as a mapping are substituted."""
    for name in _TERM.findall(pattern):
        if name not in terms:
            raise ConfigurationError(
                f"{source}: {where} uses {{{name}}}, which is not defined under `terms`"
            )
    if not isinstance(terms, Mapping):
        return pattern
    return _TERM.sub(lambda m: f"(?:{terms[m.group(1)]})", pattern)


def _compiled(pattern: str, source: str, where: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigurationError(
            f"{source}: {where} is not a valid regular expression ({exc}): {pattern!r}"
        ) from None
    return pattern


def _mapping(raw: object, source: str, where: str) -> Mapping[Any, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{source}: {where} must be a mapping (key: value)")
    return raw


def _strings(raw: object, source: str, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, str) and s.strip() for s in raw):
        raise ConfigurationError(f"{source}: {where} must be a list of non-empty strings")
    return tuple(raw)


def _probability(raw: object, source: str, where: str) -> float:
    if not isinstance(raw, int | float) or isinstance(raw, bool) or not 0 < raw <= 1:
        raise ConfigurationError(f"{source}: {where} must be a number in (0, 1], got {raw!r}")
    return float(raw)


def _no_unknown_keys(entry: Mapping[Any, Any], known: set[str], source: str, where: str) -> None:
    unknown = sorted(str(k) for k in entry if k not in known)
    if unknown:
        raise ConfigurationError(
            f"{source}: {where} has unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(known))}"
        )
