"""`kb-assistant eval`: measure retrieval and answer quality on evaluation data.

The measuring code lives in the `eval` package and is imported only when a measurement runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kb_assistant.cli.common import add_common_options, load_settings, print_json, translated_errors
from kb_assistant.settings import Settings


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "eval",
        help="measure quality on evaluation data",
        description="Measure the assistant on evaluation datasets (KB_EVAL_DATA, default "
        "../shared/data) and print the figures.",
    )
    which = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    retrieval = which.add_parser(
        "retrieval",
        help="recall@k, MRR and nDCG of BM25, dense, hybrid and a llama-index baseline",
        description="Index each dataset in a temporary folder and score every retriever "
        "on the same queries: recall@1/5/10, MRR@10, nDCG@10.",
    )
    retrieval.add_argument(
        "--dataset",
        action="append",
        choices=("stackfaq", "emanual"),
        help="dataset to run (repeatable; default: all)",
    )
    retrieval.add_argument(
        "--limit", type=int, default=None, help="use at most this many queries per dataset"
    )
    retrieval.add_argument("--eval-data", type=Path, help="datasets folder (default: KB_EVAL_DATA)")
    add_common_options(retrieval)
    retrieval.set_defaults(handler=run_retrieval)

    answers = which.add_parser(
        "answers",
        help="answer quality without an LLM: support, readability, honest refusals, latency",
        description="Index the demo knowledge base (and the E-Manual when the evaluation data "
        "is there) in temporary folders and measure the answers: share of sentences "
        'supported, Flesch-Kincaid grade, correct and false "I don\'t know", expected '
        "source cited, follow-ups, latency p50/p95.",
    )
    answers.add_argument(
        "--limit", type=int, default=200, help="E-Manual questions to use (default 200)"
    )
    answers.add_argument(
        "--llm",
        action="store_true",
        help="measure the configured LLM instead (KB_LLM_PROVIDER, e.g. local with "
        "KB_LLM_MODEL_PATH=smollm2) on the demo's held-out customer questions: sentences the "
        "verifier kept, fallbacks to the extractive answer, Flesch-Kincaid grade, faithfulness, "
        "tokens and latency",
    )
    answers.add_argument(
        "--questions",
        type=int,
        metavar="N",
        help="with --llm: use only the first N questions (default: all)",
    )
    answers.add_argument("--eval-data", type=Path, help="datasets folder (default: KB_EVAL_DATA)")
    add_common_options(answers)
    answers.set_defaults(handler=run_answers)

    safety = which.add_parser(
        "safety",
        help="prompt-injection attacks through the whole pipeline with a misbehaving LLM",
        description="Run the prompt-injection dataset (as customer messages and planted "
        "inside ingested documents) through retrieval, composing with a test LLM that "
        "misbehaves on purpose (obeys injections, promises refunds, copies internal text, "
        "adds links and personal data) and the verifier; count final answers with a money "
        "commitment, internal text, seeded personal data or an outside link. Exit status 1 "
        "when any answer broke a check. Needs the project's test fakes (run from a checkout).",
    )
    safety.add_argument("--limit", type=int, help="stratified sample size (default: all)")
    safety.add_argument(
        "--llm",
        choices=("misbehaving", "local"),
        default="misbehaving",
        help="misbehaving: the unsafe test model (default); local: the local GGUF model of "
        "KB_LLM_MODEL_PATH (default smollm2), a real model in its place",
    )
    safety.add_argument(
        "--stream", type=int, help="how many of the attacks also stream (default 100)"
    )
    safety.add_argument("--json", action="store_true", help="print the full report as JSON")
    safety.set_defaults(handler=run_safety)

    _register_escalation(which)

    calibrate = which.add_parser(
        "calibrate",
        help="fit the confidence gate on answerable and unanswerable questions",
        description="Fit the confidence gate on labelled questions against the index in the "
        "data directory and write <data dir>/gate_calibration.json, which then takes "
        "precedence over the shipped calibration. Question files are JSONL with a "
        "`question` field (and optionally `channel`: customer|agent). Half of each file "
        "fits the gate, the other half measures it.",
    )
    calibrate.add_argument("--answerable", type=Path, required=True, help="JSONL questions")
    calibrate.add_argument("--unanswerable", type=Path, required=True, help="JSONL questions")
    calibrate.add_argument(
        "--wrong-cost",
        type=float,
        default=3.0,
        help='how many needless "I don\'t know"s one confident wrong answer costs when '
        "the threshold is chosen (default 3)",
    )
    add_common_options(calibrate)
    calibrate.set_defaults(handler=run_calibrate)


def _register_escalation(which: Any) -> None:
    escalation = which.add_parser(
        "escalation",
        help="recall and false escalations of the money policy on labelled messages",
        description="Classify every message of a labelled dataset with the policy engine, "
        "one at a time, and report recall on the messages a person must take, the "
        "false-escalation rate on the others, borderline and money_info labels apart, a "
        "per-label table, latency p50/p95 and the targets (recall >= 0.98, false escalation "
        "<= 5 %, p95 <= 20 ms). DATASET is banking77, bitext, nlupp (from the shared data), "
        "complaints, complaints-dev, shop-money (the project's own) or a CSV/JSONL file with "
        "`text` and `escalate` (true/false, yes/no, 1/0) columns. The confusion matrix is "
        "saved as escalation-<dataset>.png in the figures folder.",
    )
    escalation.add_argument(
        "--dataset",
        required=True,
        metavar="DATASET",
        help="banking77, bitext, nlupp (shared data), complaints, complaints-dev, shop-money "
        "(the project's own sets), or a labelled CSV/JSONL file",
    )
    escalation.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="classify a seeded random sample of at most N messages",
    )
    escalation.add_argument(
        "--baseline",
        metavar="REV",
        help="also classify the same messages with the policy of git revision REV (checked "
        "out into a temporary worktree; needs a git checkout of the project) and report both",
    )
    escalation.add_argument(
        "--figures",
        type=Path,
        metavar="DIR",
        default=Path("docs/figures"),
        help="folder for the confusion-matrix PNG (default docs/figures)",
    )
    escalation.add_argument(
        "--with-banking77-variant",
        action="store_true",
        help="also train and score a 77-way BANKING77 intent classifier, for comparison",
    )
    escalation.add_argument(
        "--eval-data", type=Path, help="datasets folder (default: KB_EVAL_DATA)"
    )
    add_common_options(escalation)
    escalation.set_defaults(handler=run_escalation)


def run_retrieval(args: argparse.Namespace) -> int:
    from eval import retrieval_eval

    settings = load_settings(args)
    with translated_errors():
        return retrieval_eval.run_cli(args, settings)


def run_answers(args: argparse.Namespace) -> int:
    from eval import answers_eval
    from eval.datasets import DatasetMissingError, eval_data_root

    settings = load_settings(args)
    if args.llm:
        return _run_llm_answers(args, settings)
    try:
        root: Path | None = args.eval_data or eval_data_root()
    except DatasetMissingError as exc:
        print(f"E-Manual skipped: {exc}")
        root = None
    with translated_errors():
        report = answers_eval.run(settings, root, args.limit)
    if args.json:
        print_json(report)
    else:
        print(answers_eval.render(report))
    return 0


def _run_llm_answers(args: argparse.Namespace, settings: Settings) -> int:
    from eval import llm_answers_eval

    with translated_errors():
        report = llm_answers_eval.run(settings, args.questions)
    if args.json:
        print_json(report)
    else:
        print(llm_answers_eval.render(report))
    return 0


def run_escalation(args: argparse.Namespace) -> int:
    from eval import escalation_eval

    settings = load_settings(args)
    with translated_errors():
        return escalation_eval.run_cli(args, settings)


def run_calibrate(args: argparse.Namespace) -> int:
    from eval import calibrate_gate

    settings = load_settings(args)
    with translated_errors():
        model = calibrate_gate.calibrate_files(
            settings, args.answerable, args.unanswerable, args.wrong_cost
        )
    if args.json:
        print_json({"threshold": model.threshold, "report": model.report})
    else:
        print(f"threshold {model.threshold:.3f}")
        for split, figures in model.report.items():
            if split != "tradeoff":
                print(f"{split}: {figures}")
        print('threshold  right  confident-wrong  honest "I don\'t know"')
        curve = model.report.get("tradeoff", [])
        for point in curve if isinstance(curve, list) else []:
            print(
                f"{point['threshold']:9.2f}  {point['right']:5.0%}  "
                f"{point['confident_wrong']:15.0%}  {point['honest_dont_know']:5.0%}"
            )
        print(f"wrote {settings.data_dir / 'gate_calibration.json'}")
    return 0


def run_safety(args: argparse.Namespace) -> int:
    from eval import safety_eval

    argv = ["--json"] if args.json else []
    if args.limit is not None:
        argv += ["--limit", str(args.limit)]
    if args.stream is not None:
        argv += ["--stream", str(args.stream)]
    argv += ["--llm", args.llm]
    return safety_eval.main(argv)
