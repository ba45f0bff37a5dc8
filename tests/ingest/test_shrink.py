"""A source that shrinks by accident keeps its entries: a truncated or emptied FAQ file, a
folder that lost most of its files. Real Chroma, BM25 and SQLite in a temporary directory;
the hashing embedder keeps it fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import IngestPipeline, SourceSpec
from ingest.shrink import EXIT_SHRINK_REFUSED, exit_code, refusals
from kb_assistant.composition import build_ingest_pipeline
from kb_assistant.embedding import HashingEmbedder
from kb_assistant.settings import Settings
from tests.ingest.test_pipeline import assert_consistent, write

HEADER = "question,answer\n"
TOPICS = ("returns", "delivery", "accounts", "gifts")


def faq_csv(count: int, word: str = "card") -> str:
    rows = [
        f"How do I pay with {word} number {i}?,Choose {word} {i} on the checkout page.\n"
        for i in range(count)
    ]
    return HEADER + "".join(rows)


def faq_md(count: int, topic: str) -> str:
    return "".join(
        f"## How does {topic} step {i} work?\nStep {i} of {topic} is done on your account page.\n\n"
        for i in range(count)
    )


@pytest.fixture
def pipeline(settings: Settings) -> IngestPipeline:
    return build_ingest_pipeline(settings, embedder=HashingEmbedder())


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A folder of five FAQ files with twelve entries in all."""
    root = tmp_path / "kb"
    write(root / "billing.csv", faq_csv(4))
    for topic in TOPICS:
        write(root / f"{topic}.md", faq_md(2, topic))
    return root


def public_titles(pipeline: IngestPipeline) -> set[str]:
    return {str(r.metadata["title"]) for r in pipeline.vectors.records("public")}


@pytest.mark.parametrize("emptied", ["", HEADER], ids=["empty-file", "header-only-csv"])
def test_an_emptied_file_keeps_its_entries_and_says_so(
    pipeline: IngestPipeline, kb: Path, emptied: str
) -> None:
    pipeline.run([kb])
    before = public_titles(pipeline)
    (kb / "billing.csv").write_text(emptied, encoding="utf-8")

    report = pipeline.run([kb])

    assert exit_code(report) == EXIT_SHRINK_REFUSED and report.deleted == 0
    assert public_titles(pipeline) == before
    [refusal] = refusals(report)
    assert refusal.source == str(kb / "billing.csv")
    assert (refusal.scope, refusal.before, refusal.after) == ("file", 4, 0)
    assert "0 of its 4 entries" in refusal.error and "--allow-shrink" in refusal.error
    assert f"{kb / 'billing.csv'}: this file now holds 0 of its 4" in report.to_text()
    assert_consistent(pipeline)


def test_a_file_losing_more_than_the_share_keeps_them_but_its_edits_go_in(
    pipeline: IngestPipeline, kb: Path
) -> None:
    pipeline.run([kb])
    edited = faq_csv(1).replace("checkout page", "payment page")
    (kb / "billing.csv").write_text(edited, encoding="utf-8")

    report = pipeline.run([kb])

    assert [(r.before, r.after) for r in refusals(report)] == [(4, 1)]
    assert "75% fewer, more than the 50%" in refusals(report)[0].error
    assert (report.updated, report.deleted) == (1, 0)
    assert len(public_titles(pipeline)) == 12
    assert pipeline.keywords.query("public", "payment page", 1)[0].metadata["title"] == (
        "How do I pay with card number 0?"
    )
    assert_consistent(pipeline)


def test_a_folder_losing_more_than_the_share_keeps_every_entry(
    pipeline: IngestPipeline, kb: Path
) -> None:
    pipeline.run([kb])
    for topic in TOPICS:
        (kb / f"{topic}.md").unlink()  # 8 of 12 entries gone, each file deleted outright

    report = pipeline.run([kb])

    [refusal] = refusals(report)
    assert (refusal.scope, refusal.source, refusal.before, refusal.after) == (
        "source",
        str(kb),
        12,
        4,
    )
    assert exit_code(report) == EXIT_SHRINK_REFUSED and report.deleted == 0
    assert len(public_titles(pipeline)) == 12
    assert_consistent(pipeline)


