"""Calibrating the confidence gate on answerable and unanswerable questions.

`python -m eval.calibrate_gate` indexes the demo knowledge base in a temporary folder,
fits the gate on the "calibrate" half of the hand-written question sets and the "dev" half of
the questions in customers' own words, measures it on their "test" halves, and writes the
shipped calibration (kb_assistant/answering/gate_calibration.json). `kb-assistant eval
calibrate` does the same for an operator's own index and question files.

The gate learns whether an answer would be right: an answerable question whose drafted
answer cites none of its `expected_titles` (when the file gives them) counts as a would-be
wrong answer. The threshold minimises the cost of wrong answers (`--wrong-cost` needless "I don't
know"s each), and the report keeps the trade-off curve: right answers, confident-wrong
answers and honest "I don't know"s at each threshold.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from eval.datasets import PROJECT_ROOT
from eval.questions import Split, load_answerable, load_unanswerable
from kb_assistant.answering.gate import (
    CALIBRATION_FILE,
    FEATURES,
    SHIPPED_CALIBRATION,
    WRONG_ANSWER_COST,
    ConfidenceGate,
    GateModel,
    cost_threshold,
    fit,
    tradeoff,
)
from kb_assistant.answering.service import AnswerService
from kb_assistant.core.replies import AnswerRequest
from kb_assistant.domain import Channel
from kb_assistant.ports import Embedder
from kb_assistant.settings import ConfigurationError, Settings

DEMO_SOURCES = (("faq", "public"), ("manuals", "public"), ("tickets", "internal"))


@dataclass(frozen=True)
class Labelled:
    question: str
    channel: Channel
    answerable: bool
    expected: frozenset[str] = frozenset()  # titles of the documents that answer it


@dataclass(frozen=True)
class Sample:
    """A labelled question's gate features, and whether answering it would be right."""

    features: dict[str, float]
    answerable: bool
    right: bool


def demo_questions(split: Split | None) -> list[Labelled]:
    answerable = [
        Labelled(q.question, q.channel, True, frozenset(q.expected_titles))
        for q in load_answerable(split)
    ]
    unanswerable = [Labelled(q.question, "customer", False) for q in load_unanswerable(split)]
    return answerable + unanswerable


def customer_questions(split: str) -> list[Labelled]:
    """The questions in customers' own words (`eval/questions/customer_*.jsonl`)."""
    from eval.datasets import read_jsonl

    folder = PROJECT_ROOT / "eval" / "questions"
    answerable = [
        Labelled(row["question"], "customer", True, frozenset(row["expected_titles"]))
        for row in read_jsonl(folder / "customer_answerable.jsonl")
        if row["split"] == split
    ]
    uncovered = [
        Labelled(row["question"], "customer", False)
        for row in read_jsonl(folder / "customer_unanswerable.jsonl")
        if row["split"] == split
    ]
    return answerable + uncovered


def features_for(service: AnswerService, question: str, channel: Channel) -> dict[str, float]:
    """The gate's features for one question, from the service's own preparation step."""
    return service.prepare(AnswerRequest(question, channel)).evidence.features


def sample(service: AnswerService, item: Labelled) -> Sample:
    """The features of one question and whether answering it would be right: the
    extractive draft (the gate aside) cites one of the expected documents."""
    request = AnswerRequest(item.question, item.channel)
    prepared = service.prepare(request)
    right = item.answerable
    if right and item.expected:
        draft = service.extractive.compose(request, prepared.passages, prepared.evidence)
        passages = [*prepared.passages, *draft.extra_passages]
        cited = {
            passages[number - 1].title
            for statement in draft.statements
            if statement.kind != "framing"
            for number in statement.sources
            if 1 <= number <= len(passages)
        }
        right = bool(cited & item.expected)
    return Sample(prepared.evidence.features, item.answerable, right)


def rates(gate: ConfidenceGate, samples: Sequence[Sample]) -> dict[str, float]:
    """Correct "I don't know" on unanswerable, false "I don't know" on answerable questions,
    and answers that would be wrong (share of all questions)."""
    decided = [(gate.decide(s.features).answer, s) for s in samples]
    refused_bad = [not answered for answered, s in decided if not s.answerable]
    refused_good = [not answered for answered, s in decided if s.answerable]
    wrong = sum(answered and not s.right for answered, s in decided)
    return {
        "unanswerable": len(refused_bad),
        "answerable": len(refused_good),
        "correct_dont_know": sum(refused_bad) / len(refused_bad) if refused_bad else 0.0,
        "false_dont_know": sum(refused_good) / len(refused_good) if refused_good else 0.0,
        "confident_wrong": wrong / len(decided) if decided else 0.0,
    }


