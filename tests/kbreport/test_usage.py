"""The entries no customer's answer has used, on a real index and a real conversation store:
answers are stored the way the chat stores them (the citations of passages the retriever
found), and `kb-assistant kb report` names the public entries nobody's answer cited."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kb_assistant.cli import main
from kb_assistant.conversations.types import CitedSource, SourceUsage
from kb_assistant.domain import source_key
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.kbreport import KbReport, build_report, render_html, render_text
from kb_assistant.kbreport.usage import (
    MIN_ANSWERS,
    TOP_USED,
    Entry,
    entries_from_records,
    entry_usage,
)
from kb_assistant.ports import IndexRecord
from kb_assistant.settings import Settings

# The questions customers asked, and how often; nobody asked about the other entries.
ASKED = {"How long do I have to return an item?": 40, "How do I contact customer service?": 20}
HOSTILE_TITLE = "What is <script>alert(1)</script>?"
USAGE_FIELDS = {
    "entries",
    "answers",
    "first_answer",
    "last_answer",
    "min_answers",
    "enough_traffic",
    "never_used",
    "most_used",
}
ENTRY_FIELDS = {"doc_id", "title", "kind", "location", "url"}


def stored_citations(
    settings: Settings, embedder: SentenceTransformerEmbedder, question: str
) -> tuple[list[dict[str, Any]], str]:
    """What the chat stores with an answer to `question`: the citation of the passage the
    retriever ranks first, and that passage's document."""
    from kb_assistant.api.chat import public_citations
    from kb_assistant.composition import build_retriever
    from kb_assistant.core.replies import Answer, Citation

    [passage] = build_retriever(settings, embedder=embedder).retrieve(question, "customer", k=1)
    answer = Answer("An answer.", "answer", 0.9, "", citations=[Citation.of(1, passage)])
    return public_citations(answer), passage.doc_id


@pytest.fixture(scope="module")
def answered(
    data_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    real_embedder: SentenceTransformerEmbedder,
) -> Iterator[tuple[Path, Counter[str]]]:
    """A copy of the indexed data directory whose conversation store holds the answers to
    `ASKED` (and some replies that are not answers); the answers each document got."""
    from kb_assistant.composition import build_conversation_store

    copy = tmp_path_factory.mktemp("answered") / "data"
    shutil.copytree(data_dir, copy)
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("KB_") and name != "KB_EVAL_DATA":
                patch.delenv(name)
        settings = Settings(data_dir=copy)
        store = build_conversation_store(settings)
        cited: Counter[str] = Counter()
        for question, times in ASKED.items():
            citations, doc_id = stored_citations(settings, real_embedder, question)
            cited[doc_id] += times
            for _ in range(times):
                conversation = store.create()
                asked = store.add_message(conversation.id, "customer", question)
                store.add_message(
                    conversation.id,
                    "assistant",
                    "An answer.",
                    citations=citations,
                    action="answer",
                    reply_to=asked.id,
                )
        conversation = store.create()
        store.add_message(conversation.id, "assistant", "I don't know.", action="dont_know")
        yield copy, cited


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def public_entries(report: dict[str, Any]) -> int:
    return int(report["entry_usage"]["entries"])