def test_a_loss_within_the_share_is_pruned_as_usual(pipeline: IngestPipeline, kb: Path) -> None:
    pipeline.run([kb])
    for topic in ("returns", "delivery"):
        (kb / f"{topic}.md").unlink()  # 4 of 12
    write(kb / "billing.csv", faq_csv(2))  # 2 of 4 in this file: half, not more

    report = pipeline.run([kb])

    assert refusals(report) == [] and exit_code(report) == 0
    assert report.deleted == 6 and len(public_titles(pipeline)) == 6
    assert_consistent(pipeline)


def test_the_share_is_kb_max_shrink_and_losing_everything_is_never_let_through(
    clean_env: Path, kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_MAX_SHRINK", "0.9")
    pipeline = build_ingest_pipeline(
        Settings(data_dir=clean_env / "data"), embedder=HashingEmbedder()
    )
    pipeline.run([kb])
    for topic in TOPICS:
        (kb / f"{topic}.md").unlink()
    write(kb / "billing.csv", faq_csv(2))  # 10 of 12 entries gone: 83%

    within = pipeline.run([kb])
    (kb / "billing.csv").write_text(HEADER, encoding="utf-8")
    to_nothing = pipeline.run([kb])

    assert refusals(within) == [] and within.deleted == 10
    assert [(r.before, r.after) for r in refusals(to_nothing)] == [(2, 0)]
    assert to_nothing.deleted == 0 and len(public_titles(pipeline)) == 2


def test_allow_shrink_prunes_and_the_next_run_is_clean(pipeline: IngestPipeline, kb: Path) -> None:
    pipeline.run([kb])
    (kb / "billing.csv").write_text(HEADER, encoding="utf-8")

    assert refusals(pipeline.run([kb]))
    allowed = pipeline.run([kb], allow_shrink=True)
    again = pipeline.run([kb])

    assert (allowed.deleted, exit_code(allowed)) == (4, 0)
    assert (again.deleted, exit_code(again), again.unchanged) == (0, 0, 8)
    assert len(public_titles(pipeline)) == 8
    assert_consistent(pipeline)


def test_a_refused_shrink_is_checked_again_by_the_next_run(
    pipeline: IngestPipeline, kb: Path
) -> None:
    pipeline.run([kb])
    (kb / "billing.csv").write_text("", encoding="utf-8")
    for topic in TOPICS:
        (kb / f"{topic}.md").unlink()

    first = pipeline.run([kb])
    second = pipeline.run([kb])  # nothing changed on disk: refused again, not taken as unchanged

    expected = [("file", str(kb / "billing.csv"), 4, 0), ("source", str(kb), 12, 4)]
    for report in (first, second):
        assert [(r.scope, r.source, r.before, r.after) for r in refusals(report)] == expected
        assert report.deleted == 0 and exit_code(report) == EXIT_SHRINK_REFUSED
    assert len(public_titles(pipeline)) == 12
    assert_consistent(pipeline)


def test_a_source_may_allow_itself_to_shrink(pipeline: IngestPipeline, kb: Path) -> None:
    rolling = kb.parent / "exports"
    write(rolling / "tickets.csv", faq_csv(3, word="voucher"))
    specs = [
        SourceSpec((kb,), name="help"),
        SourceSpec((rolling,), name="rolling", allow_shrink=True),
    ]
    pipeline.run_sources(specs)
    (rolling / "tickets.csv").write_text(HEADER, encoding="utf-8")
    (kb / "billing.csv").write_text(HEADER, encoding="utf-8")

    report = pipeline.run_sources(specs)

    assert [(r.source, r.before, r.after) for r in refusals(report)] == [
        (str(kb / "billing.csv"), 4, 0)
    ]
    assert "(source 'help')" in refusals(report)[0].error
    assert report.deleted == 3 and len(public_titles(pipeline)) == 12
    assert_consistent(pipeline)


def test_a_file_that_fails_to_read_is_not_a_shrink(pipeline: IngestPipeline, kb: Path) -> None:
    pipeline.run([kb])
    (kb / "billing.csv").write_bytes(b'question,answer\n"How do I pay,\xff\xfe broken')

    report = pipeline.run([kb])

    assert refusals(report) == [] and report.deleted == 0 and exit_code(report) == 1
    assert len(public_titles(pipeline)) == 12
