"""`kb-assistant classify` and `kb-assistant policy train`: the money and escalation policy.

`classify` shows what the policy decides for a customer message (the class, whether a
person takes it, how sure, which rule or model decided), for one message or a stream of
them. `policy train` retrains the policy's classifier with the operator's own examples;
`policy review` lists the audited decisions kept for review (a rule escalated a message the
model confidently calls `none`), newest first, so an operator can tighten a rule or add
examples.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kb_assistant.cli.common import (
    CliError,
    add_common_options,
    load_settings,
    print_json,
    translated_errors,
)

if TYPE_CHECKING:
    from kb_assistant.core.decisions import MessageClassifier, PolicyDecision
    from kb_assistant.settings import Settings


def register(commands: Any) -> None:
    classify = commands.add_parser(
        "classify",
        help="what the escalation policy decides for a customer message",
        description="Classify MESSAGE under the money and escalation policy: money_action, "
        "money_info, human_request, security or none, whether it goes to a person, the "
        "confidence and the rule or model that decided. MESSAGE '-' reads one message per "
        "line from standard input and prints one JSON object per line (blank lines are "
        "skipped; the model loads once).",
    )
    classify.add_argument("message", metavar="MESSAGE")
    add_common_options(classify)
    classify.set_defaults(handler=run_classify)

    policy = commands.add_parser(
        "policy",
        help="retrain the escalation policy's classifier",
        description="Manage the escalation policy's classifier.",
    )
    which = policy.add_subparsers(dest="what", metavar="WHAT", required=True)
    train = which.add_parser(
        "train",
        help="retrain the classifier, with your own labelled examples",
        description="Retrain the policy classifier on its shipped examples plus the "
        "operator's own (--extra, else KB_POLICY_EXTRA_EXAMPLES): a CSV or JSONL file with "
        "`text` and `label` (money_action, money_info, human_request, security, none). "
        "Prints the examples per class, the model's version and the time taken.",
    )
    train.add_argument(
        "--extra", type=Path, metavar="FILE", help="CSV or JSONL of labelled messages"
    )
    add_common_options(train)
    train.set_defaults(handler=run_train)

    review = which.add_parser(
        "review",
        help="decisions kept for review: a rule escalated what the model calls none",
        description="List the audited decisions kept for review, newest first: a rule "
        "escalated a message that the policy's model puts in `none` with high confidence "
        "(model.review_threshold in the policy file). Each still went to a person; a rule "
        "that shows up often here is broader than it should be. Messages are shown as "
        "stored: redacted and cut.",
    )
    review.add_argument(
        "--limit", type=int, default=50, metavar="N", help="at most N decisions (default 50)"
    )
    add_common_options(review)
    review.set_defaults(handler=run_review)


def build_classifier(settings: Settings) -> MessageClassifier:
    """The policy engine the assistant itself uses, with the configured policy and model.

    Its audit log stays off: an operator trying messages out is not a customer's decision.
    """
    from kb_assistant.composition import build_embedder, build_policy_engine

    return build_policy_engine(settings, build_embedder(settings), audit=False)


def describe(decision: PolicyDecision) -> str:
    """One line for a person: the class, what happens, how sure, and why."""
    verdict = "escalate to a person" if decision.escalate else decision.action.replace("_", " ")
    urgent = ", urgent" if decision.urgent else ""
    return f"{decision.label}: {verdict}{urgent} (score {decision.score:.2f}, {decision.rule})"


def classify_lines(classifier: MessageClassifier, lines: Iterable[str], out: TextIO) -> int:
    """One JSON decision per non-blank line, flushed as it is made; returns how many."""
    count = 0
    for line in lines:
        message = line.strip()
        if not message:
            continue
        decision = classifier.classify(message)
        out.write(_json_line({"message": message, **decision.as_json()}))
        out.flush()
        count += 1
    return count


def run_classify(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if args.message != "-" and not args.message.strip():
        raise CliError("MESSAGE is empty")
    with translated_errors():
        classifier = build_classifier(settings)
        if args.message == "-":
            classify_lines(classifier, sys.stdin, sys.stdout)
            return 0
        decision = classifier.classify(args.message.strip())
    if args.json:
        print_json(decision.as_json())
    else:
        print(describe(decision))
    return 0


def run_train(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    extra: Path | None = args.extra or settings.policy_extra_examples
    if args.extra is not None and not args.extra.is_file():
        raise CliError(f"--extra {args.extra}: no such file (a CSV or JSONL with text, label)")
    with translated_errors():
        report = train_policy(settings, extra)
    if args.json:
        print_json(report)
        return 0
    counts = ", ".join(f"{label} {n}" for label, n in report["examples"].items())
    how = "trained" if report["trained_now"] else "already trained (cached)"
    print(f"{report['total']} examples: {counts}")
    print(
        f"model {report['model']} for policy {report['policy_version']}: {how} "
        f"in {report['seconds']:.1f} s"
    )
    if extra is not None and settings.policy_extra_examples != extra:
        print(f"set KB_POLICY_EXTRA_EXAMPLES={extra} so the assistant uses these examples")
    return 0


def run_review(args: argparse.Namespace) -> int:
    from kb_assistant.policy import PolicyAudit
    from kb_assistant.storage.databases import databases_for

    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    settings = load_settings(args)
    with translated_errors():
        audit = PolicyAudit(databases_for(settings).main())
        entries = audit.recent(args.limit, for_review=True)
    if args.json:
        print_json(
            [
                {
                    "id": e.id,
                    "created_at": e.created_at.isoformat(),
                    "conversation_id": e.conversation_id,
                    "class": e.label,
                    "rule": e.rule,
                    "review": e.review,
                    "message": e.message,
                }
                for e in entries
            ]
        )
        return 0
    if not entries:
        print("no decisions kept for review")
        return 0
    for e in entries:
        print(f"{e.created_at:%Y-%m-%d %H:%M} #{e.id} {e.label} ({e.review}): {e.message}")
    return 0


def train_policy(settings: Settings, extra: Path | None) -> dict[str, Any]:
    """Train (or load, when these exact examples were trained before) the policy model with
    the shipped examples plus `extra`; returns what was trained on and the model's name."""
    import time

    from kb_assistant.composition import build_embedder
    from kb_assistant.core.decisions import POLICY_CLASSES
    from kb_assistant.policy import load_policy, policy_cache_dir, train
    from kb_assistant.policy.classifier import training_set

    started = time.perf_counter()
    config = load_policy(settings.policy_file)
    embedder = build_embedder(settings)
    examples = training_set(embedder, config, extra=extra).examples  # a bad file fails here
    model = train(embedder, config, cache_dir=policy_cache_dir(settings), extra=extra)
    return {
        "examples": {c: sum(e.label == c for e in examples) for c in POLICY_CLASSES},
        "total": len(examples),
        "extra": str(extra) if extra else None,
        "policy_version": config.version,
        "model": model.short_id,
        "key": model.key,
        "trained_now": model.trained_now,
        "seconds": round(time.perf_counter() - started, 3),
    }


def _json_line(value: dict[str, object]) -> str:
    return json.dumps(value, ensure_ascii=False) + "\n"
