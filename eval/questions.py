"""Hand-written question sets for the demo knowledge base, loaded as typed records.

Three JSON Lines files in `eval/questions/` describe what the Harbor & Pine knowledge base
can and cannot answer. They calibrate the confidence gate (does the knowledge base answer
this?) on the `calibrate` split, measure it on the `test` split, and score retrieval and
answers against the documents that truly answer each question:

* `demo_answerable.jsonl`: questions the knowledge base answers, with the titles of the
  documents that answer them;
* `demo_unanswerable.jsonl`: questions it cannot answer, near the shop's domain or off-topic;
* `demo_followups.jsonl`: second questions that only make sense after the first turn.

Every loader takes an optional `folder` so that the same code reads question sets written
for another knowledge base. A malformed row raises `QuestionSetError` naming file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar, get_args

from kb_assistant.core.replies import Role, Turn
from kb_assistant.domain import Channel
from kb_assistant.jsonl import json_objects

QUESTIONS_DIR = Path(__file__).parent / "questions"
ANSWERABLE_FILE = "demo_answerable.jsonl"
UNANSWERABLE_FILE = "demo_unanswerable.jsonl"
FOLLOWUPS_FILE = "demo_followups.jsonl"

Split = Literal["calibrate", "test"]
UnanswerableKind = Literal["near_domain", "off_topic"]

SPLITS: tuple[Split, ...] = get_args(Split)
UNANSWERABLE_KINDS: tuple[UnanswerableKind, ...] = get_args(UnanswerableKind)
CHANNELS: tuple[Channel, ...] = get_args(Channel)
HISTORY_ROLES: tuple[Role, ...] = ("customer", "assistant")

ANSWERABLE_FIELDS = frozenset({"id", "question", "channel", "expected_titles", "split", "category"})
UNANSWERABLE_FIELDS = frozenset({"id", "question", "kind", "split"})
FOLLOWUP_FIELDS = frozenset({"id", "history", "question", "expected_titles"})

_T = TypeVar("_T")
_S = TypeVar("_S", bound=str)


class QuestionSetError(ValueError):
    """A question file is missing or has a malformed row; the message says where and why."""


@dataclass(frozen=True)
class AnswerableQuestion:
    """A question the knowledge base answers, and the titles of the documents that answer it."""

    id: str
    question: str
    channel: Channel
    expected_titles: tuple[str, ...]
    split: Split
    category: str


@dataclass(frozen=True)
class UnanswerableQuestion:
    """A question the knowledge base cannot answer: the gate should say "I don't know"."""

    id: str
    question: str
    kind: UnanswerableKind
    split: Split


@dataclass(frozen=True)
class FollowupQuestion:
    """A second customer question that needs the earlier turns to be understood."""

    id: str
    history: tuple[Turn, ...]
    question: str
    expected_titles: tuple[str, ...]


def _text(row: dict[str, object], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise QuestionSetError(f"{key!r} must be a non-empty string")
    return value.strip()


def _choice(row: dict[str, object], key: str, allowed: tuple[_S, ...]) -> _S:
    value = row.get(key)
    for option in allowed:
        if value == option:
            return option
    raise QuestionSetError(f"{key!r} is {value!r}; expected one of {', '.join(allowed)}")


def _titles(row: dict[str, object]) -> tuple[str, ...]:
    value = row.get("expected_titles")
    if not isinstance(value, list) or not value:
        raise QuestionSetError("'expected_titles' must be a non-empty list of document titles")
    if not all(isinstance(title, str) and title.strip() for title in value):
        raise QuestionSetError("every entry of 'expected_titles' must be a non-empty string")
    return tuple(title.strip() for title in value)


def _history(row: dict[str, object]) -> tuple[Turn, ...]:
    value = row.get("history")
    if not isinstance(value, list) or not value:
        raise QuestionSetError("'history' must be a non-empty list of turns")
    turns: list[Turn] = []
    for item in value:
        if not isinstance(item, dict):
            raise QuestionSetError("each turn of 'history' must be an object with role and text")
        turns.append(Turn(role=_choice(item, "role", HISTORY_ROLES), text=_text(item, "text")))
    return tuple(turns)


def _objects(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    """The JSON objects of a JSON Lines file with their line numbers; blank lines skipped."""
    if not path.is_file():
        raise QuestionSetError(f"{path}: question file not found")
    yield from json_objects(path, QuestionSetError, name=path.name)


def _load(path: Path, fields: frozenset[str], parse: Callable[[dict[str, object]], _T]) -> list[_T]:
    """Parse every row of `path`; exact field set and unique ids, errors name file and line."""
    records: list[_T] = []
    ids: set[str] = set()
    for number, row in _objects(path):
        try:
            missing, unknown = fields - row.keys(), row.keys() - fields
            if missing or unknown:
                raise QuestionSetError(
                    f"missing fields {sorted(missing)}, unknown fields {sorted(unknown)}"
                )
            row_id = _text(row, "id")
            if row_id in ids:
                raise QuestionSetError(f"duplicate id {row_id!r}")
            ids.add(row_id)
            records.append(parse(row))
        except QuestionSetError as err:
            raise QuestionSetError(f"{path.name}:{number}: {err}") from None
    return records


def _check_split(split: str | None) -> None:
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")


def _answerable(row: dict[str, object]) -> AnswerableQuestion:
    return AnswerableQuestion(
        id=_text(row, "id"),
        question=_text(row, "question"),
        channel=_choice(row, "channel", CHANNELS),
        expected_titles=_titles(row),
        split=_choice(row, "split", SPLITS),
        category=_text(row, "category"),
    )


def _unanswerable(row: dict[str, object]) -> UnanswerableQuestion:
    return UnanswerableQuestion(
        id=_text(row, "id"),
        question=_text(row, "question"),
        kind=_choice(row, "kind", UNANSWERABLE_KINDS),
        split=_choice(row, "split", SPLITS),
    )


def _followup(row: dict[str, object]) -> FollowupQuestion:
    return FollowupQuestion(
        id=_text(row, "id"),
        history=_history(row),
        question=_text(row, "question"),
        expected_titles=_titles(row),
    )


def load_answerable(
    split: Split | None = None, folder: Path | None = None
) -> list[AnswerableQuestion]:
    """The answerable questions, in file order; only those of `split` when given."""
    _check_split(split)
    rows = _load((folder or QUESTIONS_DIR) / ANSWERABLE_FILE, ANSWERABLE_FIELDS, _answerable)
    return [row for row in rows if split is None or row.split == split]


def load_unanswerable(
    split: Split | None = None, folder: Path | None = None
) -> list[UnanswerableQuestion]:
    """The unanswerable questions, in file order; only those of `split` when given."""
    _check_split(split)
    path = (folder or QUESTIONS_DIR) / UNANSWERABLE_FILE
    rows = _load(path, UNANSWERABLE_FIELDS, _unanswerable)
    return [row for row in rows if split is None or row.split == split]


def load_followups(folder: Path | None = None) -> list[FollowupQuestion]:
    """The two-turn conversations, in file order."""
    return _load((folder or QUESTIONS_DIR) / FOLLOWUPS_FILE, FOLLOWUP_FIELDS, _followup)
