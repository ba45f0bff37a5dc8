"""Answers to customers' own words: right answer, honest "I don't know", confident-wrong.

`python -m eval.customer_eval` (also the "customer" section of `make bench`) answers four
question sets with the current pipeline and with an earlier revision of it (the baseline,
checked out into a temporary git worktree), each in its own process, one after the other:

- the demo knowledge base with questions written as customers write them
  (`eval/questions/customer_*.jsonl`: typos, slang, indirect, "my …" situations);
- E-Manual and StackFAQ from the shared data, with some sections held out of the index so
  that the questions about them are plausible, near-domain questions it does not cover;
- the ABCD guidelines with hand-written customer questions (`eval/questions/abcd_customer.jsonl`).

A question counts as **right** when the reply answers (no "I don't know"), cites an expected
source and contains a key fact of each group (`key_facts`, where the set has them);
**confident-wrong** when it answers from a wrong source, or answers at all a question the
knowledge base does not cover (share of all questions of the set).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.datasets import PROJECT_ROOT, DatasetMissingError, eval_data_root, read_jsonl

QUESTIONS = PROJECT_ROOT / "eval" / "questions"
RUNNER = PROJECT_ROOT / "eval" / "answer_runner.py"
BASELINE_REV = "2acd34e"  # the answering pipeline before question matching and answer-first replies
HELD_OUT_SHARE = 0.15  # of a shared dataset's units, left out of its index
SHARED_ANSWERABLE = 150
SHARED_UNCOVERED = 60
_DASHES = str.maketrans({"–": "-", "—": "-", "‑": "-"})
_WORD = re.compile(r"[A-Za-z0-9£$€%][\w'’£$€%.,-]*")


@dataclass(frozen=True)
class Item:
    """One question and what a right reply has."""

    id: str
    question: str
    answerable: bool
    expected: frozenset[str] = frozenset()  # titles (demo) or units (shared sets)
    key_facts: tuple[tuple[str, ...], ...] = ()


@dataclass
class QuestionSet:
    name: str
    kb: str
    items: list[Item]
    drop: list[str] = field(default_factory=list)  # units left out of the index
    by_unit: bool = False  # expected holds units; citations are mapped through titles


def held_out(units: Sequence[str], share: float = HELD_OUT_SHARE) -> set[str]:
    """A fixed, spread-out share of the units (by hash), whatever order they come in."""
    ranked = sorted(set(units), key=lambda u: hashlib.sha256(u.encode()).hexdigest())
    return set(ranked[: round(len(ranked) * share)])


def demo_set(split: str | None) -> QuestionSet:
    items = [
        Item(
            row["id"],
            row["question"],
            True,
            frozenset(row["expected_titles"]),
            tuple(tuple(group) for group in row.get("key_facts", [])),
        )
        for row in read_jsonl(QUESTIONS / "customer_answerable.jsonl")
        if split is None or row["split"] == split
    ]
    items += [
        Item(row["id"], row["question"], False)
        for row in read_jsonl(QUESTIONS / "customer_unanswerable.jsonl")
        if split is None or row["split"] == split
    ]
    return QuestionSet("demo (customers' words)", "demo", items)


def abcd_set(split: str | None) -> QuestionSet:
    items = [
        Item(
            row["id"],
            row["question"],
            bool(row["answerable"]),
            frozenset(row["expected_passages"]),
            tuple(tuple(group) for group in row.get("key_facts", [])),
        )
        for row in read_jsonl(QUESTIONS / "abcd_customer.jsonl")
        if split is None or row["split"] == split
    ]
    return QuestionSet("ABCD guidelines", "abcd", items, by_unit=True)


def shared_set(name: str, root: Path) -> QuestionSet:
    """E-Manual or StackFAQ questions, a share of the units held out of the index."""
    from connectors import ConnectorOptions
    from eval.retrieval_corpora import load_dataset

    dataset = load_dataset(name, root, ConnectorOptions())
    units = [str(d.metadata[dataset.unit_key]) for d in dataset.documents]
    drop = held_out(units)
    answerable = [q for q in dataset.queries if not q.gold & drop]
    uncovered = [q for q in dataset.queries if q.gold <= drop]
    items = [
        Item(f"{name}-a{i}", q.text, True, frozenset(q.gold))
        for i, q in enumerate(_spread(answerable, SHARED_ANSWERABLE))
    ]
    items += [
        Item(f"{name}-u{i}", q.text, False)
        for i, q in enumerate(_spread(uncovered, SHARED_UNCOVERED))
    ]
    return QuestionSet(dataset.title, name, items, sorted(drop), by_unit=True)


def _spread(values: Sequence[Any], limit: int) -> list[Any]:
    if len(values) <= limit:
        return list(values)
    step = len(values) / limit
    return [values[int(i * step)] for i in range(limit)]


def run_pipeline(
    checkout: Path,
    question_set: QuestionSet,
    root: Path,
    work: Path,
    model: str | None = None,
    calibrate_on: QuestionSet | None = None,
) -> dict[str, Any]:
    """Answer the set with the product in `checkout`, in a process of its own (with the
    embedding model `model` instead of the configured one, and the gate first fitted on
    `calibrate_on`, when given)."""
    questions = work / f"{question_set.kb}-questions.jsonl"
    questions.write_text(
        "".join(
            json.dumps({"id": i.id, "question": i.question}) + "\n" for i in question_set.items
        ),
        encoding="utf-8",
    )
    drop = work / f"{question_set.kb}-drop.json"
    drop.write_text(json.dumps(question_set.drop), encoding="utf-8")
    out = work / f"{question_set.kb}-{checkout.name}-answers.json"
    # The runner runs from a folder of its own, so the checkout's packages are the ones on
    # the path (PYTHONPATH) and nothing is written into the checkout.
    runner = work / "runner" / "answer_runner.py"
    runner.parent.mkdir(exist_ok=True)
    runner.write_text(RUNNER.read_text(encoding="utf-8"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    extra: list[str] = []
    if model:
        env["KB_EMBEDDING_MODEL"] = model
    if calibrate_on is not None:
        labelled = work / f"{question_set.kb}-calibrate.jsonl"
        labelled.write_text(
            "".join(
                json.dumps(
                    {"question": i.question, "answerable": i.answerable, "expected": []}
                    if question_set.by_unit
                    else {
                        "question": i.question,
                        "answerable": i.answerable,
                        "expected": sorted(i.expected),
                    }
                )
                + "\n"
                for i in calibrate_on.items
            ),
            encoding="utf-8",
        )
        extra = ["--calibrate", str(labelled)]
    subprocess.run(
        [
            sys.executable,
            str(runner),
            "--kb",
            question_set.kb,
            "--questions",
            str(questions),
            "--out",
            str(out),
            "--data",
            str(root),
            "--drop",
            str(drop),
            *extra,
        ],
        cwd=checkout,
        env=env,
        check=True,
    )
    return dict(json.loads(out.read_text(encoding="utf-8")))


def answer_words(statements: Sequence[Sequence[str]]) -> int:
    """Words of what answers: claims, steps and notes (not the greeting or the offer of a
    person, which frame every reply)."""
    return sum(len(_WORD.findall(text)) for kind, text in statements if kind != "framing")


def has_facts(text: str, groups: Sequence[Sequence[str]]) -> bool:
    """Whether each group of key facts has one alternative in the text (case-insensitive,
    spacing ignored)."""

    def fold(value: str) -> str:
        return " ".join(value.lower().translate(_DASHES).split())

    folded = fold(text)
    return all(any(fold(f) in folded for f in group) for group in groups)


def score(question_set: QuestionSet, result: dict[str, Any]) -> dict[str, Any]:
    """The figures for one set answered by one pipeline."""
    answers = {row["id"]: row for row in result["answers"]}
    titles: dict[str, str] = result.get("titles", {})
    right = wrong = incomplete = dont_know_ok = total_good = total_bad = 0
    ranked_first = in_top = 0  # the expected source among the retrieved passages
    words, grades, latencies, kept, unsupported = [], [], [], 0, 0
    for item in question_set.items:
        row = answers[item.id]
        latencies.append(row["latency_s"])
        answered = row["action"] == "answer"
        cited = {titles.get(t, t) if question_set.by_unit else t for t in row["citations"]}
        if answered:
            body = row["text"].split("\n\nSources:", 1)[0]
            if not any(kind == "step" for kind, _ in row["statements"]):
                words.append(answer_words(row["statements"]))
            grades.append(_fk_grade(body))
            kept += sum(1 for kind, _ in row["statements"] if kind != "framing")
            unsupported += row["unsupported"]
        if item.answerable:
            total_good += 1
            retrieved = [titles.get(t, t) if question_set.by_unit else t for t in row["retrieved"]]
            ranked_first += bool(retrieved[:1] and retrieved[0] in item.expected)
            in_top += bool(set(retrieved) & item.expected)
            on_source = answered and bool(cited & item.expected)
            if on_source and has_facts(row["text"], item.key_facts):
                right += 1
            elif on_source:
                incomplete += 1
            elif answered:
                wrong += 1
        else:
            total_bad += 1
            if answered:
                wrong += 1
            else:
                dont_know_ok += 1
    n = len(question_set.items)
    return {
        "answerable": total_good,
        "uncovered": total_bad,
        "right": right / total_good if total_good else None,
        "incomplete": incomplete / total_good if total_good else None,
        # What retrieval allows: the expected source ranked first (a ceiling on right answers
        # for a judge that only accepts or refuses the first passage) or anywhere in the top 5.
        "ranked_first": ranked_first / total_good if total_good else None,
        "in_top": in_top / total_good if total_good else None,
        "honest_dont_know": dont_know_ok / total_bad if total_bad else None,
        "confident_wrong": wrong / n if n else None,
        "median_words": statistics.median(words) if words else None,
        "fk_grade": statistics.median(grades) if grades else None,
        "supported": kept / (kept + unsupported) if kept + unsupported else None,
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p95_ms": _percentile(latencies, 95) * 1000,
        "index_s": result.get("index_s"),
    }


def _fk_grade(text: str) -> float:
    import textstat

    return float(textstat.flesch_kincaid_grade(text))


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def baseline_checkout(rev: str, work: Path) -> Path:
    """A worktree of the baseline revision (removed by `remove_checkout`)."""
    path = work / "baseline"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(path), rev],
        cwd=PROJECT_ROOT,
        check=True,
    )
    return path


def remove_checkout(path: Path) -> None:
    subprocess.run(
        ["git", "worktree", "remove", "--force", str(path)], cwd=PROJECT_ROOT, check=False
    )


def question_sets(root: Path | None, split: str | None, names: Sequence[str]) -> list[QuestionSet]:
    sets = []
    for name in names:
        if name == "demo":
            sets.append(demo_set(split))
        elif root is None:
            print(f"skipping {name}: the shared data folder is missing (KB_EVAL_DATA)")
        elif name == "abcd":
            sets.append(abcd_set(split))
        else:
            sets.append(shared_set(name, root))
    return sets


def run(
    root: Path | None,
    split: str | None = "test",
    names: Sequence[str] = ("demo", "emanual", "stackfaq", "abcd"),
    baseline: str | None = BASELINE_REV,
) -> dict[str, Any]:
    """Figures per set for the current pipeline and (when given) the baseline revision."""
    report: dict[str, Any] = {"split": split, "baseline": baseline, "sets": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        old = baseline_checkout(baseline, work) if baseline else None
        try:
            for question_set in question_sets(root, split, names):
                entry: dict[str, Any] = {"name": question_set.name, "kb": question_set.kb}
                data = root or Path(".")
                entry["current"] = score(
                    question_set, run_pipeline(PROJECT_ROOT, question_set, data, work)
                )
                if old is not None:
                    entry["baseline"] = score(
                        question_set, run_pipeline(old, question_set, data, work)
                    )
                report["sets"].append(entry)
                print(json.dumps(entry), flush=True)
        finally:
            if old is not None:
                remove_checkout(old)
    return report


def compare_models(
    root: Path | None, model: str, names: Sequence[str] = ("demo", "abcd")
) -> dict[str, Any]:
    """The current pipeline with the configured embedding model and with `model`, each with
    its gate fitted on the set's `dev` questions and measured on its `test` questions."""
    report: dict[str, Any] = {"model": model, "sets": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for dev, test in zip(
            question_sets(root, "dev", names), question_sets(root, "test", names), strict=True
        ):
            entry: dict[str, Any] = {"name": test.name}
            for label, chosen in (("configured", None), ("compared", model)):
                result = run_pipeline(PROJECT_ROOT, test, root or Path("."), work, chosen, dev)
                entry[label] = score(test, result)
            report["sets"].append(entry)
            print(json.dumps(entry), flush=True)
    return report


def render_models(report: dict[str, Any]) -> str:
    """The comparison of two embedding models, as a Markdown table."""
    lines = [
        f"Embedding model: configured vs `{Path(report['model']).name}`, gate fitted on each "
        "set's dev questions, measured on its test questions.",
        "",
        '| set | model | right answer | honest "I don\'t know" | confident-wrong | '
        "index s | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in report["sets"]:
        for label in ("configured", "compared"):
            s = entry[label]
            lines.append(
                f"| {entry['name']} | {label} | {_fmt(s['right'], True)} | "
                f"{_fmt(s['honest_dont_know'], True)} | {_fmt(s['confident_wrong'], True)} | "
                f"{_fmt(s['index_s'])} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} |"
            )
    return "\n".join(lines)


def _fmt(value: Any, percent: bool = False) -> str:
    if value is None:
        return "–"
    if percent:
        return f"{100 * value:.1f} %"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def render(report: dict[str, Any], machine_line: str = "") -> str:
    """The "customer" section of docs/benchmarks.md."""
    lines = [
        "## Answers to customers' own words (no LLM)",
        "",
        "Right answer = answered, an expected source cited and the key facts in the text; "
        'honest "I don\'t know" on questions the knowledge base does not cover; '
        "confident-wrong = an answer from a wrong source, or any answer to an uncovered "
        "question, as a share of all the set's questions. Words: the answer's own sentences "
        "(not the greeting or the offer of a person), median over answers that are not steps. "
        f"Baseline: the pipeline at revision `{report['baseline']}`, run on the same questions "
        f"in the same run. Question split: `{report['split'] or 'all'}`.",
        "",
        "| set | pipeline | questions (answerable / uncovered) | right answer | "
        'honest "I don\'t know" | confident-wrong | right source, key fact missing | '
        "expected source first / in top 5 | "
        "median words | FK grade | sentences supported | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in report["sets"]:
        for label in ("baseline", "current"):
            s = entry.get(label)
            if s is None:
                continue
            lines.append(
                f"| {entry['name']} | {label} | {s['answerable']} / {s['uncovered']} | "
                f"{_fmt(s['right'], True)} | {_fmt(s['honest_dont_know'], True)} | "
                f"{_fmt(s['confident_wrong'], True)} | {_fmt(s['incomplete'], True)} | "
                f"{_fmt(s.get('ranked_first'), True)} / {_fmt(s.get('in_top'), True)} | "
                f"{_fmt(s['median_words'])} | {_fmt(s['fk_grade'])} | "
                f"{_fmt(s['supported'], True)} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} |"
            )
    lines += [
        "",
        f"E-Manual and StackFAQ: {int(HELD_OUT_SHARE * 100)} % of the sections (FAQ threads) "
        "are held out of the index, chosen by hash; questions whose gold is held out are the "
        f"uncovered ones (up to {SHARED_UNCOVERED}), the others answerable (up to "
        f"{SHARED_ANSWERABLE}); these sets have no key facts, so a right answer is the "
        "expected source cited.",
        "",
        "Expected source first / in top 5: the share of answerable questions whose expected "
        "source is the first of the passages retrieved, or among the five: what retrieval "
        "leaves the judge to work with. A reply rests on the first passage, so the first "
        "share bounds the right answers of any judge that only accepts or refuses it.",
        "",
        'Targets: right ≥ 90 %, honest "I don\'t know" ≥ 90 %, confident-wrong ≤ 3 %, '
        "median ≤ 60 words, FK grade ≤ 8.",
        "",
        f"Machine: {machine_line}" if machine_line else "",
        "",
        "Reproduce: `python -m eval.customer_eval` (`--split dev|test|all`, `--sets demo,abcd`, "
        "`--baseline REV` or `--no-baseline`), or `make bench`.",
    ]
    return "\n".join(lines)


def _data_root() -> Path | None:
    """The shared data folder, or None (the demo set still runs) when it is missing."""
    try:
        return eval_data_root()
    except DatasetMissingError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.customer_eval", description=__doc__)
    parser.add_argument("--split", default="test", choices=("dev", "test", "all"))
    parser.add_argument("--sets", default="demo,emanual,stackfaq,abcd")
    parser.add_argument("--baseline", default=BASELINE_REV)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument(
        "--compare-model",
        metavar="PATH",
        help="instead: compare the configured embedding model with this one (demo and ABCD)",
    )
    args = parser.parse_args(argv)
    if args.compare_model:
        compared = compare_models(_data_root(), args.compare_model)
        if args.json:
            args.json.write_text(json.dumps(compared, indent=2) + "\n", encoding="utf-8")
        print(render_models(compared))
        return 0
    report = run(
        _data_root(),
        None if args.split == "all" else args.split,
        [s.strip() for s in args.sets.split(",") if s.strip()],
        None if args.no_baseline else args.baseline,
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