def test_the_json_report_names_entries_cited_and_never_cited(
    clean_env: Path, answered: tuple[Path, Counter[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    data, cited = answered
    code, out = run_cli(capsys, "kb", "report", "--json", "--data-dir", str(data))
    assert code == 0
    report = json.loads(out)
    usage = report["entry_usage"]

    assert set(usage) == USAGE_FIELDS
    assert usage["answers"] == sum(ASKED.values()) >= MIN_ANSWERS
    assert usage["enough_traffic"] is True and usage["min_answers"] == MIN_ANSWERS
    assert usage["entries"] == report["summary"]["documents"] == 7  # all of them public
    assert datetime.fromisoformat(usage["first_answer"]) <= datetime.now(UTC)
    assert usage["first_answer"] <= usage["last_answer"]
    assert [(u["doc_id"], u["answers"]) for u in usage["most_used"]] == cited.most_common()
    never = {e["doc_id"] for e in usage["never_used"]}
    assert len(never) == 7 - len(cited) and not never & set(cited)
    assert all(set(e) == ENTRY_FIELDS for e in usage["never_used"])
    assert HOSTILE_TITLE in {e["title"] for e in usage["never_used"]}
    assert report["summary"]["never_used"] == len(never)
    assert report["summary"]["answers"] == sum(ASKED.values())


def test_the_text_report_lists_them_with_their_place(
    clean_env: Path, answered: tuple[Path, Counter[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = answered
    code, out = run_cli(capsys, "kb", "report", "--data-dir", str(data))
    assert code == 0
    assert (
        "Entries never used in an answer (5 of 7 public entries):\n  over 60 answers from " in out
    )
    assert "cited as a source by an answer a customer received" in out
    assert "faq.csv › How much does delivery cost?" in out
    assert "Most used entries:\n  1. 40 answers: " in out
    assert re.search(r"^  Entries never used +5$", out, re.MULTILINE)


def test_the_html_report_escapes_entry_titles(
    clean_env: Path, answered: tuple[Path, Counter[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = answered
    page = clean_env / "report.html"
    code, _ = run_cli(capsys, "kb", "report", "--html", str(page), "--data-dir", str(data))
    assert code == 0
    html = page.read_text(encoding="utf-8")
    section = html[html.index('id="never_used"') :]
    assert "Entries never used in an answer (5)" in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "<script" not in html.lower()
    assert "Most used entries (2)" in section


def test_without_enough_answers_no_entry_is_called_never_used(
    clean_env: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_cli(capsys, "kb", "report", "--json", "--data-dir", str(data_dir))
    assert code == 0
    usage = json.loads(out)["entry_usage"]
    assert (usage["answers"], usage["enough_traffic"], usage["never_used"]) == (0, False, [])
    assert usage["first_answer"] is None and usage["most_used"] == []

    code, out = run_cli(capsys, "kb", "report", "--data-dir", str(data_dir))
    assert "Entries never used in an answer: not enough traffic yet (0 answers stored" in out


# --- matching answers' citations to entries, without an index ------------------------------

FAQ = Entry("faq:returns", "How do I return an item?", "faq", "faq.csv › How do I return an item?")
WEB = Entry("faq:web", "Delivery", "faq", "https://shop.example/d", "https://shop.example/d")
MANUAL = Entry("pdf:kettle", "Kettle manual", "pdf", "kettle.pdf")
OTHER = Entry("pdf:toaster", "Toaster manual <b>", "pdf", "toaster.pdf")
ENTRIES = [FAQ, WEB, MANUAL, OTHER]


def usage_of(answers: int, **cited: int) -> SourceUsage:
    sources = {e.doc_id.split(":")[1]: e.cited_as for e in ENTRIES}
    now = datetime(2025, 3, 1, tzinfo=UTC)
    return SourceUsage(answers, now, now, {sources[name]: n for name, n in cited.items()})


def test_entries_match_the_sources_answers_cite() -> None:
    pages = {"title": "Kettle manual", "location": "kettle.pdf, pp. 2–3", "page_start": 2}
    web = {
        "title": "Delivery",
        "location": "https://shop.example/d",
        "url": "https://shop.example/d",
    }
    assert CitedSource.of(pages) == MANUAL.cited_as
    assert CitedSource.of(web) == WEB.cited_as

    usage = entry_usage(ENTRIES, usage_of(MIN_ANSWERS, kettle=9, web=3, returns=3))

    assert [(u.entry, u.answers) for u in usage.most_used] == [(MANUAL, 9), (WEB, 3), (FAQ, 3)]
    assert usage.never_used == [OTHER]
    assert usage.enough_traffic and usage.period() == "2025-03-01 to 2025-03-01"


def test_a_cited_documents_key_matches_its_entry_however_it_was_titled() -> None:
    retitled = {
        "title": "Kettle quick-start (old title)",
        "location": "kettle-old.pdf, p. 2",
        "page_start": 2,
        "source": source_key(MANUAL.doc_id),
    }
    keyed = CitedSource.of(retitled)
    now = datetime(2025, 3, 1, tzinfo=UTC)
    usage = entry_usage(ENTRIES, SourceUsage(MIN_ANSWERS, now, now, {keyed: 4, FAQ.cited_as: 1}))

    assert keyed != MANUAL.cited_as  # the title and place no longer match: the key does
    assert [(u.entry, u.answers) for u in usage.most_used] == [(MANUAL, 4), (FAQ, 1)]
    assert MANUAL not in usage.never_used


def test_fewer_answers_than_the_minimum_list_no_entry() -> None:
    usage = entry_usage(ENTRIES, usage_of(MIN_ANSWERS - 1, kettle=1))
    assert not usage.enough_traffic and usage.never_used == []
    assert [u.entry for u in usage.most_used] == [MANUAL]
    text = render_text(build_report([], usage=usage))
    assert f"not enough traffic yet ({MIN_ANSWERS - 1} answers stored" in text
    assert "1 answers: “Kettle manual” (kettle.pdf)" in text


def test_at_most_the_top_entries_are_listed_as_most_used() -> None:
    many = [Entry(f"faq:{n}", f"Question {n}", "faq", f"faq.csv › {n}") for n in range(15)]
    usage = SourceUsage(100, None, None, {e.cited_as: 1 + n for n, e in enumerate(many)})
    shown = entry_usage(many, usage)
    assert [u.answers for u in shown.most_used] == list(range(15, 15 - TOP_USED, -1))
    assert shown.never_used == []


def test_a_report_without_usage_has_no_section() -> None:
    report = build_report([])
    assert report.as_json()["entry_usage"] is None and report.summary()["never_used"] == 0
    assert "never used in an answer" not in render_text(report)
    assert 'id="never_used"' not in render_html(report)


def test_the_html_section_escapes_titles_and_places() -> None:
    hostile = Entry("faq:x", "<script>x()</script>", "faq", '<img src="y" onerror="z()">')
    usage = entry_usage([hostile, OTHER], usage_of(MIN_ANSWERS, toaster=2))
    page = render_html(KbReport(units=0, documents=0, usage=usage))
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page and "Toaster manual &lt;b&gt;" in page


def test_entries_are_the_public_documents_of_the_index() -> None:
    def record(chunk: str, doc: str, visibility: str, **meta: str | int) -> IndexRecord:
        return IndexRecord(chunk, "text", {"doc_id": doc, "visibility": visibility, **meta})

    records = [
        record("k0", "pdf:kettle", "public", title="Kettle manual", kind="pdf",
               location="kettle.pdf", page_start=1),
        record("k1", "pdf:kettle", "public", title="Kettle manual", kind="pdf",
               location="kettle.pdf", page_start=2),
        record("t0", "ticket:1", "internal", title="Refund", kind="ticket", location="ticket #1"),
    ]  # fmt: skip
    assert entries_from_records(records) == [MANUAL]
