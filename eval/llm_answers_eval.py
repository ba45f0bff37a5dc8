"""LLM answers: `kb-assistant eval answers --llm` and the "llm_answers" bench section.

The configured LLM (`KB_LLM_*`) composes answers to the demo knowledge base's held-out
customer questions, through the whole answering flow. Per answer it records the model's own
reply and judges it: the share of its sentences the verifier kept, whether the answer fell
back to the extractive one, the Flesch-Kincaid grade of what the customer reads, tokens in and
out, and latency. Faithfulness is judged apart from the verifier, lexically: a kept sentence
is grounded when its cited passages contain its numbers and at least `GROUNDED_SHARE` of its
content words (stemmed, without stop words), over the whole of those passages rather than
the verifier's window of sentences, and without the verifier's embedding similarity.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.answers_eval import fk_grade, percentile
from eval.calibrate_gate import index_demo
from eval.questions import load_answerable
from eval.recording_llm import RecordingLLM
from kb_assistant.answering.llm_composer import draft_from_text
from kb_assistant.answering.service import AnswerService
from kb_assistant.core.replies import Answer, AnswerRequest, Statement
from kb_assistant.core.text import content_tokens, numbers
from kb_assistant.domain import Passage
from kb_assistant.settings import ConfigurationError, Settings
from kb_assistant.verify import is_factual

GROUNDED_SHARE = 0.8


def grounded(statement: Statement, passages: list[Passage]) -> bool:
    """Whether the passages `statement` cites contain its numbers and most of its words."""
    cited = " ".join(passages[n - 1].text for n in statement.sources if 1 <= n <= len(passages))
    if not cited:
        return False
    if not numbers(statement.text) <= numbers(cited):
        return False
    words = set(content_tokens(statement.text))
    return not words or len(words & set(content_tokens(cited))) >= GROUNDED_SHARE * len(words)


@dataclass
class LlmAnswerStats:
    """What happened to each answer the LLM was asked to write."""

    asked: int = 0
    dont_know: int = 0
    llm_failed: int = 0
    fallbacks: int = 0
    written: int = 0  # factual sentences the model wrote
    kept: int = 0  # of them, kept by the verifier
    grounded: int = 0  # kept sentences of LLM answers the lexical check finds grounded
    shown_llm: int = 0  # kept sentences shown in answers composed by the LLM
    faithful_answers: int = 0
    removed_by_check: dict[str, int] = field(default_factory=dict)
    grades: list[float] = field(default_factory=list)
    tokens_in: list[int] = field(default_factory=list)
    tokens_out: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def add(self, service: AnswerService, answer: Answer, replies: list[str]) -> None:
        self.asked += 1
        if answer.action != "answer":
            self.dont_know += not replies
            if not replies:
                return
        if not replies or not replies[0].strip():
            self.llm_failed += 1
        draft = draft_from_text(replies[0] if replies else "", len(answer.passages))
        verdict = service.verifier.verify(draft, answer.passages, "customer")
        self.written += sum(is_factual(s) for s in draft.statements)
        self.kept += sum(is_factual(s) for s in verdict.kept)
        for removal in verdict.removed:
            self.removed_by_check[removal.check] = self.removed_by_check.get(removal.check, 0) + 1
        self.tokens_in.append(answer.tokens_in)
        self.tokens_out.append(answer.tokens_out)
        if answer.composer != "llm":
            self.fallbacks += 1
            return
        factual = [s for s in answer.statements if is_factual(s)]
        ok = [grounded(s, answer.passages) for s in factual]
        self.shown_llm += len(factual)
        self.grounded += sum(ok)
        self.faithful_answers += all(ok)
        self.grades.append(fk_grade(answer))

    def summary(self) -> dict[str, Any]:
        composed = self.asked - self.dont_know
        llm_answers = composed - self.fallbacks
        return {
            "questions": self.asked,
            "reached_llm": composed,
            "gate_refused": self.dont_know,
            "llm_failed_or_cut": self.llm_failed,
            "fallbacks": self.fallbacks,
            "llm_answers": llm_answers,
            "sentences_written": self.written,
            "sentences_kept": self.kept,
            "kept_share": self.kept / self.written if self.written else None,
            "removed_by_check": dict(sorted(self.removed_by_check.items())),
            "grounded_share": self.grounded / self.shown_llm if self.shown_llm else None,
            "faithful_answers": self.faithful_answers,
            "fk_grade_median": statistics.median(self.grades) if self.grades else None,
            "tokens_in_median": statistics.median(self.tokens_in) if self.tokens_in else None,
            "tokens_out_median": statistics.median(self.tokens_out) if self.tokens_out else None,
            "latency_s_p50": percentile(self.latencies, 50),
            "latency_s_p95": percentile(self.latencies, 95),
        }


def run(settings: Settings, limit: int | None = None) -> dict[str, Any]:
    """The configured LLM on the demo's held-out customer questions (the first `limit`)."""
    from kb_assistant.answering.llm import build_llm
    from kb_assistant.composition import build_answer_service, build_embedder

    model = build_llm(settings)
    if model is None:
        raise ConfigurationError(
            "no LLM is configured: set KB_LLM_PROVIDER and its settings, e.g. "
            "KB_LLM_PROVIDER=local KB_LLM_MODEL_PATH=smollm2"
        )
    questions = [q.question for q in load_answerable("test") if q.channel == "customer"]
    questions = questions[:limit] if limit is not None else questions
    recorder = RecordingLLM(model)
    embedder = build_embedder(settings)
    stats = LlmAnswerStats()
    with tempfile.TemporaryDirectory() as tmp:
        local = settings.model_copy(update={"data_dir": Path(tmp), "database_url": ""})
        index_demo(local, embedder)
        service = build_answer_service(local, embedder=embedder, llm=recorder)
        service.answer(AnswerRequest("warm-up: how do I return an item?"))
        for question in questions:
            recorder.take()
            started = time.perf_counter()
            answer = service.answer(AnswerRequest(question))
            stats.latencies.append(time.perf_counter() - started)
            stats.add(service, answer, recorder.take()[1])
    return {"model": _model_line(settings), **stats.summary()}


