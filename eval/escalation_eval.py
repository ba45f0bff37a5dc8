"""`kb-assistant eval escalation`: does every money matter reach a person?

Each message of a labelled dataset (`eval.escalation_datasets`) is classified one at a time,
after a short warm-up, by anything that implements `MessageClassifier` (the shipped policy
engine in the command line and the bench). Reported: recall on positives (a missed refund
is the costly error), false-escalation rate on negatives, borderline and `money_info`
escalation rates apart, a per-label table with the policy classes chosen, a confusion
matrix (gold group × policy class, also as a PNG), latency per message and the targets.

With a baseline revision (`--baseline REV`, and in `make bench`), the same messages are also
classified by that revision's policy, checked out into a temporary git worktree and run in a
process of its own (`eval/policy_runner.py`), so every figure has its "before" from the
same run.

For comparison only, a 77-way BANKING77 intent classifier (logistic regression on the same
embeddings, trained on BANKING77's train split) shows what a dataset-specific model gets.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.customer_eval import baseline_checkout, remove_checkout
from eval.escalation_datasets import (
    GOLD_GROUPS,
    EscalationDataError,
    EscalationDataset,
    LabeledMessage,
    banking77_groups,
    banking77_rows,
    load_dataset,
)
from kb_assistant.core.decisions import POLICY_CLASSES, MessageClassifier
from kb_assistant.ports import Embedder
from kb_assistant.settings import ConfigurationError, Settings

TARGETS = {"recall": 0.98, "false_escalation": 0.05, "p95_ms": 20.0}
# The policy before frustration, shop questions and rule objects were taught to it.
BASELINE_REV = "871ca5e"
RUNNER = Path(__file__).with_name("policy_runner.py")
WARM_UP = 5
Log = Callable[[str], None]


@dataclass(frozen=True)
class Outcome:
    """What the classifier did with one message, and how long it took."""

    message: LabeledMessage
    label: str
    escalate: bool
    rule: str
    latency_ms: float


def build_engine(settings: Settings, embedder: Embedder) -> MessageClassifier:
    """The shipped policy engine, built from the settings (the policy file and model); its
    audit log stays off, as evaluation messages are no customer's."""
    from kb_assistant.composition import build_policy_engine

    return build_policy_engine(settings, embedder, audit=False)


def sample(messages: Sequence[LabeledMessage], limit: int | None) -> list[LabeledMessage]:
    """At most `limit` messages, a seeded random sample kept in dataset order."""
    if limit is None or limit >= len(messages):
        return list(messages)
    keep = sorted(random.Random(0).sample(range(len(messages)), limit))
    return [messages[i] for i in keep]


def classify_all(
    classifier: MessageClassifier, messages: Sequence[LabeledMessage]
) -> tuple[list[Outcome], str]:
    """Classify one message at a time (after a warm-up on the first few); also returns the
    policy version the decisions name."""
    version = ""
    for message in messages[:WARM_UP]:
        version = classifier.classify(message.text).policy_version
    outcomes = []
    for message in messages:
        started = time.perf_counter()
        decision = classifier.classify(message.text)
        elapsed = (time.perf_counter() - started) * 1000
        version = decision.policy_version
        outcomes.append(Outcome(message, decision.label, decision.escalate, decision.rule, elapsed))
    return outcomes, version


def escalated_share(outcomes: Sequence[Outcome], groups: Sequence[str]) -> float | None:
    """Share of the messages of these gold groups that were escalated (None: no such message)."""
    chosen = [o.escalate for o in outcomes if o.message.gold in groups]
    return sum(chosen) / len(chosen) if chosen else None


