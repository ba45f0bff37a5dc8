"""FAQ drafts from resolved cases: the redacted draft, the store's steps, the agents' FAQ file,
and publishing into a real index (Chroma, BM25, SQLite in the test's directory) that the
answering flow then answers from."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ingest.pipeline import IngestPipeline
from kb_assistant.api.ingest_jobs import IngestJobs
from kb_assistant.cli import main
from kb_assistant.composition import build_answer_service, build_faq_publisher
from kb_assistant.core.redaction import Redactor
from kb_assistant.core.replies import AnswerRequest
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.embedding.cache import CachedEmbedder
from kb_assistant.faq import (
    AgentFaqFile,
    DraftText,
    FaqDraft,
    FaqDraftStore,
    FaqFields,
    FaqInputError,
    FaqPublishError,
    FaqStateError,
    checked_entry,
    draft_text,
)
from kb_assistant.handoff import Case, CaseMessage, CustomerContact
from kb_assistant.settings import Settings
from tests.conftest import DEMO_KB
from tests.handoff.conftest import T0, make_packet, turn
from tests.storage.engines import upgraded_engine

QUESTION = "Can I buy a spare glass globe for the Orla pendant light?"
ANSWER = (
    "Yes. Spare glass globes for the Orla pendant light are sold on their own. Search the "
    "shop for Orla globe, choose clear or frosted glass, and add it to your basket. Each "
    "globe fits every Orla pendant light made since 2021."
)
ASKED_LATER = "Do you sell spare glass globes for the Orla pendant?"


def resolved_case(case_id: int = 7, **packet: object) -> Case:
    return Case(
        id=case_id,
        conversation_id="conv-faq",
        state="resolved",
        packet=make_packet("conv-faq", **packet),  # type: ignore[arg-type]
        created_at=T0,
        updated_at=T0,
        resolved_at=T0,
        resolved_by="Sam",
    )


def message(case_id: int, text: str, direction: str = "to_customer") -> CaseMessage:
    return CaseMessage(1, case_id, "conv-faq", direction, "Sam", text, T0)  # type: ignore[arg-type]


@pytest.fixture
def drafts(tmp_path: Path) -> FaqDraftStore:
    return FaqDraftStore(upgraded_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}"))


def approved(draft_id: int = 1, case_id: int = 7) -> FaqDraft:
    return FaqDraft(
        id=draft_id,
        case_id=case_id,
        question=QUESTION,
        answer=ANSWER,
        state="approved",
        created_by="Sam",
        created_at=T0,
        approved_by="Sam",
        approved_at=T0,
    )


def test_a_draft_is_the_customers_question_and_this_cases_replies_redacted() -> None:
    case = resolved_case(
        transcript=(
            turn("hello"),
            turn("Ana Lopez here, ana@example.com or +44 20 7946 0958: my globe broke"),
        ),
        contact=CustomerContact(email="ana@example.com", name="Ana Lopez"),
    )
    messages = [
        message(7, "Sorry Ana Lopez! I'll call you on +44 20 7946 0958."),
        message(7, "Spare globes are in the shop."),
        message(7, "thanks", direction="from_customer"),
        message(6, "A reply on an older case."),
    ]

    text = draft_text(case, messages, Redactor())

    assert "ana@example.com" not in text.question and "7946" not in text.question
    assert "Ana Lopez" not in text.question and "my globe broke" in text.question
    assert text.answer == "Sorry [NAME]! I'll call you on [PHONE].\n\nSpare globes are in the shop."
    assert "thanks" not in text.answer and "older case" not in text.answer
    assert text.redactions == 5


@pytest.mark.parametrize(
    ("question", "answer", "field"),
    [
        ("  ", ANSWER, "question"),
        ("x" * 301, ANSWER, "question"),
        (QUESTION, "\n \n", "answer"),
        (QUESTION, "y" * 3001, "answer"),
    ],
)
def test_an_entry_without_text_or_too_long_is_refused_naming_the_field(
    question: str, answer: str, field: str
) -> None:
    with pytest.raises(FaqInputError) as refused:
        checked_entry(question, answer)
    assert refused.value.field == field


def test_one_draft_per_case_keeps_its_edits_and_records_the_approver(
    drafts: FaqDraftStore,
) -> None:
    first = drafts.start(7, DraftText("q?", "a.", 2), "Sam")
    approved_once = drafts.approve(first.id, f"  {QUESTION} ", ANSWER + "\n\n", "Dana", "UDANA")
    again = drafts.start(7, DraftText("other?", "other.", 0), "Lee")

    assert again.id == first.id and again.question == QUESTION and again.created_by == "Sam"
    assert (approved_once.state, approved_once.approved_by, approved_once.approved_by_id) == (
        "approved",
        "Dana",
        "UDANA",
    )
    assert approved_once.answer == ANSWER and approved_once.approved_at is not None

    published = drafts.published(first.id, "faq:file#case-7")
    assert (published.state, published.doc_id) == ("published", "faq:file#case-7")
    with pytest.raises(FaqStateError, match="already published"):
        drafts.approve(first.id, QUESTION, "changed", "Lee")
    assert drafts.get(first.id).answer == ANSWER
    assert [d.id for d in drafts.published_drafts()] == [first.id]


def test_a_refused_approval_changes_nothing(drafts: FaqDraftStore) -> None:
    draft = drafts.start(7, DraftText(QUESTION, ANSWER, 0), "Sam")
    with pytest.raises(FaqInputError):
        drafts.approve(draft.id, QUESTION, "   ", "Dana")
    unchanged = drafts.get(draft.id)
    assert (unchanged.state, unchanged.answer, unchanged.approved_by) == ("draft", ANSWER, None)


def test_the_faq_file_adds_replaces_and_keeps_other_lines(tmp_path: Path) -> None:
    path = tmp_path / "agent-faq.jsonl"
    path.write_text('{"id": "mine", "question": "Q?", "answer": "A."}\nnot json\n')
    faq_file = AgentFaqFile(path, FaqFields(question="prompt", answer="response"))

    faq_file.put(approved(1, 7))
    faq_file.put(approved(2, 8))
    faq_file.put(FaqDraft(**{**approved(1, 7).__dict__, "answer": "Edited."}))

    lines = path.read_text().splitlines()
    assert lines[:2] == ['{"id": "mine", "question": "Q?", "answer": "A."}', "not json"]
    records = [json.loads(line) for line in lines[2:]]
    assert [(r["id"], r["response"]) for r in records] == [
        ("case-7", "Edited."),
        ("case-8", ANSWER),
    ]
    assert records[0]["prompt"] == QUESTION and records[0]["approved_by"] == "Sam"
    assert not list(tmp_path.glob(".*.tmp"))
    assert faq_file.doc_id(approved(1, 7)) == f"faq:{path.resolve()}#case-7"


def test_an_approved_entry_is_answerable_within_seconds_and_replaced_not_duplicated(
    own_demo_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    embedder = CachedEmbedder(real_embedder)
    answers = build_answer_service(own_demo_settings, embedder=embedder)
    before = answers.answer(AnswerRequest(ASKED_LATER))
    publisher = build_faq_publisher(own_demo_settings, embedder=embedder)

    started = time.monotonic()
    doc_id = publisher.publish(approved())
    seconds = time.monotonic() - started
    after = answers.answer(AnswerRequest(ASKED_LATER))

    assert before.action == "dont_know", before.text
    assert after.action == "answer", after.as_json()
    assert after.citations[0].title == QUESTION and "Orla" in after.text
    assert seconds < 15, f"publishing took {seconds:.1f} s"

    edited = FaqDraft(**{**approved().__dict__, "answer": ANSWER.replace("2021", "2019")})
    assert publisher.publish(edited) == doc_id
    hits = [p for p in answers.answer(AnswerRequest(ASKED_LATER)).passages if p.title == QUESTION]
    assert len(hits) == 1 and "2019" in hits[0].text


def test_a_draft_that_is_not_approved_is_not_published(
    own_demo_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    publisher = build_faq_publisher(own_demo_settings, embedder=real_embedder)
    draft = FaqDraft(**{**approved().__dict__, "state": "draft", "approved_by": None})
    with pytest.raises(FaqPublishError, match="not approved"):
        publisher.publish(draft)
    assert not own_demo_settings.resolved_agent_faq_path.exists()


def test_a_full_rebuild_indexes_the_approved_entries_again(
    own_demo_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    clean_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build_faq_publisher(own_demo_settings, embedder=real_embedder).publish(approved())
    data_dir = str(own_demo_settings.data_dir)

    assert main(["ingest", str(DEMO_KB / "faq"), "--full", "--data-dir", data_dir]) == 0

    assert "FAQ entries agents approved" in capsys.readouterr().out
    answers = build_answer_service(own_demo_settings, embedder=CachedEmbedder(real_embedder))
    answer = answers.answer(AnswerRequest(ASKED_LATER))
    assert answer.action == "answer" and answer.citations[0].title == QUESTION


def test_the_admin_ingest_job_includes_the_agents_faq_file_once_it_exists(tmp_path: Path) -> None:
    configured, faq_file = tmp_path / "kb", tmp_path / "agent-faq.jsonl"
    jobs = IngestJobs(_no_pipeline, [configured], optional_sources=[faq_file])
    assert jobs.current_sources() == [configured]
    faq_file.write_text("")
    assert jobs.current_sources() == [configured, faq_file]


def _no_pipeline() -> IngestPipeline:
    raise AssertionError("no ingestion in this test")