def _model_line(settings: Settings) -> str:
    name = settings.llm_model_path if settings.llm_provider == "local" else settings.llm_model
    return (
        f"{settings.llm_provider} {name}, max {settings.llm_max_tokens} tokens, "
        f"temperature {settings.llm_temperature:g}"
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def render(report: dict[str, Any], machine_line: str = "") -> str:
    """The "LLM answers (local model)" section of docs/benchmarks.md."""
    r = report
    grade = r["fk_grade_median"]
    lines = [
        "## LLM answers (local model)",
        "",
        "`KB_LLM_PROVIDER=local KB_LLM_MODEL_PATH=smollm2 kb-assistant eval answers --llm` "
        "(also `make bench` when an LLM is configured): the configured LLM composes answers "
        "to the demo knowledge base's held-out customer questions (`eval/questions/`, split "
        "`test`), verifier on. Faithfulness is checked apart from the verifier: a kept "
        "sentence is grounded when its cited passages hold its numbers and at least "
        f"{GROUNDED_SHARE:.0%} of its content words.",
        "",
        f"Model: {r['model']}.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| questions (reached the LLM / refused by the gate) | {r['questions']} "
        f"({r['reached_llm']} / {r['gate_refused']}) |",
        f"| sentences the model wrote / the verifier kept | {r['sentences_written']} / "
        f"{r['sentences_kept']} (**{_pct(r['kept_share'])}** kept) |",
        f"| removed, by check | {r['removed_by_check']} |",
        f"| answers that fell back to the extractive one | **{r['fallbacks']}** of "
        f"{r['reached_llm']} (model failed or cut: {r['llm_failed_or_cut']}) |",
        f"| answers composed by the LLM | {r['llm_answers']} |",
        f"| their sentences grounded (lexical check) | {_pct(r['grounded_share'])}; "
        f"answers all grounded: {r['faithful_answers']} of {r['llm_answers']} |",
        f"| Flesch-Kincaid grade of LLM answers (median) | "
        f"{'–' if grade is None else f'{grade:.1f}'} |",
        f"| tokens in / out per answer (median) | {r['tokens_in_median']} / "
        f"{r['tokens_out_median']} |",
        f"| latency per answer p50 / p95 | {r['latency_s_p50']:.1f} s / "
        f"{r['latency_s_p95']:.1f} s |",
    ]
    if machine_line:
        lines += ["", f"Machine: {machine_line}."]
    return "\n".join(lines)