def binary_figures(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Recall, false-escalation rate and the rates reported apart, with the counts."""
    counts = Counter(o.message.gold for o in outcomes)
    return {
        "counts": {group: counts.get(group, 0) for group in GOLD_GROUPS},
        "recall": escalated_share(outcomes, ("escalate",)),
        "false_escalation": escalated_share(outcomes, ("money_info", "answer")),
        "borderline_escalated": escalated_share(outcomes, ("borderline",)),
        "money_info_escalated": escalated_share(outcomes, ("money_info",)),
    }


def per_label(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """One row per (dataset label, gold group): count, escalated share, policy classes."""
    rows: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        for label in outcome.message.labels:
            rows.setdefault((label, outcome.message.gold), []).append(outcome)
    table = []
    for (label, gold), members in rows.items():
        escalated = sum(o.escalate for o in members)
        table.append(
            {
                "label": label,
                "gold": gold,
                "count": len(members),
                "escalated": escalated,
                "escalated_share": escalated / len(members),
                "classes": dict(Counter(o.label for o in members).most_common()),
            }
        )
    order = {group: i for i, group in enumerate(GOLD_GROUPS)}
    return sorted(table, key=lambda r: (order[r["gold"]], r["label"]))


def confusion(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Counts of gold group (rows present in the data) × predicted class."""
    present = [g for g in GOLD_GROUPS if any(o.message.gold == g for o in outcomes)]
    columns = list(POLICY_CLASSES)
    counts = Counter((o.message.gold, o.label) for o in outcomes)
    matrix = [[counts.get((g, c), 0) for c in columns] for g in present]
    return {"rows": present, "columns": columns, "matrix": matrix}


def latency(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    p50, p95 = np.percentile(np.asarray(values, dtype=float), [50, 95])
    return {"p50": float(p50), "p95": float(p95), "max": float(max(values))}


def target_check(figures: dict[str, Any], timing: dict[str, float] | None) -> dict[str, Any]:
    """Each target with its value and whether it is met (None: nothing to measure it on)."""

    def check(value: float | None, limit: float, at_least: bool) -> dict[str, Any]:
        met = None if value is None else value >= limit if at_least else value <= limit
        return {"value": value, "target": limit, "met": met}

    return {
        "recall": check(figures["recall"], TARGETS["recall"], True),
        "false_escalation": check(figures["false_escalation"], TARGETS["false_escalation"], False),
        "p95_ms": check(timing["p95"] if timing else None, TARGETS["p95_ms"], False),
    }


def summarize(dataset: EscalationDataset, outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Every figure of one dataset (no message text: reports may be committed)."""
    figures = binary_figures(outcomes)
    timing = latency([o.latency_ms for o in outcomes if o.latency_ms > 0])
    return {
        "name": dataset.name,
        "title": dataset.title,
        "mapping": dataset.mapping,
        "messages": len(outcomes),
        **figures,
        "per_label": per_label(outcomes),
        "confusion": confusion(outcomes),
        "latency_ms": timing,
        "targets": target_check(figures, timing),
    }


def missed(outcomes: Sequence[Outcome], limit: int = 20) -> list[dict[str, str]]:
    """Positives not escalated and negatives escalated, for reading (never written to docs)."""
    wrong = [
        o
        for o in outcomes
        if (o.message.gold == "escalate") != o.escalate and o.message.gold != "borderline"
    ]
    return [
        {"text": o.message.text, "gold": o.message.gold, "class": o.label, "rule": o.rule}
        for o in wrong[:limit]
    ]


def evaluate(
    dataset: EscalationDataset,
    classifier: MessageClassifier,
    *,
    limit: int | None = None,
    figures: Path | None = None,
) -> dict[str, Any]:
    """Classify the dataset (or a sample of it) and summarise; writes the PNG to `figures`."""
    started = time.perf_counter()
    outcomes, version = classify_all(classifier, sample(dataset.messages, limit))
    summary = summarize(dataset, outcomes)
    summary["policy_version"] = version
    summary["load_average"] = os.getloadavg()[0]  # other processes inflate the latency
    summary["missed_examples"] = missed(outcomes)
    if figures is not None:
        from eval.report_escalation import plot_confusion

        summary["figure"] = str(plot_confusion(summary, figures / f"escalation-{dataset.name}.png"))
    summary["seconds"] = time.perf_counter() - started
    return summary


def banking77_variant(
    root: Path, embedder: Embedder, c: float = 10.0, summed_at: float = 0.2
) -> dict[str, Any]:
    """A 77-way logistic regression on the embeddings of BANKING77's train split, scored on
    its test split: intent accuracy and the escalation figures its predicted labels give
    (escalated when the predicted label is a positive one; and, as a second reading, when the
    positive labels' probabilities add up to `summed_at`). A comparison, not the product."""
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    groups = banking77_groups(root)
    train, test = banking77_rows(root, "train"), banking77_rows(root, "test")
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(embedder.embed_documents([t for t, _ in train]), [label for _, label in train])
    probabilities = model.predict_proba(embedder.embed_documents([t for t, _ in test]))
    labels = [str(label) for label in model.classes_]
    positive = np.array([groups.get(label) == "escalate" for label in labels])
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    summed = probabilities[:, positive].sum(axis=1)

    def outcomes(escalated: Sequence[bool]) -> list[Outcome]:
        return [
            Outcome(
                LabeledMessage(text, groups[gold], (gold,)), guess, up, "model:banking77-77way", 0.0
            )
            for (text, gold), guess, up in zip(test, predicted, escalated, strict=True)
        ]

    by_label = outcomes([groups.get(guess) == "escalate" for guess in predicted])
    accuracy = sum(o.label == o.message.labels[0] for o in by_label) / len(by_label)
    return {
        "train": len(train),
        "test": len(test),
        "c": c,
        "accuracy": accuracy,
        **binary_figures(by_label),
        "summed_at": summed_at,
        "summed": binary_figures(outcomes([bool(x >= summed_at) for x in summed])),
        "seconds": time.perf_counter() - started,
    }


def baseline_figures(
    checkout: Path, datasets: Mapping[str, Sequence[LabeledMessage]], work: Path
) -> dict[str, dict[str, Any]]:
    """The binary figures per dataset of the policy in `checkout` (a worktree of an earlier
    revision), every message classified by that revision's own code in one process."""
    import json
    import subprocess

    texts = [m.text for messages in datasets.values() for m in messages]
    inputs = work / "messages.json"
    inputs.write_text(json.dumps(texts), encoding="utf-8")
    out = work / "decisions.json"
    runner = work / "runner" / "policy_runner.py"
    runner.parent.mkdir(exist_ok=True)
    runner.write_text(RUNNER.read_text(encoding="utf-8"), encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    command = [sys.executable, str(runner), "--messages", str(inputs), "--out", str(out)]
    subprocess.run(command, cwd=checkout, env=environment, check=True)
    decisions = iter(json.loads(out.read_text(encoding="utf-8")))
    figures = {}
    for name, messages in datasets.items():
        chosen = [next(decisions) for _ in messages]
        outcomes = [
            Outcome(message, d["label"], bool(d["escalate"]), "", 0.0)
            for message, d in zip(messages, chosen, strict=True)
        ]
        version = chosen[0]["version"] if chosen else ""
        figures[name] = {**binary_figures(outcomes), "policy_version": version}
    return figures


def run(
    root: Path | None,
    settings: Settings,
    datasets: Sequence[str],
    *,
    limit: int | None = None,
    figures: Path | None = None,
    with_variant: bool = False,
    baseline: str | None = None,
    log: Log = print,
) -> dict[str, Any]:
    """Evaluate the shipped policy engine on each dataset (and the `baseline` revision's
    policy on the same messages, when given), and the BANKING77 variant."""
    from kb_assistant.composition import build_embedder

    started = time.perf_counter()
    if with_variant and root is None:
        raise EscalationDataError("the BANKING77 variant needs the evaluation data (KB_EVAL_DATA)")
    loaded = [load_dataset(name, root) for name in datasets]  # bad files fail before the model
    embedder = build_embedder(settings)
    engine = build_engine(settings, embedder)
    report: dict[str, Any] = {
        "model": embedder.model_id,
        "limit": limit,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "datasets": {},
    }
    for dataset in loaded:
        log(f"escalation: classifying {dataset.name} ({len(dataset.messages)} messages)…")
        report["datasets"][dataset.name] = evaluate(dataset, engine, limit=limit, figures=figures)
    if baseline:
        report["baseline"] = baseline
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            checkout = baseline_checkout(baseline, work)
            try:
                log(f"escalation: the policy at {baseline} on the same messages…")
                chosen = {d.name: sample(d.messages, limit) for d in loaded}
                for name, figures_then in baseline_figures(checkout, chosen, work).items():
                    report["datasets"][name]["baseline"] = figures_then
            finally:
                remove_checkout(checkout)
    if with_variant and root is not None:
        log("escalation: training the BANKING77 77-way variant…")
        report["banking77_variant"] = banking77_variant(root, embedder)
    report["seconds"] = time.perf_counter() - started
    return report


def run_cli(args: argparse.Namespace, settings: Settings) -> int:
    """`kb-assistant eval escalation`: a summary per dataset, or one JSON object."""
    from eval.datasets import DatasetMissingError, eval_data_root
    from eval.report_escalation import render_text
    from kb_assistant.cli.common import CliError, print_json

    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1")
    try:
        root: Path | None = args.eval_data or eval_data_root()
    except DatasetMissingError:
        root = None
    try:
        report = run(
            root,
            settings,
            [args.dataset],
            limit=args.limit,
            figures=args.figures,
            with_variant=args.with_banking77_variant,
            baseline=args.baseline,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except (EscalationDataError, ConfigurationError) as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(report)
    else:
        print(render_text(report))
    return 0
