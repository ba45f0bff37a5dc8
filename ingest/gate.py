"""The quality gate of a full rebuild: golden questions, recall@k, new version against live.

A golden-questions file is JSON Lines, one question per line with the source that should
answer it: `{"question": "How long does delivery take?", "expected": ["How long does
delivery take?"], "channel": "customer"}`. An expected entry matches a retrieved passage by
its title, its document id, or the end of its location (a file name or `file › heading`),
case-insensitively. A question counts as found when any of its expected sources is among the
top `k` passages. The rebuild is refused when its recall falls more than `max_recall_drop`
below the live version's (measured in the same run) or under `min_recall`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from kb_assistant.core.errors import UsageError
from kb_assistant.domain import CHANNELS, Channel, Passage
from kb_assistant.jsonl import json_objects

Search = Callable[[str, Channel, int], list[Passage]]
MAX_MISSES_REPORTED = 10


class GoldenQuestionsError(UsageError, ValueError):
    """The golden-questions file cannot be used."""


@dataclass(frozen=True)
class GoldenQuestion:
    question: str
    expected: tuple[str, ...]
    channel: Channel = "customer"


@dataclass(frozen=True)
class Recall:
    """recall@k of one version, and the questions it missed (the first few)."""

    value: float
    found: int
    questions: int
    misses: tuple[str, ...] = ()
    seconds: float = 0.0


@dataclass
class GateResult:
    """What the gate measured and decided."""

    k: int
    questions: int
    new: Recall
    live: Recall | None
    max_recall_drop: float
    min_recall: float
    passed: bool
    reason: str
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reason": self.reason,
            "k": self.k,
            "questions": self.questions,
            "recall_new": round(self.new.value, 4),
            "recall_live": None if self.live is None else round(self.live.value, 4),
            "max_recall_drop": self.max_recall_drop,
            "min_recall": self.min_recall,
            "missed_by_new": list(self.new.misses),
            "seconds": round(self.seconds, 3),
        }


def load_golden(path: Path) -> list[GoldenQuestion]:
    """The questions of `path`; `GoldenQuestionsError` naming the line of a bad one."""
    questions: list[GoldenQuestion] = []
    try:
        for number, record in json_objects(path, GoldenQuestionsError):
            questions.append(_question(record, path, number))
    except OSError as error:
        raise GoldenQuestionsError(f"cannot read the golden questions {path}: {error}") from error
    if not questions:
        raise GoldenQuestionsError(f"{path}: no golden questions in the file")
    return questions


def _question(record: dict[str, Any], path: Path, number: int) -> GoldenQuestion:
    question = record.get("question")
    expected = record.get("expected")
    if isinstance(expected, str):
        expected = [expected]
    channel = record.get("channel", "customer")
    if not isinstance(question, str) or not question.strip():
        raise GoldenQuestionsError(f"{path}:{number}: give the question as non-empty text")
    if (
        not isinstance(expected, list)
        or not expected
        or not all(isinstance(item, str) and item.strip() for item in expected)
    ):
        raise GoldenQuestionsError(
            f"{path}:{number}: give `expected` as the title, document id or file name of the "
            "source that answers the question (or a list of them)"
        )
    if channel not in CHANNELS:
        raise GoldenQuestionsError(f"{path}:{number}: channel must be customer or agent")
    return GoldenQuestion(
        question.strip(), tuple(e.strip() for e in expected), cast(Channel, channel)
    )


def is_expected(passage: Passage, expected: Sequence[str]) -> bool:
    """Whether the passage comes from one of the expected sources."""
    title, doc_id, location = (
        passage.title.casefold(),
        passage.doc_id.casefold(),
        passage.location.casefold(),
    )
    for item in expected:
        wanted = item.casefold()
        if wanted in (title, doc_id) or location.endswith(wanted) or doc_id.endswith(wanted):
            return True
    return False


def recall_at_k(questions: Sequence[GoldenQuestion], search: Search, k: int) -> Recall:
    """The share of questions with an expected source in the top `k`."""
    started = time.perf_counter()
    found, misses = 0, []
    for golden in questions:
        passages = search(golden.question, golden.channel, k)[:k]
        if any(is_expected(passage, golden.expected) for passage in passages):
            found += 1
        else:
            misses.append(golden.question)
    return Recall(
        value=found / len(questions) if questions else 0.0,
        found=found,
        questions=len(questions),
        misses=tuple(misses[:MAX_MISSES_REPORTED]),
        seconds=time.perf_counter() - started,
    )


def run_gate(
    questions: Sequence[GoldenQuestion],
    new: Search,
    live: Search | None,
    *,
    k: int = 5,
    max_recall_drop: float = 0.05,
    min_recall: float = 0.0,
) -> GateResult:
    """Measure the new version (and the live one, when there is one) and decide."""
    started = time.perf_counter()
    new_recall = recall_at_k(questions, new, k)
    live_recall = None if live is None else recall_at_k(questions, live, k)
    passed, reason = True, f"recall@{k} {new_recall.value:.3f}"
    if new_recall.value < min_recall:
        passed = False
        reason = f"recall@{k} {new_recall.value:.3f} is below the minimum {min_recall:.3f}"
    elif live_recall is not None:
        drop = live_recall.value - new_recall.value
        reason = (
            f"recall@{k} {new_recall.value:.3f} against {live_recall.value:.3f} for the live "
            f"version (allowed drop {max_recall_drop:.3f})"
        )
        if drop > max_recall_drop + 1e-9:
            passed = False
            reason = f"refused: {reason}, a drop of {drop:.3f}"
    return GateResult(
        k=k,
        questions=len(questions),
        new=new_recall,
        live=live_recall,
        max_recall_drop=max_recall_drop,
        min_recall=min_recall,
        passed=passed,
        reason=reason,
        seconds=time.perf_counter() - started,
    )
