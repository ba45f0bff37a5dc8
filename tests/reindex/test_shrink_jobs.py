"""Re-index jobs and the admin API's ingest job guard against sources that shrink by accident:
an incremental run keeps the entries, a full rebuild is refused against the live version,
`--allow-shrink` (or `allow_shrink: true` on a source) lets the loss through. Real Chroma,
BM25 and SQLite in the test's directory; the real command line where its flags matter."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from ingest.reindex import EXIT_OK, EXIT_SHRINK_REFUSED, ReindexJob
from ingest.sources import load_sources_config
from kb_assistant.api.ingest_jobs import IngestJobs
from kb_assistant.cli import main
from kb_assistant.composition import build_ingest_pipeline, build_registry, build_reindex_job
from kb_assistant.embedding import HashingEmbedder
from kb_assistant.settings import Settings
from tests.reindex.test_jobs import consistent

NO_GATE = """\
sources:
  - name: help-center
    connector: faq
    paths: [kb/faq]
    visibility: public{extra}
  - name: tickets
    connector: ticket
    paths: [kb/tickets]
    visibility: internal
"""
BILLING = "kb/faq/billing-and-payments.csv"
BILLING_ENTRIES = 16
FAQ_ENTRIES = 16 + 48


def job(settings: Settings, embedder: HashingEmbedder) -> ReindexJob:
    return build_reindex_job(settings, embedder=embedder)


def sources(site: Path, extra: str = "") -> Path:
    path = site / "no-gate.yaml"
    path.write_text(NO_GATE.format(extra=extra), encoding="utf-8")
    return path


def test_an_incremental_run_keeps_an_emptied_faq_file_until_allowed(
    job_settings: Settings, quick_embedder: HashingEmbedder, kb_copy: Path
) -> None:
    config = load_sources_config(kb_copy / "sources.yaml")
    job(job_settings, quick_embedder).run(config)
    counts = consistent(job_settings, quick_embedder)
    (kb_copy / BILLING).write_text("question,answer,url,category\n", encoding="utf-8")

    refused = job(job_settings, quick_embedder).run(config)
    again = job(job_settings, quick_embedder).run(config)

    for report in (refused, again):
        assert report.exit_code == EXIT_SHRINK_REFUSED and report.ingest is not None
        assert report.ingest.deleted == 0
        [shrink] = report.to_json()["shrink_refused"]
        assert shrink["source"] == str(kb_copy / BILLING)
        assert (shrink["before"], shrink["after"], shrink["max_share"]) == (BILLING_ENTRIES, 0, 0.5)
        assert "--allow-shrink" in report.to_text() and "--allow-shrink" in report.message
    assert consistent(job_settings, quick_embedder) == counts

    allowed = job(job_settings, quick_embedder).run(config, allow_shrink=True)

    assert allowed.exit_code == EXIT_OK and allowed.ingest is not None
    assert allowed.ingest.deleted == BILLING_ENTRIES
    assert consistent(job_settings, quick_embedder)["public"] < counts["public"]


def test_a_source_of_the_sources_file_may_allow_itself_to_shrink(
    job_settings: Settings, quick_embedder: HashingEmbedder, kb_copy: Path
) -> None:
    config = load_sources_config(sources(kb_copy, "\n    allow_shrink: true"))
    assert [spec.allow_shrink for spec in config.sources] == [True, False]
    job(job_settings, quick_embedder).run(config)
    (kb_copy / BILLING).write_text("", encoding="utf-8")

    report = job(job_settings, quick_embedder).run(config)

    assert report.exit_code == EXIT_OK and report.ingest is not None
    assert report.ingest.deleted == BILLING_ENTRIES


def test_a_full_rebuild_whose_sources_shrank_is_refused_and_the_live_version_stays(
    job_settings: Settings, quick_embedder: HashingEmbedder, kb_copy: Path
) -> None:
    config = load_sources_config(sources(kb_copy))
    job(job_settings, quick_embedder).run(config)
    counts = consistent(job_settings, quick_embedder)
    (kb_copy / "kb/faq/help-center.md").unlink()  # 48 of the source's 64 entries

    refused = job(job_settings, quick_embedder).run(config, full=True)

    assert refused.exit_code == EXIT_SHRINK_REFUSED and not refused.switched
    [shrink] = refused.to_json()["shrink_refused"]
    assert (shrink["scope"], shrink["before"], shrink["after"]) == ("source", FAQ_ENTRIES, 16)
    assert "help-center" in shrink["message"] and "not made live" in shrink["message"]
    assert "v1 keeps serving" in refused.message and "--allow-shrink" in refused.message
    registry = build_registry(job_settings)
    assert registry.live_id() == 1 and registry.get(2).state == "refused"
    assert "--allow-shrink" in (registry.get(2).note or "")
    assert consistent(job_settings, quick_embedder) == counts

    allowed = job(job_settings, quick_embedder).run(config, full=True, allow_shrink=True)

    assert allowed.exit_code == EXIT_OK and allowed.switched and registry.live_id() == 3
    assert consistent(job_settings, quick_embedder)["public"] < counts["public"]


def test_the_command_line_exits_5_and_allow_shrink_lets_the_loss_through(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = clean_env / "kb" / "faq.csv"
    faq.parent.mkdir()
    faq.write_text(
        "question,answer\nWhen is the shop open?,From nine to five on weekdays.\n"
        "Do you ship abroad?,Yes: to the EU and the UK.\n",
        encoding="utf-8",
    )
    (clean_env / "sources.yaml").write_text(
        "sources:\n  - {name: faq, connector: faq, paths: [kb]}\n", encoding="utf-8"
    )
    data = ["--data-dir", str(clean_env / "data")]
    reindex = ["reindex", "--config", str(clean_env / "sources.yaml"), "--json", *data]
    assert main(reindex) == 0
    capsys.readouterr()
    faq.write_text("question,answer\n", encoding="utf-8")

    assert main(reindex) == EXIT_SHRINK_REFUSED
    assert json.loads(capsys.readouterr().out)["shrink_refused"][0]["before"] == 2
    assert main([*reindex, "--full"]) == EXIT_SHRINK_REFUSED
    rebuilt = json.loads(capsys.readouterr().out)
    assert not rebuilt["switched"] and "v1 keeps serving" in rebuilt["message"]
    assert main(["ingest", str(faq.parent), *data]) == EXIT_SHRINK_REFUSED
    out = capsys.readouterr().out
    assert "this file now holds 0 of its 2 entries" in out and "--allow-shrink" in out
    assert main(["ingest", str(faq.parent), "--allow-shrink", "--json", *data]) == 0
    assert json.loads(capsys.readouterr().out)["documents"]["deleted"] == 2


def test_the_admin_ingest_job_reports_a_refused_shrink_in_its_status(settings: Settings) -> None:
    faq = settings.data_dir.parent / "faq.md"
    faq.write_text("## When is the shop open?\nFrom nine to five.\n", encoding="utf-8")
    jobs = IngestJobs(lambda: build_ingest_pipeline(settings, embedder=HashingEmbedder()), [faq])
    assert _finished(jobs)["shrink_refused"] == []
    faq.write_text("", encoding="utf-8")

    status = _finished(jobs)

    assert status["state"] == "done"
    [shrink] = status["shrink_refused"]
    assert (shrink["source"], shrink["before"], shrink["after"]) == (str(faq), 1, 0)
    assert status["report"]["documents"]["deleted"] == 0


def _finished(jobs: IngestJobs, timeout_s: float = 60.0) -> dict[str, Any]:
    job_id = jobs.start().id
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if job is not None and job.state != "running":
            return job.as_json()
        time.sleep(0.05)
    raise AssertionError(f"ingest job {job_id} still running after {timeout_s} s")
