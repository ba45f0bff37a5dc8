"""Answer quality without an LLM: `kb-assistant eval answers` and the "answers" bench section.

On the demo knowledge base (hand-written questions, `eval/questions/`) and on the E-Manual
(Samsung TV manual questions): the share of drafted sentences the verifier found supported,
the Flesch-Kincaid grade of customer answers, correct "I don't know" on unanswerable
questions and false ones on answerable questions, whether the expected source is cited,
follow-up retrieval with and without the conversation, and `ask` latency.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.calibrate_gate import index_demo
from eval.questions import Split, load_answerable, load_followups, load_unanswerable
from kb_assistant.answering.followup import contextualize
from kb_assistant.answering.service import AnswerService
from kb_assistant.core.replies import Answer, AnswerRequest
from kb_assistant.domain import Channel
from kb_assistant.ports import Embedder
from kb_assistant.settings import Settings


@dataclass
class AnswerStats:
    """Figures for one question set."""

    name: str
    answers: list[Answer] = field(default_factory=list)
    expected_hits: list[bool] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        answered = [a for a in self.answers if a.action == "answer"]
        kept = sum(len([s for s in a.statements if s.kind != "framing"]) for a in answered)
        unsupported = sum(1 for a in self.answers for r in a.removed if r.check == "support")
        grades = [fk_grade(a) for a in answered if a.citations]
        return {
            "questions": len(self.answers),
            "answered": len(answered),
            "dont_know": sum(a.action == "dont_know" for a in self.answers),
            "supported_share": kept / (kept + unsupported) if kept + unsupported else None,
            "fk_grade_median": statistics.median(grades) if grades else None,
            "expected_source_cited": (
                sum(self.expected_hits) / len(self.expected_hits) if self.expected_hits else None
            ),
            "latency_ms_p50": percentile(self.latencies, 50) * 1000,
            "latency_ms_p95": percentile(self.latencies, 95) * 1000,
        }


def fk_grade(answer: Answer) -> float:
    """Flesch-Kincaid grade of the answer body (without the source list)."""
    import textstat

    body = answer.text.split("\n\nSources:", 1)[0]
    return float(textstat.flesch_kincaid_grade(body))


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def ask_all(
    service: AnswerService,
    name: str,
    questions: Sequence[tuple[str, Channel, Sequence[str]]],
) -> AnswerStats:
    """Answer each (question, channel, expected titles) and record what happened."""
    stats = AnswerStats(name)
    for question, channel, expected in questions:
        started = time.perf_counter()
        answer = service.answer(AnswerRequest(question, channel))
        stats.latencies.append(time.perf_counter() - started)
        stats.answers.append(answer)
        if expected and answer.action == "answer":
            stats.expected_hits.append(any(c.title in expected for c in answer.citations))
        elif expected:
            stats.expected_hits.append(False)
    return stats


def followup_hits(service: AnswerService, k: int = 5) -> dict[str, float]:
    """Share of follow-ups whose expected source is retrieved, with and without history."""
    with_history = without = 0
    followups = load_followups()
    for item in followups:
        for use_history in (True, False):
            query = contextualize(item.question, item.history) if use_history else item.question
            titles = {p.title for p in service.retriever.retrieve(query, "customer", k)}
            hit = bool(titles & set(item.expected_titles))
            with_history += hit and use_history
            without += hit and not use_history
    n = len(followups) or 1
    return {"questions": len(followups), "with_history": with_history / n, "without": without / n}


def demo_run(service: AnswerService, split: Split | None = "test") -> dict[str, Any]:
    answerable: list[tuple[str, Channel, Sequence[str]]] = [
        (q.question, q.channel, q.expected_titles)
        for q in load_answerable(split)
        if q.channel == "customer"
    ]
    unanswerable: list[tuple[str, Channel, Sequence[str]]] = [
        (q.question, "customer", ()) for q in load_unanswerable(split)
    ]
    good = ask_all(service, "demo answerable", answerable)
    bad = ask_all(service, "demo unanswerable", unanswerable)
    return {
        "answerable": good.summary(),
        "unanswerable": bad.summary(),
        "correct_dont_know": bad.summary()["dont_know"] / max(1, len(bad.answers)),
        "false_dont_know": good.summary()["dont_know"] / max(1, len(good.answers)),
        "followups": followup_hits(service),
    }


def emanual_run(
    settings: Settings, embedder: Embedder, root: Path, limit: int | None
) -> dict[str, Any]:
    """Answers over the E-Manual, indexed into a temporary folder."""
    from eval.retrieval_corpora import build_product_index, load_emanual
    from kb_assistant.composition import build_answer_service

    dataset = load_emanual(root).limited(limit)
    with tempfile.TemporaryDirectory() as tmp:
        local = settings.model_copy(update={"data_dir": Path(tmp), "database_url": ""})
        build_product_index(local, embedder, dataset)
        service = build_answer_service(local, embedder=embedder)
        titles = {d.metadata["section_id"]: d.title for d in dataset.documents}
        questions = [
            (q.text, "customer", tuple(titles[g] for g in q.gold if g in titles))
            for q in dataset.queries
        ]
        stats = ask_all(service, "emanual", questions)  # type: ignore[arg-type]
    summary = stats.summary()
    summary["false_dont_know"] = summary["dont_know"] / max(1, summary["questions"])
    return summary


def run(settings: Settings, root: Path | None, limit: int | None = None) -> dict[str, Any]:
    """All answer figures, demo knowledge base first (the E-Manual needs the shared data)."""
    from kb_assistant.composition import build_answer_service, build_embedder

    embedder = build_embedder(settings)
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        local = settings.model_copy(update={"data_dir": Path(tmp), "database_url": ""})
        index_demo(local, embedder)
        service = build_answer_service(local, embedder=embedder)
        service.answer(AnswerRequest("warm-up: how do I return an item?"))
        report["demo"] = demo_run(service)
    if root is not None:
        report["emanual"] = emanual_run(settings, embedder, root, limit)
    return report


def _fmt(value: Any, percent: bool = False) -> str:
    if value is None:
        return "–"
    if percent:
        return f"{100 * value:.0f} %"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def render(report: dict[str, Any], machine_line: str = "") -> str:
    """The "answers" section of docs/benchmarks.md."""
    lines = [
        "## Answers without an LLM",
        "",
        "`kb-assistant eval answers` (also `make bench`): the demo knowledge base with the "
        "held-out half of the hand-written questions (`eval/questions/`, split `test`), and "
        "E-Manual questions over the Samsung TV manual. Extractive composer, verifier on.",
        "",
        '| set | questions | answered | "I don\'t know" | sentences supported | '
        "FK grade (median) | expected source cited | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    sets = [("demo, answerable", report["demo"]["answerable"])]
    sets.append(("demo, unanswerable", report["demo"]["unanswerable"]))
    if "emanual" in report:
        sets.append(("E-Manual", report["emanual"]))
    for name, s in sets:
        lines.append(
            f"| {name} | {s['questions']} | {s['answered']} | {s['dont_know']} | "
            f"{_fmt(s['supported_share'], True)} | {_fmt(s['fk_grade_median'])} | "
            f"{_fmt(s['expected_source_cited'], True)} | {s['latency_ms_p50']:.0f} | "
            f"{s['latency_ms_p95']:.0f} |"
        )
    demo = report["demo"]
    follow = demo["followups"]
    lines += [
        "",
        f'- Unanswerable demo questions answered "I don\'t know": '
        f"**{_fmt(demo['correct_dont_know'], True)}** (target ≥ 90 %); answerable ones wrongly "
        f"refused: **{_fmt(demo['false_dont_know'], True)}** (target ≤ 10 %).",
        f"- Follow-ups ({follow['questions']}): expected source in the top 5 "
        f"{_fmt(follow['with_history'], True)} with the conversation, "
        f"{_fmt(follow['without'], True)} without.",
    ]
    if "emanual" in report:
        lines.append(
            "- E-Manual questions wrongly refused: "
            f"{_fmt(report['emanual']['false_dont_know'], True)}"
            " (the shipped gate is calibrated on the demo knowledge base; `kb-assistant eval "
            "calibrate` fits it to another one)."
        )
    if machine_line:
        lines += ["", f"Machine: {machine_line}."]
    return "\n".join(lines)
