"""The hand-written demo question sets: well-formed, balanced, and true to the demo KB.

The knowledge base is read with the project's own connectors, so a renamed FAQ heading or a
re-titled PDF shows up here as an expected title that no longer exists.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import pytest

from connectors import ConnectorOptions, read_sources
from eval.questions import (
    ANSWERABLE_FILE,
    FOLLOWUPS_FILE,
    SPLITS,
    UNANSWERABLE_FILE,
    AnswerableQuestion,
    QuestionSetError,
    load_answerable,
    load_followups,
    load_unanswerable,
)
from kb_assistant.core.text import content_tokens
from kb_assistant.domain import Document
from tests.conftest import DEMO_KB

ANSWERABLE = load_answerable()
UNANSWERABLE = load_unanswerable()
FOLLOWUPS = load_followups()


@pytest.fixture(scope="module")
def kb() -> dict[str, Document]:
    """Every document of the demo knowledge base, by title, read as ingestion reads it."""
    results = list(read_sources([DEMO_KB], None, None, ConnectorOptions()))
    assert not [failure for result in results for failure in result.failures]
    documents = {doc.title: doc for result in results for doc in result.documents}
    assert len(documents) == sum(len(result.documents) for result in results), "titles clash"
    return documents


def normalised(text: str) -> str:
    """Lower case, letters and digits only, single spaces: how two wordings are compared."""
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def faq_headings(kb: dict[str, Document]) -> list[str]:
    return [title for title, doc in kb.items() if doc.kind == "faq"]


def group_of(doc: Document) -> str:
    """FAQ section (or CSV category), PDF title, or "ticket": what a split must cover."""
    if doc.kind == "faq":
        return f"faq:{doc.metadata.get('category')}"
    return f"pdf:{doc.title}" if doc.kind == "pdf" else "ticket"


def all_expected(questions: Iterable[AnswerableQuestion]) -> set[str]:
    return {title for question in questions for title in question.expected_titles}


def test_sets_have_the_intended_sizes_and_mix() -> None:
    kinds = Counter(question.kind for question in UNANSWERABLE)
    channels = Counter(question.channel for question in ANSWERABLE)
    assert 80 <= len(ANSWERABLE) <= 110 and 10 <= channels["agent"] <= 15
    assert 50 <= len(UNANSWERABLE) <= 70 and kinds["off_topic"] >= 12
    assert kinds["near_domain"] >= 2 * kinds["off_topic"]
    assert 12 <= len(FOLLOWUPS) <= 20


def test_ids_are_unique_across_all_sets() -> None:
    ids = [q.id for q in ANSWERABLE] + [q.id for q in UNANSWERABLE] + [q.id for q in FOLLOWUPS]
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_no_question_is_written_twice() -> None:
    texts = [normalised(q.question) for q in ANSWERABLE]
    texts += [normalised(q.question) for q in UNANSWERABLE]
    assert [text for text, n in Counter(texts).items() if n > 1] == []


def test_every_expected_title_is_a_document_of_the_demo_kb(kb: dict[str, Document]) -> None:
    expected = all_expected(ANSWERABLE) | {t for q in FOLLOWUPS for t in q.expected_titles}
    assert sorted(expected - kb.keys()) == []


def test_customer_questions_expect_only_public_documents(kb: dict[str, Document]) -> None:
    customer = [q for q in ANSWERABLE if q.channel == "customer"]
    titles = all_expected(customer) | {t for q in FOLLOWUPS for t in q.expected_titles}
    assert sorted(t for t in titles if t in kb and kb[t].visibility != "public") == []


def test_agent_questions_are_answered_only_by_internal_tickets(kb: dict[str, Document]) -> None:
    agent = [q for q in ANSWERABLE if q.channel == "agent"]
    assert agent and {q.category for q in agent} == {"tickets"}
    assert {(kb[t].kind, kb[t].visibility) for t in all_expected(agent) & kb.keys()} == {
        ("ticket", "internal")
    }


@pytest.mark.parametrize("split", SPLITS)
def test_each_split_covers_every_part_of_the_kb(split: str, kb: dict[str, Document]) -> None:
    questions = [q for q in ANSWERABLE if q.split == split]
    covered = {group_of(kb[title]) for title in all_expected(questions) & kb.keys()}
    assert sorted({group_of(doc) for doc in kb.values()} - covered) == []


def test_categories_are_split_evenly() -> None:
    per_category: dict[str, Counter[str]] = {}
    for question in ANSWERABLE:
        per_category.setdefault(question.category, Counter())[question.split] += 1
    uneven = {
        category: dict(counts)
        for category, counts in per_category.items()
        if min(counts[s] for s in SPLITS) == 0 or abs(counts["calibrate"] - counts["test"]) > 1
    }
    assert len(per_category) >= 10 and uneven == {}


def test_unanswerable_kinds_are_split_evenly() -> None:
    counts = Counter((q.kind, q.split) for q in UNANSWERABLE)
    for kind in ("near_domain", "off_topic"):
        assert min(counts[kind, s] for s in SPLITS) > 0
        assert abs(counts[kind, "calibrate"] - counts[kind, "test"]) <= 1


def test_split_filter_returns_that_split_only() -> None:
    for split in SPLITS:
        assert {q.split for q in load_answerable(split)} == {split}
        assert {q.split for q in load_unanswerable(split)} == {split}
    halves = load_answerable("calibrate") + load_answerable("test")
    assert sorted(q.id for q in halves) == sorted(q.id for q in ANSWERABLE)
    with pytest.raises(ValueError, match="unknown split"):
        load_answerable("train")  # type: ignore[arg-type]


def test_answerable_questions_are_reworded_not_copied(kb: dict[str, Document]) -> None:
    headings = {normalised(title) for title in faq_headings(kb)}
    assert [q.question for q in ANSWERABLE if normalised(q.question) in headings] == []


def test_unanswerable_questions_do_not_restate_an_faq_heading(kb: dict[str, Document]) -> None:
    headings = faq_headings(kb)
    restated = [
        q.question
        for q in UNANSWERABLE
        if normalised(q.question) in {normalised(h) for h in headings}
        or any(set(content_tokens(q.question)) <= set(content_tokens(h)) for h in headings)
    ]
    assert restated == []


MONEY_ACTION_WORDS = frozenset(
    {"refund", "refunded", "charged", "chargeback", "dispute", "compensation"}
)


def test_unanswerable_questions_hold_no_money_requests() -> None:
    """Money requests are escalated before the gate, so they would measure nothing here."""
    flagged = [
        q.question for q in UNANSWERABLE if MONEY_ACTION_WORDS & set(normalised(q.question).split())
    ]
    assert flagged == []


def test_followups_continue_a_customer_conversation() -> None:
    for followup in FOLLOWUPS:
        roles = [turn.role for turn in followup.history]
        assert roles[0] == "customer" and roles[-1] == "assistant", followup.id
        assert all(a != b for a, b in pairwise(roles)), followup.id
        assert len(followup.question.split()) <= 10, followup.id


def write_rows(folder: Path, name: str, rows: list[object]) -> None:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


GOOD = {
    "id": "q1",
    "question": "Do you sell kites?",
    "channel": "customer",
    "expected_titles": ["Kites"],
    "split": "test",
    "category": "products",
}


def test_loaders_read_a_question_set_from_another_folder(tmp_path: Path) -> None:
    write_rows(tmp_path, ANSWERABLE_FILE, [GOOD, "", {**GOOD, "id": "q2", "split": "calibrate"}])
    write_rows(
        tmp_path,
        UNANSWERABLE_FILE,
        [{"id": "u1", "question": "Hi?", "kind": "off_topic", "split": "test"}],
    )
    turns = [{"role": "customer", "text": "Kites?"}, {"role": "assistant", "text": "Yes."}]
    followup = {"id": "f1", "history": turns, "question": "Red?", "expected_titles": ["Kites"]}
    write_rows(tmp_path, FOLLOWUPS_FILE, [followup])
    assert [q.id for q in load_answerable("calibrate", folder=tmp_path)] == ["q2"]
    assert load_answerable(folder=tmp_path)[0].expected_titles == ("Kites",)
    assert load_unanswerable(folder=tmp_path)[0].kind == "off_topic"
    assert [t.role for t in load_followups(folder=tmp_path)[0].history] == ["customer", "assistant"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {k: v for k, v in GOOD.items() if k != "split"} | {"id": "q2"},
            "missing fields \\['split'\\]",
        ),
        (
            {**GOOD, "id": "q2", "expected_title": ["Kites"]},
            "unknown fields \\['expected_title'\\]",
        ),
        ({**GOOD, "id": "q2", "split": "train"}, "'split' is 'train'"),
        ({**GOOD, "id": "q2", "channel": "email"}, "'channel' is 'email'"),
        ({**GOOD, "id": "q2", "expected_titles": []}, "non-empty list"),
        ({**GOOD, "id": "q2", "question": "  "}, "'question' must be a non-empty string"),
        (GOOD, "duplicate id 'q1'"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_malformed_rows_are_reported_with_file_and_line(
    tmp_path: Path, row: object, message: str
) -> None:
    write_rows(tmp_path, ANSWERABLE_FILE, [GOOD, row])
    with pytest.raises(QuestionSetError, match=f"^{ANSWERABLE_FILE}:2: .*{message}"):
        load_answerable(folder=tmp_path)


def test_a_bad_history_turn_is_refused(tmp_path: Path) -> None:
    turns = [{"role": "system", "text": "Be nice."}]
    row = {"id": "f1", "history": turns, "question": "Red?", "expected_titles": ["Kites"]}
    write_rows(tmp_path, FOLLOWUPS_FILE, [row])
    with pytest.raises(QuestionSetError, match=f"^{FOLLOWUPS_FILE}:1: 'role' is 'system'"):
        load_followups(folder=tmp_path)


def test_a_missing_file_says_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError, match="question file not found"):
        load_unanswerable(folder=tmp_path)