def calibrate(
    service: AnswerService,
    train: Sequence[Labelled],
    test: Sequence[Labelled],
    wrong_cost: float = WRONG_ANSWER_COST,
) -> GateModel:
    """Fit the gate on `train`, choose its threshold there, and measure it on `test`."""
    model_name = Path(service.embedder.model_id).name
    train_samples = [sample(service, q) for q in train]
    weights, bias, mean, scale = fit([(s.features, s.right) for s in train_samples])
    draft = GateModel(FEATURES, weights, bias, 0.5, mean, scale, model_name)
    probabilities = [draft.probability(s.features) for s in train_samples]
    threshold = cost_threshold(probabilities, [s.right for s in train_samples], wrong_cost)
    model = GateModel(FEATURES, weights, bias, threshold, mean, scale, model_name)
    report: dict[str, object] = {
        "calibrated": datetime.now(UTC).strftime("%Y-%m-%d"),
        "wrong_cost": wrong_cost,
        "train": rates(ConfidenceGate(model), train_samples),
    }
    curve_samples = train_samples
    if test:
        test_samples = [sample(service, q) for q in test]
        report["test"] = rates(ConfidenceGate(model), test_samples)
        curve_samples = test_samples
    report["tradeoff"] = tradeoff(
        [model.probability(s.features) for s in curve_samples],
        [s.right for s in curve_samples],
        [s.answerable for s in curve_samples],
    )
    return GateModel(FEATURES, weights, bias, threshold, mean, scale, model_name, report)


def read_questions(path: Path, answerable: bool) -> list[Labelled]:
    """Labelled questions from a JSONL file with `question` (and optional `channel`)."""
    from eval.datasets import read_jsonl

    if not path.is_file():
        raise ConfigurationError(f"question file not found: {path}")
    try:
        rows = list(read_jsonl(path))
    except ValueError as exc:
        raise ConfigurationError(f"{path} is not valid JSONL: {exc}") from None
    questions = []
    for number, row in enumerate(rows, start=1):
        text = row.get("question") if isinstance(row, dict) else None
        channel = row.get("channel", "customer") if isinstance(row, dict) else None
        expected = row.get("expected_titles", []) if isinstance(row, dict) else None
        if not isinstance(text, str) or not text.strip() or channel not in ("customer", "agent"):
            raise ConfigurationError(
                f"{path}:{number}: needs a non-empty `question` and a `channel` of customer|agent"
            )
        if not isinstance(expected, list) or not all(isinstance(t, str) for t in expected):
            raise ConfigurationError(f"{path}:{number}: `expected_titles` must be a list of titles")
        questions.append(Labelled(text, channel, answerable, frozenset(expected)))
    return questions


def calibrate_files(
    settings: Settings,
    answerable: Path,
    unanswerable: Path,
    wrong_cost: float = WRONG_ANSWER_COST,
) -> GateModel:
    """Fit the gate for the index in `settings.data_dir` and save it there."""
    from kb_assistant.composition import build_answer_service

    if wrong_cost <= 0:
        raise ConfigurationError("--wrong-cost must be above 0")
    questions = read_questions(answerable, True) + read_questions(unanswerable, False)
    if sum(q.answerable for q in questions) < 4 or sum(not q.answerable for q in questions) < 4:
        raise ConfigurationError("need at least 4 answerable and 4 unanswerable questions")
    model = calibrate(build_answer_service(settings), questions[0::2], questions[1::2], wrong_cost)
    model.save(settings.data_dir / CALIBRATION_FILE)
    return model


def index_demo(settings: Settings, embedder: Embedder) -> None:
    """Ingest the bundled demo knowledge base into `settings.data_dir`."""
    from kb_assistant.composition import build_ingest_pipeline

    pipeline = build_ingest_pipeline(settings, embedder=embedder)
    for folder, visibility in DEMO_SOURCES:
        pipeline.run([PROJECT_ROOT / "demo" / "kb" / folder], visibility=visibility)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate_gate", description=__doc__)
    parser.add_argument("--out", type=Path, default=SHIPPED_CALIBRATION)
    args = parser.parse_args(argv)
    from kb_assistant.composition import build_answer_service, build_embedder, configure_process

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        configure_process(settings)
        embedder = build_embedder(settings)
        index_demo(settings, embedder)
        service = build_answer_service(settings, embedder=embedder)
        model = calibrate(
            service,
            demo_questions("calibrate") + customer_questions("dev"),
            demo_questions("test") + customer_questions("test"),
        )
    model.save(args.out)
    print(f"threshold {model.threshold:.3f}; {model.report}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
